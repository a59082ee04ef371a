//! Who can be imported, and in which order.
//!
//! An imported entry must name exactly one live person, or `zeeg plan` on the
//! imported files would fail: an entry is matched on its first email (against
//! every email of every live person) or on its phone number (exactly). So a
//! person is written only when no other live person shares any of its emails
//! (for an email entry) or its phone number (for a phone entry); the others are
//! reported by id, never by name or contact data. Likewise a person the
//! manifest would reject (no name, one email listed twice) is reported rather
//! than written as a file that fails validation.

use std::collections::HashMap;

use crate::api::Person;
use crate::person::normalize_email;

/// Why a live person was not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    /// Neither an email nor a phone number to match on.
    NoEmailOrPhone,
    /// Neither a first nor a last name, which every entry needs.
    NoName,
    /// The same email twice in the person's list.
    RepeatedEmail,
    /// Another live person has one of the same emails.
    SharedEmail,
    /// No email, and another live person has the same phone number.
    SharedPhone,
}

impl SkipReason {
    /// Every reason, in the order import's warnings list them.
    pub const ALL: [SkipReason; 5] = [
        SkipReason::NoEmailOrPhone,
        SkipReason::NoName,
        SkipReason::RepeatedEmail,
        SkipReason::SharedEmail,
        SkipReason::SharedPhone,
    ];

    /// What the user can do in the CRM so that such a person is imported.
    pub fn advice(self) -> &'static str {
        match self {
            SkipReason::NoEmailOrPhone => {
                "give them an email or a phone number in the CRM to import them"
            }
            SkipReason::NoName => "give them a first or last name in the CRM to import them",
            SkipReason::RepeatedEmail => "remove the repeated email in the CRM to import them",
            SkipReason::SharedEmail => {
                "an entry must match one person; merge the duplicates in the CRM to import them"
            }
            SkipReason::SharedPhone => {
                "an entry without email is matched on its phone number; merge the duplicates or add an email"
            }
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SkipReason::NoEmailOrPhone => "without email or phone",
            SkipReason::NoName => "without first or last name",
            SkipReason::RepeatedEmail => "listing the same email twice",
            SkipReason::SharedEmail => "sharing an email with another person",
            SkipReason::SharedPhone => "sharing a phone number with another person",
        })
    }
}

/// A live person that was not written, by id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub id: String,
    pub reason: SkipReason,
}

/// The people to write, in canonical order, and the ones left out.
#[derive(Debug)]
pub struct Selection<'a> {
    /// Sorted by primary email, then phone number, then id; people without
    /// an email last.
    pub people: Vec<&'a Person>,
    /// Sorted by id.
    pub skipped: Vec<Skipped>,
}

/// Splits the live people into the importable ones and the rest.
pub fn select(people: &[Person]) -> Selection<'_> {
    let mut email_holders: HashMap<String, usize> = HashMap::new();
    let mut phone_holders: HashMap<&str, usize> = HashMap::new();
    for person in people {
        let mut emails: Vec<String> = person.emails.iter().map(|e| normalize_email(e)).collect();
        // A person listing the same address twice is not sharing it (it is
        // skipped for that reason of its own).
        emails.sort();
        emails.dedup();
        for email in emails {
            *email_holders.entry(email).or_default() += 1;
        }
        if let Some(phone) = person.phone_number.as_deref() {
            *phone_holders.entry(phone).or_default() += 1;
        }
    }

    let mut selected = Vec::with_capacity(people.len());
    let mut skipped = Vec::new();
    for person in people {
        let reason = if !has_email(person) && phone(person).is_none() {
            Some(SkipReason::NoEmailOrPhone)
        } else if !person.has_name() {
            Some(SkipReason::NoName)
        } else if repeats_an_email(person) {
            Some(SkipReason::RepeatedEmail)
        } else if has_email(person) {
            let shared = person
                .emails
                .iter()
                .any(|e| email_holders.get(&normalize_email(e)).copied().unwrap_or(0) > 1);
            shared.then_some(SkipReason::SharedEmail)
        } else {
            let shared = phone(person)
                .is_some_and(|phone| phone_holders.get(phone).copied().unwrap_or(0) > 1);
            shared.then_some(SkipReason::SharedPhone)
        };
        match reason {
            None => selected.push(person),
            Some(reason) => skipped.push(Skipped {
                id: person.id.clone(),
                reason,
            }),
        }
    }
    selected.sort_by_cached_key(|person| sort_key(person));
    skipped.sort();
    Selection {
        people: selected,
        skipped,
    }
}

fn repeats_an_email(person: &Person) -> bool {
    let mut seen: Vec<String> = person.emails.iter().map(|e| normalize_email(e)).collect();
    seen.sort();
    seen.windows(2).any(|pair| pair[0] == pair[1])
}

/// Whether the person has a usable primary email.
pub(crate) fn has_email(person: &Person) -> bool {
    person.emails.first().is_some_and(|e| !e.trim().is_empty())
}

/// The person's phone number, when it can be matched on.
pub(crate) fn phone(person: &Person) -> Option<&str> {
    person
        .phone_number
        .as_deref()
        .filter(|p| !p.trim().is_empty())
}

/// Primary email (case folded, then as written), phone number, id: a total
/// order on distinct people, independent of the order the API listed them in.
/// People without an email (matched on their phone) come last.
fn sort_key(person: &Person) -> (bool, Option<String>, Option<&str>, Option<&str>, &str) {
    let primary = person.emails.first();
    (
        primary.is_none(),
        primary.map(|e| normalize_email(e)),
        primary.map(String::as_str),
        person.phone_number.as_deref(),
        &person.id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn person(id: &str, emails: &[&str], phone: Option<&str>) -> Person {
        Person {
            id: id.to_string(),
            first_name: Some("Test".to_string()),
            last_name: None,
            salutation: None,
            emails: emails.iter().map(|e| e.to_string()).collect(),
            job_title: None,
            description: None,
            phone_number: phone.map(str::to_string),
            primary_location: None,
            avatar_url: None,
            company: None,
            socials: Default::default(),
            custom_attributes: Default::default(),
            created_at: "2025-01-15T09:00:00+00:00".to_string(),
            updated_at: "2025-01-15T09:00:00+00:00".to_string(),
        }
    }

    fn ids(selection: &Selection) -> Vec<String> {
        selection.people.iter().map(|p| p.id.clone()).collect()
    }

    #[test]
    fn people_are_ordered_by_email_then_phone_then_id_whatever_the_input_order() {
        let people = vec![
            person("4", &[], Some("+49 2")),
            person("3", &["B@x.com"], None),
            person("2", &["a@x.com"], None),
            person("1", &[], Some("+49 1")),
        ];
        let mut reversed = people.clone();
        reversed.reverse();
        assert_eq!(ids(&select(&people)), ["2", "3", "1", "4"]);
        assert_eq!(ids(&select(&reversed)), ["2", "3", "1", "4"]);
    }

    #[test]
    fn people_without_email_or_phone_are_skipped_by_id() {
        let people = vec![person("9", &[], None), person("8", &[""], Some(" "))];
        let selection = select(&people);
        assert!(selection.people.is_empty());
        assert_eq!(
            selection.skipped,
            [
                Skipped {
                    id: "8".into(),
                    reason: SkipReason::NoEmailOrPhone
                },
                Skipped {
                    id: "9".into(),
                    reason: SkipReason::NoEmailOrPhone
                },
            ]
        );
    }

    #[test]
    fn people_the_manifest_would_reject_are_skipped_with_the_reason() {
        let mut nameless = person("1", &["a@x.com"], None);
        nameless.first_name = Some(" ".into());
        let people = vec![
            nameless,
            person("2", &["b@x.com", "B@x.com"], None),
            person("3", &["c@x.com"], None),
        ];
        let selection = select(&people);
        assert_eq!(ids(&selection), ["3"]);
        assert_eq!(
            selection
                .skipped
                .iter()
                .map(|s| (s.id.as_str(), s.reason))
                .collect::<Vec<_>>(),
            [("1", SkipReason::NoName), ("2", SkipReason::RepeatedEmail)]
        );
    }

    #[test]
    fn a_shared_email_in_any_position_or_case_skips_both_people() {
        let people = vec![
            person("1", &["a@x.com", "shared@x.com"], None),
            person("2", &["Shared@X.com "], None),
            person("3", &["c@x.com"], None),
        ];
        let selection = select(&people);
        assert_eq!(ids(&selection), ["3"]);
        assert_eq!(
            selection
                .skipped
                .iter()
                .map(|s| (s.id.as_str(), s.reason))
                .collect::<Vec<_>>(),
            [
                ("1", SkipReason::SharedEmail),
                ("2", SkipReason::SharedEmail)
            ]
        );
    }

    #[test]
    fn a_phone_entry_is_skipped_when_anybody_else_has_that_phone() {
        let people = vec![
            person("1", &["a@x.com"], Some("+491")),
            person("2", &[], Some("+491")),
            person("3", &[], Some("+492")),
        ];
        let selection = select(&people);
        assert_eq!(ids(&selection), ["1", "3"]);
        assert_eq!(
            selection.skipped,
            [Skipped {
                id: "2".into(),
                reason: SkipReason::SharedPhone
            }]
        );
    }
}
