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

use serde::Deserialize;

use super::entry::SourceLocation;
use crate::api::Attribute;
use crate::api::attribute::AttributeType;
use crate::api::object::{AttributeOption, NewAttribute, NewOption, ObjectSlug};

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

/// Custom attributes declared per object.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeDeclarations {
    /// Attributes of people.
    #[serde(default)]
    pub people: Vec<AttributeDeclaration>,
    /// Attributes of companies.
    #[serde(default)]
    pub companies: Vec<AttributeDeclaration>,
}

/// One custom attribute, managed by zeeg.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeDeclaration {
    /// The attribute's key, derived by the server from the label (snake_case)
    /// when it creates the attribute.
    pub key: String,
    /// The label shown in the CRM.
    pub label: String,
    /// The type: text, number, phone_number, date, datetime, checkbox, select,
    /// multiselect, status, rating.
    #[serde(rename = "type")]
    pub kind: String,
    /// Options of a select, multiselect or status attribute: strings, or
    /// `{value, color}`.
    #[serde(default)]
    pub options: Vec<DeclaredOption>,
    /// Whether every record needs a value.
    #[serde(default)]
    pub required: bool,
    /// Whether no two records may share a value (text, number, phone_number).
    #[serde(default)]
    pub unique: bool,
    /// Retires the attribute: no delete exists.
    #[serde(default)]
    pub archived: bool,
}

/// An option, written as its value or as `{value, color}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum DeclaredOption {
    /// Only the value.
    Value(String),
    /// The value and its colour.
    Colored {
        /// The option's value.
        value: String,
        /// The option's colour, as the CRM names it.
        #[serde(default)]
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
    /// The type is not one the API knows.
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
    /// The declared type, when the API knows it.
    pub fn attribute_type(&self) -> Option<AttributeType> {
        self.kind.parse().ok()
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
        match self.kind.parse::<AttributeType>() {
            Err(_) => problems.push(DeclarationProblem::UnknownType(self.kind.clone())),
            Ok(kind) => problems.extend(self.type_problems(kind)),
        }
        problems.extend(self.duplicate_options());
        let derived = snake_case_of(&self.label);
        if is_snake_case(&self.key) && derived != self.key {
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

/// The label's snake_case, for the offline hint only. Provisional until the
/// server's rule lands as `api::attribute::derive_key` (its assumption is
/// written there); this then calls it.
fn snake_case_of(label: &str) -> String {
    let lower = label.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.join("_")
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
