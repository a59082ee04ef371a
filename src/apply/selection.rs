//! Which changes of a plan apply sends, and as what jobs: all of a fresh
//! plan's, or those of a saved plan that still match the recomputed one.

use super::Job;
use super::report::StaleEntry;
use super::send::Upsert;
use crate::manifest::SourceFile;
use crate::plan::render::identity_label;
use crate::plan::{Plan, PlanKey, SavedPlan};

/// Every change of a freshly computed plan, none stale.
pub fn everything(fresh: &Plan) -> (Vec<usize>, Vec<StaleEntry>) {
    ((0..fresh.changes.len()).collect(), Vec::new())
}

/// The changes of `fresh` that `saved` holds unchanged, and the saved ones
/// that no longer match, labelled for the report (masked under `redact`).
pub fn from_saved(
    saved: &SavedPlan,
    fresh: &Plan,
    files: &[SourceFile],
    key: &PlanKey,
    redact: bool,
) -> (Vec<usize>, Vec<StaleEntry>) {
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
                .unwrap_or_else(|| "(saved change)".to_string()),
            reason: stale.reason.to_string(),
        })
        .collect();
    (check.current, stale)
}

/// One upsert job per selected change, in plan order.
pub fn jobs(plan: &Plan, selected: &[usize], redact: bool) -> Vec<Job<Upsert>> {
    selected
        .iter()
        .filter_map(|&i| plan.changes.get(i))
        .map(|change| Job {
            source: change.source.clone(),
            label: identity_label(change, redact),
            action: change.action,
            payload: Upsert {
                matching_attribute: change.matching_attribute.clone(),
                body: change.body.clone(),
            },
        })
        .collect()
}
