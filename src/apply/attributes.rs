//! Phase 0 of apply: the plan's attribute changes, before companies and
//! people, through the same executor, retries and pacing. A person whose
//! custom values use an attribute that failed is not sent (the API would
//! refuse the value, or it would land in an attribute other than the one
//! reviewed), and is reported with that reason; everyone else goes on.

use std::collections::HashMap;
use std::sync::Arc;

use super::send::{SendFuture, Upsert};
use super::{Execution, Failure, Job, Outcome, Sent};
use crate::api::object::ObjectSlug;
use crate::api::{Client, TryFailure};
use crate::plan::Plan;
use crate::plan::attributes::AttributeRequest;
use crate::plan::render::attribute_label;

/// One attribute request: its object and key, and what is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeJob {
    pub object: ObjectSlug,
    pub key: String,
    pub request: AttributeRequest,
}

/// One job per selected attribute change, in plan order.
pub fn attribute_jobs(plan: &Plan<'_>, selected: &[usize]) -> Vec<Job<AttributeJob>> {
    selected
        .iter()
        .filter_map(|&i| plan.attributes.changes.get(i))
        .map(|change| Job {
            source: change.source.clone(),
            label: attribute_label(change),
            action: change.action(),
            payload: AttributeJob {
                object: change.object,
                key: change.key.clone(),
                request: change.request.clone(),
            },
        })
        .collect()
}

/// Sends one try of an attribute's create or patch with `client`.
pub fn attribute_sender(
    client: Client,
) -> impl Fn(Arc<AttributeJob>, u32) -> SendFuture + Send + Sync + 'static {
    move |job: Arc<AttributeJob>, tries: u32| {
        let client = client.clone();
        Box::pin(async move {
            let answer = match &job.request {
                AttributeRequest::Create(new) => {
                    client.create_attribute_try(job.object, new, tries).await
                }
                AttributeRequest::Patch(patch) => {
                    client
                        .patch_attribute_try(job.object, &job.key, patch, tries)
                        .await
                }
            };
            match answer {
                Ok(_) => Ok(Sent {
                    created: matches!(job.request, AttributeRequest::Create(_)),
                }),
                Err(TryFailure::Retry(retry)) => Err(Failure::retry(retry)),
                Err(TryFailure::Failed(error)) => Err(Failure::api(error)),
            }
        })
    }
}

/// The people attributes phase 0 did not make as planned, by key, each
/// with its reason: failed, or not sent.
pub fn failed_people_attributes(
    plan: &Plan<'_>,
    selected: &[usize],
    execution: &Execution,
) -> HashMap<String, String> {
    let mut failed: HashMap<String, String> = HashMap::new();
    let changes: Vec<_> = selected
        .iter()
        .filter_map(|&i| plan.attributes.changes.get(i))
        .filter(|change| change.object == ObjectSlug::People)
        .collect();
    for change in &changes {
        let label = attribute_label(change);
        let result = execution.results.iter().find(|r| r.label == label);
        let reason = match result.map(|r| &r.outcome) {
            Some(Outcome::Failed { reason }) => reason.to_string(),
            Some(_) => continue,
            None => "not sent".to_string(),
        };
        failed.insert(change.key.clone(), reason);
    }
    failed
}

/// Takes out of `jobs` the people whose custom values use an attribute
/// in `failed`, and returns them with the reason.
pub fn hold_people(
    plan: &Plan<'_>,
    selected: &[usize],
    jobs: &mut Vec<Job<Upsert>>,
    failed: &HashMap<String, String>,
) -> Vec<(Job<Upsert>, String)> {
    if failed.is_empty() {
        return Vec::new();
    }
    let mut kept = Vec::with_capacity(jobs.len());
    let mut held = Vec::new();
    for (job, &index) in std::mem::take(jobs).into_iter().zip(selected) {
        let uses = plan
            .changes
            .get(index)
            .and_then(|change| change.entry.fields.get("customAttributes"))
            .and_then(|values| match values {
                serde_json::Value::Object(values) => values
                    .into_iter()
                    .find_map(|(key, _)| failed.get(key.as_str()).map(|reason| (key, reason))),
                _ => None,
            });
        match uses {
            Some((key, reason)) => {
                let reason = format!("not sent: its attribute people.{key} failed ({reason})");
                held.push((job, reason));
            }
            None => kept.push(job),
        }
    }
    *jobs = kept;
    held
}
