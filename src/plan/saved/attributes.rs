//! Attribute changes in a saved plan: each fingerprinted by its object,
//! key, request and the live attribute it was planned against, so that
//! `apply --plan` sends only those that still hold.

use super::*;
use crate::plan::AttributeChange;

/// One planned attribute change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SavedAttributeChange {
    /// Create or update.
    pub action: Action,
    /// Where the attribute was declared (for messages only).
    pub source: SourceLocation,
    /// `people.tier`: the workspace's schema, not contact data.
    pub attribute: String,
    /// Keyed hash of the request and of the live attribute it was planned
    /// against: a change in either makes the saved change stale.
    pub fingerprint: String,
}

pub(super) fn attribute_fingerprint(
    keyed: &Keyed,
    change: &AttributeChange,
) -> SavedAttributeChange {
    let request = match &change.request {
        crate::plan::attributes::AttributeRequest::Create(new) => serde_json::to_value(new),
        crate::plan::attributes::AttributeRequest::Patch(patch) => serde_json::to_value(patch),
    };
    let live = serde_json::to_value(&change.live);
    let text = serde_json::json!([
        change.action().as_str(),
        request.unwrap_or_default(),
        live.unwrap_or_default()
    ]);
    SavedAttributeChange {
        action: change.action(),
        source: change.source.clone(),
        attribute: format!("{}.{}", change.object, change.key),
        fingerprint: keyed.tag("attribute", &text.to_string()),
    }
}

impl SavedPlan {
    /// The attribute part of [`SavedPlan::check`]: a recomputed attribute
    /// change may be sent only when a saved one has its fingerprint.
    pub(super) fn check_attributes(
        &self,
        fresh: &Plan<'_>,
        sources: &[SourceFile],
        keyed: &Keyed,
        check: &mut SavedPlanCheck,
    ) {
        let mut used = vec![false; self.attributes.len()];
        for (index, change) in fresh.attributes.changes.iter().enumerate() {
            let print = attribute_fingerprint(keyed, change);
            let saved = self
                .attributes
                .iter()
                .enumerate()
                .find(|(i, saved)| !used[*i] && saved.attribute == print.attribute);
            let reason = match saved {
                Some((i, saved)) => {
                    used[i] = true;
                    if saved.fingerprint == print.fingerprint && saved.action == print.action {
                        check.current_attributes.push(index);
                        continue;
                    }
                    StaleReason::Differs
                }
                None => StaleReason::NotInSavedPlan,
            };
            let source = change.source.clone();
            check.stale.push(StaleChange {
                fresh_attribute: Some(index),
                ..StaleChange::declared(reason, source, None, false)
            });
        }
        for (saved, _) in self
            .attributes
            .iter()
            .zip(&used)
            .filter(|(_, used)| !**used)
        {
            let source = shown_source(&saved.source, sources);
            check.stale.push(StaleChange::declared(
                StaleReason::Gone,
                source,
                None,
                false,
            ));
        }
    }
}
