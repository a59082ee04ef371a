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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::object::{AttributePatch, ObjectSlug};
    use crate::plan::attributes::AttributeRequest;

    fn key() -> PlanKey {
        PlanKey::from_token(&crate::api::Token::new("t"))
    }

    /// A relabel of `people.tier` to `label`, planned against the live
    /// attribute labelled `live_label`.
    fn relabel(label: &str, live_label: &str) -> AttributeChange {
        let live = json!({"key": "tier", "label": live_label, "type": "text"});
        AttributeChange {
            object: ObjectSlug::People,
            key: "tier".into(),
            source: SourceLocation {
                file: PathBuf::from("zeeg.yaml").into(),
                line: 4,
                column: 7,
            },
            request: AttributeRequest::Patch(AttributePatch {
                label: Some(label.into()),
                ..AttributePatch::default()
            }),
            fields: Vec::new(),
            options: Vec::new(),
            live: Some(serde_json::from_value(live).unwrap()),
        }
    }

    fn plan_of(changes: Vec<AttributeChange>) -> Plan<'static> {
        let mut plan = crate::plan::compute(&[], &[], &Default::default()).unwrap();
        plan.attributes.changes = changes;
        plan
    }

    fn reasons(check: &SavedPlanCheck) -> Vec<StaleReason> {
        check.stale.iter().map(|s| s.reason).collect()
    }

    fn checked(saved: Vec<AttributeChange>, fresh: Vec<AttributeChange>) -> SavedPlanCheck {
        let saved = SavedPlan::new(&plan_of(saved), &[], &[], &key());
        saved.check(&plan_of(fresh), &[], &key())
    }

    #[test]
    fn the_same_change_against_the_same_live_attribute_is_current() {
        let check = checked(
            vec![relabel("Level", "Tier")],
            vec![relabel("Level", "Tier")],
        );
        assert_eq!(check.current_attributes, [0]);
        assert!(check.is_current());
    }

    #[test]
    fn a_moved_live_attribute_or_another_request_is_stale() {
        let moved = checked(
            vec![relabel("Level", "Tier")],
            vec![relabel("Level", "Rank")],
        );
        assert_eq!(reasons(&moved), [StaleReason::Differs]);
        let other = checked(
            vec![relabel("Level", "Tier")],
            vec![relabel("Grade", "Tier")],
        );
        assert_eq!(reasons(&other), [StaleReason::Differs]);
        assert!(moved.current_attributes.is_empty() && other.current_attributes.is_empty());
    }

    #[test]
    fn a_change_gone_or_new_is_stale() {
        let gone = checked(vec![relabel("Level", "Tier")], Vec::new());
        assert_eq!(reasons(&gone), [StaleReason::Gone]);
        let new = checked(Vec::new(), vec![relabel("Level", "Tier")]);
        assert_eq!(reasons(&new), [StaleReason::NotInSavedPlan]);
    }

    #[test]
    fn a_saved_attribute_change_names_its_object_and_key() {
        let saved = SavedPlan::new(&plan_of(vec![relabel("Level", "Tier")]), &[], &[], &key());
        let change = &saved.attributes[0];
        assert_eq!(
            (change.attribute.as_str(), change.action),
            ("people.tier", Action::Update)
        );
        assert_eq!(change.fingerprint.len(), 64);
    }
}
