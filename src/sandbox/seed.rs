//! Seed files: the people (and custom attributes) a sandbox starts with.
//!
//! Two shapes, in YAML or JSON: a list of people in the API's shape, or a
//! mapping `{people: [...], customAttributes: {slug: type}}`, where a type may carry
//! its options: `select=gold|silver`. Ids and
//! timestamps are optional and generated when missing.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde_json::Value;

use super::SandboxError;
use super::attributes::{CustomAttribute, CustomAttributes};
use super::body::{self, Origin};
use super::store::blank_person;
use crate::api::model::Person;

/// A parsed seed file whose people are not yet checked (that needs every
/// attribute declaration, including those of the state file).
pub(crate) struct Seed {
    path: PathBuf,
    people: Vec<Value>,
    /// Whether the file was the mapping shape (for error paths).
    mapping: bool,
    pub attributes: Vec<CustomAttribute>,
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
        let invalid = |at: &str, message: &str| SandboxError::SeedInvalid {
            path: path.to_path_buf(),
            at: at.to_string(),
            message: message.to_string(),
        };
        let (people, mapping, declared) = match value {
            // An empty file reads as null: no people.
            Value::Null => (Vec::new(), false, None),
            Value::Array(people) => (people, false, None),
            Value::Object(mut map) => {
                if let Some(key) = map
                    .keys()
                    .find(|k| *k != "people" && *k != "customAttributes")
                {
                    return Err(invalid(
                        key,
                        "unknown key; the mapping shape has only `people` and `customAttributes`",
                    ));
                }
                let people = match map.remove("people") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(people)) => people,
                    Some(_) => return Err(invalid("people", "must be a list of people")),
                };
                (people, true, map.remove("customAttributes"))
            }
            _ => {
                return Err(invalid(
                    "the top level",
                    "must be a list of people or a mapping with `people` and `customAttributes`",
                ));
            }
        };
        let mut attributes = Vec::new();
        match declared {
            None | Some(Value::Null) => {}
            Some(Value::Object(declared)) => {
                for (slug, kind) in declared {
                    let at = format!("customAttributes.{slug}");
                    let kind = kind.as_str().ok_or_else(|| {
                        invalid(
                            &at,
                            "must be an attribute type such as `text`, or `select=gold|silver` with options",
                        )
                    })?;
                    let attribute = CustomAttribute::with_type(&slug, kind)
                        .map_err(|reason| invalid(&at, &reason))?;
                    attributes.push(attribute);
                }
            }
            Some(_) => {
                return Err(invalid(
                    "customAttributes",
                    "must be a mapping of slug to attribute type",
                ));
            }
        }
        Ok(Seed {
            path: path.to_path_buf(),
            people,
            mapping,
            attributes,
        })
    }

    /// Checks every person against the API's rules and builds them.
    pub(crate) fn people(
        &self,
        attributes: &CustomAttributes,
        now: Timestamp,
    ) -> Result<Vec<(Person, i64)>, SandboxError> {
        let mut ids = HashSet::new();
        let mut people = Vec::with_capacity(self.people.len());
        for (i, value) in self.people.iter().enumerate() {
            let at = if self.mapping {
                format!("people[{i}]")
            } else {
                format!("[{i}]")
            };
            let invalid = |field: Option<&str>, message: &str| SandboxError::SeedInvalid {
                path: self.path.clone(),
                at: match field {
                    Some(field) => format!("{at}.{field}"),
                    None => at.clone(),
                },
                message: message.to_string(),
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
            if let Some(company) = input.company {
                person.company.get_or_insert(company);
            }
            if !person.has_name() {
                return Err(invalid(None, "needs a firstName or a lastName"));
            }
            people.push((person, created.as_second()));
        }
        Ok(people)
    }
}
