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
//!
//! The live people are matched one at a time, as they are read ([`Matcher`]):
//! the entries are indexed by the values they look people up with, and each
//! live person is looked up there and then let go, unless an entry changes
//! it. What the rules above need of the others is kept by number (see
//! [`ids`]); the problems are named once every person is read
//! ([`Matches::resolve`]), exactly as if all of them had been held at once.

mod ids;
mod index;

use std::borrow::Borrow;

use super::CompanyPlan;
use super::diff;
use super::error::{MatchProblem, PlanError};
use crate::api::Person;
use crate::manifest::Entry;

pub(crate) use ids::{LiveIds, Ordinal};
use index::{EntryIndex, Index, normalized_emails};

/// No person, or no place in the kept list.
const NONE: u32 = u32::MAX;

/// Matches the live people to `entries` as they are read, keeping whole
/// (`P`: a person, or a reference to one) only the people an entry changes.
pub(crate) struct Matcher<'e, P> {
    entries: &'e [Entry],
    index: Index,
    found: Matches<P>,
}

/// What matching kept of the live people: their ids, which entries each
/// matched, and whole only those an entry changes.
#[derive(Debug, Clone)]
pub(crate) struct Matches<P> {
    ids: LiveIds,
    /// By entry: the first live person it matches, and where that person is
    /// kept when the entry changes it (else [`NONE`]).
    first: Vec<(Ordinal, u32)>,
    /// Each further live person an entry matches, in the order read.
    more: Vec<(EntryIndex, Ordinal)>,
    /// Each live person holding an email an entry must not hold (see the
    /// module docs): entry, which of its emails (0-based), the person; in
    /// the order read.
    owners: Vec<(EntryIndex, u32, Ordinal)>,
    kept: Vec<P>,
}

/// One entry's live person, once every live person is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    /// The one live person it matches.
    pub person: Option<Ordinal>,
    /// Where that person is kept ([`Matches::kept`]); `None` when the entry
    /// leaves it unchanged.
    pub kept: Option<u32>,
}

impl<'e, P: Borrow<Person>> Matcher<'e, P> {
    pub(crate) fn new(entries: &'e [Entry]) -> Self {
        Matcher {
            entries,
            index: Index::new(entries),
            found: Matches {
                ids: LiveIds::default(),
                first: vec![(NONE, NONE); entries.len()],
                more: Vec::new(),
                owners: Vec::new(),
                kept: Vec::new(),
            },
        }
    }

    /// Numbers the live person with `id`, read next; `None` when it was read
    /// before: it is then not read again ([`Matcher::add`]).
    pub(crate) fn admit(&mut self, id: &str) -> Option<Ordinal> {
        self.found.ids.admit(id)
    }

    /// Matches `person`, numbered `ordinal` by [`Matcher::admit`], and
    /// keeps it if an entry it is the first match of changes it, by the
    /// plan's `companies` (a link by domain is compared by id).
    pub(crate) fn add(&mut self, ordinal: Ordinal, person: P, companies: &CompanyPlan) {
        let Matcher {
            entries,
            index,
            found,
        } = self;
        let live = person.borrow();
        let emails = normalized_emails(live);
        let place = u32::try_from(found.kept.len()).unwrap_or(NONE);
        let mut keep = false;
        for entry in index.identities(entries, live, &emails) {
            let first = &mut found.first[entry as usize];
            if first.0 != NONE {
                found.more.push((entry, ordinal));
                continue;
            }
            first.0 = ordinal;
            if diff::diff_entry(&entries[entry as usize], Some(live), companies).is_some() {
                first.1 = place;
                keep = true;
            }
        }
        let owners = index.others_holding(entries, &emails);
        found
            .owners
            .extend(owners.map(|(entry, position)| (entry, position, ordinal)));
        if keep {
            found.kept.push(person);
        }
    }

    pub(crate) fn finish(self) -> Matches<P> {
        self.found
    }
}

/// Matches `live` (each person once) to `entries`, all at once.
pub(crate) fn match_all<'a>(
    entries: &[Entry],
    companies: &CompanyPlan,
    live: &'a [Person],
) -> Matches<&'a Person> {
    let mut matcher = Matcher::new(entries);
    for person in live {
        if let Some(ordinal) = matcher.admit(&person.id) {
            matcher.add(ordinal, person, companies);
        }
    }
    matcher.finish()
}

impl<P> Matches<P> {
    /// How many live people were read, each once.
    pub(crate) fn read(&self) -> usize {
        self.ids.len()
    }

    /// The live people kept whole: those an entry changes.
    pub(crate) fn kept(&self) -> &[P] {
        &self.kept
    }

    /// The id of the live person numbered `ordinal`.
    pub(crate) fn id(&self, ordinal: Ordinal) -> &str {
        self.ids.id(ordinal)
    }

    /// Each entry's live person, or every problem of the rules in the
    /// module docs, in the order they have always been reported: entries
    /// matching several, people matched by several, emails of others.
    /// `entries` are those matched.
    pub(crate) fn resolve(&self, entries: &[Entry]) -> Result<Vec<Found>, PlanError> {
        let mut problems = Vec::new();
        let found = self.look_up_each(entries, &mut problems);
        let claims = claims(&found);
        self.report_shared_people(entries, &claims, &mut problems);
        self.report_emails_of_others(entries, &found, &claims, &mut problems);
        if problems.is_empty() {
            Ok(found)
        } else {
            Err(PlanError::Ambiguous { problems })
        }
    }

    /// Each entry's live person; an entry that matches several is reported
    /// and matches none.
    fn look_up_each(&self, entries: &[Entry], problems: &mut Vec<MatchProblem>) -> Vec<Found> {
        let mut more = self.more.clone();
        more.sort_by_key(|&(entry, _)| entry);
        let mut more = more.as_slice();
        let mut found = Vec::with_capacity(entries.len());
        for (at, entry) in entries.iter().enumerate() {
            let (person, kept) = self.first.get(at).copied().unwrap_or((NONE, NONE));
            let split = more.partition_point(|&(e, _)| e as usize <= at);
            let (others, rest) = more.split_at(split);
            more = rest;
            if person == NONE {
                found.push(Found {
                    person: None,
                    kept: None,
                });
                continue;
            }
            if !others.is_empty() {
                let all = std::iter::once(person).chain(others.iter().map(|&(_, o)| o));
                problems.push(MatchProblem::EntryMatchesSeveral {
                    at: entry.source.clone(),
                    attribute: entry.matching_attribute.to_string(),
                    live_ids: all.map(|o| self.id(o).to_string()).collect(),
                });
            }
            found.push(Found {
                person: others.is_empty().then_some(person),
                kept: (others.is_empty() && kept != NONE).then_some(kept),
            });
        }
        found
    }

    /// Two entries matching one live person, in the order of their first entry.
    fn report_shared_people(
        &self,
        entries: &[Entry],
        claims: &[(Ordinal, EntryIndex)],
        problems: &mut Vec<MatchProblem>,
    ) {
        let mut shared: Vec<&[(Ordinal, EntryIndex)]> = claims
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|claimants| claimants.len() > 1)
            .collect();
        shared.sort_by_key(|claimants| claimants[0].1);
        for claimants in shared {
            problems.push(MatchProblem::SeveralEntriesMatchOne {
                live_id: self.id(claimants[0].0).to_string(),
                sources: claimants
                    .iter()
                    .map(|&(_, e)| entries[e as usize].source.clone())
                    .collect(),
            });
        }
    }

    /// An entry's other emails held by a different live person (see the
    /// module docs), unless an entry managing that person's emails moves
    /// them away.
    fn report_emails_of_others(
        &self,
        entries: &[Entry],
        found: &[Found],
        claims: &[(Ordinal, EntryIndex)],
        problems: &mut Vec<MatchProblem>,
    ) {
        let mut owners = self.owners.clone();
        // Stable: each email's owners stay in the order they were read.
        owners.sort_by_key(|&(entry, position, _)| (entry, position));
        for by_entry in owners.chunk_by(|a, b| a.0 == b.0) {
            let at = by_entry[0].0 as usize;
            let own = found[at].person;
            let mut reported: Vec<Ordinal> = Vec::new();
            for &(_, position, owner) in by_entry {
                if own == Some(owner) || reported.contains(&owner) {
                    continue;
                }
                let start = claims.partition_point(|&(o, _)| o < owner);
                let moved_away = claims[start..]
                    .iter()
                    .take_while(|&&(o, _)| o == owner)
                    .any(|&(_, e)| entries[e as usize].fields.contains_key("emails"));
                if moved_away {
                    continue;
                }
                reported.push(owner);
                problems.push(MatchProblem::EmailOfAnotherPerson {
                    at: entries[at].source.clone(),
                    position: position as usize + 1,
                    owner_id: self.id(owner).to_string(),
                    matched_id: own.map(|o| self.id(o).to_string()),
                });
            }
        }
    }
}

/// Which entries claim each live person (the one person they match):
/// (person, entry), by person, then in manifest order.
fn claims(found: &[Found]) -> Vec<(Ordinal, EntryIndex)> {
    let mut claims: Vec<(Ordinal, EntryIndex)> = found
        .iter()
        .enumerate()
        .filter_map(|(at, found)| Some((found.person?, EntryIndex::try_from(at).ok()?)))
        .collect();
    claims.sort_unstable();
    claims
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::testing::{entry, person};

    /// For each entry, the index in `live` of the person it matches, if any.
    fn match_entries(entries: &[Entry], live: &[Person]) -> Result<Vec<Option<usize>>, PlanError> {
        let companies = CompanyPlan::default();
        let matches = match_all(entries, &companies, live);
        let found = matches.resolve(entries)?;
        let index = |o: Ordinal| live.iter().position(|p| p.id == matches.id(o));
        Ok(found.iter().map(|f| f.person.and_then(index)).collect())
    }

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

    #[test]
    fn only_the_people_an_entry_changes_are_kept_and_the_rest_known_by_id() {
        let entries = [
            entry(
                1,
                "email",
                json!({"emails": ["ann@acme.com"], "firstName": "Ann"}),
            ),
            entry(
                4,
                "email",
                json!({"emails": ["bob@acme.com"], "firstName": "Bob"}),
            ),
            entry(7, "email", json!({"emails": ["new@acme.com"]})),
        ];
        let live = [
            person("other", json!({"emails": ["x@acme.com"]})),
            person(
                "ann",
                json!({"emails": ["ann@acme.com"], "firstName": "Ann"}),
            ),
            person(
                "bob",
                json!({"emails": ["bob@acme.com"], "firstName": "Robert"}),
            ),
        ];
        let companies = CompanyPlan::default();
        let matches = match_all(&entries, &companies, &live);
        assert_eq!(matches.read(), 3);
        let kept: Vec<&str> = matches.kept().iter().map(|p| p.id.as_str()).collect();
        assert_eq!(kept, ["bob"]);
        let found = matches.resolve(&entries).unwrap();
        let unchanged = Found {
            person: Some(1),
            kept: None,
        };
        let changed = Found {
            person: Some(2),
            kept: Some(0),
        };
        let nobody = Found {
            person: None,
            kept: None,
        };
        assert_eq!(found, [unchanged, changed, nobody]);
        assert_eq!(matches.id(1), "ann");
    }

    #[test]
    fn a_match_let_go_as_unchanged_is_named_when_a_later_person_matches_too() {
        let entries = [entry(3, "email", json!({"emails": ["jo@acme.com"]}))];
        let mut live = vec![person("first", json!({"emails": ["jo@acme.com"]}))];
        live.extend(
            (0..250).map(|i| person(&format!("p{i}"), json!({"emails": [format!("p{i}@x.io")]}))),
        );
        live.push(person("late", json!({"emails": ["x@y.io", "JO@acme.com"]})));
        let companies = CompanyPlan::default();
        let matches = match_all(&entries, &companies, &live);
        assert!(matches.kept().is_empty(), "nobody is changed");
        let Err(PlanError::Ambiguous { problems }) = matches.resolve(&entries) else {
            panic!("expected the entry to match two people")
        };
        assert_eq!(
            problems,
            vec![MatchProblem::EntryMatchesSeveral {
                at: entries[0].source.clone(),
                attribute: "email".into(),
                live_ids: vec!["first".into(), "late".into()],
            }]
        );
    }

    #[test]
    fn an_email_owner_read_before_or_after_the_entry_s_own_match_is_reported() {
        let entries = [entry(
            2,
            "email",
            json!({"emails": ["ann@acme.com", "team@acme.com", "desk@acme.com"]}),
        )];
        let live = [
            person("desk", json!({"emails": ["DESK@acme.com"]})),
            person("ann", json!({"emails": ["ann@acme.com"]})),
            person(
                "team",
                json!({"emails": ["team@acme.com", "desk@acme.com"]}),
            ),
        ];
        let report = |at: usize, owner: &str| MatchProblem::EmailOfAnotherPerson {
            at: entries[0].source.clone(),
            position: at,
            owner_id: owner.into(),
            matched_id: Some("ann".into()),
        };
        // By the entry's emails in order, then by who was read first; each
        // owner once.
        assert_eq!(
            problems(match_entries(&entries, &live)),
            vec![report(2, "team"), report(3, "desk")]
        );
    }
}
