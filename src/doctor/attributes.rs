//! `zeeg doctor --write`, attributes: one text attribute of people created
//! and then archived, to see the key the server derives from a label. Plan
//! predicts that key for every attribute it creates, and refuses a
//! declaration the server would file under another. The API has no delete
//! of an attribute, so the one doctor creates stays, archived.

use crate::api::object::{AttributePatch, NewAttribute, ObjectSlug, derive_key, derive_key_among};
use crate::api::{Attribute, AttributeType, Client};

use super::write::status_of;
use super::{Check, Outcome, Reliance, Section, Spec, differs, not_checked, ok, printable};

pub const KEY_DERIVED: Spec = Spec {
    id: "attributes.key-derived",
    section: Section::Attributes,
    expected: "creating an attribute answers 201 with the key derived from its label, `_2`, `_3`… appended when that key is taken",
    reliance: Reliance::Relied,
};

pub const ARCHIVED: Spec = Spec {
    id: "attributes.archive",
    section: Section::Attributes,
    expected: "PATCH with isArchived: true answers the attribute archived",
    reliance: Reliance::Relied,
};

/// The checks of this module.
pub const SPECS: &[&Spec] = &[&KEY_DERIVED, &ARCHIVED];

/// The label of the attribute doctor creates. Each run creates one more
/// (`zeeg_doctor_check`, then `zeeg_doctor_check_2`…), so a second run
/// checks the `_N` rule too.
pub const LABEL: &str = "Zeeg doctor check";

/// What these checks will send, one request a line.
pub fn describe() -> Vec<String> {
    vec![
        format!(
            "POST /crm/objects/people/attributes: a text attribute labelled \"{LABEL}\" (to see its key)"
        ),
        "PATCH /crm/objects/people/attributes/{its key}: isArchived: true (it stays, archived: the API has no delete)".to_string(),
    ]
}

/// Creates the attribute, judges its key, and archives it.
pub(crate) async fn run(client: &Client, checks: &mut Vec<Check>) {
    let live = match client.object_schema_of(ObjectSlug::People).await {
        Ok(schema) => schema.attributes,
        Err(error) => {
            let reason = format!("GET /crm/objects/people failed: {}", status_of(&error));
            for spec in SPECS {
                checks.push(spec.with(not_checked(reason.clone())));
            }
            return;
        }
    };
    let expected = derive_key_among(LABEL, |key| live.iter().any(|a| a.key == key));
    let created = match client
        .create_attribute(ObjectSlug::People, &new_attribute())
        .await
    {
        Ok(created) => created,
        Err(error) => {
            checks.push(KEY_DERIVED.with(differs(
                format!(
                    "POST /crm/objects/people/attributes answered {}",
                    status_of(&error)
                ),
                "apply cannot create the attributes the files declare",
            )));
            checks.push(ARCHIVED.with(not_checked("no attribute was created")));
            return;
        }
    };
    checks.push(KEY_DERIVED.with(judge_key(&created, &expected)));
    checks.push(ARCHIVED.with(archive(client, &created).await));
}

fn new_attribute() -> NewAttribute {
    NewAttribute {
        label: LABEL.to_string(),
        kind: AttributeType::Text,
        is_required: false,
        is_archived: false,
        is_unique: None,
        options: Vec::new(),
        validation: Vec::new(),
    }
}

fn judge_key(created: &Attribute, expected: &str) -> Outcome {
    let key = printable(&created.key);
    if created.key == expected {
        ok(format!("201, key `{key}` from the label \"{LABEL}\""))
    } else {
        differs(
            format!(
                "201, key `{key}`, not `{expected}` (`{}` derived from \"{LABEL}\")",
                derive_key(LABEL)
            ),
            "plan predicts the key of every attribute it creates: apply would create attributes under keys the files do not name, and their people's values would be refused; create such attributes in the dashboard and declare their live keys",
        )
    }
}

async fn archive(client: &Client, created: &Attribute) -> Outcome {
    let patch = AttributePatch {
        is_archived: Some(true),
        ..AttributePatch::default()
    };
    let key = printable(&created.key);
    match client
        .patch_attribute(ObjectSlug::People, &created.key, &patch)
        .await
    {
        Ok(answered) if answered.is_archived => ok(format!("200, `{key}` archived")),
        Ok(_) => differs(
            format!("200, but `{key}` is not archived: archive it in the dashboard"),
            "plan shows an archived declaration as a change on every run, and apply sends it again",
        ),
        Err(error) => differs(
            format!(
                "PATCH answered {}: `{key}` is left live; archive it in the dashboard",
                status_of(&error)
            ),
            "apply cannot archive, relabel or change the options of the attributes the files declare",
        ),
    }
}
