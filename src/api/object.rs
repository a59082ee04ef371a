//! The objects whose attributes zeeg manages (people, companies) and the
//! wire shapes of creating and changing an attribute
//! (`POST /crm/objects/{slug}/attributes`, `PATCH …/attributes/{key}`).
//! The server's rule for deriving a new attribute's key is here too, since
//! the sandbox follows it and a plan predicts it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::assumed;
use super::attribute::AttributeType;

/// An object whose attributes zeeg reads and declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectSlug {
    People,
    Companies,
}

impl ObjectSlug {
    /// Both objects, people first.
    pub const ALL: [ObjectSlug; 2] = [ObjectSlug::People, ObjectSlug::Companies];

    /// The slug in the API's paths: `people`, `companies`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectSlug::People => "people",
            ObjectSlug::Companies => "companies",
        }
    }

    /// The object named `slug`, if zeeg manages it.
    pub fn parse(slug: &str) -> Option<ObjectSlug> {
        ObjectSlug::ALL.into_iter().find(|o| o.as_str() == slug)
    }
}

impl fmt::Display for ObjectSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One option of a `select`, `multiselect` or `status` attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeOption {
    pub id: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// Reads `options`: `null` as none, each item as `{id, value, color}` or as
/// a plain string (see [`assumed::PLAIN_STRING_OPTIONS`]).
pub(crate) fn tolerant_options<'de, D>(deserializer: D) -> Result<Vec<AttributeOption>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Item {
        Plain(String),
        Full {
            #[serde(default)]
            id: Option<String>,
            value: String,
            #[serde(default)]
            color: Option<String>,
        },
        Other(serde::de::IgnoredAny),
    }
    let items: Vec<Item> = assumed::null_as_empty(deserializer)?;
    Ok(items
        .into_iter()
        .filter_map(|item| match item {
            Item::Plain(value) => Some(AttributeOption {
                id: value.clone(),
                value,
                color: None,
            }),
            Item::Full { id, value, color } => Some(AttributeOption {
                id: id.unwrap_or_else(|| value.clone()),
                value,
                color,
            }),
            Item::Other(_) => None,
        })
        .collect())
}

/// The body of `POST /crm/objects/{slug}/attributes`. The key is not sent:
/// the server derives it from the label ([`derive_key_among`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewAttribute {
    pub label: String,
    #[serde(rename = "type", with = "type_name")]
    pub kind: AttributeType,
    pub is_required: bool,
    pub is_archived: bool,
    /// Only for `text`, `number` and `phone_number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_unique: Option<bool>,
    /// Required for the option types, absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<NewOption>,
    /// `email`, `url`: only for `text`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation: Vec<String>,
}

/// An option of an attribute being created: the server assigns its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOption {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// The body of `PATCH /crm/objects/{slug}/attributes/{key}`: only the fields
/// that change. `options`, when sent, replaces the whole list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributePatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_archived: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<OptionPatch>>,
}

impl AttributePatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == AttributePatch::default()
    }
}

/// An option in a patch's whole list: with the live `id` it is kept (its
/// value and colour may change), without one it is added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// An attribute type as the API names it, for serde.
mod type_name {
    use super::*;

    pub fn serialize<S: Serializer>(kind: &AttributeType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(kind.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<AttributeType, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// The key the server gives an attribute created with `label`, when that key
/// is free. The rule is [`assumed::derive_key`]'s.
pub fn derive_key(label: &str) -> String {
    assumed::derive_key(label)
}

/// The key the server gives an attribute created with `label` when the keys
/// for which `taken` is true are in use: the derived key, or the first free
/// of `key_2`, `key_3`… [doc]
pub fn derive_key_among(label: &str, taken: impl Fn(&str) -> bool) -> String {
    let base = derive_key(label);
    if !taken(&base) {
        return base;
    }
    (2u64..)
        .map(|n| format!("{base}_{n}"))
        .find(|key| !taken(key))
        .unwrap_or(base)
}

/// Whether `key` is what the server could have given an attribute labelled
/// `label`: the derived key or one of its `_N` forms (N ≥ 2).
pub fn is_derived_key_of(key: &str, label: &str) -> bool {
    let base = derive_key(label);
    match key.strip_prefix(base.as_str()) {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix('_')
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| n >= 2),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_are_derived_in_snake_case() {
        let cases = [
            ("Product Name", "product_name"),
            ("Tier", "tier"),
            ("  Customer   tier ", "customer_tier"),
            ("Lead-Source (2024)", "lead_source_2024"),
            ("Café Größe", "cafe_grosse"),
            ("Ærø Łódź", "aero_lodz"),
            ("NPS score", "nps_score"),
            ("ProductName", "productname"),
            ("2024 Budget", "attr_2024_budget"),
            ("Budget 2024", "budget_2024"),
            ("🚀 Launch", "launch"),
            ("🚀", "attribute"),
            ("___", "attribute"),
            ("snake_case_already", "snake_case_already"),
        ];
        for (label, key) in cases {
            assert_eq!(derive_key(label), key, "{label:?}");
        }
    }

    #[test]
    fn a_taken_key_gets_the_first_free_number() {
        let taken = ["tier", "tier_2", "tier_4"];
        assert_eq!(derive_key_among("Tier", |k| taken.contains(&k)), "tier_3");
        assert_eq!(derive_key_among("Size", |k| taken.contains(&k)), "size");
        assert!(is_derived_key_of("tier_3", "Tier"));
        assert!(is_derived_key_of("tier", "Tier"));
        assert!(!is_derived_key_of("tier_1", "Tier"));
        assert!(!is_derived_key_of("tiers", "Tier"));
        assert!(!is_derived_key_of("tier_x", "Tier"));
    }

    #[test]
    fn bodies_serialize_as_the_api_documents() {
        let new = NewAttribute {
            label: "Tier".into(),
            kind: AttributeType::Select,
            is_required: false,
            is_archived: false,
            is_unique: None,
            options: vec![NewOption {
                value: "gold".into(),
                color: Some("yellow".into()),
            }],
            validation: Vec::new(),
        };
        assert_eq!(
            serde_json::to_value(&new).unwrap(),
            json!({"label": "Tier", "type": "select", "isRequired": false,
                   "isArchived": false, "options": [{"value": "gold", "color": "yellow"}]})
        );
        let patch = AttributePatch {
            is_archived: Some(true),
            options: Some(vec![OptionPatch {
                id: Some("o1".into()),
                value: "gold".into(),
                color: None,
            }]),
            ..AttributePatch::default()
        };
        assert_eq!(
            serde_json::to_value(&patch).unwrap(),
            json!({"isArchived": true, "options": [{"id": "o1", "value": "gold"}]})
        );
        assert!(AttributePatch::default().is_empty());
        let back: NewAttribute =
            serde_json::from_value(serde_json::to_value(&new).unwrap()).unwrap();
        assert_eq!(back, new);
    }

    #[test]
    fn slugs_read_and_print() {
        assert_eq!(ObjectSlug::parse("companies"), Some(ObjectSlug::Companies));
        assert_eq!(ObjectSlug::parse("deals"), None);
        assert_eq!(
            serde_json::to_value(ObjectSlug::People).unwrap(),
            json!("people")
        );
    }
}
