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

    /// Every id answered, once the asserts are done.
    fn take(&self) -> HashMap<String, String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// One assert job per selected company change, in plan order.
pub fn company_jobs(plan: &Plan<'_>, selected: &[usize]) -> Vec<Job<CompanyAssert>> {
    selected
        .iter()
        .filter_map(|&i| Some((i, plan.companies.changes.get(i)?)))
        .map(|(entry, change)| Job {
            entry,
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

/// Where each person's `companyId` comes from in phase 2: the id phase 1's
/// assert answered with, else the live company's. A person whose company
/// failed in phase 1, or has no id at all (its assert was not sent), is not
/// sent.
pub struct Links<'p> {
    plan: &'p Plan<'p>,
    /// Phase 1's answers, by domain key.
    asserted: HashMap<String, String>,
    /// Each failed company's reason, by domain key.
    failures: HashMap<String, String>,
}

impl<'p> Links<'p> {
    /// The links once phase 1 is done: its answers in `ids`, its failures in
    /// `execution`.
    pub fn new(plan: &'p Plan<'p>, ids: &AssertedIds, execution: &Execution) -> Links<'p> {
        Links {
            plan,
            asserted: ids.take(),
            failures: company_failures(plan, execution),
        }
    }

    /// The id the plan's person `index` links to (`None`: no company), or
    /// why it is not sent.
    fn company_id(&self, index: usize) -> Result<Option<&str>, String> {
        let Some(domain) = self.plan.changes.get(index).and_then(|c| c.company()) else {
            return Ok(None);
        };
        let key = domain_key(domain);
        // A company whose assert failed: even a renamed one's live id is not
        // used, since the reviewed plan linked the person to what it asserts.
        if let Some(failed) = self.failures.get(&key) {
            return Err(format!("not sent: its company {domain} failed ({failed})"));
        }
        let id = self.asserted.get(&key);
        match id.or_else(|| self.plan.companies.live_ids.get(&key)) {
            Some(id) => Ok(Some(id)),
            None => Err(format!("not sent: its company {domain} was not asserted")),
        }
    }

    /// The people of `people` (the plan's indices) that cannot be linked,
    /// each with why.
    pub fn unlinked(&self, people: impl Iterator<Item = usize>) -> Vec<(usize, String)> {
        people
            .filter_map(|index| Some((index, self.company_id(index).err()?)))
            .collect()
    }

    /// Puts the person's `companyId` into its job (one [`Links::unlinked`]
    /// left in).
    pub fn link(&self, job: &mut Job<Upsert>) {
        if let Ok(Some(id)) = self.company_id(job.entry) {
            job.payload.add_field(ID_FIELD, &id.into());
        }
    }
}

/// Why each failed company assert of `execution` failed, by domain key.
fn company_failures(plan: &Plan<'_>, execution: &Execution) -> HashMap<String, String> {
    execution
        .results
        .failures()
        .filter_map(|(entry, failed)| match &failed.outcome {
            Outcome::Failed { reason } => {
                let change = plan.companies.changes.get(entry)?;
                Some((domain_key(&change.domain), reason.to_string()))
            }
            _ => None,
        })
        .collect()
}
