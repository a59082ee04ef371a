//! The value an imported entry is built as, and its two renderings: YAML in
//! the canonical style (through `serde`) and JSON (for the schema check).

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;
use serde_saphyr::DoubleQuoted;

/// A YAML value in canonical order: mappings keep the order they were built in.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Text(String),
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    /// A string node.
    pub fn text(value: &str) -> Node {
        Node::Text(value.to_string())
    }

    /// `Value` → `Node`, objects with sorted keys.
    pub(crate) fn from_json(value: &Value) -> Node {
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(n.clone()),
            Value::String(s) => Node::text(s),
            Value::Array(items) => Node::List(items.iter().map(Node::from_json).collect()),
            Value::Object(map) => {
                let mut entries: Vec<_> = map
                    .iter()
                    .map(|(k, v)| (k.clone(), Node::from_json(v)))
                    .collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Node::Map(entries)
            }
        }
    }

    /// The same value as JSON, the shape the people-file schema checks.
    pub fn to_json(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::Text(s) => Value::String(s.clone()),
            Node::List(items) => items.iter().map(Node::to_json).collect(),
            Node::Map(entries) => entries
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => serializer.serialize_unit(),
            Node::Bool(b) => serializer.serialize_bool(*b),
            Node::Number(n) => n.serialize(serializer),
            Node::Text(s) if quote_instead_of_block(s) => {
                DoubleQuoted(s.as_str()).serialize(serializer)
            }
            Node::Text(s) => serializer.serialize_str(s),
            Node::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Map(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

/// Whether multi-line `text` goes double-quoted rather than in a block scalar
/// (see the module docs).
fn quote_instead_of_block(text: &str) -> bool {
    text.contains('\n')
        && (text.split('\n').any(|line| line.ends_with([' ', '\t']))
            || text.starts_with([' ', '\t'])
            || text.trim_start_matches('\n').starts_with([' ', '\t'])
            || text.trim_matches('\n').is_empty())
}
