//! The people object's attributes: the standard ones and the workspace's custom
//! attributes with their declared types and options. Values are checked by the
//! rule the plan uses, [`Attribute::check_value`], so a write is refused exactly
//! when a plan would have said so.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::SandboxError;
pub use crate::api::attribute::AttributeType;
use crate::api::model::{Attribute, ObjectSchema};
use crate::api::object::{AttributeOption, ObjectSlug};
use crate::person;

/// A custom attribute of the people or companies object: a slug, its type,
/// label and flags and, for select, multiselect and status, its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomAttribute {
    /// The snake_case slug, the key in `customAttributes`.
    pub slug: String,
    pub kind: AttributeType,
    pub label: String,
    /// The options, in declaration order.
    pub options: Vec<AttributeOption>,
    pub is_required: bool,
    pub is_archived: bool,
    pub is_unique: bool,
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
            label: label_for(slug),
            options: Vec::new(),
            is_required: false,
            is_archived: false,
            is_unique: false,
        })
    }

    /// The option values, in order.
    pub fn option_values(&self) -> Vec<&str> {
        self.options.iter().map(|o| o.value.as_str()).collect()
    }

    /// Adds an option with a stable id and, unless given, the next colour.
    pub(crate) fn push_option(&mut self, value: &str, color: Option<String>) -> Result<(), String> {
        if value.trim().is_empty() {
            return Err("an option value may not be empty".into());
        }
        if self.options.iter().any(|o| o.value == value) {
            return Err(format!("the option `{value}` is listed twice"));
        }
        let color = color.unwrap_or_else(|| next_color(self.options.len()));
        self.options.push(AttributeOption {
            id: option_id(&self.slug, value),
            value: value.to_string(),
            color: Some(color),
        });
        Ok(())
    }

    /// The attribute as the state file keeps it and `GET /crm/objects/…`
    /// lists it, read back; `Err` says what is wrong with it.
    pub(crate) fn from_api(attribute: &Attribute) -> Result<CustomAttribute, String> {
        let kind = attribute.kind.parse()?;
        let mut custom = CustomAttribute::new(&attribute.key, kind)?;
        custom.label = attribute.label.clone();
        custom.options = attribute.options.clone();
        custom.is_required = attribute.is_required;
        custom.is_archived = attribute.is_archived;
        custom.is_unique = attribute.is_unique;
        Ok(custom)
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
                attribute.push_option(option, None)?;
            }
        }
        Ok(attribute)
    }

    /// Reads a seed's declaration: `TYPE`, `TYPE=A|B`, or a mapping with
    /// `type` and optionally `label`, `options` (each a value or
    /// `{value, color}`), `required`, `archived` and `unique`.
    pub(crate) fn from_seed(slug: &str, spec: &Value) -> Result<CustomAttribute, String> {
        let fields = match spec {
            Value::String(type_spec) => return CustomAttribute::with_type(slug, type_spec),
            Value::Object(fields) => fields,
            _ => return Err(SEED_FORMS.into()),
        };
        if let Some(key) = fields.keys().find(|k| !SEED_KEYS.contains(&k.as_str())) {
            return Err(format!(
                "unknown key `{key}`; an attribute has {}",
                SEED_KEYS.join(", ")
            ));
        }
        let kind = fields
            .get("type")
            .and_then(Value::as_str)
            .ok_or("needs a `type`, e.g. `type: select`")?;
        let mut attribute = CustomAttribute::new(slug, kind.parse()?)?;
        if let Some(label) = fields.get("label") {
            attribute.label = label
                .as_str()
                .filter(|l| !l.trim().is_empty())
                .ok_or("`label` must be a non-empty string")?
                .to_string();
        }
        let flag = |key: &str| match fields.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(format!("`{key}` must be true or false")),
        };
        attribute.is_required = flag("required")?;
        attribute.is_archived = flag("archived")?;
        attribute.is_unique = flag("unique")?;
        let options = match fields.get("options") {
            None | Some(Value::Null) => &Vec::new(),
            Some(Value::Array(options)) => options,
            Some(_) => return Err("`options` must be a list".into()),
        };
        if !options.is_empty() && !attribute.kind.has_options() {
            return Err(format!(
                "a {} attribute has no options; only select, multiselect and status do",
                attribute.kind
            ));
        }
        for option in options {
            let (value, color) = match option {
                Value::String(value) => (value.as_str(), None),
                Value::Object(o) => (
                    o.get("value").and_then(Value::as_str).unwrap_or_default(),
                    o.get("color").and_then(Value::as_str).map(str::to_owned),
                ),
                _ => return Err("an option is a value or `{value, color}`".into()),
            };
            attribute.push_option(value, color)?;
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
            format!("{}={}", self.kind, self.option_values().join("|"))
        }
    }

    /// The attribute as `GET /crm/objects/{slug}` lists it.
    pub(crate) fn to_api(&self) -> Attribute {
        Attribute {
            key: self.slug.clone(),
            label: self.label.clone(),
            kind: self.kind.to_string(),
            is_standard: false,
            is_unique: self.is_unique,
            is_required: self.is_required,
            is_archived: self.is_archived,
            options: self.options.clone(),
        }
    }
}

/// The colour the sandbox gives the option at `index` when none is sent.
pub(crate) fn next_color(index: usize) -> String {
    OPTION_COLORS[index % OPTION_COLORS.len()].to_string()
}

/// The keys of a seed's attribute mapping.
const SEED_KEYS: &[&str] = &["type", "label", "options", "required", "archived", "unique"];

const SEED_FORMS: &str = "must be an attribute type such as `text`, `select=gold|silver`, or a mapping with `type` and optionally `label`, `options`, `required`, `archived`, `unique`";

/// Colours the sandbox gives options, in turn. [assumed: Zeeg documents
/// `color` on options but not its values]
const OPTION_COLORS: &[&str] = &["blue", "green", "yellow", "orange", "red", "purple", "gray"];

/// A stable id for an option: the same declaration lists the same ids in
/// every run, so snapshots and saved states agree.
pub(crate) fn option_id(slug: &str, value: &str) -> String {
    let digest = Sha256::digest(format!("{slug}\0{value}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The custom attributes of one object, in declaration order.
#[derive(Debug, Clone)]
pub(crate) struct CustomAttributes {
    object: ObjectSlug,
    declared: Vec<CustomAttribute>,
}

/// The people object's, with nothing declared.
impl Default for CustomAttributes {
    fn default() -> CustomAttributes {
        CustomAttributes::of(ObjectSlug::People)
    }
}

/// The custom attributes of both objects.
#[derive(Debug, Clone)]
pub(crate) struct Objects {
    pub people: CustomAttributes,
    pub companies: CustomAttributes,
}

impl Default for Objects {
    fn default() -> Objects {
        Objects {
            people: CustomAttributes::of(ObjectSlug::People),
            companies: CustomAttributes::of(ObjectSlug::Companies),
        }
    }
}

impl Objects {
    pub(crate) fn of(&self, object: ObjectSlug) -> &CustomAttributes {
        match object {
            ObjectSlug::People => &self.people,
            ObjectSlug::Companies => &self.companies,
        }
    }

    pub(crate) fn of_mut(&mut self, object: ObjectSlug) -> &mut CustomAttributes {
        match object {
            ObjectSlug::People => &mut self.people,
            ObjectSlug::Companies => &mut self.companies,
        }
    }
}

impl CustomAttributes {
    /// No custom attributes of `object` yet.
    pub(crate) fn of(object: ObjectSlug) -> CustomAttributes {
        CustomAttributes {
            object,
            declared: Vec::new(),
        }
    }

    /// Whether `key` names an attribute of the object, standard or custom:
    /// a new attribute's derived key must not be one of these.
    pub(crate) fn is_taken(&self, key: &str) -> bool {
        self.get(key).is_some() || standard_of(self.object).iter().any(|(k, _, _)| *k == key)
    }

    /// Whether `key` is one of the object's standard attributes.
    pub(crate) fn is_standard(&self, key: &str) -> bool {
        standard_of(self.object).iter().any(|(k, _, _)| *k == key)
    }

    pub(crate) fn get_mut(&mut self, slug: &str) -> Option<&mut CustomAttribute> {
        self.declared.iter_mut().find(|a| a.slug == slug)
    }

    /// Adds an attribute the API created (its key free).
    pub(crate) fn push(&mut self, attribute: CustomAttribute) {
        self.declared.push(attribute);
    }

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
            .ok_or_else(|| format!("is not a custom attribute of the {} object", self.object))?;
        attribute
            .to_api()
            .check_value(value)
            .map_err(|refusal| refusal.to_string())
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &CustomAttribute> {
        self.declared.iter()
    }

    /// The object as `GET /crm/objects/{slug}` describes it.
    pub(crate) fn schema(&self) -> ObjectSchema {
        let standard = standard_of(self.object)
            .iter()
            .map(|(key, label, kind)| Attribute {
                key: key.to_string(),
                label: label.to_string(),
                kind: kind.to_string(),
                is_standard: true,
                is_unique: *key == "email" || *key == "domain",
                is_required: false,
                is_archived: false,
                options: Vec::new(),
            });
        let custom = self.declared.iter().map(CustomAttribute::to_api);
        ObjectSchema {
            slug: self.object.as_str().to_string(),
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

/// The companies object's standard attributes. [assumed: the fields the
/// company resource documents]
const COMPANY_STANDARD_ATTRIBUTES: &[(&str, &str, &str)] =
    &[("name", "Name", "text"), ("domain", "Domain", "text")];

fn standard_of(object: ObjectSlug) -> &'static [(&'static str, &'static str, &'static str)] {
    match object {
        ObjectSlug::People => STANDARD_ATTRIBUTES,
        ObjectSlug::Companies => COMPANY_STANDARD_ATTRIBUTES,
    }
}

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
        assert_eq!(tier.option_values(), vec!["gold", "silver"]);
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
    fn the_standard_attributes_are_the_standard_slugs() {
        let schema = CustomAttributes::default().schema();
        for (slug, _) in person::STANDARD_SLUGS {
            let key = if *slug == "emails" { "email" } else { slug };
            assert!(schema.attributes.iter().any(|a| a.key == key), "{slug}");
        }
        for attribute in &schema.attributes {
            assert!(
                person::is_standard_slug(&attribute.key),
                "{} is a slug of the person's field table",
                attribute.key
            );
        }
    }
}
