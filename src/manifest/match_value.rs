//! An entry's value for its matching attribute, kept small: nearly every one
//! is text (an email, a phone number), and a big file holds hundreds of
//! thousands of them, where a `serde_json::Value` inline takes 80 bytes.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The value an entry holds for its matching attribute: `null` when it holds
/// none. Serialized as that JSON value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Value", into = "Value")]
pub enum MatchValue {
    #[default]
    Null,
    Text(Box<str>),
    /// A number, a boolean, a list: custom attributes may match on those.
    Other(Box<Value>),
}

impl MatchValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            MatchValue::Text(text) => Some(text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, MatchValue::Null)
    }

    /// The value as JSON, for the outputs that show it.
    pub fn to_value(&self) -> Value {
        match self {
            MatchValue::Null => Value::Null,
            MatchValue::Text(text) => Value::String(text.to_string()),
            MatchValue::Other(value) => (**value).clone(),
        }
    }
}

impl From<Value> for MatchValue {
    fn from(value: Value) -> Self {
        match value {
            Value::Null => MatchValue::Null,
            Value::String(text) => MatchValue::Text(text.into()),
            other => MatchValue::Other(Box::new(other)),
        }
    }
}

impl From<MatchValue> for Value {
    fn from(value: MatchValue) -> Self {
        match value {
            MatchValue::Null => Value::Null,
            MatchValue::Text(text) => Value::String(text.into()),
            MatchValue::Other(value) => *value,
        }
    }
}

impl PartialEq<Value> for MatchValue {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (MatchValue::Null, Value::Null) => true,
            (MatchValue::Text(text), Value::String(s)) => **text == **s,
            (MatchValue::Other(value), other) => **value == *other,
            _ => false,
        }
    }
}

/// Compact JSON text, as `Value`'s own `Display` writes it.
impl fmt::Display for MatchValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchValue::Null => f.write_str("null"),
            MatchValue::Text(text) => fmt::Display::fmt(&Value::String(text.to_string()), f),
            MatchValue::Other(value) => fmt::Display::fmt(value, f),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_kind_of_value_round_trips_and_prints_as_json() {
        for value in [
            json!(null),
            json!("Jane@Acme.com"),
            json!(42),
            json!([1, "a"]),
        ] {
            let compact = MatchValue::from(value.clone());
            assert_eq!(compact, value);
            assert_eq!(compact.to_value(), value);
            assert_eq!(compact.to_string(), value.to_string());
            assert_eq!(serde_json::to_value(&compact).ok(), Some(value.clone()));
            let back: MatchValue = serde_json::from_value(value.clone()).unwrap_or_default();
            assert_eq!(back, compact);
        }
        assert_eq!(MatchValue::from(json!("a\"b")).to_string(), r#""a\"b""#);
    }

    #[test]
    fn only_text_is_a_str_and_only_null_is_null() {
        assert_eq!(MatchValue::from(json!("x")).as_str(), Some("x"));
        assert_eq!(MatchValue::from(json!(1)).as_str(), None);
        assert!(MatchValue::Null.is_null());
        assert!(!MatchValue::from(json!("")).is_null());
        assert!(std::mem::size_of::<MatchValue>() <= 24);
    }
}
