//! The sandbox's companies: reading a company from JSON (an assert body or a
//! seed entry), and the companies in memory, indexed by id and by domain.
//!
//! Companies are asserted by domain only, compared as
//! [`normalize_domain`] says; a domain is stored as sent.

use std::cmp::Ordering;
use std::collections::HashMap;

use jiff::Timestamp;
use serde_json::{Map, Value};

use super::attributes::CustomAttributes;
use super::body::{self, FieldErrors, MapPatch, Origin};
use super::durable::Durable;
use super::http::PreparedWrite;
use super::listing::{contains_ignoring_case, page_of};
use super::store::Store;
use crate::api::assumed::{COMPANY_MATCHING_ATTRIBUTE, normalize_domain};
use crate::api::model::Company;

/// A company read from JSON: what it sets, and for seeds its id and times.
#[derive(Debug, Default)]
pub(crate) struct CompanyInput {
    /// `None`: not sent, so kept on update.
    pub name: Option<Option<String>>,
    pub domain: Option<Option<String>>,
    /// Custom attribute values, merged key by key as a person's are.
    pub custom: Option<MapPatch<Value>>,
    /// Seeds only.
    pub id: Option<String>,
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
}

/// Reads a JSON object into a company, or every field error found. A request
/// must send a non-empty `domain` (the matching attribute) and may not send
/// null; a seed, in the API's read shape, may hold null for either field.
pub(crate) fn parse_company(
    object: &Map<String, Value>,
    attributes: &CustomAttributes,
    origin: Origin,
) -> Result<CompanyInput, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut input = CompanyInput::default();
    for (key, value) in object {
        let key = key.as_str();
        match (key, origin) {
            ("name" | "domain", _) => {
                let Some(text) = name_or_domain(key, value, origin, &mut errors) else {
                    continue;
                };
                if key == "name" {
                    input.name = Some(text);
                } else {
                    input.domain = Some(text);
                }
            }
            ("customAttributes", _) => {
                input.custom = body::parse_custom(value, attributes, &mut errors)
            }
            ("id", Origin::Seed) => match value {
                Value::String(s) if !s.trim().is_empty() => input.id = Some(s.clone()),
                _ => errors.add(key, "must be a non-empty string"),
            },
            ("createdAt", Origin::Seed) => {
                input.created_at = body::parse_timestamp(key, value, &mut errors)
            }
            ("updatedAt", Origin::Seed) => {
                input.updated_at = body::parse_timestamp(key, value, &mut errors)
            }
            ("id" | "createdAt" | "updatedAt", Origin::Request) => {
                errors.add(key, "is read-only and cannot be sent")
            }
            _ => errors.add(
                key,
                "is not a field of a company (name, domain, customAttributes)",
            ),
        }
    }
    if origin == Origin::Request && input.domain.is_none() && !errors.contains("domain") {
        errors.add(
            "domain",
            format!("is required: it is the matching attribute `{COMPANY_MATCHING_ATTRIBUTE}`"),
        );
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(errors)
    }
}

/// `name` or `domain` (`key`): a non-empty string, or in a seed null
/// (`Some(None)`); `None` once the error is added.
fn name_or_domain(
    key: &str,
    value: &Value,
    origin: Origin,
    errors: &mut FieldErrors,
) -> Option<Option<String>> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(Some(s.clone())),
        Value::String(_) => {
            errors.add(key, "must not be empty");
            None
        }
        Value::Null if origin == Origin::Seed => Some(None),
        _ => {
            errors.add(key, "must be a string");
            None
        }
    }
}

struct Record {
    company: Company,
    /// `createdAt` in seconds, the first key of the list order.
    created: i64,
}

/// Every company the sandbox knows, in memory.
#[derive(Default)]
pub(crate) struct Companies {
    records: Vec<Record>,
    by_id: HashMap<String, usize>,
    /// Normalised domain → record. Asserts match on it, so one domain is one
    /// company; seeds are refused when two companies share a domain.
    by_domain: HashMap<String, usize>,
    /// Records sorted oldest first (by `createdAt`, then id): the list order.
    order: Vec<usize>,
}

/// An assert worked out but not yet applied, so that it can be made durable
/// first and dropped if that fails.
pub(crate) struct PendingCompany {
    slot: Option<usize>,
    pub company: Company,
    created: i64,
    /// Whether anything differs from what is stored.
    pub changed: bool,
}

impl PreparedWrite for PendingCompany {
    type Record = Company;
    const KIND: &'static str = "company";
    fn record(&self) -> &Company {
        &self.company
    }
    fn changed(&self) -> bool {
        self.changed
    }
    fn created(&self) -> bool {
        self.slot.is_none()
    }
    fn save(&self, durable: &Durable) -> Result<(), rusqlite::Error> {
        durable.save_company(&self.company)
    }
    fn commit(self, store: &mut Store) {
        store.commit_company(self);
    }
}

impl Companies {
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Company> {
        self.by_id.get(id).map(|slot| &self.records[*slot].company)
    }

    /// The company with this domain, compared as [`normalize_domain`] says.
    fn domain_slot(&self, domain: &str) -> Option<usize> {
        self.by_domain.get(&normalize_domain(domain)).copied()
    }

    /// Works out an assert: the company with the input's domain, updated with
    /// the fields sent, or a new company with the given id and time. `None`
    /// when it would create a company without a name.
    pub(crate) fn prepare(
        &self,
        input: &CompanyInput,
        new_id: impl FnOnce() -> String,
        now: Timestamp,
    ) -> Option<PendingCompany> {
        let domain = input.domain.clone().flatten();
        let found = domain.as_deref().and_then(|d| self.domain_slot(d));
        let now_text = body::format_timestamp(now);
        match found {
            Some(slot) => {
                let record = &self.records[slot];
                let mut company = record.company.clone();
                apply(input, &mut company);
                let changed = company != record.company;
                if changed {
                    company.updated_at = now_text;
                }
                Some(PendingCompany {
                    slot: Some(slot),
                    company,
                    created: record.created,
                    changed,
                })
            }
            None => {
                let name = input.name.clone().flatten()?;
                let mut custom_attributes = Map::new();
                body::merge_custom(input.custom.as_ref(), &mut custom_attributes);
                Some(PendingCompany {
                    slot: None,
                    company: Company {
                        custom_attributes,
                        id: new_id(),
                        name: Some(name),
                        domain,
                        created_at: now_text.clone(),
                        updated_at: now_text,
                    },
                    created: now.as_second(),
                    changed: true,
                })
            }
        }
    }

    /// Every company, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Company> {
        self.records.iter().map(|record| &record.company)
    }

    /// Puts a changed company (same id and domain) in place of the stored one.
    pub(crate) fn replace(&mut self, company: Company) {
        if let Some(&slot) = self.by_id.get(&company.id) {
            self.records[slot].company = company;
        }
    }

    /// Applies a prepared assert; returns the company as stored now.
    pub(crate) fn commit(&mut self, pending: PendingCompany) -> &Company {
        let PendingCompany {
            slot,
            company,
            created,
            ..
        } = pending;
        match slot {
            // The domain is the match key, so an update keeps its index entry.
            Some(slot) => {
                self.records[slot].company = company;
                &self.records[slot].company
            }
            None => self.insert(company, created),
        }
    }

    /// Adds a company (new id, new domain) at its place in the list order.
    pub(crate) fn insert(&mut self, company: Company, created: i64) -> &Company {
        let slot = self.records.len();
        self.by_id.insert(company.id.clone(), slot);
        if let Some(domain) = &company.domain {
            self.by_domain
                .entry(normalize_domain(domain))
                .or_insert(slot);
        }
        self.records.push(Record { company, created });
        let at = self
            .order
            .partition_point(|other| self.compare(*other, slot) == Ordering::Less);
        self.order.insert(at, slot);
        &self.records[slot].company
    }

    /// One page of the list, oldest first, optionally only the companies
    /// whose name or domain contains `search` ignoring case; returns the page
    /// and the number of companies that pass the filter.
    pub(crate) fn page(&self, search: Option<&str>, page: u64, count: u64) -> (Vec<&Company>, u64) {
        let needle = search.map(str::to_lowercase);
        let keep = needle.as_deref().map(|needle| {
            move |company: &Company| {
                [&company.name, &company.domain]
                    .iter()
                    .any(|field| field.as_deref().is_some_and(|f| contains(f, needle)))
            }
        });
        let ordered = self.order.iter().map(|slot| &self.records[*slot].company);
        page_of(ordered, keep, page, count)
    }

    fn compare(&self, a: usize, b: usize) -> Ordering {
        let (a, b) = (&self.records[a], &self.records[b]);
        a.created
            .cmp(&b.created)
            .then_with(|| a.company.id.cmp(&b.company.id))
    }
}

fn contains(haystack: &str, needle: &str) -> bool {
    contains_ignoring_case(haystack, needle)
}

/// Sent fields replace; the domain as sent, so its spelling follows the last assert.
fn apply(input: &CompanyInput, company: &mut Company) {
    if let Some(name) = &input.name {
        company.name.clone_from(name);
    }
    if let Some(domain) = &input.domain {
        company.domain.clone_from(domain);
    }
    body::merge_custom(input.custom.as_ref(), &mut company.custom_attributes);
}

/// A company from a seed: its fields, or those generated (id, times).
pub(crate) fn seeded(input: CompanyInput, new_id: String, now: Timestamp) -> (Company, i64) {
    let created = input.created_at.unwrap_or(now);
    let mut custom_attributes = Map::new();
    body::merge_custom(input.custom.as_ref(), &mut custom_attributes);
    let company = Company {
        custom_attributes,
        id: input.id.unwrap_or(new_id),
        name: input.name.flatten(),
        domain: input.domain.flatten(),
        created_at: body::format_timestamp(created),
        updated_at: body::format_timestamp(input.updated_at.unwrap_or(created)),
    };
    (company, created.as_second())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(value: Value) -> Result<CompanyInput, FieldErrors> {
        let attributes = CustomAttributes::of(crate::api::object::ObjectSlug::Companies);
        parse_company(value.as_object().unwrap(), &attributes, Origin::Request)
    }

    #[test]
    fn a_request_needs_a_domain_and_sends_strings_only() {
        let fields = |value| {
            let errors = request(value).unwrap_err().into_map();
            errors.keys().cloned().collect::<Vec<_>>()
        };
        assert_eq!(fields(json!({"name": "Acme"})), ["domain"]);
        assert_eq!(
            fields(json!({"name": null, "domain": " "})),
            ["name", "domain"]
        );
        assert_eq!(
            fields(json!({"domain": "a.io", "id": "x", "industry": "y"})),
            ["id", "industry"]
        );
        assert!(request(json!({"domain": "a.io"})).is_ok());
    }

    #[test]
    fn a_domain_matches_ignoring_case_and_space_and_is_stored_as_sent() {
        let now = Timestamp::now();
        let mut companies = Companies::default();
        let create = request(json!({"name": "Acme", "domain": "Acme.COM"})).unwrap();
        let pending = companies.prepare(&create, || "c1".into(), now).unwrap();
        assert!(pending.created());
        companies.commit(pending);
        let update = request(json!({"domain": " acme.com "})).unwrap();
        let pending = companies.prepare(&update, || "c2".into(), now).unwrap();
        assert!(!pending.created());
        assert_eq!(pending.company.name.as_deref(), Some("Acme"), "name kept");
        assert_eq!(pending.company.domain.as_deref(), Some(" acme.com "));
        let nameless = request(json!({"domain": "initech.example"})).unwrap();
        assert!(companies.prepare(&nameless, || "c3".into(), now).is_none());
        let slot = companies.domain_slot("ACME.com").unwrap();
        assert_eq!(companies.records[slot].company.id, "c1");
    }
}
