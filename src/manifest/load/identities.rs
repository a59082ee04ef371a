//! Entries made from merged people, and the checks across entries: one
//! identity per entry, no email shared.

use super::*;

/// Turns a merged person into an [`Entry`]: the managed fields in API JSON,
/// the matching attribute and its value.
pub(crate) fn make_entry(person: DeclaredPerson, source: SourceLocation) -> Option<Entry> {
    let matching_attribute = person
        .matching_attribute
        .clone()
        .unwrap_or_else(|| "email".to_string());
    let Ok(Value::Object(mut fields)) = serde_json::to_value(&person) else {
        return None;
    };
    fields.remove("matchingAttribute");
    // The link by domain is not sent as is: apply turns it into `companyId`.
    let company = fields.remove(company::LINK_FIELD).map(|value| {
        Box::new(CompanyLink {
            domain: value.as_str().map(str::to_string),
            at: source.clone(),
        })
    });
    // Of exactly its size: grown one insert at a time, a person's map had
    // room for 8 fields of 104 bytes each, and a big file holds it per entry.
    let fields: Map<String, Value> = fields.into_iter().collect();
    let match_value = match MatchField::for_slug(&matching_attribute) {
        MatchField::Email => fields
            .get("emails")
            .and_then(|e| e.get(0))
            .cloned()
            .unwrap_or(Value::Null),
        MatchField::Standard(field) => fields.get(field).cloned().unwrap_or(Value::Null),
        MatchField::Custom(slug) => fields
            .get("customAttributes")
            .and_then(|c| c.get(slug))
            .cloned()
            .unwrap_or(Value::Null),
    };
    Some(Entry {
        source,
        matching_attribute,
        match_value,
        fields,
        custom_value_at: Default::default(),
        project_path: PathBuf::new(),
        company,
    })
}

pub(super) fn has_value(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => true,
    }
}

pub(super) fn has_name(entry: &Entry) -> bool {
    crate::person::has_name(|field| entry.fields.get(field).is_some_and(has_value))
}

/// Two entries with the same identity, or sharing an email, in one file or
/// across files.
pub(super) fn check_identities(loaded: &[Loaded], problems: &mut Vec<Problem>) {
    let mut by_email: HashMap<&str, (usize, &Range<usize>)> = HashMap::new();
    let mut by_identity: HashMap<(&str, String), usize> = HashMap::new();
    let mut reported: HashSet<(usize, usize)> = HashSet::new();
    for (i, entry) in loaded.iter().enumerate() {
        for (email, span) in &entry.emails {
            match by_email.get(email.as_str()) {
                Some(&(j, first)) if j != i => {
                    if reported.insert((j, i)) {
                        let other = &loaded[j];
                        problems.push(
                            Problem::new(ManifestError::SharedEmail {
                                email: email.clone(),
                            })
                            .at(&entry.source, span.clone())
                            .label("listed here")
                            .also(
                                &other.source,
                                first.clone(),
                                "and here",
                            ),
                        );
                    }
                }
                Some(_) => {}
                None => {
                    by_email.insert(email, (i, span));
                }
            }
        }
        let e = &entry.entry;
        if matches!(
            MatchField::for_slug(&e.matching_attribute),
            MatchField::Email
        ) || !has_value(&e.match_value)
        {
            continue;
        }
        let key = (e.matching_attribute.as_str(), e.match_value.to_string());
        match by_identity.get(&key) {
            Some(&j) => {
                if reported.insert((j, i)) {
                    let other = &loaded[j];
                    let value = match &e.match_value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    problems.push(
                        Problem::new(ManifestError::DuplicateIdentity {
                            attribute: e.matching_attribute.clone(),
                            value,
                        })
                        .at(&entry.source, entry.match_span.clone())
                        .label("this person")
                        .also(
                            &other.source,
                            other.match_span.clone(),
                            "same as this one",
                        ),
                    );
                }
            }
            None => {
                by_identity.insert(key, i);
            }
        }
    }
}
