//! Declared custom attributes (`attributes:` in `zeeg.yaml` or a people file):
//! the typed model and the offline rules about one declaration.
//!
//! Rules users can rely on:
//! - `required`, `unique` and `archived` default to false; `unique` is allowed
//!   for `text`, `number` and `phone_number` only, as the API takes it for no
//!   other type.
//! - Options are for `select`, `multiselect` and `status` only, and must be
//!   unique ignoring case: the CRM shows them side by side, and two options a
//!   person cannot tell apart are a mistake, not a choice.
//! - A key is snake_case (lowercase letters, digits, `_`, starting with a
//!   letter). A key that differs from the label's snake_case is only a hint
//!   offline: it is right for a relabelled or imported attribute, and `plan`,
//!   which knows the live attributes, refuses it for one it would create.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::entry::SourceLocation;
use crate::api::Attribute;
use crate::api::attribute::AttributeType;
use crate::api::object::{
    AttributeOption, NewAttribute, NewOption, ObjectSlug, derive_key, is_derived_key_of,
};

/// Whether a declaration may name `kind`. `relation`, `user` and
/// `currency` need settings zeeg does not manage (the related object, the
/// currency), so they are left to the CRM.
pub fn is_declarable(kind: AttributeType) -> bool {
    !matches!(
        kind,
        AttributeType::Relation | AttributeType::User | AttributeType::Currency
    )
}

/// The names of the types a declaration may name, in the API's order.
pub fn declarable_type_names() -> Vec<&'static str> {
    AttributeType::ALL
        .into_iter()
        .filter(|kind| is_declarable(*kind))
        .map(AttributeType::as_str)
        .collect()
}

/// What to do about a type a declaration may not name.
pub fn type_help(kind: &str) -> String {
    let names = declarable_type_names();
    let known = kind.parse::<AttributeType>().ok();
    match known {
        Some(kind) => format!(
            "zeeg does not manage `{kind}` attributes (they need settings it does not keep): \
             create it in the CRM and leave it undeclared; a declaration's type is one of {}",
            names.join(", ")
        ),
        None => format!("the type is one of {}", names.join(", ")),
    }
}

/// One declaration as loaded: the object it is of and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredAttribute {
    /// `people` or `companies`.
    pub object: ObjectSlug,
    /// The declaration as written.
    pub declaration: AttributeDeclaration,
    /// Where its list item starts.
    pub source: SourceLocation,
}

impl DeclaredAttribute {
    /// What offline `validate` notes about the declaration without failing:
    /// a key other than the one the server would derive from the label.
    pub fn hint(&self) -> Option<String> {
        self.declaration.problems().into_iter().find_map(|problem| {
            let DeclarationProblem::KeyDiffersFromLabel { derived } = problem else {
                return None;
            };
            Some(format!(
                "{}: the {} attribute key `{}` is not the one the server derives from its \
                 label (`{derived}`): right for a relabelled or imported attribute; `plan` \
                 refuses it for an attribute it would create",
                self.source, self.object, self.declaration.key
            ))
        })
    }
}

/// Custom attributes zeeg manages, per object. Live attributes not declared
/// are left alone; an attribute is never deleted (archive it instead).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Attributes")]
pub struct AttributeDeclarations {
    /// Attributes of people.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<AttributeDeclaration>,
    /// Attributes of companies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companies: Vec<AttributeDeclaration>,
}

/// One custom attribute, managed by zeeg.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Attribute")]
pub struct AttributeDeclaration {
    /// The attribute's key, derived by the server from the label (snake_case)
    /// when it creates the attribute; a relabel keeps it. Custom values are
    /// written under it.
    #[schemars(example = &"tier")]
    pub key: String,
    /// The label shown in the CRM.
    #[schemars(length(min = 1), example = &"Tier")]
    pub label: String,
    /// The type: text, number, phone_number, date, datetime, checkbox, select,
    /// multiselect, status, rating. It cannot change once the attribute
    /// exists: archive it and declare a new one.
    #[serde(rename = "type")]
    #[schemars(schema_with = "declarable_type_schema")]
    pub kind: String,
    /// Options of a select, multiselect or status attribute: strings, or
    /// `{value, color}`. Removing an option live records hold is destructive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<DeclaredOption>,
    /// Whether every record needs a value. Default false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Whether no two records may share a value (text, number, phone_number
    /// only). Default false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// Retires the attribute (no delete exists). Default false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub archived: bool,
}

fn is_false(value: &bool) -> bool {
    !value
}

/// `type`: one of the declarable type names, so editors complete them.
fn declarable_type_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let names = declarable_type_names();
    schemars::json_schema!({ "type": "string", "enum": names })
}

/// An option, written as its value or as `{value, color}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "AttributeOption")]
pub enum DeclaredOption {
    /// Only the value.
    Value(String),
    /// The value and its colour.
    // The schema refuses other keys (a misspelt `colour`), which serde's
    // untagged variant alone would drop.
    #[schemars(extend("additionalProperties" = false))]
    Colored {
        /// The option's value.
        value: String,
        /// The option's colour, as the CRM names it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        color: Option<String>,
    },
}

impl DeclaredOption {
    /// The option's value.
    pub fn value(&self) -> &str {
        match self {
            DeclaredOption::Value(value) | DeclaredOption::Colored { value, .. } => value,
        }
    }

    /// The option's colour, when declared.
    pub fn color(&self) -> Option<&str> {
        match self {
            DeclaredOption::Value(_) => None,
            DeclaredOption::Colored { color, .. } => color.as_deref(),
        }
    }
}

/// What is wrong with one declaration, or worth a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclarationProblem {
    /// The type is not one a declaration may name ([`type_help`] says why).
    UnknownType(String),
    /// The key is not snake_case.
    KeyForm,
    /// Options on a type that has none.
    OptionsNotAllowed(AttributeType),
    /// `unique` on a type the API does not take it for.
    UniqueNotAllowed(AttributeType),
    /// The same option twice (ignoring case); the later of the two.
    DuplicateOption(String),
    /// A hint: the key is not the label's snake_case.
    KeyDiffersFromLabel {
        /// The key the server would derive from the label.
        derived: String,
    },
}

impl AttributeDeclaration {
    /// The declared type, when a declaration may name it.
    pub fn attribute_type(&self) -> Option<AttributeType> {
        let kind = self.kind.parse().ok()?;
        is_declarable(kind).then_some(kind)
    }

    /// The option values, in order.
    pub fn option_values(&self) -> Vec<&str> {
        self.options.iter().map(DeclaredOption::value).collect()
    }

    /// The attribute as the API would list it once it exists with this
    /// declaration: what a value written for it is checked against before
    /// it exists. Options carry no live id yet (their value stands in).
    /// `None` when the type is unknown.
    pub fn as_attribute(&self) -> Option<Attribute> {
        let kind = self.attribute_type()?;
        Some(Attribute {
            key: self.key.clone(),
            label: self.label.clone(),
            kind: kind.as_str().to_string(),
            is_standard: false,
            is_unique: self.unique,
            is_required: self.required,
            is_archived: self.archived,
            options: self
                .options
                .iter()
                .map(|option| AttributeOption {
                    id: option.value().to_string(),
                    value: option.value().to_string(),
                    color: option.color().map(str::to_string),
                })
                .collect(),
        })
    }

    /// The body that creates the declared attribute. `unique` is sent only
    /// for the types that take it, options only for the types that have
    /// them. `None` when the type is unknown.
    pub fn new_attribute(&self) -> Option<NewAttribute> {
        let kind = self.attribute_type()?;
        Some(NewAttribute {
            label: self.label.clone(),
            kind,
            is_required: self.required,
            is_archived: self.archived,
            is_unique: kind.takes_unique().then_some(self.unique),
            options: if kind.has_options() {
                self.options
                    .iter()
                    .map(|option| NewOption {
                        value: option.value().to_string(),
                        color: option.color().map(str::to_string),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            validation: Vec::new(),
        })
    }

    /// Every problem of this declaration alone, hints last.
    pub fn problems(&self) -> Vec<DeclarationProblem> {
        let mut problems = Vec::new();
        if !is_snake_case(&self.key) {
            problems.push(DeclarationProblem::KeyForm);
        }
        match self.attribute_type() {
            None => problems.push(DeclarationProblem::UnknownType(self.kind.clone())),
            Some(kind) => problems.extend(self.type_problems(kind)),
        }
        problems.extend(self.duplicate_options());
        // `tier_2` for `Tier` is what the server gives when `tier` is
        // taken: no hint for it.
        if is_snake_case(&self.key) && !is_derived_key_of(&self.key, &self.label) {
            let derived = derive_key(&self.label);
            problems.push(DeclarationProblem::KeyDiffersFromLabel { derived });
        }
        problems
    }

    fn type_problems(&self, kind: AttributeType) -> Vec<DeclarationProblem> {
        let mut problems = Vec::new();
        if !self.options.is_empty() && !kind.has_options() {
            problems.push(DeclarationProblem::OptionsNotAllowed(kind));
        }
        if self.unique && !kind.takes_unique() {
            problems.push(DeclarationProblem::UniqueNotAllowed(kind));
        }
        problems
    }

    fn duplicate_options(&self) -> Vec<DeclarationProblem> {
        let mut seen = std::collections::HashSet::new();
        self.option_values()
            .into_iter()
            .filter(|value| !seen.insert(value.to_lowercase()))
            .map(|value| DeclarationProblem::DuplicateOption(value.to_string()))
            .collect()
    }
}

/// Whether `key` is snake_case: a lowercase letter, then lowercase letters,
/// digits and single underscores.
pub fn is_snake_case(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !key.ends_with('_')
        && !key.contains("__")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declaration(yaml_json: serde_json::Value) -> AttributeDeclaration {
        serde_json::from_value(yaml_json).unwrap()
    }

    #[test]
    fn options_read_as_strings_or_value_and_color() {
        let d = declaration(serde_json::json!({
            "key": "tier", "label": "Tier", "type": "select",
            "options": ["gold", {"value": "silver", "color": "grey"}]
        }));
        assert_eq!(d.option_values(), ["gold", "silver"]);
        assert_eq!(d.options[0].color(), None);
        assert_eq!(d.options[1].color(), Some("grey"));
        assert!(!d.required && !d.unique && !d.archived);
        assert!(d.problems().is_empty());
    }

    #[test]
    fn unknown_fields_are_refused() {
        let bad = serde_json::json!({"key": "tier", "label": "Tier", "type": "text", "colour": 1});
        assert!(serde_json::from_value::<AttributeDeclaration>(bad).is_err());
    }

    #[test]
    fn each_rule_reports_its_problem() {
        let d = declaration(serde_json::json!({
            "key": "Tier", "label": "Tier", "type": "checkbox",
            "options": ["a", "A"], "unique": true
        }));
        assert_eq!(
            d.problems(),
            [
                DeclarationProblem::KeyForm,
                DeclarationProblem::OptionsNotAllowed(AttributeType::Checkbox),
                DeclarationProblem::UniqueNotAllowed(AttributeType::Checkbox),
                DeclarationProblem::DuplicateOption("A".into()),
            ]
        );
        let d = declaration(serde_json::json!({"key": "t", "label": "T", "type": "colour"}));
        assert_eq!(
            d.problems(),
            [DeclarationProblem::UnknownType("colour".into())]
        );
    }

    #[test]
    fn a_key_other_than_the_labels_snake_case_is_a_hint() {
        let d = declaration(
            serde_json::json!({"key": "tier", "label": "Customer Tier", "type": "text"}),
        );
        assert_eq!(
            d.problems(),
            [DeclarationProblem::KeyDiffersFromLabel {
                derived: "customer_tier".into()
            }]
        );
    }

    #[test]
    fn snake_case_form() {
        for good in ["tier", "tier_2", "customer_tier"] {
            assert!(is_snake_case(good), "{good}");
        }
        for bad in ["", "Tier", "2tier", "_tier", "tier_", "tier__2", "tier-2"] {
            assert!(!is_snake_case(bad), "{bad}");
        }
    }
}
