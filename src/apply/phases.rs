//! The order of apply's phases, decided here and nowhere else: the selected
//! attribute changes first (phase 0, [`super::attributes`]), then the
//! company asserts (phase 1, [`super::companies`]), then the people (phase
//! 2), each with its company's id. Every phase runs under one limit
//! configuration, one progress display and one stop. A stop or a fatal
//! failure in an earlier phase starts no person: they count as not sent.

use std::collections::HashMap;
use std::time::Duration;

use super::attributes::{attribute_jobs, attribute_sender, failed_people_attributes, hold_people};
use super::companies::{AssertedIds, company_failures, company_jobs, company_sender, link_people};
use super::selection::{self, Selected};
use super::send::{Upsert, redacting, sender};
use super::{EntryResult, Execution, ExecutorConfig, Failure, Job, Progress, Reason, Sent};
use crate::api::Client;
use crate::interrupt::Stop;
use crate::plan::Plan;

/// What every phase of one apply runs with: the plan and what of it is
/// selected, the client, and what the phases share.
#[derive(Clone, Copy)]
pub struct PhaseContext<'a> {
    pub client: &'a Client,
    pub plan: &'a Plan<'a>,
    pub selected: &'a Selected,
    /// Contact data masked in what failures say.
    pub redact: bool,
    pub config: &'a ExecutorConfig,
    pub progress: &'a Progress,
    pub stop: &'a Stop,
}

/// What the phases did: the attributes' and the companies' runs (when the
/// plan involves them) and the people's.
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

/// Runs the selected attribute changes, then the company asserts, then the
/// people.
pub async fn execute_phases(run: &PhaseContext<'_>) -> Phases {
    let PhaseContext { plan, selected, .. } = *run;
    let jobs = selection::jobs(plan, &selected.people, run.redact);
    if !plan.companies.involved && selected.attributes.is_empty() {
        return Phases {
            attributes: None,
            companies: None,
            people: run.people(jobs).await,
        };
    }
    let mut jobs: Vec<_> = jobs.collect();
    let attributes = if selected.attributes.is_empty() {
        None
    } else {
        let attribute_jobs = attribute_jobs(plan, &selected.attributes);
        let sender = redacting(attribute_sender(run.client.clone()), run.redact);
        // One at a time, in the order declared: a workspace that lists
        // attributes in the order they were made (the sandbox does) then
        // shows them as the files declare them, and an import writes them
        // back so. A few requests: the pace costs nothing.
        let in_order = ExecutorConfig {
            parallelism: 1,
            ..run.config.clone()
        };
        let execution = super::execute(attribute_jobs, sender, &in_order, run.progress, run.stop);
        Some(execution.await)
    };
    if let Some(done) = attributes
        .as_ref()
        .filter(|a| a.interrupted || a.aborted.is_some())
    {
        // Each phase counts its own not sent, as the report lists them.
        let companies = plan.companies.involved;
        return Phases {
            people: none_sent(jobs.len(), done.interrupted),
            companies: companies.then(|| none_sent(selected.companies.len(), done.interrupted)),
            attributes,
        };
    }
    let failed_attributes = attributes.as_ref().map_or_else(HashMap::new, |done| {
        failed_people_attributes(plan, &selected.attributes, done)
    });
    let held = hold_people(plan, &selected.people, &mut jobs, &failed_attributes);
    let mut phases = companies_then_people(run, jobs).await;
    run.not_sent(&mut phases.people, held);
    phases.attributes = attributes;
    phases
}

/// Phases 1 and 2: the selected company asserts, then the people's `jobs`,
/// each with its company's id.
async fn companies_then_people(run: &PhaseContext<'_>, mut jobs: Vec<Job<Upsert>>) -> Phases {
    let PhaseContext { plan, selected, .. } = *run;
    if !plan.companies.involved {
        return Phases {
            attributes: None,
            companies: None,
            people: run.people(jobs).await,
        };
    }
    // Linked to the companies phase 1 asserts, the people's jobs are made
    // before it and held until it ends.
    let ids = AssertedIds::default();
    let company_jobs = company_jobs(plan, &selected.companies);
    let sender = redacting(company_sender(run.client.clone(), ids.clone()), run.redact);
    let companies = run.execute(company_jobs, sender).await;
    if companies.interrupted || companies.aborted.is_some() {
        return Phases {
            attributes: None,
            people: none_sent(jobs.len(), companies.interrupted),
            companies: Some(companies),
        };
    }
    let failures = company_failures(plan, &selected.companies, &companies);
    let unlinked = link_people(plan, &selected.people, &mut jobs, &ids, &failures);
    let mut people = run.people(jobs).await;
    run.not_sent(&mut people, unlinked);
    Phases {
        attributes: None,
        companies: Some(companies),
        people,
    }
}

impl PhaseContext<'_> {
    /// Runs one phase's jobs through the executor.
    async fn execute<T, F, Fut>(
        &self,
        jobs: impl IntoIterator<Item = Job<T>, IntoIter: ExactSizeIterator>,
        send: F,
    ) -> Execution
    where
        T: Send + Sync + 'static,
        F: Fn(std::sync::Arc<T>, u32) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Sent, Failure>> + Send + 'static,
    {
        super::execute(jobs, send, self.config, self.progress, self.stop).await
    }

    /// Runs the people's upserts.
    async fn people(
        &self,
        jobs: impl IntoIterator<Item = Job<Upsert>, IntoIter: ExactSizeIterator>,
    ) -> Execution {
        let send = redacting(sender(self.client.clone()), self.redact);
        self.execute(jobs, send).await
    }

    /// Reports the people an earlier phase kept from being sent, with why,
    /// among `people`'s results in the plan's order, as every report lists
    /// entries.
    fn not_sent(&self, people: &mut Execution, kept: Vec<(Job<Upsert>, String)>) {
        for (job, reason) in kept {
            let result =
                EntryResult::failed(job.source, job.label, job.action, Reason::Said(reason));
            self.progress.entry_finished(&result);
            people.results.push(result);
        }
        people.results.sort_by(|a, b| a.source.cmp(&b.source));
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
