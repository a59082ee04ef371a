//! Seed files: the people, companies and custom attributes a sandbox starts
//! with.
//!
//! Two shapes, in YAML or JSON: a list of people in the API's shape, or a
//! mapping `{people: [...], companies: [...], customAttributes: {slug: type}}`,
//! where a type may carry its options: `select=gold|silver`. Ids and
//! timestamps are optional and generated when missing. A person links to a
//! company with `companyId`, or with `company: {id, name, domain}` (the API's
//! read shape), which also declares that company when `companies` does not
//! hold it; so a list-shaped seed can link people too.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde_json::Value;

use super::SandboxError;
use super::attributes::{CustomAttribute, CustomAttributes, Objects};
use super::body::{self, Origin};
use super::companies::{self, parse_company};
use super::store::blank_person;
use crate::api::assumed::normalize_domain;
use crate::api::model::{Company, CompanyRef, Person};
use crate::api::object::ObjectSlug;

/// The keys of the mapping shape.
const MAPPING_KEYS: &[&str] = &[
    "people",
    "companies",
    "customAttributes",
    "companyAttributes",
];

/// A parsed seed file whose people are not yet checked (that needs every
/// attribute declaration, including those of the state file).
pub(crate) struct Seed {
    path: PathBuf,
    people: Vec<Value>,
    companies: Vec<Value>,
    /// Whether the file was the mapping shape (for error paths).
    mapping: bool,
    /// The declared custom attributes, each with its object.
    pub attributes: Vec<(ObjectSlug, CustomAttribute)>,
}

impl Seed {
    /// Reads and parses a seed file: `.json` as JSON, `.yaml`/`.yml` as YAML,
    /// anything else JSON first, then YAML.
    pub(crate) fn read(path: &Path) -> Result<Seed, SandboxError> {
        let text = std::fs::read_to_string(path).map_err(|source| SandboxError::SeedRead {
            path: path.to_path_buf(),
            source,
        })?;
        let syntax = |format, reason: String| SandboxError::SeedSyntax {
            path: path.to_path_buf(),
            format,
            reason,
        };
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let value: Value = match extension.as_deref() {
            Some("json") => {
                serde_json::from_str(&text).map_err(|e| syntax("JSON", e.to_string()))?
            }
            Some("yaml" | "yml") => {
                serde_saphyr::from_str(&text).map_err(|e| syntax("YAML", e.to_string()))?
            }
            _ => match serde_json::from_str(&text) {
                Ok(value) => value,
                Err(_) => serde_saphyr::from_str(&text)
                    .map_err(|e| syntax("JSON or YAML", e.to_string()))?,
            },
        };
        Seed::from_value(path, value)
    }

    fn from_value(path: &Path, value: Value) -> Result<Seed, SandboxError> {
        let invalid = |at: &str, message: &str| invalid_seed(path, at, message);
        let (people, companies, mapping, declared) = match value {
            // An empty file reads as null: no people.
            Value::Null => (Vec::new(), Vec::new(), false, None),
            Value::Array(people) => (people, Vec::new(), false, None),
            Value::Object(mut map) => {
                if let Some(key) = map.keys().find(|k| !MAPPING_KEYS.contains(&k.as_str())) {
                    return Err(invalid(
                        key,
                        "unknown key; the mapping shape has only `people`, `companies`, `customAttributes` and `companyAttributes`",
                    ));
                }
                let mut list = |key: &str, what: &str| match map.remove(key) {
                    None | Some(Value::Null) => Ok(Vec::new()),
                    Some(Value::Array(items)) => Ok(items),
                    Some(_) => Err(invalid(key, what)),
                };
                let people = list("people", "must be a list of people")?;
                let companies = list("companies", "must be a list of companies")?;
                let declared = [
                    (ObjectSlug::People, "customAttributes"),
                    (ObjectSlug::Companies, "companyAttributes"),
                ]
                .map(|(object, key)| (object, key, map.remove(key)));
                (people, companies, true, Some(declared))
            }
            _ => {
                return Err(invalid(
                    "the top level",
                    "must be a list of people or a mapping with `people`, `companies` and `customAttributes`",
                ));
            }
        };
        Ok(Seed {
            path: path.to_path_buf(),
            people,
            companies,
            mapping,
            attributes: seed_attributes(path, declared.into_iter().flatten())?,
        })
    }

    /// Checks every company and person against the API's rules and builds
    /// them, each person showing its company; with `createdAt` in seconds.
    #[allow(clippy::type_complexity)]
    pub(crate) fn contents(
        &self,
        attributes: &Objects,
        now: Timestamp,
    ) -> Result<(Vec<(Company, i64)>, Vec<(Person, i64)>), SandboxError> {
        let mut companies = self.companies(&attributes.companies, now)?;
        let mut people = self.people(&attributes.people, now)?;
        let mut by_id: HashMap<String, usize> = companies
            .iter()
            .enumerate()
            .map(|(i, (company, _))| (company.id.clone(), i))
            .collect();
        let mut domains: HashSet<String> = companies
            .iter()
            .filter_map(|(company, _)| company.domain.as_deref().map(normalize_domain))
            .collect();
        for (i, (person, _, linked_by)) in people.iter_mut().enumerate() {
            let Some(link) = &mut person.company else {
                continue;
            };
            let company = match (by_id.get(&link.id), *linked_by) {
                (Some(&at), _) => &companies[at].0,
                (None, Link::Object) => {
                    // The read shape's `company` declares a company of its own.
                    if let Some(domain) = &link.domain
                        && !domains.insert(normalize_domain(domain))
                    {
                        return Err(self.invalid(
                            &format!("{}.company.domain", self.person_at(i)),
                            "is the domain of another company of the seed",
                        ));
                    }
                    let company = Company {
                        custom_attributes: Default::default(),
                        id: link.id.clone(),
                        name: link.name.clone(),
                        domain: link.domain.clone(),
                        created_at: body::format_timestamp(now),
                        updated_at: body::format_timestamp(now),
                    };
                    by_id.insert(company.id.clone(), companies.len());
                    companies.push((company, now.as_second()));
                    &companies[companies.len() - 1].0
                }
                (None, Link::Id) => {
                    return Err(self.invalid(
                        &format!("{}.companyId", self.person_at(i)),
                        "names no company of the seed; declare it under `companies` (the mapping shape), or give the person `company: {id, name, domain}`",
                    ));
                }
            };
            *link = CompanyRef::from(company);
        }
        let people = people
            .into_iter()
            .map(|(person, created, _)| (person, created))
            .collect();
        Ok((companies, people))
    }

    fn invalid(&self, at: &str, message: &str) -> SandboxError {
        SandboxError::SeedInvalid {
            path: self.path.clone(),
            at: at.to_string(),
            message: message.to_string(),
        }
    }

    fn person_at(&self, i: usize) -> String {
        if self.mapping {
            format!("people[{i}]")
        } else {
            format!("[{i}]")
        }
    }

    /// Checks every company of `companies`: fields, unique ids and domains.
    fn companies(
        &self,
        attributes: &CustomAttributes,
        now: Timestamp,
    ) -> Result<Vec<(Company, i64)>, SandboxError> {
        let mut ids = HashSet::new();
        let mut domains = HashSet::new();
        let mut companies = Vec::with_capacity(self.companies.len());
        for (i, value) in self.companies.iter().enumerate() {
            let at = |field: Option<&str>| match field {
                Some(field) => format!("companies[{i}].{field}"),
                None => format!("companies[{i}]"),
            };
            let object = value.as_object().ok_or_else(|| {
                self.invalid(&at(None), "must be a company (a mapping of fields)")
            })?;
            let input = parse_company(object, attributes, Origin::Seed).map_err(|errors| {
                let (field, message) = errors.first().unwrap_or_default();
                self.invalid(&at(Some(&field)), &message)
            })?;
            let (company, created) =
                companies::seeded(input, uuid::Uuid::now_v7().to_string(), now);
            if !ids.insert(company.id.clone()) {
                return Err(self.invalid(&at(Some("id")), "is the id of an earlier company too"));
            }
            if let Some(domain) = &company.domain
                && !domains.insert(normalize_domain(domain))
            {
                return Err(self.invalid(
                    &at(Some("domain")),
                    "is the domain of an earlier company too (domains compare ignoring case)",
                ));
            }
            companies.push((company, created));
        }
        Ok(companies)
    }

    /// Checks every person against the API's rules and builds them, with how
    /// each names its company (if it does).
    fn people(
        &self,
        attributes: &CustomAttributes,
        now: Timestamp,
    ) -> Result<Vec<(Person, i64, Link)>, SandboxError> {
        let mut ids = HashSet::new();
        let mut people = Vec::with_capacity(self.people.len());
        for (i, value) in self.people.iter().enumerate() {
            let at = self.person_at(i);
            let invalid = |field: Option<&str>, message: &str| match field {
                Some(field) => self.invalid(&format!("{at}.{field}"), message),
                None => self.invalid(&at, message),
            };
            let object = value
                .as_object()
                .ok_or_else(|| invalid(None, "must be a person (a mapping of fields)"))?;
            let input = body::parse_person(object, attributes, Origin::Seed).map_err(|errors| {
                let (field, message) = errors.first().unwrap_or_default();
                invalid(Some(&field), &message)
            })?;
            let id = input.id.unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
            if !ids.insert(id.clone()) {
                return Err(invalid(Some("id"), "is the id of an earlier person too"));
            }
            let created = input.created_at.unwrap_or(now);
            let mut person = blank_person(id, body::format_timestamp(created));
            person.updated_at = body::format_timestamp(input.updated_at.unwrap_or(created));
            input.patch.apply(&mut person);
            // `companyId` wins over the read shape's `company`.
            let link = if person.company.is_some() {
                Link::Id
            } else {
                person.company = input.company;
                Link::Object
            };
            if !person.has_name() {
                return Err(invalid(None, "needs a firstName or a lastName"));
            }
            people.push((person, created.as_second(), link));
        }
        Ok(people)
    }
}

/// How a seed person names its company.
#[derive(Debug, Clone, Copy)]
enum Link {
    /// `companyId`: the company must be in the seed.
    Id,
    /// `company: {id, name, domain}`: declares the company if need be.
    Object,
}

/// The custom attributes a seed declares under each object's key.
fn seed_attributes(
    path: &Path,
    declared: impl IntoIterator<Item = (ObjectSlug, &'static str, Option<Value>)>,
) -> Result<Vec<(ObjectSlug, CustomAttribute)>, SandboxError> {
    let mut attributes = Vec::new();
    for (object, key, declared) in declared {
        match declared {
            None | Some(Value::Null) => {}
            Some(Value::Object(declared)) => {
                for (slug, spec) in declared {
                    let at = format!("{key}.{slug}");
                    let attribute = CustomAttribute::from_seed(&slug, &spec)
                        .map_err(|reason| invalid_seed(path, &at, &reason))?;
                    attributes.push((object, attribute));
                }
            }
            Some(_) => {
                let message = "must be a mapping of slug to attribute";
                return Err(invalid_seed(path, key, message));
            }
        }
    }
    Ok(attributes)
}

/// The seed at `path` is invalid at `at`.
fn invalid_seed(path: &Path, at: &str, message: &str) -> SandboxError {
    SandboxError::SeedInvalid {
        path: path.to_path_buf(),
        at: at.to_string(),
        message: message.to_string(),
    }
}
