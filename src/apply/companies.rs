//! Phase 1 of apply: asserting the plan's companies by domain, before the
//! people who link to them; and the link of phase 2: each person's
//! `companyId`, from phase 1's answers or the live read.
//!
//! A person's upsert needs the id of its company, which a create only learns
//! from the assert's answer (the order of the phases is [`super::phases`]'s).
//! A person whose company failed is not sent (it would be refused, or linked
//! to nothing) and is reported with that reason; everything else goes on,
//! and a rerun converges (both asserts are idempotent by their matching
//! attribute).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::send::{SendFuture, Upsert};
use super::{Execution, Failure, Job, Outcome, Sent};
use crate::api::{Client, TryFailure};
use crate::company::{ID_FIELD, domain_key};
use crate::plan::Plan;
use crate::plan::render::company_label;

/// One `PUT /crm/companies?matchingAttribute=domain`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanyAssert {
    pub domain: String,
    /// `None` leaves a found company's name as it is.
    pub name: Option<String>,
}

/// The ids phase 1's asserts answered with, by domain key; filled while the
/// asserts run, read once they are done.
#[derive(Debug, Clone, Default)]
pub struct AssertedIds(Arc<Mutex<HashMap<String, String>>>);

impl AssertedIds {
    fn insert(&self, domain: &str, id: String) {
        // A panic elsewhere cannot leave a half-written map entry.
        let mut ids = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        ids.insert(domain_key(domain), id);
    }

    fn get(&self, key: &str) -> Option<String> {
        let ids = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        ids.get(key).cloned()
    }
}

/// One assert job per selected company change, in plan order.
pub fn company_jobs(plan: &Plan<'_>, selected: &[usize]) -> Vec<Job<CompanyAssert>> {
    selected
        .iter()
        .filter_map(|&i| plan.companies.changes.get(i))
        .map(|change| Job {
            source: change.source.clone(),
            label: company_label(change),
            action: change.action,
            payload: CompanyAssert {
                domain: change.domain.clone(),
                name: change.name.clone(),
            },
        })
        .collect()
}

/// Sends one try of a company assert with `client` (paced and retried like
/// the people's upserts, through the same executor), and records the id the
/// API answered with in `ids`.
pub fn company_sender(
    client: Client,
    ids: AssertedIds,
) -> impl Fn(Arc<CompanyAssert>, u32) -> SendFuture + Send + Sync + 'static {
    move |assert: Arc<CompanyAssert>, tries: u32| {
        let client = client.clone();
        let ids = ids.clone();
        Box::pin(async move {
            match client
                .assert_company_try(&assert.domain, assert.name.as_deref(), tries)
                .await
            {
                Ok(asserted) => {
                    ids.insert(&assert.domain, asserted.company.id);
                    Ok(Sent {
                        created: asserted.created,
                    })
                }
                Err(TryFailure::Retry(retry)) => Err(Failure::retry(retry)),
                Err(TryFailure::Failed(error)) => Err(Failure::api(error)),
            }
        })
    }
}

/// Puts each linked person's `companyId` into its job: the id phase 1's
/// assert answered with, else the live company's. A person whose company
/// failed in phase 1 (`failures`: each failed company's reason, by domain key),
/// or has no id at all (its assert was not sent), is taken out and
/// returned with the reason.
pub fn link_people(
    plan: &Plan<'_>,
    selected: &[usize],
    jobs: &mut Vec<Job<Upsert>>,
    ids: &AssertedIds,
    failures: &HashMap<String, String>,
) -> Vec<(Job<Upsert>, String)> {
    let mut kept = Vec::with_capacity(jobs.len());
    let mut unlinked = Vec::new();
    for (job, &index) in std::mem::take(jobs).into_iter().zip(selected) {
        let Some(domain) = plan.changes.get(index).and_then(|c| c.company()) else {
            kept.push(job);
            continue;
        };
        let key = domain_key(domain);
        // A company whose assert failed: even a renamed one's live id is not
        // used, since the reviewed plan linked the person to what it asserts.
        let id = match failures.get(&key) {
            Some(_) => None,
            None => ids
                .get(&key)
                .or_else(|| plan.companies.live_ids.get(&key).cloned()),
        };
        match id {
            Some(id) => {
                let mut job = job;
                job.payload.add_field(ID_FIELD, &id.into());
                kept.push(job);
            }
            None => {
                let reason = match failures.get(&key) {
                    Some(failed) => format!("not sent: its company {domain} failed ({failed})"),
                    None => format!("not sent: its company {domain} was not asserted"),
                };
                unlinked.push((job, reason));
            }
        }
    }
    *jobs = kept;
    unlinked
}

/// Why each failed company assert of `execution` failed, by domain key
/// (results name companies by label; the plan says which domain each is).
pub fn company_failures(
    plan: &Plan<'_>,
    selected: &[usize],
    execution: &Execution,
) -> HashMap<String, String> {
    let key_of: HashMap<String, String> = selected
        .iter()
        .filter_map(|&i| plan.companies.changes.get(i))
        .map(|change| (company_label(change), domain_key(&change.domain)))
        .collect();
    execution
        .results
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Failed { reason } => Some((key_of.get(&r.label)?.clone(), reason.to_string())),
            _ => None,
        })
        .collect()
}
