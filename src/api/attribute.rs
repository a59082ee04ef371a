//! The people object's attribute types and the rule for a custom attribute's
//! value, in one place: `plan` checks every value with [`Attribute::check_value`]
//! before it shows anything, and the sandbox refuses a write with the same
//! function, so the plan refuses exactly what a write would.
//!
//! The rule (`zeeg-api.md`; documented for custom-object records, assumed the
//! same for people): `text` a string of at most [`TEXT_MAX_CHARS`] characters,
//! `number` a number, `checkbox` a boolean, `date` an ISO 8601 date
//! (`2025-01-31`), `select` one of the attribute's option values,
//! `multiselect` a list of them. `null` clears any attribute. The other types
//! are checked only for their JSON kind (a number for `rating` and `currency`,
//! a string otherwise), since the API documents no more about their values.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use super::model::Attribute;

/// The longest `text` value, in characters.
pub const TEXT_MAX_CHARS: usize = 255;

/// The type of an attribute, as `GET /crm/objects/people` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

    /// Whether attributes of this type list options.
    pub fn has_options(self) -> bool {
        matches!(
            self,
            AttributeType::Select | AttributeType::Multiselect | AttributeType::Status
        )
    }

    /// Whether `POST …/attributes` takes `isUnique` for this type
    /// (documented: text, number and phone_number only).
    pub fn takes_unique(self) -> bool {
        matches!(
            self,
            AttributeType::Text | AttributeType::Number | AttributeType::PhoneNumber
        )
    }

    /// Checks `value` for an attribute of this type with these option values.
    pub fn check_value(
        self,
        slug: &str,
        options: &[&str],
        value: &Value,
    ) -> Result<(), ValueRefusal> {
        match self.problem_with(options, value) {
            None => Ok(()),
            Some(problem) => Err(ValueRefusal {
                slug: slug.to_string(),
                kind: self,
                options: options.iter().map(|o| o.to_string()).collect(),
                problem,
            }),
        }
    }

    /// What is wrong with `value` for this type, if anything.
    fn problem_with(self, options: &[&str], value: &Value) -> Option<ValueProblem> {
        let is_option = |v: &Value| v.as_str().is_some_and(|s| options.contains(&s));
        match (self, value) {
            (_, Value::Null) => None,
            (AttributeType::Text, Value::String(text)) => {
                let length = text.chars().count();
                (length > TEXT_MAX_CHARS).then_some(ValueProblem::TooLong { length })
            }
            (AttributeType::Date, Value::String(text)) => {
                let valid = text.parse::<jiff::civil::Date>().is_ok() && text.len() == 10;
                (!valid).then_some(ValueProblem::NotADate)
            }
            (AttributeType::Select, Value::String(choice)) => {
                (!is_option(value)).then(|| ValueProblem::NotAnOption {
                    value: choice.clone(),
                })
            }
            (AttributeType::Multiselect, Value::Array(items)) => {
                match items.iter().find(|item| !is_option(item))? {
                    Value::String(choice) => Some(ValueProblem::NotAnOption {
                        value: choice.clone(),
                    }),
                    other => Some(ValueProblem::WrongKind {
                        found: kind_of(other),
                    }),
                }
            }
            (AttributeType::Number | AttributeType::Rating | AttributeType::Currency, v)
                if v.is_number() =>
            {
                None
            }
            (AttributeType::Checkbox, Value::Bool(_)) => None,
            (
                AttributeType::PhoneNumber
                | AttributeType::Datetime
                | AttributeType::Relation
                | AttributeType::Status
                | AttributeType::User,
                Value::String(_),
            ) => None,
            (_, other) => Some(ValueProblem::WrongKind {
                found: kind_of(other),
            }),
        }
    }

    /// What a value of this type must be, for messages.
    fn expected(self) -> String {
        match self {
            AttributeType::Text => format!("a string of at most {TEXT_MAX_CHARS} characters"),
            AttributeType::Number | AttributeType::Rating | AttributeType::Currency => {
                "a number".to_string()
            }
            AttributeType::Checkbox => "true or false".to_string(),
            AttributeType::Date => "an ISO 8601 date such as 2025-01-31".to_string(),
            AttributeType::Select => "one of its options".to_string(),
            AttributeType::Multiselect => "a list of its options".to_string(),
            _ => "a string".to_string(),
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
            .ok_or_else(|| {
                let names: Vec<&str> = AttributeType::ALL.iter().map(|t| t.as_str()).collect();
                format!("unknown type `{s}` (one of: {})", names.join(", "))
            })
    }
}

impl Attribute {
    /// The type, when it is one the API documents.
    pub fn attribute_type(&self) -> Option<AttributeType> {
        self.kind.parse().ok()
    }

    /// The values of the attribute's options, in their order.
    pub fn option_values(&self) -> Vec<&str> {
        self.options.iter().map(|o| o.value.as_str()).collect()
    }

    /// Checks a value for this attribute. A type the API does not document is
    /// not checked: the API decides, and apply reports what it says.
    pub fn check_value(&self, value: &Value) -> Result<(), ValueRefusal> {
        match self.attribute_type() {
            Some(kind) => kind.check_value(&self.key, &self.option_values(), value),
            None => Ok(()),
        }
    }
}

/// A custom attribute value the API would refuse. The message names the
/// attribute and its type; it shows the value only for select options (an
/// option name, not contact data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueRefusal {
    /// The attribute's slug.
    pub slug: String,
    /// Its type.
    pub kind: AttributeType,
    /// Its option values, for select and multiselect.
    pub options: Vec<String>,
    /// What is wrong.
    pub problem: ValueProblem,
}

/// What is wrong with a custom attribute value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueProblem {
    /// The JSON kind does not fit the type (e.g. a number for `text`).
    WrongKind { found: &'static str },
    /// A `text` value over [`TEXT_MAX_CHARS`].
    TooLong { length: usize },
    /// A `date` value that is not `YYYY-MM-DD`.
    NotADate,
    /// A `select`/`multiselect` value that is not an option.
    NotAnOption { value: String },
}

impl fmt::Display for ValueRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ValueRefusal {
            slug,
            kind,
            options,
            problem,
        } = self;
        write!(
            f,
            "`{slug}` is a {kind} attribute: its value must be {}",
            kind.expected()
        )?;
        if kind.has_options() {
            if options.is_empty() {
                f.write_str(" (it has none)")?;
            } else {
                write!(f, " ({})", options.join(", "))?;
            }
        }
        match problem {
            ValueProblem::WrongKind { found } => write!(f, ", not {found}"),
            ValueProblem::TooLong { length } => write!(f, ", not {length} characters"),
            ValueProblem::NotADate => f.write_str(", not a string in another format"),
            ValueProblem::NotAnOption { value } => write!(f, "; `{value}` is not one of them"),
        }
    }
}

impl std::error::Error for ValueRefusal {}

impl ValueRefusal {
    /// How to write the value instead, for the plan's diagnostic.
    pub fn hint(&self) -> String {
        let slug = &self.slug;
        match (&self.problem, self.kind) {
            (ValueProblem::WrongKind { .. }, AttributeType::Text) => {
                format!("quote the value to make it text, e.g. `{slug}: \"12\"`")
            }
            (ValueProblem::WrongKind { found }, AttributeType::Checkbox)
                if *found == "a string" =>
            {
                format!("write `{slug}: true` or `{slug}: false`, without quotes")
            }
            (ValueProblem::WrongKind { .. }, AttributeType::Number) => {
                format!("write the number without quotes, e.g. `{slug}: 12`")
            }
            (ValueProblem::WrongKind { .. }, AttributeType::Multiselect) => {
                format!("write a list, e.g. `{slug}: [first, second]`")
            }
            (ValueProblem::TooLong { .. }, _) => {
                format!("shorten the value to {TEXT_MAX_CHARS} characters")
            }
            (ValueProblem::NotADate, _) => {
                format!("write the date as year-month-day, e.g. `{slug}: 2025-01-31`")
            }
            (ValueProblem::NotAnOption { .. }, _) if self.options.is_empty() => {
                "add the option to the attribute in Zeeg first".to_string()
            }
            (ValueProblem::NotAnOption { .. }, _) => format!(
                "use one of: {}; or add the option to the attribute in Zeeg first",
                self.options.join(", ")
            ),
            (ValueProblem::WrongKind { .. }, kind) => {
                format!("write {} for `{slug}`", kind.expected())
            }
        }
    }
}

/// `a number`, `a string`, … for messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(kind: AttributeType, value: Value) -> Result<(), String> {
        kind.check_value("attr", &["gold", "silver"], &value)
            .map_err(|refusal| refusal.to_string())
    }

    #[test]
    fn each_type_takes_its_own_values_and_null() {
        use AttributeType::*;
        for (kind, good) in [
            (Text, json!("E-1001")),
            (Text, json!("é".repeat(255))),
            (Number, json!(12)),
            (Number, json!(2.5)),
            (Checkbox, json!(false)),
            (Date, json!("2025-01-31")),
            (Select, json!("gold")),
            (Multiselect, json!(["gold", "silver"])),
            (Multiselect, json!([])),
            (Rating, json!(4)),
            (PhoneNumber, json!("+4930")),
        ] {
            assert_eq!(check(kind, good.clone()), Ok(()), "{kind} {good}");
            assert_eq!(check(kind, Value::Null), Ok(()), "{kind} null");
        }
    }

    #[test]
    fn refusals_name_the_attribute_and_its_type() {
        use AttributeType::*;
        for (kind, bad, message) in [
            (
                Text,
                json!(12),
                "`attr` is a text attribute: its value must be a string of at most 255 characters, not a number",
            ),
            (
                Text,
                json!("x".repeat(256)),
                "`attr` is a text attribute: its value must be a string of at most 255 characters, not 256 characters",
            ),
            (
                Number,
                json!("12"),
                "`attr` is a number attribute: its value must be a number, not a string",
            ),
            (
                Checkbox,
                json!("yes"),
                "`attr` is a checkbox attribute: its value must be true or false, not a string",
            ),
            (
                Date,
                json!("31.01.2025"),
                "`attr` is a date attribute: its value must be an ISO 8601 date such as 2025-01-31, not a string in another format",
            ),
            (
                Date,
                json!("2025-02-30"),
                "`attr` is a date attribute: its value must be an ISO 8601 date such as 2025-01-31, not a string in another format",
            ),
            (
                Select,
                json!("platinum"),
                "`attr` is a select attribute: its value must be one of its options (gold, silver); `platinum` is not one of them",
            ),
            (
                Multiselect,
                json!("gold"),
                "`attr` is a multiselect attribute: its value must be a list of its options (gold, silver), not a string",
            ),
            (
                Multiselect,
                json!(["gold", "bronze"]),
                "`attr` is a multiselect attribute: its value must be a list of its options (gold, silver); `bronze` is not one of them",
            ),
        ] {
            assert_eq!(
                check(kind, bad.clone()),
                Err(message.to_string()),
                "{kind} {bad}"
            );
        }
    }

    #[test]
    fn options_are_read_as_objects_or_strings_and_unknown_types_are_not_checked() {
        let attribute = |kind: &str, options: Value| -> Attribute {
            serde_json::from_value(
                json!({"key": "tier", "label": "Tier", "type": kind, "options": options}),
            )
            .unwrap()
        };
        let tier = attribute(
            "select",
            json!([{"id": "1", "value": "gold", "color": "yellow"}, "silver"]),
        );
        assert_eq!(tier.option_values(), vec!["gold", "silver"]);
        assert_eq!(
            tier.options[1].id, "silver",
            "a plain string's id is its value"
        );
        assert_eq!(tier.options[0].color.as_deref(), Some("yellow"));
        assert!(tier.check_value(&json!("silver")).is_ok());
        assert!(tier.check_value(&json!("bronze")).is_err());
        assert!(
            attribute("hologram", json!(null))
                .check_value(&json!(1))
                .is_ok()
        );
    }
}
