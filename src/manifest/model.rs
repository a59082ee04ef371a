//! The typed model of a people file and of `zeeg.yaml`. These types are the
//! single source of truth: the JSON Schemas in `schema/` are generated from
//! them, doc comments included (editors show them as help).
//!
//! Nullable fields are `Option<Option<T>>`: `None` is an absent key (the field
//! is unmanaged), `Some(None)` an explicit `null` (zeeg clears the field).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::attributes::AttributeDeclarations;

/// A people file: the people zeeg keeps in the CRM, the companies they
/// belong to, defaults for the people, and custom attributes. It holds
/// `people`, `companies`, `attributes`, or several of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "zeeg people file")]
pub struct PeopleFile {
    /// Values merged under every entry of this file (an entry's own value wins;
    /// `socials` and `customAttributes` merge key by key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "DeclaredPerson")]
    pub defaults: Option<DeclaredPerson>,
    /// The companies zeeg keeps in the CRM, by domain. People reference
    /// them with `company: DOMAIN`; a company that exists in the CRM need
    /// not be declared to be referenced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<DeclaredCompany>", length(min = 1))]
    pub companies: Option<Vec<DeclaredCompany>>,
    /// The people of this file, one entry each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<DeclaredPerson>", length(min = 1))]
    pub people: Option<Vec<DeclaredPerson>>,
    /// Custom attributes zeeg manages, per object (in this file or any
    /// other, `zeeg.yaml` included; each object and key once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "AttributeDeclarations")]
    pub attributes: Option<AttributeDeclarations>,
}

/// A company as zeeg should keep it in the CRM, asserted by its domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Company")]
pub struct DeclaredCompany {
    /// The company's domain, its identity (compared ignoring case): a host
    /// name such as `acme.com`, not a URL.
    #[schemars(example = &"acme.com")]
    pub domain: String,
    /// The company's name. Needed to create the company; when given, zeeg
    /// keeps the CRM's name equal to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), example = &"Acme Corp")]
    pub name: Option<String>,
}

/// One person as zeeg should keep it in the CRM. A key that is absent is left
/// alone; a key set to `null` is cleared. Every person needs `firstName` or
/// `lastName` (the CRM cannot create a person without one) and a value for
/// its matching attribute.
// Each `Option<Option<_>>` keeps an explicit `null` (clear it) apart from an
// absent key (leave it alone), and writes neither when absent.
#[serde_with::apply(
    Option<Option<_>> => #[serde(
        default,
        deserialize_with = "serde_with::rust::double_option::deserialize",
        skip_serializing_if = "Option::is_none"
    )],
)]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
// Named for the file's reader (editors show the title), not for the code,
// where `api::Person` is the live one.
#[schemars(rename = "Person")]
pub struct DeclaredPerson {
    /// The attribute slug this entry is matched on in the CRM: `email` (the
    /// first email), a standard attribute such as `phone_number`, or the slug
    /// of a custom attribute. Default: `defaults`, then `zeeg.yaml`, then `email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", regex(pattern = r"^[a-z][a-z0-9_]*$"))]
    #[schemars(example = &"email", example = &"phone_number", example = &"employee_id")]
    pub matching_attribute: Option<String>,

    /// Given name.
    #[schemars(example = &"Jane")]
    pub first_name: Option<Option<String>>,

    /// Family name.
    #[schemars(example = &"Doe")]
    pub last_name: Option<Option<String>>,

    /// How to address the person.
    #[schemars(example = &"Dr")]
    pub salutation: Option<Option<String>>,

    /// Email addresses; the first is the primary one, the rest are secondary.
    /// Matching by `email` uses the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "emails_schema")]
    #[schemars(example = ["jane.doe@acme.com", "jane@acme.io"])]
    pub emails: Option<Vec<String>>,

    /// Job title.
    #[schemars(example = &"Head of Product")]
    pub job_title: Option<Option<String>>,

    /// Free text about the person; may span several lines (use `|`).
    pub description: Option<Option<String>>,

    /// Phone number, international format. Quote it: an unquoted `+4930…`
    /// is a number in YAML.
    #[schemars(example = &"+4930123456789")]
    pub phone_number: Option<Option<String>>,

    /// Where the person mostly works.
    #[schemars(example = &"Berlin, Germany")]
    pub primary_location: Option<Option<String>>,

    /// URL of a picture of the person.
    #[schemars(url, example = &"https://acme.com/team/jane.png")]
    pub avatar_url: Option<Option<String>>,

    /// The domain of the company the person belongs to (declared under
    /// `companies`, or existing in the CRM); `null` unlinks. Use this or
    /// `companyId`, not both.
    #[schemars(example = &"acme.com")]
    pub company: Option<Option<String>>,

    /// The id (a UUID) of the company the person belongs to; `null` unlinks.
    /// Prefer `company: DOMAIN`, which a reviewer can read.
    #[schemars(extend("format" = "uuid"))]
    #[schemars(example = &"3c90c3cc-0d44-4b50-8888-8dd25736052a")]
    pub company_id: Option<Option<String>>,

    /// Social profiles, managed network by network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "DeclaredSocials")]
    pub socials: Option<DeclaredSocials>,

    /// Values of the workspace's custom attributes, by snake_case slug,
    /// managed key by key. A value is a string, number, boolean, null (clear)
    /// or a list of those.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "BTreeMap<String, CustomValue>")]
    #[schemars(extend("propertyNames" = { "pattern": "^[a-z][a-z0-9_]*$" }))]
    pub custom_attributes: Option<BTreeMap<String, CustomValue>>,
}

/// Social profiles by network; each a URL, or `null` to clear it.
// Declared: the live person's are `api::Socials`.
#[serde_with::apply(
    Option<Option<_>> => #[serde(
        default,
        deserialize_with = "serde_with::rust::double_option::deserialize",
        skip_serializing_if = "Option::is_none"
    )],
)]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
// The schema's name for it, as published.
#[schemars(rename = "Socials")]
pub struct DeclaredSocials {
    /// LinkedIn profile URL.
    #[schemars(url, example = &"https://linkedin.com/in/janedoe")]
    pub linkedin: Option<Option<String>>,
    /// Twitter / X profile URL.
    #[schemars(url, example = &"https://twitter.com/janedoe")]
    pub twitter: Option<Option<String>>,
    /// Facebook profile URL.
    #[schemars(url, example = &"https://facebook.com/janedoe")]
    pub facebook: Option<Option<String>>,
    /// Instagram profile URL.
    #[schemars(url, example = &"https://instagram.com/janedoe")]
    pub instagram: Option<Option<String>>,
}

/// The value of a custom attribute: a scalar, `null` (clear), or a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CustomValue {
    /// One value.
    Scalar(CustomScalar),
    /// Several values (multi-select attributes).
    List(Vec<CustomScalar>),
}

/// A single custom attribute value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CustomScalar {
    /// `null`: no value.
    Null(()),
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
    /// Text.
    Text(String),
}

/// `zeeg.yaml`: project settings, at the root of the project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "zeeg project settings (zeeg.yaml)")]
pub struct Config {
    /// Base URL of the Zeeg API: https://api.zeeg.me/v2 or this machine (a
    /// sandbox) only, since the API token is sent there. Any other host must
    /// be named by `--api-url` or `ZEEG_API_URL`, which win over this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", url, example = &"https://api.zeeg.me/v2")]
    pub api_url: Option<String>,
    /// Values merged under every entry of every people file, after the
    /// file's own `defaults`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "DeclaredPerson")]
    pub defaults: Option<DeclaredPerson>,
    /// Globs (relative to this file's folder) of the people files to read;
    /// when given, other YAML files are skipped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["people/**/*.yaml"])]
    pub include: Vec<String>,
    /// Globs (relative to this file's folder) of YAML files that are not
    /// people files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = [".github/**", "docker-compose.yaml"])]
    pub exclude: Vec<String>,
    /// Settings of `zeeg apply`.
    #[serde(default)]
    pub apply: ApplyConfig,
    /// Custom attributes zeeg manages, per object (here or in any people
    /// file; each object and key once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "AttributeDeclarations")]
    pub attributes: Option<AttributeDeclarations>,
}

/// Settings of `zeeg apply`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApplyConfig {
    /// Requests in flight at once; `--parallelism` wins over it.
    #[serde(default = "default_parallelism")]
    #[schemars(range(min = 1, max = 256))]
    pub parallelism: u16,
    /// Safety limit: apply refuses (unless `--force`) when it would update more
    /// than this share of the managed entries, with at least 10 updates.
    #[serde(default = "default_max_update_percent")]
    #[schemars(range(min = 0, max = 100))]
    pub max_update_percent: u8,
}

impl Default for ApplyConfig {
    fn default() -> Self {
        ApplyConfig {
            parallelism: default_parallelism(),
            max_update_percent: default_max_update_percent(),
        }
    }
}

fn default_parallelism() -> u16 {
    4
}

fn default_max_update_percent() -> u8 {
    30
}

/// The JSON Schema of a people file (draft 2020-12).
pub fn people_schema() -> serde_json::Value {
    schema_of::<PeopleFile>()
}

/// The JSON Schema of `zeeg.yaml` (draft 2020-12).
pub fn config_schema() -> serde_json::Value {
    schema_of::<Config>()
}

fn schema_of<T: JsonSchema>() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    generator.into_root_schema_for::<T>().to_value()
}

/// `emails`: a list of addresses, internationalised ones (`ann@bücher.de`)
/// included, since the CRM holds them.
fn emails_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "items": { "type": "string", "format": "idn-email" }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys of a `$defs` entry of the people file's schema.
    fn properties_of(definition: &str) -> Vec<String> {
        let schema = people_schema();
        let properties = &schema["$defs"][definition]["properties"];
        let mut keys: Vec<String> = properties
            .as_object()
            .unwrap_or_else(|| panic!("{definition} has properties"))
            .keys()
            .cloned()
            .collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn a_declared_person_has_the_fields_of_the_person_table() {
        let mut expected: Vec<String> = crate::person::WRITABLE_FIELDS
            .iter()
            .chain(&["matchingAttribute", crate::company::LINK_FIELD])
            .map(|field| field.to_string())
            .collect();
        expected.sort_unstable();
        assert_eq!(properties_of("Person"), expected);

        let mut networks: Vec<String> = crate::person::SOCIAL_NETWORKS
            .iter()
            .map(|network| network.to_string())
            .collect();
        networks.sort_unstable();
        assert_eq!(properties_of("Socials"), networks);
    }

    #[test]
    fn null_and_absent_are_different() {
        let person: DeclaredPerson =
            serde_json::from_value(serde_json::json!({"firstName": "Max", "jobTitle": null}))
                .unwrap();
        assert_eq!(person.first_name, Some(Some("Max".into())));
        assert_eq!(person.job_title, Some(None));
        assert_eq!(person.last_name, None);
        let back = serde_json::to_value(&person).unwrap();
        assert_eq!(
            back,
            serde_json::json!({"firstName": "Max", "jobTitle": null})
        );
    }
}
