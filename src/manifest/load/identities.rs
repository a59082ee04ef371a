//! Entries made from merged people, and the checks across entries: one
//! identity per entry, no email shared.

use super::*;

/// Turns a merged person into an [`Entry`]: the matching attribute, resolved
/// here once, and its value; and its managed fields in API JSON, as a map for
/// the checks of the entry (the entry's own are empty until the caller,
/// done with them, stores them).
pub(crate) fn make_entry(
    mut person: DeclaredPerson,
    source: SourceLocation,
) -> Option<(Entry, Map<String, Value>)> {
    let matching_attribute: MatchingAttribute = person
        .matching_attribute
        .take()
        .map(MatchingAttribute::from)
        .unwrap_or_default();
    let Ok(Value::Object(mut fields)) = serde_json::to_value(&person) else {
        return None;
    };
    // The link by domain is not sent as is: apply turns it into `companyId`.
    let company = fields.remove(company::LINK_FIELD).map(|value| {
        Box::new(CompanyLink {
            domain: value.as_str().map(str::to_string),
            at: source.clone(),
        })
    });
    let match_value = matching_attribute
        .value_in(&fields)
        .cloned()
        .map_or(MatchValue::Null, MatchValue::from);
    let entry = Entry {
        source,
        matching_attribute,
        match_value,
        fields: Fields::default(),
        custom_value_at: Default::default(),
        project_path: PathBuf::new().into(),
        company,
    };
    Some((entry, fields))
}

pub(super) fn has_value(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => true,
    }
}

pub(super) fn has_name(fields: &Map<String, Value>) -> bool {
    crate::person::has_name(|field| fields.get(field).is_some_and(has_value))
}

/// Two entries with the same identity, or sharing an email, in one file or
/// across files.
pub(super) fn check_identities(loaded: &[Loaded], problems: &mut Vec<Problem>) {
    let mut by_email: HashMap<&str, (usize, &Range<usize>)> = HashMap::new();
    let mut by_identity: HashMap<(&str, String), usize> = HashMap::new();
    // Each pair of entries is reported once, for whichever clash is found first.
    let mut reported: HashSet<(usize, usize)> = HashSet::new();
    for (i, entry) in loaded.iter().enumerate() {
        for (email, span) in &entry.emails {
            match by_email.get(email.as_str()) {
                Some(&(j, first)) if j != i => {
                    if reported.insert((j, i)) {
                        problems.push(shared_email(email, (entry, span), (&loaded[j], first)));
                    }
                }
                Some(_) => {}
                None => {
                    by_email.insert(email, (i, span));
                }
            }
        }
        let e = &entry.entry;
        // Email identities are the emails, checked above.
        if e.matching_attribute.is_email() || !has_value(&e.match_value.to_value()) {
            continue;
        }
        let key = (e.matching_attribute.slug(), e.match_value.to_string());
        match by_identity.get(&key) {
            Some(&j) => {
                if reported.insert((j, i)) {
                    problems.push(same_identity(entry, &loaded[j]));
                }
            }
            None => {
                by_identity.insert(key, i);
            }
        }
    }
}

/// `email` listed by `entry` at `span`, and by `other` before it.
fn shared_email(
    email: &str,
    (entry, span): (&Loaded, &Range<usize>),
    (other, first): (&Loaded, &Range<usize>),
) -> Problem {
    Problem::new(ManifestError::SharedEmail {
        email: email.to_string(),
    })
    .at(&entry.source, span.clone())
    .label("listed here")
    .also(&other.source, first.clone(), "and here")
}

/// `entry` has the identity of `other`, which comes before it.
fn same_identity(entry: &Loaded, other: &Loaded) -> Problem {
    let e = &entry.entry;
    let value = match e.match_value.as_str() {
        Some(text) => text.to_string(),
        None => e.match_value.to_string(),
    };
    Problem::new(ManifestError::DuplicateIdentity {
        attribute: e.matching_attribute.to_string(),
        value,
    })
    .at(&entry.source, entry.match_span.clone())
    .label("this person")
    .also(&other.source, other.match_span.clone(), "same as this one")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{Seen, manifest, problems};
    use super::*;

    fn person(line: &str) -> String {
        format!("  - firstName: Someone\n    {line}\n")
    }

    fn people(lines: &[&str]) -> String {
        let items: String = lines.iter().map(|line| person(line)).collect();
        format!("people:\n{items}")
    }

    fn places(seen: &[Seen]) -> Vec<(&str, Option<&str>, Option<&str>)> {
        seen.iter()
            .map(|s| (s.message.as_str(), s.at.as_deref(), s.also.as_deref()))
            .collect()
    }

    #[test]
    fn two_entries_of_one_file_sharing_an_email_name_both_places() {
        let file = people(&[
            "emails: [jane@acme.com]",
            "emails: [max@acme.com, Jane@ACME.com]",
        ]);
        let seen = problems(&[("people.yaml", &file)]);
        assert_eq!(
            places(&seen),
            [(
                "two people share the email `jane@acme.com`",
                Some("people.yaml:5"),
                Some("people.yaml:3")
            )]
        );
    }

    #[test]
    fn an_email_shared_across_files_names_both_files() {
        let a = people(&["emails: [jane@acme.com]"]);
        let b = people(&["emails: [jane@acme.com]"]);
        let seen = problems(&[("a.yaml", &a), ("b.yaml", &b)]);
        assert_eq!(
            places(&seen),
            [(
                "two people share the email `jane@acme.com`",
                Some("b.yaml:3"),
                Some("a.yaml:3")
            )]
        );
    }

    #[test]
    fn two_entries_sharing_several_emails_are_reported_once() {
        let file = people(&[
            "emails: [jane@acme.com, j@acme.com]",
            "emails: [jane@acme.com, j@acme.com]",
        ]);
        assert_eq!(problems(&[("people.yaml", &file)]).len(), 1);
    }

    #[test]
    fn a_non_email_identity_twice_names_both_entries() {
        let file = format!(
            "defaults:\n  matchingAttribute: phone_number\n{}",
            people(&["phoneNumber: '+4930'", "phoneNumber: '+4930'"])
        );
        let seen = problems(&[("people.yaml", &file)]);
        assert_eq!(
            places(&seen),
            [(
                "two people have the same phone_number `+4930`",
                Some("people.yaml:7"),
                Some("people.yaml:5")
            )]
        );
    }

    #[test]
    fn one_value_under_two_matching_attributes_is_two_identities() {
        let file = people(&[
            "matchingAttribute: phone_number\n    phoneNumber: '+4930'",
            "matchingAttribute: legacy_id\n    customAttributes: {legacy_id: '+4930'}",
        ]);
        assert_eq!(manifest(&[("people.yaml", &file)]).entries.len(), 2);
    }

    #[test]
    fn an_entry_matches_on_its_first_email_by_default() {
        let file = people(&["emails: [jane@acme.com, j@acme.com]"]);
        let manifest = manifest(&[("people.yaml", &file)]);
        let entry = &manifest.entries[0];
        assert!(entry.matching_attribute.is_email());
        assert_eq!(entry.match_value, json!("jane@acme.com"));
    }

    #[test]
    fn blank_text_and_empty_lists_are_no_value() {
        for none in [json!(null), json!(""), json!("  "), json!([])] {
            assert!(!has_value(&none), "{none}");
        }
        for some in [json!("x"), json!(0), json!(false), json!(["x"]), json!({})] {
            assert!(has_value(&some), "{some}");
        }
    }
}
