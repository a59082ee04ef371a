//! `GET /crm/objects/people`: the shape plan reads before anything is shown,
//! and the standard slugs zeeg maps to person fields.

use crate::api::assumed::PEOPLE_OBJECT_PATH;
use crate::api::model::ObjectEnvelope;
use crate::api::{ApiError, Attribute};
use crate::person::STANDARD_SLUGS;

use super::probe::Probe;
use super::{Check, Reliance, Section, Spec, copes, differs, not_checked, ok, printable};
use crate::plural::counted;

/// Plan and import read the schema before anything else, so one they cannot
/// read stops them; an attribute of a type zeeg does not know only goes
/// unchecked until the API sees its values, as the API would check them anyway.
pub const SCHEMA: Spec = Spec {
    id: "people.schema",
    section: Section::Reads,
    expected: "GET /crm/objects/people answers {success, status, object: {slug, attributes: [{key, label, type, isStandard, isUnique, isRequired, isArchived, options?}]}}, every type a documented one",
    reliance: Reliance::Partly,
};

/// Entries match on these slugs: one the workspace lacks is a
/// `matchingAttribute` the upsert may refuse.
pub const SLUGS: Spec = Spec {
    id: "people.schema.standard-slugs",
    section: Section::PersonResource,
    expected: "the standard attributes include every slug zeeg maps to a person field",
    reliance: Reliance::Relied,
};

/// Reads the schema once and judges both checks; returns the attributes,
/// when they could be read, for the checks of listed people.
pub(crate) async fn run(
    probe: &mut Probe,
    checks: &mut Vec<Check>,
) -> Result<Option<Vec<Attribute>>, ApiError> {
    let answer = probe.get(PEOPLE_OBJECT_PATH, &[]).await?;
    let stop = "plan and apply stop before showing anything: they check the custom attributes of the people files against this schema";
    if !(200..300).contains(&answer.status) {
        checks.push(SCHEMA.with(differs(
            format!("GET /crm/objects/people answered {}", answer.status),
            stop,
        )));
        checks.push(SLUGS.with(not_checked("the schema could not be read")));
        return Ok(None);
    }
    let envelope: ObjectEnvelope = match answer.decode() {
        Ok(envelope) => envelope,
        Err(error) => {
            checks.push(SCHEMA.with(differs(
                format!(
                    "the body does not have that shape: {}",
                    printable(&error.to_string())
                ),
                stop,
            )));
            checks.push(SLUGS.with(not_checked("the schema could not be read")));
            return Ok(None);
        }
    };
    let attributes = envelope.object.attributes;
    checks.push(SCHEMA.with(judge_types(&attributes)));
    checks.push(SLUGS.with(judge_standard(&attributes)));
    Ok(Some(attributes))
}

fn judge_types(attributes: &[Attribute]) -> super::Outcome {
    let standard = attributes.iter().filter(|a| a.is_standard).count();
    let custom: Vec<&Attribute> = attributes.iter().filter(|a| !a.is_standard).collect();
    let unknown: Vec<String> = attributes
        .iter()
        .filter(|a| a.attribute_type().is_none())
        .map(|a| format!("{} ({})", printable(&a.key), printable(&a.kind)))
        .collect();
    let listed: Vec<String> = custom
        .iter()
        .map(|a| {
            let mut text = format!("{} ({}", printable(&a.key), printable(&a.kind));
            if a.attribute_type().is_some_and(|t| t.has_options()) || !a.options.is_empty() {
                let options = &a.options;
                text.push_str(&format!(
                    ", {}",
                    counted(options.len(), "option", "options")
                ));
            }
            if a.is_archived {
                text.push_str(", archived");
            }
            text.push(')');
            text
        })
        .collect();
    let mut observed = format!(
        "{} standard and {}",
        standard,
        counted(custom.len(), "custom attribute", "custom attributes")
    );
    if !listed.is_empty() {
        observed.push_str(&format!(": {}", listed.join(", ")));
    }
    if unknown.is_empty() {
        ok(observed)
    } else {
        copes(
            format!("{observed}; undocumented types: {}", unknown.join(", ")),
            "values of these attributes are sent as written: zeeg cannot check them before apply, and the API decides",
        )
    }
}

/// The standard attributes zeeg maps, each by every slug that names it:
/// `email` and `emails` are two names of one attribute [doc], and a schema
/// lists it by one of them.
fn mapped_attributes() -> Vec<Vec<&'static str>> {
    let mut by_field: Vec<(&str, Vec<&'static str>)> = Vec::new();
    for (slug, field) in STANDARD_SLUGS {
        match by_field.iter_mut().find(|(f, _)| f == field) {
            Some((_, names)) => names.push(slug),
            None => by_field.push((field, vec![slug])),
        }
    }
    by_field.into_iter().map(|(_, names)| names).collect()
}

/// Each mapped attribute by the name the schema lists it under, or every
/// name it could have been listed under when it is missing.
fn judge_standard(attributes: &[Attribute]) -> super::Outcome {
    let listed = |slug: &str| attributes.iter().any(|a| a.is_standard && a.key == slug);
    let mut present = Vec::new();
    let mut missing = Vec::new();
    for names in mapped_attributes() {
        match names.iter().find(|slug| listed(slug)) {
            Some(slug) => present.push(*slug),
            None => missing.push(names.join(" or ")),
        }
    }
    if missing.is_empty() {
        ok(format!(
            "all {} present: {}",
            present.len(),
            present.join(", ")
        ))
    } else {
        differs(
            format!("missing: {}", missing.join(", ")),
            "zeeg still sends these slugs as `matchingAttribute`, and the API may refuse them (422); match those entries on email instead",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Outcome;

    fn standard(keys: &[&str]) -> Vec<Attribute> {
        keys.iter()
            .map(|key| Attribute {
                key: key.to_string(),
                label: String::new(),
                kind: "text".to_string(),
                is_standard: true,
                is_unique: false,
                is_required: false,
                is_archived: false,
                options: Vec::new(),
            })
            .collect()
    }

    const REST: &[&str] = &[
        "first_name",
        "last_name",
        "salutation",
        "job_title",
        "description",
        "phone_number",
        "primary_location",
        "avatar_url",
    ];

    fn with(email: &[&str]) -> Vec<Attribute> {
        standard(&[email, REST].concat())
    }

    #[test]
    fn email_and_emails_are_one_attribute_listed_by_either_name() {
        for name in ["email", "emails"] {
            let outcome = judge_standard(&with(&[name]));
            let Outcome::Ok { observed } = outcome else {
                panic!("{name}: {outcome:?}");
            };
            assert!(
                observed.starts_with(&format!("all 9 present: {name}, ")),
                "{observed}"
            );
        }
        assert!(matches!(
            judge_standard(&with(&["email", "emails"])),
            Outcome::Ok { .. }
        ));
    }

    #[test]
    fn a_missing_email_names_both_names() {
        let Outcome::Differs { observed, .. } = judge_standard(&with(&[])) else {
            panic!("differs");
        };
        assert_eq!(observed, "missing: email or emails");
    }
}
