//! Phase 0 of apply: the plan's attribute changes, before companies and
//! people, through the same executor, retries and pacing. A person whose
//! custom values use an attribute that failed is not sent (the API would
//! refuse the value, or it would land in an attribute other than the one
//! reviewed), and is reported with that reason; everyone else goes on.

use std::collections::HashMap;
use std::sync::Arc;

use super::send::SendFuture;
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
        .filter_map(|&i| Some((i, plan.attributes.changes.get(i)?)))
        .map(|(entry, change)| Job {
            entry,
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
    let changes = selected
        .iter()
        .filter_map(|&i| Some((i, plan.attributes.changes.get(i)?)))
        .filter(|(_, change)| change.object == ObjectSlug::People);
    for (index, change) in changes {
        let reason = match execution.results.outcome(index) {
            Some(Outcome::Failed { reason }) => reason.to_string(),
            Some(_) => continue,
            None => "not sent".to_string(),
        };
        failed.insert(change.key.clone(), reason);
    }
    failed
}

/// The `selected` people (the plan's indices) whose custom values use an
/// attribute in `failed`, each with why it is not sent.
pub fn hold_people(
    plan: &Plan<'_>,
    selected: &[usize],
    failed: &HashMap<String, String>,
) -> Vec<(usize, String)> {
    if failed.is_empty() {
        return Vec::new();
    }
    let uses = |index: usize| {
        let values = plan
            .changes
            .get(index)?
            .entry
            .fields
            .get("customAttributes")?;
        let serde_json::Value::Object(values) = values else {
            return None;
        };
        values
            .into_iter()
            .find_map(|(key, _)| failed.get(key.as_str()).map(|reason| (key, reason)))
    };
    selected
        .iter()
        .filter_map(|&index| {
            let (key, reason) = uses(index)?;
            let reason = format!("not sent: its attribute people.{key} failed ({reason})");
            Some((index, reason))
        })
        .collect()
}
