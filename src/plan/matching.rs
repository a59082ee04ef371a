//! Pairing entries with live people, by the API's upsert lookup rules.
//!
//! - `email`/`emails`: the entry's first email against every live person's
//!   primary and secondary emails, ignoring ASCII case and surrounding space.
//! - any other standard slug: the mapped field, exact equality.
//! - a custom slug: `customAttributes[slug]`, exact equality of the value.
//!
//! Beyond the lookup itself, an entry whose *other* emails already belong to
//! a different live person is refused: the upsert replaces the email list, so
//! applying it would leave two people holding the same address and make every
//! later lookup on it ambiguous. The usual cause is a changed primary email
//! (the entry then matches nobody and would create a duplicate). An email
//! whose owner is itself managed by another entry that sets `emails` is fine:
//! that entry moves the address away in the same apply.
//!
//! The check covers the live people that were read; with the search strategy
//! (see [`super::live`]) those are the people found by each entry's identity.

use std::collections::HashMap;

use serde_json::Value;

use super::diff::live_scalar;
use super::error::{MatchProblem, PlanError};
use crate::api::Person;
use crate::manifest::Entry;
use crate::person::{MatchField, normalize_email};

/// For each entry, the index in `live` of the person it matches, if any.
pub(crate) fn match_entries(
    entries: &[Entry],
    live: &[Person],
) -> Result<Vec<Option<usize>>, PlanError> {
    let mut index = LiveIndex::new(live);
    let mut problems = Vec::new();
    let matched = look_up_each(entries, live, &mut index, &mut problems);
    let claims = claims(&matched);
    report_shared_people(entries, live, &claims, &mut problems);
    report_emails_of_others(entries, live, &matched, &claims, &mut index, &mut problems);
    if problems.is_empty() {
        Ok(matched)
    } else {
        Err(PlanError::Ambiguous { problems })
    }
}

/// Each entry's live person; an entry that matches several is reported and
/// matches none.
fn look_up_each(
    entries: &[Entry],
    live: &[Person],
    index: &mut LiveIndex,
    problems: &mut Vec<MatchProblem>,
) -> Vec<Option<usize>> {
    let mut matched = Vec::with_capacity(entries.len());
    for entry in entries {
        let candidates = index.lookup(entry);
        match candidates.as_slice() {
            [] => matched.push(None),
            [one] => matched.push(Some(*one)),
            several => {
                problems.push(MatchProblem::EntryMatchesSeveral {
                    at: entry.source.clone(),
                    attribute: entry.matching_attribute.to_string(),
                    live_ids: several.iter().map(|&i| live[i].id.clone()).collect(),
                });
                matched.push(None);
            }
        }
    }
    matched
}

/// Which entries claim each live person, in manifest order.
fn claims(matched: &[Option<usize>]) -> HashMap<usize, Vec<usize>> {
    let mut claims: HashMap<usize, Vec<usize>> = HashMap::new();
    for (entry_index, person) in matched.iter().enumerate() {
        if let Some(person) = person {
            claims.entry(*person).or_default().push(entry_index);
        }
    }
    claims
}

/// Two entries matching one live person, in the order of their first entry.
fn report_shared_people(
    entries: &[Entry],
    live: &[Person],
    claims: &HashMap<usize, Vec<usize>>,
    problems: &mut Vec<MatchProblem>,
) {
    let mut shared: Vec<(usize, &Vec<usize>)> = claims
        .iter()
        .filter(|(_, entries)| entries.len() > 1)
        .map(|(person, entries)| (*person, entries))
        .collect();
    shared.sort_by_key(|(_, entries)| entries[0]);
    for (person, claimants) in shared {
        problems.push(MatchProblem::SeveralEntriesMatchOne {
            live_id: live[person].id.clone(),
            sources: claimants
                .iter()
                .map(|&i| entries[i].source.clone())
                .collect(),
        });
    }
}

/// An entry's other emails held by a different live person (see the module
/// docs), unless an entry managing that person's emails moves them away.
fn report_emails_of_others(
    entries: &[Entry],
    live: &[Person],
    matched: &[Option<usize>],
    claims: &HashMap<usize, Vec<usize>>,
    index: &mut LiveIndex,
    problems: &mut Vec<MatchProblem>,
) {
    for (entry_index, entry) in entries.iter().enumerate() {
        let own = matched[entry_index];
        let skip_first = entry.matching_attribute.is_email();
        let mut reported = Vec::new();
        for (position, email) in entry
            .emails()
            .iter()
            .enumerate()
            .skip(usize::from(skip_first))
        {
            for &owner in index.by_email(email) {
                let owner_id = live[owner].id.as_str();
                let is_own = own.is_some_and(|i| live[i].id == owner_id);
                if is_own || reported.contains(&owner_id) {
                    continue;
                }
                let moved_away = claims.get(&owner).is_some_and(|claimants| {
                    claimants
                        .iter()
                        .any(|&i| entries[i].fields.contains_key("emails"))
                });
                if moved_away {
                    continue;
                }
                reported.push(owner_id);
                problems.push(MatchProblem::EmailOfAnotherPerson {
                    at: entry.source.clone(),
                    position: position + 1,
                    owner_id: owner_id.to_string(),
                    matched_id: own.map(|i| live[i].id.clone()),
                });
            }
        }
    }
}

/// Live people indexed by the values entries look them up by. Each index is
/// built on first use, so a manifest matching only on email never pays for
/// the others.
struct LiveIndex<'a> {
    live: &'a [Person],
    emails: Option<HashMap<String, Vec<usize>>>,
    standard: HashMap<&'static str, HashMap<&'a str, Vec<usize>>>,
    custom: HashMap<String, HashMap<String, Vec<usize>>>,
}

impl<'a> LiveIndex<'a> {
    fn new(live: &'a [Person]) -> Self {
        LiveIndex {
            live,
            emails: None,
            standard: HashMap::new(),
            custom: HashMap::new(),
        }
    }

    fn lookup(&mut self, entry: &Entry) -> Vec<usize> {
        let found = match entry.matching_attribute.field() {
            MatchField::Email => match entry.match_value.as_str() {
                Some(email) => self.by_email(email).to_vec(),
                None => Vec::new(),
            },
            MatchField::Standard(field) => {
                let live = self.live;
                let index = self.standard.entry(field).or_insert_with(|| {
                    let mut index: HashMap<&str, Vec<usize>> = HashMap::new();
                    for (i, person) in live.iter().enumerate() {
                        if let Some(value) = live_scalar(person, field) {
                            index.entry(value).or_default().push(i);
                        }
                    }
                    index
                });
                match entry.match_value.as_str() {
                    Some(value) => index.get(value).cloned().unwrap_or_default(),
                    None => Vec::new(),
                }
            }
            MatchField::Custom(slug) => {
                let live = self.live;
                let index = self.custom.entry(slug.to_string()).or_insert_with(|| {
                    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
                    for (i, person) in live.iter().enumerate() {
                        match person.custom_attributes.get(slug) {
                            None | Some(Value::Null) => {}
                            Some(value) => index.entry(value.to_string()).or_default().push(i),
                        }
                    }
                    index
                });
                if entry.match_value.is_null() {
                    Vec::new()
                } else {
                    index
                        .get(&entry.match_value.to_string())
                        .cloned()
                        .unwrap_or_default()
                }
            }
        };
        self.distinct(found)
    }

    fn by_email(&mut self, email: &str) -> &[usize] {
        let live = self.live;
        let index = self.emails.get_or_insert_with(|| {
            let mut index: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, person) in live.iter().enumerate() {
                for email in &person.emails {
                    let slot = index.entry(normalize_email(email)).or_default();
                    // A person listing one address twice is still one person.
                    if slot.last() != Some(&i) {
                        slot.push(i);
                    }
                }
            }
            index
        });
        index
            .get(&normalize_email(email))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Drops repeated people (the same id read twice, e.g. by two searches).
    fn distinct(&self, mut found: Vec<usize>) -> Vec<usize> {
        let mut seen: Vec<&str> = Vec::with_capacity(found.len());
        found.retain(|&i| {
            let id = self.live[i].id.as_str();
            if seen.contains(&id) {
                false
            } else {
                seen.push(id);
                true
            }
        });
        found
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::testing::{entry, person};

    fn problems(result: Result<Vec<Option<usize>>, PlanError>) -> Vec<MatchProblem> {
        match result {
            Err(PlanError::Ambiguous { problems }) => problems,
            Err(other) => panic!("expected matching problems, got {other:?}"),
            Ok(matched) => panic!("expected problems, got {matched:?}"),
        }
    }

    #[test]
    fn a_secondary_email_matches_the_live_person_ignoring_case_and_space() {
        let entries = [entry(1, "email", json!({"emails": [" JANE@acme.io "]}))];
        let live = [
            person("other", json!({"emails": ["someone@acme.com"]})),
            person("jane", json!({"emails": ["jane@acme.com", "jane@ACME.io"]})),
        ];
        assert_eq!(match_entries(&entries, &live).unwrap(), vec![Some(1)]);
    }

    #[test]
    fn phone_and_custom_attributes_match_exactly() {
        let entries = [
            entry(1, "phone_number", json!({"phoneNumber": "+4930123"})),
            entry(
                2,
                "customer_id",
                json!({"customAttributes": {"customer_id": 42}}),
            ),
            entry(3, "phone_number", json!({"phoneNumber": "+49 30123"})),
        ];
        let live = [
            person("cust", json!({"customAttributes": {"customer_id": 42}})),
            person("phone", json!({"phoneNumber": "+4930123"})),
            person("str", json!({"customAttributes": {"customer_id": "42"}})),
        ];
        assert_eq!(
            match_entries(&entries, &live).unwrap(),
            vec![Some(1), Some(0), None]
        );
    }

    #[test]
    fn an_entry_matching_two_live_people_is_an_error_naming_both() {
        let entries = [entry(7, "email", json!({"emails": ["jane@acme.com"]}))];
        let live = [
            person("p1", json!({"emails": ["jane@acme.com"]})),
            person("p2", json!({"emails": ["x@acme.com", "Jane@acme.com"]})),
        ];
        let found = problems(match_entries(&entries, &live));
        assert_eq!(found.len(), 1);
        let message = found[0].to_string();
        assert!(message.contains("people.yaml:7"), "{message}");
        assert!(message.contains("p1, p2"), "{message}");
        assert!(!message.contains("jane"), "no contact data: {message}");
    }

    #[test]
    fn two_entries_matching_one_live_person_is_an_error_naming_both_entries() {
        let entries = [
            entry(1, "email", json!({"emails": ["jane@acme.com"]})),
            entry(4, "phone_number", json!({"phoneNumber": "+4930"})),
        ];
        let live = [person(
            "p1",
            json!({"emails": ["jane@acme.com"], "phoneNumber": "+4930"}),
        )];
        let found = problems(match_entries(&entries, &live));
        assert_eq!(
            found,
            vec![MatchProblem::SeveralEntriesMatchOne {
                live_id: "p1".into(),
                sources: vec![entries[0].source.clone(), entries[1].source.clone()],
            }]
        );
        assert!(
            found[0]
                .to_string()
                .contains("people.yaml:1, people.yaml:4")
        );
    }

    #[test]
    fn a_secondary_email_owned_by_another_person_is_an_error() {
        // Jane's primary email changed in the file: the entry matches nobody,
        // while its second email is Jane's in the CRM.
        let entries = [entry(
            2,
            "email",
            json!({"emails": ["jane.new@acme.com", "jane@acme.com"]}),
        )];
        let live = [person("jane", json!({"emails": ["jane@acme.com"]}))];
        assert_eq!(
            problems(match_entries(&entries, &live)),
            vec![MatchProblem::EmailOfAnotherPerson {
                at: entries[0].source.clone(),
                position: 2,
                owner_id: "jane".into(),
                matched_id: None,
            }]
        );
    }

    #[test]
    fn an_email_moved_between_two_managed_people_is_fine() {
        let entries = [
            entry(
                1,
                "email",
                json!({"emails": ["ann@acme.com", "team@acme.com"]}),
            ),
            entry(4, "email", json!({"emails": ["bob@acme.com"]})),
        ];
        let live = [
            person("ann", json!({"emails": ["ann@acme.com"]})),
            person("bob", json!({"emails": ["bob@acme.com", "team@acme.com"]})),
        ];
        assert_eq!(
            match_entries(&entries, &live).unwrap(),
            vec![Some(0), Some(1)]
        );
    }

    #[test]
    fn the_same_person_read_twice_is_one_match() {
        let entries = [entry(1, "email", json!({"emails": ["a@acme.com"]}))];
        let jane = person("a", json!({"emails": ["a@acme.com"]}));
        let live = [jane.clone(), jane];
        assert_eq!(match_entries(&entries, &live).unwrap(), vec![Some(0)]);
        let entries = [entry(
            1,
            "phone_number",
            json!({"phoneNumber": "+1", "emails": ["a@acme.com"]}),
        )];
        let live = [
            person("a", json!({"emails": ["a@acme.com"], "phoneNumber": "+1"})),
            live[1].clone(),
        ];
        assert_eq!(match_entries(&entries, &live).unwrap(), vec![Some(0)]);
    }
}
