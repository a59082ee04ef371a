//! The people object's attributes: the standard ones and the workspace's custom
//! attributes, their declared types, and the loose type check of custom values.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use super::SandboxError;
use crate::api::model::{Attribute, ObjectSchema};
use crate::person;

/// The type of an attribute, as `GET /crm/objects/people` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeType {
    Text,
    Number,
    PhoneNumber,
    Date,
    Datetime,
    Checkbox,
    Select,
    Multiselect,
    Rating,
    Relation,
    Status,
    User,
    Currency,
}

impl AttributeType {
    /// Every type, in the order the API documents them.
    pub const ALL: [AttributeType; 13] = [
        AttributeType::Text,
        AttributeType::Number,
        AttributeType::PhoneNumber,
        AttributeType::Date,
        AttributeType::Datetime,
        AttributeType::Checkbox,
        AttributeType::Select,
        AttributeType::Multiselect,
        AttributeType::Rating,
        AttributeType::Relation,
        AttributeType::Status,
        AttributeType::User,
        AttributeType::Currency,
    ];

    /// The API's name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeType::Text => "text",
            AttributeType::Number => "number",
            AttributeType::PhoneNumber => "phone_number",
            AttributeType::Date => "date",
            AttributeType::Datetime => "datetime",
            AttributeType::Checkbox => "checkbox",
            AttributeType::Select => "select",
            AttributeType::Multiselect => "multiselect",
            AttributeType::Rating => "rating",
            AttributeType::Relation => "relation",
            AttributeType::Status => "status",
            AttributeType::User => "user",
            AttributeType::Currency => "currency",
        }
    }

    /// Whether `value` (not null) fits this type. Deliberately loose: the API does
    /// not document its value formats, so only the JSON kind is checked.
    pub(crate) fn accepts(self, value: &Value) -> bool {
        match self {
            AttributeType::Number | AttributeType::Rating | AttributeType::Currency => {
                value.is_number()
            }
            AttributeType::Checkbox => value.is_boolean(),
            AttributeType::Multiselect => value.is_array(),
            _ => value.is_string(),
        }
    }

    /// What [`accepts`](Self::accepts) wants, for a 422 message.
    pub(crate) fn expected(self) -> &'static str {
        match self {
            AttributeType::Number | AttributeType::Rating | AttributeType::Currency => "a number",
            AttributeType::Checkbox => "true or false",
            AttributeType::Multiselect => "a list",
            _ => "a string",
        }
    }
}

impl fmt::Display for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AttributeType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AttributeType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown type `{s}`"))
    }
}

/// A custom attribute of the people object: a slug and its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomAttribute {
    /// The snake_case slug, the key in `customAttributes`.
    pub slug: String,
    pub kind: AttributeType,
}

impl CustomAttribute {
    /// Checks a slug and pairs it with a type.
    pub fn new(slug: &str, kind: AttributeType) -> Result<CustomAttribute, String> {
        let well_formed = slug.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !well_formed {
            return Err("the slug must be snake_case (a-z, 0-9, _), starting with a letter".into());
        }
        if person::is_standard_slug(slug) {
            return Err(format!("`{slug}` is a standard attribute"));
        }
        Ok(CustomAttribute {
            slug: slug.to_string(),
            kind,
        })
    }

    /// Parses `SLUG:TYPE`, the form of `--custom-attribute`.
    pub fn parse(spec: &str) -> Result<CustomAttribute, SandboxError> {
        let bad = |reason: String| SandboxError::BadCustomAttribute {
            spec: spec.to_string(),
            reason,
        };
        let (slug, kind) = spec
            .split_once(':')
            .ok_or_else(|| bad("expected SLUG:TYPE".into()))?;
        let kind = kind.parse().map_err(bad)?;
        CustomAttribute::new(slug, kind).map_err(bad)
    }
}

/// The custom attributes declared for a sandbox, in declaration order.
#[derive(Debug, Clone, Default)]
pub(crate) struct CustomAttributes {
    declared: Vec<CustomAttribute>,
}

impl CustomAttributes {
    /// Adds a declaration; the same slug twice is fine with the same type.
    pub(crate) fn declare(&mut self, attribute: CustomAttribute) -> Result<(), SandboxError> {
        match self.get(&attribute.slug) {
            Some(kind) if kind == attribute.kind => Ok(()),
            Some(kind) => Err(SandboxError::AttributeConflict {
                slug: attribute.slug,
                first: kind.to_string(),
                second: attribute.kind.to_string(),
            }),
            None => {
                self.declared.push(attribute);
                Ok(())
            }
        }
    }

    pub(crate) fn get(&self, slug: &str) -> Option<AttributeType> {
        self.declared
            .iter()
            .find(|a| a.slug == slug)
            .map(|a| a.kind)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &CustomAttribute> {
        self.declared.iter()
    }

    /// The people object as `GET /crm/objects/people` describes it.
    pub(crate) fn schema(&self) -> ObjectSchema {
        let standard = STANDARD_ATTRIBUTES
            .iter()
            .map(|(key, label, kind)| Attribute {
                key: key.to_string(),
                label: label.to_string(),
                kind: kind.to_string(),
                is_standard: true,
                is_unique: *key == "email",
                is_required: false,
                is_archived: false,
                options: None,
            });
        let custom = self.declared.iter().map(|a| Attribute {
            key: a.slug.clone(),
            label: label_for(&a.slug),
            kind: a.kind.to_string(),
            is_standard: false,
            is_unique: false,
            is_required: false,
            is_archived: false,
            options: matches!(
                a.kind,
                AttributeType::Select | AttributeType::Multiselect | AttributeType::Status
            )
            .then(Vec::new),
        });
        ObjectSchema {
            slug: "people".to_string(),
            attributes: standard.chain(custom).collect(),
        }
    }
}

/// The standard attributes: slug, label, type. The slugs are those of
/// [`person::STANDARD_SLUGS`] (`emails` being an alias of `email`).
const STANDARD_ATTRIBUTES: &[(&str, &str, &str)] = &[
    ("email", "Email", "text"),
    ("first_name", "First name", "text"),
    ("last_name", "Last name", "text"),
    ("salutation", "Salutation", "text"),
    ("job_title", "Job title", "text"),
    ("description", "Description", "text"),
    ("phone_number", "Phone number", "phone_number"),
    ("primary_location", "Primary location", "text"),
    ("avatar_url", "Avatar URL", "text"),
];

/// `customer_tier` → `Customer tier`.
fn label_for(slug: &str) -> String {
    let spaced = slug.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_attribute_specs_parse() {
        let tier = CustomAttribute::parse("customer_tier:select").unwrap();
        assert_eq!(tier.slug, "customer_tier");
        assert_eq!(tier.kind, AttributeType::Select);
        assert!(CustomAttribute::parse("tier").is_err());
        assert!(CustomAttribute::parse("tier:colour").is_err());
        assert!(CustomAttribute::parse("Tier:text").is_err());
        assert!(CustomAttribute::parse("job_title:text").is_err());
    }

    #[test]
    fn a_slug_declared_twice_must_keep_its_type() {
        let mut attributes = CustomAttributes::default();
        attributes
            .declare(CustomAttribute::parse("a:text").unwrap())
            .unwrap();
        attributes
            .declare(CustomAttribute::parse("a:text").unwrap())
            .unwrap();
        assert!(
            attributes
                .declare(CustomAttribute::parse("a:number").unwrap())
                .is_err()
        );
        assert_eq!(attributes.iter().count(), 1);
    }

    #[test]
    fn every_standard_slug_is_in_the_schema() {
        let schema = CustomAttributes::default().schema();
        for (slug, _) in person::STANDARD_SLUGS {
            let key = if *slug == "emails" { "email" } else { slug };
            assert!(schema.attributes.iter().any(|a| a.key == key), "{slug}");
        }
    }
}
