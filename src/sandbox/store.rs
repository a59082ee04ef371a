//! The working set of people in memory, with the indexes that keep every
//! request cheap: by id, by normalised email, by linked company, and — built
//! the first time a slug is used as a matching attribute — by any other
//! standard or custom attribute. The companies live beside them, so that a
//! person's `company` always shows the company as it is now.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::Value;

use super::body::{self, PersonPatch};
use super::companies::{Companies, PendingCompany};
use super::durable::Durable;
use super::http::PreparedWrite;
use super::listing::{contains_ignoring_case, page_of};
use crate::api::model::{CompanyRef, Person};
use crate::person::{MatchField, normalize_email};

/// The value an upsert looks a person up by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MatchKey {
    /// A normalised email, matched against every email of a person.
    Email(String),
    /// A standard string field (JSON name) and its exact value.
    Standard(&'static str, String),
    /// A custom attribute slug and its value as canonical JSON text.
    Custom(String, String),
}

impl MatchKey {
    /// The body's value for the matching attribute, or `None` when it sends none.
    pub(crate) fn from_patch(field: MatchField<'_>, patch: &PersonPatch) -> Option<MatchKey> {
        match field {
            MatchField::Email => patch
                .emails
                .as_ref()?
                .first()
                .map(|email| MatchKey::Email(normalize_email(email))),
            MatchField::Standard(name) => match patch.scalar(name)? {
                Some(value) if !value.is_empty() => Some(MatchKey::Standard(name, value.clone())),
                _ => None,
            },
            MatchField::Custom(slug) => match patch.custom_value(slug)? {
                Value::Null => None,
                value => Some(MatchKey::Custom(slug.to_string(), value.to_string())),
            },
        }
    }

    fn index(&self) -> Option<(IndexName, &str)> {
        match self {
            MatchKey::Email(_) => None,
            MatchKey::Standard(field, value) => Some((IndexName::Standard(field), value)),
            MatchKey::Custom(slug, value) => Some((IndexName::Custom(slug.clone()), value)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum IndexName {
    Standard(&'static str),
    Custom(String),
}

impl IndexName {
    fn key_of(&self, person: &Person) -> Option<String> {
        match self {
            IndexName::Standard(field) => person
                .scalar(field)
                .filter(|v| !v.is_empty())
                .map(str::to_string),
            IndexName::Custom(slug) => person
                .custom_attributes
                .get(slug)
                .filter(|v| !v.is_null())
                .map(Value::to_string),
        }
    }
}

type Slot = u32;

struct Record {
    // Boxed: the records vector then grows by small moves and little slack.
    person: Box<Person>,
    /// `createdAt` in seconds, the first key of the list order.
    created: i64,
}

/// Everything the sandbox knows, in memory.
#[derive(Default)]
pub(crate) struct Store {
    records: Vec<Record>,
    by_id: HashMap<String, Slot>,
    /// Slots sorted oldest first (by `createdAt`, then id): the list order.
    order: Vec<Slot>,
    by_email: HashMap<String, Vec<Slot>>,
    /// Built lazily: one index per slug used to match on.
    by_value: HashMap<IndexName, HashMap<String, Vec<Slot>>>,
    /// Company id → the people linked to it, to show a rename on each.
    by_company: HashMap<String, Vec<Slot>>,
    pub companies: Companies,
}

/// An upsert worked out but not yet applied, so that it can be made durable
/// first and dropped if that fails.
pub(crate) struct Pending {
    slot: Option<Slot>,
    pub person: Person,
    created: i64,
    /// Whether anything differs from what is stored.
    pub changed: bool,
}

impl PreparedWrite for Pending {
    type Record = Person;
    const KIND: &'static str = "person";
    fn record(&self) -> &Person {
        &self.person
    }
    fn changed(&self) -> bool {
        self.changed
    }
    fn created(&self) -> bool {
        self.slot.is_none()
    }
    fn save(&self, durable: &Durable) -> Result<(), rusqlite::Error> {
        durable.save(&self.person)
    }
    fn commit(self, store: &mut Store) {
        store.commit(self);
    }
}

impl Store {
    /// Whether it holds neither people nor companies: a seed applies then.
    pub(crate) fn is_empty(&self) -> bool {
        self.records.is_empty() && self.companies.len() == 0
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Person> {
        self.by_id
            .get(id)
            .map(|slot| &*self.records[*slot as usize].person)
    }

    /// The oldest person matching `key`.
    pub(crate) fn find(&mut self, key: &MatchKey) -> Option<&Person> {
        let slots: &[Slot] = match key.index() {
            None => {
                let MatchKey::Email(email) = key else {
                    return None;
                };
                self.by_email.get(email).map(Vec::as_slice).unwrap_or(&[])
            }
            Some((name, value)) => {
                if !self.by_value.contains_key(&name) {
                    let index = self.build_index(&name);
                    self.by_value.insert(name.clone(), index);
                }
                self.by_value
                    .get(&name)
                    .and_then(|index| index.get(value))
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
            }
        };
        slots
            .iter()
            .copied()
            .min_by(|a, b| self.compare(*a, *b))
            .map(|slot| &*self.records[slot as usize].person)
    }

    /// Works out the result of applying `patch` to `existing` (by id) or to a
    /// new person with the given id and time.
    pub(crate) fn prepare(
        &self,
        existing: Option<&str>,
        patch: &PersonPatch,
        new_id: impl FnOnce() -> String,
        now: jiff::Timestamp,
    ) -> Pending {
        let now_text = body::format_timestamp(now);
        match existing.and_then(|id| self.by_id.get(id)) {
            Some(&slot) => {
                let record = &self.records[slot as usize];
                let mut person = (*record.person).clone();
                patch.apply(&mut person);
                self.resolve_company(&mut person);
                let changed = person != *record.person;
                if changed {
                    person.updated_at = now_text;
                }
                Pending {
                    slot: Some(slot),
                    person,
                    created: record.created,
                    changed,
                }
            }
            None => {
                let mut person = blank_person(new_id(), now_text);
                patch.apply(&mut person);
                self.resolve_company(&mut person);
                Pending {
                    slot: None,
                    person,
                    created: now.as_second(),
                    changed: true,
                }
            }
        }
    }

    /// Every person, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Person> {
        self.records.iter().map(|record| &*record.person)
    }

    /// Puts a changed person (same id, same matching values but for
    /// custom attributes) in place of the stored one.
    pub(crate) fn replace(&mut self, person: Person) {
        if let Some(&slot) = self.by_id.get(&person.id) {
            let old = std::mem::replace(&mut *self.records[slot as usize].person, person);
            self.unindex(slot, &old);
            self.index(slot);
        }
    }

    /// Applies a prepared upsert.
    pub(crate) fn commit(&mut self, pending: Pending) {
        let Pending {
            slot,
            person,
            created,
            ..
        } = pending;
        match slot {
            Some(slot) => {
                let old = std::mem::replace(&mut *self.records[slot as usize].person, person);
                self.unindex(slot, &old);
                self.index(slot);
            }
            None => self.insert(person, created),
        }
    }

    /// Adds a person (new id) at its place in the list order, showing its
    /// company as stored.
    pub(crate) fn insert(&mut self, mut person: Person, created: i64) {
        self.resolve_company(&mut person);
        let slot = Slot::try_from(self.records.len()).unwrap_or(Slot::MAX);
        self.by_id.insert(person.id.clone(), slot);
        self.records.push(Record {
            person: Box::new(person),
            created,
        });
        // New people are almost always the newest, so this is an append.
        let at = self
            .order
            .partition_point(|other| self.compare(*other, slot) == Ordering::Less);
        self.order.insert(at, slot);
        self.index(slot);
    }

    /// One page of the list, oldest first, optionally filtered by `search`;
    /// returns the page and the number of people that pass the filter.
    pub(crate) fn page(&self, search: Option<&str>, page: u64, count: u64) -> (Vec<&Person>, u64) {
        let needle = search.map(str::to_lowercase);
        let keep = needle
            .as_deref()
            .map(|needle| move |person: &Person| matches_search(person, needle));
        let ordered = self
            .order
            .iter()
            .map(|slot| &*self.records[*slot as usize].person);
        page_of(ordered, keep, page, count)
    }

    /// A person's `company` as the company is now; a link to a company the
    /// store does not hold (a state written before companies were kept)
    /// stays as it was.
    fn resolve_company(&self, person: &mut Person) {
        if let Some(link) = &mut person.company
            && let Some(company) = self.companies.get(&link.id)
        {
            *link = CompanyRef::from(company);
        }
    }

    /// Applies a prepared company assert, and shows a new name or domain on
    /// every person linked to the company (their `updatedAt` stays: the
    /// person did not change).
    pub(crate) fn commit_company(&mut self, pending: PendingCompany) {
        let link = CompanyRef::from(self.companies.commit(pending));
        for slot in self.by_company.get(&link.id).into_iter().flatten() {
            self.records[*slot as usize].person.company = Some(link.clone());
        }
    }

    fn compare(&self, a: Slot, b: Slot) -> Ordering {
        let (a, b) = (&self.records[a as usize], &self.records[b as usize]);
        a.created
            .cmp(&b.created)
            .then_with(|| a.person.id.cmp(&b.person.id))
    }

    fn build_index(&self, name: &IndexName) -> HashMap<String, Vec<Slot>> {
        let mut index: HashMap<String, Vec<Slot>> = HashMap::new();
        for (slot, record) in self.records.iter().enumerate() {
            if let Some(key) = name.key_of(&record.person) {
                index.entry(key).or_default().push(slot as Slot);
            }
        }
        index
    }

    fn index(&mut self, slot: Slot) {
        let person = &self.records[slot as usize].person;
        if let Some(company) = &person.company {
            self.by_company
                .entry(company.id.clone())
                .or_default()
                .push(slot);
        }
        for email in &person.emails {
            let slots = self.by_email.entry(normalize_email(email)).or_default();
            if !slots.contains(&slot) {
                slots.push(slot);
            }
        }
        for (name, index) in &mut self.by_value {
            if let Some(key) = name.key_of(person) {
                index.entry(key).or_default().push(slot);
            }
        }
    }

    fn unindex(&mut self, slot: Slot, old: &Person) {
        if let Some(company) = &old.company {
            remove_slot(&mut self.by_company, &company.id, slot);
        }
        for email in &old.emails {
            remove_slot(&mut self.by_email, &normalize_email(email), slot);
        }
        for (name, index) in &mut self.by_value {
            if let Some(key) = name.key_of(old) {
                remove_slot(index, &key, slot);
            }
        }
    }
}

fn remove_slot(index: &mut HashMap<String, Vec<Slot>>, key: &str, slot: Slot) {
    if let Some(slots) = index.get_mut(key) {
        slots.retain(|s| *s != slot);
        if slots.is_empty() {
            index.remove(key);
        }
    }
}

/// `search`: names, emails or phone number contain the text, ignoring case.
/// `needle` is already lower-case.
fn matches_search(person: &Person, needle: &str) -> bool {
    let contains = |s: &str| contains_ignoring_case(s, needle);
    let fields = [&person.first_name, &person.last_name, &person.phone_number];
    fields.iter().any(|s| s.as_deref().is_some_and(contains))
        || person.emails.iter().any(|e| contains(e))
        // "Jane Doe" finds Jane Doe; only a needle with a space can span both names.
        || (needle.contains(' ')
            && match (&person.first_name, &person.last_name) {
                (Some(first), Some(last)) => contains(&format!("{first} {last}")),
                _ => false,
            })
}

/// A person with only an id and timestamps: what a create starts from.
pub(crate) fn blank_person(id: String, now: String) -> Person {
    Person {
        id,
        first_name: None,
        last_name: None,
        salutation: None,
        emails: Vec::new(),
        job_title: None,
        description: None,
        phone_number: None,
        primary_location: None,
        avatar_url: None,
        company: None,
        socials: Default::default(),
        custom_attributes: Default::default(),
        created_at: now.clone(),
        updated_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_ignores_case_for_ascii_and_other_text() {
        assert!(contains_ignoring_case("Jane.Doe@ACME.com", "acme"));
        assert!(contains_ignoring_case("Zoë Quinn", "zoë"));
        assert!(contains_ignoring_case("ZOË", "zoë"));
        assert!(!contains_ignoring_case("ab", "abc"));
        let mut person = blank_person("1".into(), String::new());
        person.first_name = Some("Jane".into());
        person.last_name = Some("Doe".into());
        assert!(matches_search(&person, "jane doe"));
        assert!(!matches_search(&person, "jane  doe"));
    }
}
