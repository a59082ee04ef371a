//! Which changes of a plan apply sends, and as what jobs: all of a fresh
//! plan's, or those of a saved plan that still match the recomputed one.

use super::report::StaleEntry;
use super::send::Upsert;
use super::{Action, ApplyError, Job};
use crate::manifest::SourceFile;
use crate::plan::render::{attribute_label, company_label, identity_label};
use crate::plan::{Plan, PlanKey, SavedPlan, StaleReason};
use crate::plural::counted;

/// The changes apply sends, by index into the plan's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selected {
    /// Into `plan.changes`.
    pub people: Vec<usize>,
    /// Into `plan.companies.changes`.
    pub companies: Vec<usize>,
    /// Into `plan.attributes.changes`.
    pub attributes: Vec<usize>,
}

impl Selected {
    /// Refuses what apply must not send unasked, as the plan warns: more
    /// updates of people than the safety limit allows, unless `force`
    /// (a company rename is no person's update, and a refused plan is
    /// refused whole); options that live records hold, removed, unless
    /// `allow_destructive`.
    pub fn check(
        &self,
        plan: &Plan<'_>,
        force: bool,
        allow_destructive: bool,
    ) -> Result<(), ApplyError> {
        let updates = self
            .people
            .iter()
            .filter(|&&i| plan.changes[i].action == Action::Update)
            .count();
        plan.check_safety(updates, force)?;
        let destructive: Vec<String> = self
            .attributes
            .iter()
            .filter_map(|&i| plan.attributes.changes.get(i))
            .filter(|change| change.is_destructive())
            .map(|change| {
                let records = counted(change.records_losing() as usize, "record", "records");
                let label = attribute_label(change);
                format!(
                    "{label} ({}) would clear the values of {records}",
                    change.source
                )
            })
            .collect();
        if allow_destructive || destructive.is_empty() {
            return Ok(());
        }
        Err(ApplyError::Destructive {
            changes: destructive,
        })
    }

    /// How many changes in all.
    pub fn len(&self) -> usize {
        self.people.len() + self.companies.len() + self.attributes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Every change of a freshly computed plan, none stale.
pub fn everything(fresh: &Plan<'_>) -> (Selected, Vec<StaleEntry>) {
    let selected = Selected {
        people: (0..fresh.changes.len()).collect(),
        companies: (0..fresh.companies.changes.len()).collect(),
        attributes: (0..fresh.attributes.changes.len()).collect(),
    };
    (selected, Vec::new())
}

/// The changes of `fresh` that `saved` holds unchanged, and the saved ones
/// that no longer match, labelled for the report (masked under `redact`).
pub fn from_saved(
    saved: &SavedPlan,
    fresh: &Plan<'_>,
    files: &[SourceFile],
    key: &PlanKey,
    redact: bool,
) -> (Selected, Vec<StaleEntry>) {
    let check = saved.check(fresh, files, key);
    let stale = check
        .stale
        .iter()
        .map(|stale| StaleEntry {
            source: stale.source.clone(),
            label: stale
                .fresh
                .and_then(|i| fresh.changes.get(i))
                .map(|change| identity_label(change, redact))
                .or_else(|| {
                    let company = fresh.companies.changes.get(stale.fresh_company?)?;
                    Some(company_label(company))
                })
                .or_else(|| {
                    let attribute = fresh.attributes.changes.get(stale.fresh_attribute?)?;
                    Some(attribute_label(attribute))
                })
                .unwrap_or_else(|| "(saved change)".to_string()),
            reason: match (stale.fresh_company, stale.fresh_attribute, stale.reason) {
                (Some(_), _, StaleReason::Differs) => {
                    "the declaration or the live company changed since the plan was saved"
                        .to_string()
                }
                (_, Some(_), StaleReason::Differs) => {
                    "the declaration or the live attribute changed since the plan was saved"
                        .to_string()
                }
                (_, _, reason) => reason.to_string(),
            },
            company: stale.company,
        })
        .collect();
    let selected = Selected {
        people: check.current,
        companies: check.current_companies,
        attributes: check.current_attributes,
    };
    (selected, stale)
}

/// One upsert job per selected change, in plan order, each made only when
/// the executor takes it.
pub fn jobs<'p>(
    plan: &'p Plan<'_>,
    selected: &'p [usize],
    redact: bool,
) -> impl ExactSizeIterator<Item = Job<Upsert>> + 'p {
    let jobs = selected.iter().filter_map(move |&i| job(plan, i, redact));
    Told::new(jobs, selected.len())
}

/// The upsert job of the plan's change `index`.
pub fn job(plan: &Plan<'_>, index: usize, redact: bool) -> Option<Job<Upsert>> {
    let change = plan.changes.get(index)?;
    Some(Job {
        entry: index,
        source: change.source().clone(),
        label: identity_label(change, redact),
        action: change.action,
        payload: Upsert::from_json(change.matching_attribute().slug(), &change.body_json()),
    })
}

/// An iterator of the length told beforehand, which its adapters (a
/// filter) hide: the executor counts the jobs before it takes them.
pub struct Told<I> {
    items: I,
    left: usize,
}

impl<I: Iterator> Told<I> {
    /// `items`, which hold `len` (the executor copes with fewer).
    pub fn new(items: I, len: usize) -> Told<I> {
        Told { items, left: len }
    }
}

impl<I: Iterator> Iterator for Told<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let item = self.items.next()?;
        self.left = self.left.saturating_sub(1);
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<I: Iterator> ExactSizeIterator for Told<I> {}
