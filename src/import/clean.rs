//! Values the CRM holds but a people file cannot keep as they are, so that
//! `zeeg plan` would refuse the imported files: a number beyond 2^53 (a
//! people file refuses it, since it would lose digits), a custom value its
//! attribute's type refuses (`2024-02-30` for a date), a custom attribute
//! the workspace has not (or has archived), a social profile or URL that is
//! not a URL. Each such field is left out of the import, so zeeg does not
//! manage it and the files plan back clean; the import names the people
//! and fields (never the values). Emails are trimmed of surrounding white
//! space, which the API ignores; an email a people file refuses still stays
//! in (leaving one out would remove it at the next apply), and
//! [`super::refused`] names it.

use serde_json::Value;

use super::check::refused;
use super::companies::Companies;
use crate::api::{Attribute, Person};

/// A person some of whose fields were left out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LeftOut {
    /// The person's id in the CRM.
    pub id: String,
    /// The fields left out, as dotted paths (`customAttributes.seats`).
    pub fields: Vec<String>,
}

/// `people` with what a people file cannot keep left out, and who lost
/// what, in id order. `attributes` are the people object's.
pub fn leave_out_refused(
    mut people: Vec<Person>,
    attributes: &[Attribute],
) -> (Vec<Person>, Vec<LeftOut>) {
    let mut left_out: Vec<LeftOut> = Vec::new();
    for person in &mut people {
        for email in &mut person.emails {
            let trimmed = email.trim();
            if trimmed.len() != email.len() {
                *email = trimmed.to_string();
            }
        }
        let refused_slugs: Vec<String> = person
            .custom_attributes
            .iter()
            .filter(|(slug, value)| !value.is_null() && !keeps(slug, value, attributes))
            .map(|(slug, _)| slug.clone())
            .collect();
        for slug in refused_slugs {
            person.custom_attributes.remove(&slug);
            record(
                &mut left_out,
                &person.id,
                format!("customAttributes.{slug}"),
            );
        }
    }
    leave_out_schema_refused(&mut people, &mut left_out);
    (people, in_id_order(left_out))
}

/// Adds `field` of person `id` to `left_out` (to the last person's fields
/// when they are this person's).
fn record(left_out: &mut Vec<LeftOut>, id: &str, field: String) {
    match left_out.last_mut() {
        Some(last) if last.id == id => last.fields.push(field),
        _ => left_out.push(LeftOut {
            id: id.to_string(),
            fields: vec![field],
        }),
    }
}

/// Leaves out what the people-file schema refuses (social profiles and
/// URLs that are not URLs), checked as plan will check the written entry.
fn leave_out_schema_refused(people: &mut [Person], left_out: &mut Vec<LeftOut>) {
    let schema_refused = {
        let refs: Vec<&Person> = people.iter().collect();
        refused(&refs, &Companies::of(&refs))
    };
    for entry in schema_refused {
        let Some(person) = people.iter_mut().find(|p| p.id == entry.id) else {
            continue;
        };
        for field in entry.fields {
            let slot = match field.split_once('.') {
                Some(("socials", network)) => person.socials.get_mut(network),
                None => person.scalar_mut(&field),
                _ => None,
            };
            if let Some(slot) = slot {
                *slot = None;
                record(left_out, &person.id, field);
            }
        }
    }
}

/// One `LeftOut` per person, in id order, its fields sorted, none twice.
fn in_id_order(mut left_out: Vec<LeftOut>) -> Vec<LeftOut> {
    for entry in &mut left_out {
        entry.fields.sort();
        entry.fields.dedup();
    }
    left_out.sort();
    left_out.dedup_by(|a, b| {
        if a.id == b.id {
            b.fields.append(&mut a.fields);
            b.fields.sort();
            b.fields.dedup();
            true
        } else {
            false
        }
    });
    left_out
}

/// Whether a people file can keep custom value `value` of `slug` and plan
/// it: an active custom attribute of the workspace, a value its type
/// takes, and no number a people file would refuse.
fn keeps(slug: &str, value: &Value, attributes: &[Attribute]) -> bool {
    let Some(attribute) = attributes
        .iter()
        .find(|a| a.key == slug && !a.is_standard && !a.is_archived)
    else {
        return false;
    };
    attribute.check_value(value).is_ok() && exact_numbers(value)
}

/// Whether every integer in `value` is one a people file may write.
fn exact_numbers(value: &Value) -> bool {
    let limit = crate::manifest::MAX_EXACT_INTEGER.unsigned_abs();
    match value {
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.unsigned_abs() <= limit,
            (None, Some(u)) => u <= limit,
            _ => true,
        },
        Value::Array(items) => items.iter().all(exact_numbers),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn attribute(key: &str, kind: &str) -> Attribute {
        serde_json::from_value(json!({"key": key, "type": kind})).unwrap()
    }

    #[test]
    fn what_a_people_file_cannot_keep_is_left_out_and_named() {
        let person: Person = serde_json::from_value(json!({
            "id": "p1", "firstName": "Ann", "emails": ["  ann@x.io "],
            "customAttributes": {"seats": 12345678901234567890_u64, "start": "2024-02-30",
                "tier": "gold", "gone": "x", "ok": 12},
            "socials": {"twitter": "@ann", "linkedin": "https://linkedin.com/in/ann"},
            "createdAt": "", "updatedAt": ""}))
        .unwrap();
        let attributes = [
            attribute("seats", "number"),
            attribute("ok", "number"),
            attribute("start", "date"),
            attribute("tier", "text"),
        ];
        let (people, left_out) = leave_out_refused(vec![person], &attributes);
        assert_eq!(people[0].emails, vec!["ann@x.io".to_string()]);
        assert_eq!(
            people[0].custom_attributes,
            *json!({"tier": "gold", "ok": 12}).as_object().unwrap()
        );
        assert_eq!(people[0].socials.twitter, None);
        assert!(people[0].socials.linkedin.is_some());
        assert_eq!(
            left_out,
            vec![LeftOut {
                id: "p1".into(),
                fields: vec![
                    "customAttributes.gone".into(),
                    "customAttributes.seats".into(),
                    "customAttributes.start".into(),
                    "socials.twitter".into(),
                ],
            }]
        );
    }
}
