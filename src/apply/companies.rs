//! Phase 1 of apply: asserting the plan's companies by domain, before the
//! people who link to them; and the link of phase 2: each person's
//! `companyId`, from phase 1's answers or the live read.
//!
//! The order is decided here and nowhere else: a person's upsert needs the id
//! of its company, which a create only learns from the assert's answer. A
//! person whose company failed is not sent (it would be refused, or linked to
//! nothing) and is reported with that reason; everything else goes on, and a
//! rerun converges (both asserts are idempotent by their matching attribute).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::attributes::{attribute_jobs, attribute_sender, failed_people_attributes, hold_people};
use super::selection::Selected;
use super::send::{SendFuture, Upsert, redacting, sender};
use super::{
    EntryResult, Execution, ExecutorConfig, Failure, Job, Outcome, Progress, Reason, Sent, Stop,
};
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

/// What the two phases did: the companies' run (when the plan involves
/// companies) and the people's.
#[derive(Debug, Clone)]
pub struct Phases {
    /// When the plan changes attributes.
    pub attributes: Option<Execution>,
    pub companies: Option<Execution>,
    pub people: Execution,
}

impl Phases {
    /// Whether a stop was requested in any phase.
    pub fn interrupted(&self) -> bool {
        self.people.interrupted
            || self.companies.as_ref().is_some_and(|c| c.interrupted)
            || self.attributes.as_ref().is_some_and(|a| a.interrupted)
    }
}

/// No person sent: a stop or a fatal failure in an earlier phase.
fn none_sent(jobs: usize, interrupted: bool) -> Execution {
    Execution {
        results: Vec::new(),
        not_sent: jobs,
        abandoned: 0,
        interrupted,
        aborted: None,
        elapsed: Duration::ZERO,
    }
}

/// Runs phase 1 (the selected company asserts), then phase 2 (the selected
/// people, each with its company's id), under one limit configuration, one
/// progress display and one stop. A stop or a fatal failure in phase 1
/// starts no person: they count as not sent.
pub async fn execute_phases(
    client: &Client,
    plan: &Plan<'_>,
    selected: &Selected,
    redact: bool,
    config: &ExecutorConfig,
    progress: &Progress,
    stop: &Stop,
) -> Phases {
    let jobs = super::selection::jobs(plan, &selected.people, redact);
    let people_sender = || redacting(sender(client.clone()), redact);
    if !plan.companies.involved && selected.attributes.is_empty() {
        let people = super::execute(jobs, people_sender(), config, progress, stop).await;
        return Phases {
            attributes: None,
            companies: None,
            people,
        };
    }
    let mut jobs: Vec<_> = jobs.collect();
    let attributes = if selected.attributes.is_empty() {
        None
    } else {
        let attribute_jobs = attribute_jobs(plan, &selected.attributes);
        let sender = redacting(attribute_sender(client.clone()), redact);
        // One at a time, in the order declared: a workspace that lists
        // attributes in the order they were made (the sandbox does) then
        // shows them as the files declare them, and an import writes them
        // back so. A few requests: the pace costs nothing.
        let in_order = ExecutorConfig {
            parallelism: 1,
            ..config.clone()
        };
        Some(super::execute(attribute_jobs, sender, &in_order, progress, stop).await)
    };
    if let Some(done) = attributes
        .as_ref()
        .filter(|a| a.interrupted || a.aborted.is_some())
    {
        return Phases {
            people: none_sent(jobs.len() + selected.companies.len(), done.interrupted),
            attributes,
            companies: None,
        };
    }
    let failed_attributes = attributes.as_ref().map_or_else(HashMap::new, |done| {
        failed_people_attributes(plan, &selected.attributes, done)
    });
    let held = hold_people(plan, &selected.people, &mut jobs, &failed_attributes);
    let mut phases =
        companies_then_people(client, plan, selected, jobs, redact, config, progress, stop).await;
    for (job, reason) in held {
        let result = EntryResult::failed(job.source, job.label, job.action, Reason::Said(reason));
        progress.entry_finished(&result);
        phases.people.results.push(result);
    }
    phases
        .people
        .results
        .sort_by(|a, b| a.source.cmp(&b.source));
    phases.attributes = attributes;
    phases
}

/// Phases 1 and 2: the selected company asserts, then the people's `jobs`,
/// each with its company's id.
#[allow(clippy::too_many_arguments)]
async fn companies_then_people(
    client: &Client,
    plan: &Plan<'_>,
    selected: &Selected,
    mut jobs: Vec<Job<Upsert>>,
    redact: bool,
    config: &ExecutorConfig,
    progress: &Progress,
    stop: &Stop,
) -> Phases {
    let people_sender = || redacting(sender(client.clone()), redact);
    if !plan.companies.involved {
        let people = super::execute(jobs, people_sender(), config, progress, stop).await;
        return Phases {
            attributes: None,
            companies: None,
            people,
        };
    }
    // Linked to the companies phase 1 asserts, the people's jobs are made
    // before it and held until it ends.
    let ids = AssertedIds::default();
    let company_jobs = company_jobs(plan, &selected.companies);
    let companies = super::execute(
        company_jobs,
        redacting(company_sender(client.clone(), ids.clone()), redact),
        config,
        progress,
        stop,
    )
    .await;
    if companies.interrupted || companies.aborted.is_some() {
        return Phases {
            attributes: None,
            people: none_sent(jobs.len(), companies.interrupted),
            companies: Some(companies),
        };
    }
    // Results name companies by label; the plan says which domain each is.
    let key_of: HashMap<String, String> = selected
        .companies
        .iter()
        .filter_map(|&i| plan.companies.changes.get(i))
        .map(|change| (company_label(change), domain_key(&change.domain)))
        .collect();
    let failures: HashMap<String, String> = companies
        .results
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Failed { reason } => Some((key_of.get(&r.label)?.clone(), reason.to_string())),
            _ => None,
        })
        .collect();
    let unlinked = link_people(plan, &selected.people, &mut jobs, &ids, &failures);
    let mut people = super::execute(jobs, people_sender(), config, progress, stop).await;
    for (job, reason) in unlinked {
        let result = EntryResult::failed(job.source, job.label, job.action, Reason::Said(reason));
        progress.entry_finished(&result);
        people.results.push(result);
    }
    // In the plan's order, as every report lists entries.
    people.results.sort_by(|a, b| a.source.cmp(&b.source));
    Phases {
        attributes: None,
        companies: Some(companies),
        people,
    }
}
