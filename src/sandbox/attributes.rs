//! The people object's attributes: the standard ones and the workspace's custom
//! attributes with their declared types and options. Values are checked by the
//! rule the plan uses, [`Attribute::check_value`], so a write is refused exactly
//! when a plan would have said so.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::SandboxError;
pub use crate::api::attribute::AttributeType;
use crate::api::model::{Attribute, ObjectSchema};
use crate::api::object::AttributeOption;
use crate::person;

/// A custom attribute of the people object: a slug, its type and, for
/// select, multiselect and status, its option values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomAttribute {
    /// The snake_case slug, the key in `customAttributes`.
    pub slug: String,
    pub kind: AttributeType,
    /// The option values, in declaration order.
    pub options: Vec<String>,
}

impl CustomAttribute {
    /// Checks a slug and pairs it with a type, without options.
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
            options: Vec::new(),
        })
    }

    /// Reads a type with its options, `TYPE` or `TYPE=A|B|C` (the part after
    /// the colon of `--custom-attribute`, and a seed's `customAttributes` value).
    pub fn with_type(slug: &str, type_spec: &str) -> Result<CustomAttribute, String> {
        let (kind, options) = match type_spec.split_once('=') {
            Some((kind, options)) => (kind, Some(options)),
            None => (type_spec, None),
        };
        let mut attribute = CustomAttribute::new(slug, kind.trim().parse()?)?;
        if let Some(options) = options {
            if !attribute.kind.has_options() {
                return Err(format!(
                    "a {} attribute has no options; only select, multiselect and status do",
                    attribute.kind
                ));
            }
            for option in options.split('|').map(str::trim) {
                if option.is_empty() {
                    return Err("an option value may not be empty".into());
                }
                if attribute.options.iter().any(|o| o == option) {
                    return Err(format!("the option `{option}` is listed twice"));
                }
                attribute.options.push(option.to_string());
            }
        }
        Ok(attribute)
    }

    /// Parses `SLUG:TYPE` or `SLUG:TYPE=A|B`, the form of `--custom-attribute`.
    pub fn parse(spec: &str) -> Result<CustomAttribute, SandboxError> {
        let bad = |reason: String| SandboxError::BadCustomAttribute {
            spec: spec.to_string(),
            reason,
        };
        let (slug, kind) = spec
            .split_once(':')
            .ok_or_else(|| bad("expected SLUG:TYPE or SLUG:TYPE=OPTION|OPTION".into()))?;
        CustomAttribute::with_type(slug, kind).map_err(bad)
    }

    /// The type with its options, as [`with_type`](Self::with_type) reads it
    /// (how the state file keeps it).
    pub fn type_spec(&self) -> String {
        if self.options.is_empty() {
            self.kind.to_string()
        } else {
            format!("{}={}", self.kind, self.options.join("|"))
        }
    }

    /// The attribute as `GET /crm/objects/people` lists it.
    fn to_api(&self) -> Attribute {
        Attribute {
            key: self.slug.clone(),
            label: label_for(&self.slug),
            kind: self.kind.to_string(),
            is_standard: false,
            is_unique: false,
            is_required: false,
            is_archived: false,
            options: self
                .options
                .iter()
                .enumerate()
                .map(|(i, value)| AttributeOption {
                    id: option_id(&self.slug, value),
                    value: value.clone(),
                    color: Some(OPTION_COLORS[i % OPTION_COLORS.len()].to_string()),
                })
                .collect(),
        }
    }
}

/// Colours the sandbox gives options, in turn. [assumed: Zeeg documents
/// `color` on options but not its values]
const OPTION_COLORS: &[&str] = &["blue", "green", "yellow", "orange", "red", "purple", "gray"];

/// A stable id for an option: the same declaration lists the same ids in
/// every run, so snapshots and saved states agree.
fn option_id(slug: &str, value: &str) -> String {
    let digest = Sha256::digest(format!("{slug}\0{value}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The custom attributes declared for a sandbox, in declaration order.
#[derive(Debug, Clone, Default)]
pub(crate) struct CustomAttributes {
    declared: Vec<CustomAttribute>,
}

impl CustomAttributes {
    /// Adds a declaration; the same slug twice is fine with the same type
    /// and options.
    pub(crate) fn declare(&mut self, attribute: CustomAttribute) -> Result<(), SandboxError> {
        match self.declared.iter().find(|a| a.slug == attribute.slug) {
            Some(known) if *known == attribute => Ok(()),
            Some(known) => Err(SandboxError::AttributeConflict {
                slug: attribute.slug.clone(),
                first: known.type_spec(),
                second: attribute.type_spec(),
            }),
            None => {
                self.declared.push(attribute);
                Ok(())
            }
        }
    }

    pub(crate) fn get(&self, slug: &str) -> Option<&CustomAttribute> {
        self.declared.iter().find(|a| a.slug == slug)
    }

    /// Checks a write of `value` to the custom attribute `slug` with the
    /// plan's rule; `Err` holds the 422 message.
    pub(crate) fn check_value(&self, slug: &str, value: &Value) -> Result<(), String> {
        let attribute = self
            .get(slug)
            .ok_or_else(|| "is not a custom attribute of the people object".to_string())?;
        attribute
            .to_api()
            .check_value(value)
            .map_err(|refusal| refusal.to_string())
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
                options: Vec::new(),
            });
        let custom = self.declared.iter().map(CustomAttribute::to_api);
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
    use serde_json::json;

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
        let tier = CustomAttribute::parse("tier:select=gold|silver").unwrap();
        assert_eq!(tier.options, vec!["gold", "silver"]);
        assert_eq!(tier.type_spec(), "select=gold|silver");
        assert!(CustomAttribute::parse("tier:text=gold").is_err());
        assert!(CustomAttribute::parse("tier:select=gold||silver").is_err());
        assert!(CustomAttribute::parse("tier:select=gold|gold").is_err());
    }

    #[test]
    fn options_are_listed_with_stable_ids_and_values_checked_against_them() {
        let mut attributes = CustomAttributes::default();
        attributes
            .declare(CustomAttribute::parse("tier:select=gold|silver").unwrap())
            .unwrap();
        let schema = attributes.schema();
        let tier = schema.attributes.iter().find(|a| a.key == "tier").unwrap();
        let options = &tier.options;
        assert_eq!(options[0].value, "gold");
        assert_eq!(options[1].color.as_deref(), Some("green"));
        assert_eq!(
            options[0].id,
            attributes.schema().attributes.last().unwrap().options[0].id
        );
        assert!(attributes.check_value("tier", &json!("gold")).is_ok());
        assert!(attributes.check_value("tier", &json!("bronze")).is_err());
        assert!(attributes.check_value("nope", &json!("x")).is_err());
        assert!(
            attributes
                .declare(CustomAttribute::parse("tier:select=gold").unwrap())
                .is_err(),
            "other options are another declaration"
        );
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
