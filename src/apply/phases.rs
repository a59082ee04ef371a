//! The order of apply's phases, decided here and nowhere else: the selected
//! attribute changes first (phase 0, [`super::attributes`]), then the
//! company asserts (phase 1, [`super::companies`]), then the people (phase
//! 2), each with its company's id. Every phase runs under one limit
//! configuration, one progress display and one stop. A stop or a fatal
//! failure in an earlier phase starts no person: they count as not sent.

use std::collections::HashMap;
use std::time::Duration;

use rustc_hash::FxHashSet;

use super::attributes::{attribute_jobs, attribute_sender, failed_people_attributes, hold_people};
use super::companies::{AssertedIds, Links, company_jobs, company_sender};
use super::names::{Names, Phase, PlanNames};
use super::results::Results;
use super::selection::{self, Selected, Told};
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
/// people. The people's jobs are made only as the executor takes them, after
/// the phases before theirs decided which are sent and with what company.
pub async fn execute_phases(run: &PhaseContext<'_>) -> Phases {
    let PhaseContext { plan, selected, .. } = *run;
    if !plan.companies.involved && selected.attributes.is_empty() {
        let jobs = selection::jobs(plan, &selected.people, run.redact);
        return Phases {
            attributes: None,
            companies: None,
            people: run.people(jobs).await,
        };
    }
    let attributes = run.attributes().await;
    if let Some(done) = attributes
        .as_ref()
        .filter(|a| a.interrupted || a.aborted.is_some())
    {
        // Each phase counts its own not sent, as the report lists them.
        let companies = plan.companies.involved;
        return Phases {
            people: none_sent(selected.people.len(), done.interrupted),
            companies: companies.then(|| none_sent(selected.companies.len(), done.interrupted)),
            attributes,
        };
    }
    let failed_attributes = attributes.as_ref().map_or_else(HashMap::new, |done| {
        failed_people_attributes(plan, &selected.attributes, done)
    });
    let held = hold_people(plan, &selected.people, &failed_attributes);
    let mut phases = companies_then_people(run, held).await;
    phases.attributes = attributes;
    phases
}

/// Phases 1 and 2: the selected company asserts, then the people but those
/// `held` (with why), each with its company's id.
async fn companies_then_people(run: &PhaseContext<'_>, held: Vec<(usize, String)>) -> Phases {
    let PhaseContext { plan, selected, .. } = *run;
    if !plan.companies.involved {
        return Phases {
            attributes: None,
            companies: None,
            people: run.people_but(held, None).await,
        };
    }
    let ids = AssertedIds::default();
    let company_jobs = company_jobs(plan, &selected.companies);
    let sender = redacting(company_sender(run.client.clone(), ids.clone()), run.redact);
    let companies = run.execute(company_jobs, sender).await;
    if companies.interrupted || companies.aborted.is_some() {
        let mut people = none_sent(
            selected.people.len().saturating_sub(held.len()),
            companies.interrupted,
        );
        run.not_sent(&mut people, held);
        return Phases {
            attributes: None,
            people,
            companies: Some(companies),
        };
    }
    let links = Links::new(plan, &ids, &companies);
    let people = run.people_but(held, Some(&links)).await;
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

    /// Phase 0: the selected attribute changes; `None` when there are none.
    async fn attributes(&self) -> Option<Execution> {
        if self.selected.attributes.is_empty() {
            return None;
        }
        let jobs = attribute_jobs(self.plan, &self.selected.attributes);
        let sender = redacting(attribute_sender(self.client.clone()), self.redact);
        // One at a time, in the order declared: a workspace that lists
        // attributes in the order they were made (the sandbox does) then
        // shows them as the files declare them, and an import writes them
        // back so. A few requests: the pace costs nothing.
        let in_order = ExecutorConfig {
            parallelism: 1,
            ..self.config.clone()
        };
        Some(super::execute(jobs, sender, &in_order, self.progress, self.stop).await)
    }

    /// Runs the people's upserts.
    async fn people(
        &self,
        jobs: impl IntoIterator<Item = Job<Upsert>, IntoIter: ExactSizeIterator>,
    ) -> Execution {
        let send = redacting(sender(self.client.clone()), self.redact);
        self.execute(jobs, send).await
    }

    /// Phase 2 after an earlier one: the selected people but those `held`
    /// and, when the plan involves companies, those `links` cannot link;
    /// each of the others linked to its company.
    async fn people_but(&self, held: Vec<(usize, String)>, links: Option<&Links<'_>>) -> Execution {
        let people = &self.selected.people;
        let held_back: FxHashSet<usize> = held.iter().map(|(index, _)| *index).collect();
        let mut kept = links.map_or_else(Vec::new, |links| {
            links.unlinked(people.iter().copied().filter(|i| !held_back.contains(i)))
        });
        kept.extend(held);
        let skipped: FxHashSet<usize> = kept.iter().map(|(index, _)| *index).collect();
        let jobs = people
            .iter()
            .filter(|i| !skipped.contains(i))
            .filter_map(|&i| selection::job(self.plan, i, self.redact))
            .map(|mut job| {
                if let Some(links) = links {
                    links.link(&mut job);
                }
                job
            });
        let mut execution = self
            .people(Told::new(jobs, people.len().saturating_sub(skipped.len())))
            .await;
        self.not_sent(&mut execution, kept);
        execution
    }

    /// Reports the people an earlier phase kept from being sent (the plan's
    /// indices), with why, among `people`'s results in the files' order, as
    /// every report lists entries.
    fn not_sent(&self, people: &mut Execution, kept: Vec<(usize, String)>) {
        let names = self.names();
        for (index, reason) in kept {
            let Some(change) = self.plan.changes.get(index) else {
                continue;
            };
            let label = names.label(Phase::People, index).unwrap_or_default();
            let source = change.source().clone();
            let result = EntryResult::failed(source, label, change.action, Reason::Said(reason));
            self.progress.entry_finished(&result);
            people.results.push(index, result);
        }
        people.results.sort_by_source(&names, Phase::People);
    }
}

impl<'a> PhaseContext<'a> {
    /// How the report names the plan's entries, as the jobs were named.
    fn names(&self) -> PlanNames<'a> {
        PlanNames {
            plan: self.plan,
            redact: self.redact,
        }
    }
}

/// No person sent: a stop or a fatal failure in an earlier phase.
fn none_sent(jobs: usize, interrupted: bool) -> Execution {
    Execution {
        results: Results::default(),
        not_sent: jobs,
        abandoned: 0,
        interrupted,
        aborted: None,
        elapsed: Duration::ZERO,
    }
}
