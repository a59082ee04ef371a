//! The entries indexed by the values a live person may hold, so that each
//! live person can be looked up as it is read and then let go.
//!
//! A key is kept as its hash only, beside the entry (16 bytes a key); a hit
//! is confirmed against the entry's own value, so two values that share a
//! hash never match each other.

use std::hash::BuildHasher;

use rustc_hash::FxBuildHasher;
use serde_json::Value;

use crate::api::Person;
use crate::manifest::Entry;
use crate::person::{MatchField, normalize_email, same_email};

use super::super::diff::live_scalar;

/// An entry's number in the manifest's order.
pub(crate) type EntryIndex = u32;

/// Keys to entries, sorted by the keys' hashes.
#[derive(Debug, Default)]
struct Keys {
    /// (hash of the key, entry, which of the entry's emails: 0 when the key
    /// is no email of a list).
    rows: Vec<(u64, EntryIndex, u32)>,
}

impl Keys {
    fn push(&mut self, key: &str, entry: usize, position: usize) {
        // An index past u32 would need more entries than memory holds.
        let entry = EntryIndex::try_from(entry).unwrap_or(EntryIndex::MAX);
        let position = u32::try_from(position).unwrap_or(u32::MAX);
        self.rows.push((hash(key), entry, position));
    }

    fn sorted(mut self) -> Keys {
        self.rows.sort_unstable();
        self
    }

    /// The (entry, position) of every key hashed like `key`, in entry order.
    fn candidates(&self, key: &str) -> impl Iterator<Item = (EntryIndex, u32)> + '_ {
        let hash = hash(key);
        let start = self.rows.partition_point(|row| row.0 < hash);
        self.rows[start..]
            .iter()
            .take_while(move |row| row.0 == hash)
            .map(|&(_, entry, position)| (entry, position))
    }
}

fn hash(key: &str) -> u64 {
    FxBuildHasher.hash_one(key)
}

/// Where a matching attribute other than email is read in a live person.
#[derive(Debug, PartialEq)]
enum Field {
    /// A standard string field, by JSON name.
    Standard(&'static str),
    /// A custom attribute, by slug: its value's JSON text.
    Custom(String),
}

/// The entries, by what they look live people up with (see the rules in
/// [`super`]).
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// Entries matching on email, by their first email (normalized).
    emails: Keys,
    /// Entries' emails that another live person must not hold, normalized:
    /// every email but the first of an entry matching on email, every email
    /// of the others.
    others: Keys,
    /// Entries matching on another attribute, by its value.
    fields: Vec<(Field, Keys)>,
}

impl Index {
    pub(crate) fn new(entries: &[Entry]) -> Index {
        let mut index = Index::default();
        for (at, entry) in entries.iter().enumerate() {
            index.add_identity(at, entry);
            let skip_first = entry.matching_attribute.is_email();
            for (position, email) in entry
                .emails()
                .iter()
                .enumerate()
                .skip(usize::from(skip_first))
            {
                index.others.push(&normalize_email(email), at, position);
            }
        }
        index.emails = std::mem::take(&mut index.emails).sorted();
        index.others = std::mem::take(&mut index.others).sorted();
        index.fields = std::mem::take(&mut index.fields)
            .into_iter()
            .map(|(field, keys)| (field, keys.sorted()))
            .collect();
        index
    }

    fn add_identity(&mut self, at: usize, entry: &Entry) {
        let (field, key) = match entry.matching_attribute.field() {
            MatchField::Email => {
                if let Some(email) = entry.match_value.as_str() {
                    self.emails.push(&normalize_email(email), at, 0);
                }
                return;
            }
            MatchField::Standard(name) => match entry.match_value.as_str() {
                Some(value) => (Field::Standard(name), value.to_string()),
                None => return,
            },
            MatchField::Custom(slug) if !entry.match_value.is_null() => (
                Field::Custom(slug.to_string()),
                entry.match_value.to_string(),
            ),
            MatchField::Custom(_) => return,
        };
        let found = self.fields.iter().position(|(f, _)| *f == field);
        let slot = found.unwrap_or_else(|| {
            self.fields.push((field, Keys::default()));
            self.fields.len() - 1
        });
        self.fields[slot].1.push(&key, at, 0);
    }

    /// The entries whose identity `person` holds, in entry order within
    /// each attribute: those matching on one of its `emails` (normalized,
    /// each once), then on its other fields.
    pub(crate) fn identities<'i>(
        &'i self,
        entries: &'i [Entry],
        person: &'i Person,
        emails: &'i [String],
    ) -> impl Iterator<Item = EntryIndex> + 'i {
        let by_email = emails.iter().flat_map(move |email| {
            self.emails
                .candidates(email)
                .filter(move |&(e, _)| {
                    let wanted = entries[e as usize].match_value.as_str();
                    wanted.is_some_and(|wanted| same_email(wanted, email))
                })
                .map(|(e, _)| e)
        });
        let by_field = self.fields.iter().flat_map(move |(field, keys)| {
            let value = match field {
                Field::Standard(name) => live_scalar(person, name).map(str::to_string),
                Field::Custom(slug) => match person.custom_attributes.get(slug) {
                    None | Some(Value::Null) => None,
                    Some(value) => Some(value.to_string()),
                },
            };
            value.into_iter().flat_map(move |value| {
                let found: Vec<EntryIndex> = keys
                    .candidates(&value)
                    .filter(|&(e, _)| holds(&entries[e as usize], field, &value))
                    .map(|(e, _)| e)
                    .collect();
                found
            })
        });
        by_email.chain(by_field)
    }

    /// The entries, and which of their emails (0-based), that name one of
    /// the person's `emails` (normalized, each once) as an email it must not
    /// hold.
    pub(crate) fn others_holding<'i>(
        &'i self,
        entries: &'i [Entry],
        emails: &'i [String],
    ) -> impl Iterator<Item = (EntryIndex, u32)> + 'i {
        emails.iter().flat_map(move |email| {
            self.others.candidates(email).filter(move |&(e, position)| {
                let listed = entries[e as usize].emails();
                listed
                    .get(position as usize)
                    .is_some_and(|own| same_email(own, email))
            })
        })
    }
}

/// Whether `entry` matches on `field` with the live `value` (its text, for
/// a custom attribute its JSON).
fn holds(entry: &Entry, field: &Field, value: &str) -> bool {
    match field {
        Field::Standard(_) => entry.match_value.as_str() == Some(value),
        // As JSON text: `42` and `"42"` are different values.
        Field::Custom(_) => entry.match_value.to_string() == value,
    }
}

/// A live person's emails as matching compares them: normalized, each once
/// (a person listing one address twice is still one person).
pub(crate) fn normalized_emails(person: &Person) -> Vec<String> {
    let mut emails: Vec<String> = Vec::with_capacity(person.emails.len());
    for email in &person.emails {
        let email = normalize_email(email);
        if !emails.contains(&email) {
            emails.push(email);
        }
    }
    emails
}
