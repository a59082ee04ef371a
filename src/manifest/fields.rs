//! An entry's managed fields, kept as compact JSON text.
//!
//! A plan of a big file holds every entry at once. As a `serde_json` map a
//! person's fields took about 1 KB (104 bytes a field, and every key and
//! text an allocation of its own); as the text of the same map they take
//! its length. Readers parse what they need when they need it: a whole map
//! once per use site, or one key without building the rest.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The managed fields of an entry, by API JSON name, in the order they were
/// declared: the JSON text of the map.
#[derive(Clone, Default)]
pub struct Fields {
    /// Compact JSON of an object; empty for the empty map (no allocation).
    text: Box<str>,
}

impl Fields {
    /// The fields of `map`, in its order.
    pub fn new(map: &Map<String, Value>) -> Self {
        if map.is_empty() {
            return Self::default();
        }
        // A map of JSON values always serializes.
        let text = serde_json::to_string(map).unwrap_or_default();
        Self { text: text.into() }
    }

    /// All the fields, parsed: for a reader that looks at several.
    pub fn map(&self) -> Map<String, Value> {
        if self.text.is_empty() {
            return Map::new();
        }
        // Cannot fail: the text was written from a map by `new`.
        serde_json::from_str(&self.text).unwrap_or_default()
    }

    /// The value of one field, parsing only that one.
    pub fn get(&self, name: &str) -> Option<Value> {
        self.find(name, FindValue).flatten()
    }

    /// Whether the entry manages `name` (its value may be `null`).
    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name, FindPresence).unwrap_or(false)
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Sets one field (kept in its place when it exists, else last).
    pub fn insert(&mut self, name: impl Into<String>, value: Value) -> Option<Value> {
        let mut map = self.map();
        let old = map.insert(name.into(), value);
        *self = Self::new(&map);
        old
    }

    /// The JSON text (`{}` when empty): what the upsert body is, for an entry
    /// without anything apply adds.
    pub fn json(&self) -> &str {
        if self.text.is_empty() {
            "{}"
        } else {
            &self.text
        }
    }

    fn find<S: Found>(&self, name: &str, seed: S) -> Option<S::Value> {
        if !self.may_hold(name) {
            return None;
        }
        let mut de = serde_json::Deserializer::from_str(&self.text);
        de.deserialize_map(KeyVisitor { name, seed }).ok()
    }
}

impl Fields {
    /// Whether `"name"` occurs in the text: a key always does, since the
    /// serializer escapes no letter, digit or `_`; most lookups (a
    /// `companyId`, a `customAttributes`) are of keys most entries lack, and
    /// a substring search answers those without parsing.
    fn may_hold(&self, name: &str) -> bool {
        let text = self.text.as_bytes();
        self.text.match_indices(name).any(|(at, _)| {
            at > 0 && text[at - 1] == b'"' && text.get(at + name.len()) == Some(&b'"')
        })
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.map(), f)
    }
}

/// As maps: equal fields in another order are equal.
impl PartialEq for Fields {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text || self.map() == other.map()
    }
}

impl PartialEq<Map<String, Value>> for Fields {
    fn eq(&self, other: &Map<String, Value>) -> bool {
        self.map() == *other
    }
}

impl From<Map<String, Value>> for Fields {
    fn from(map: Map<String, Value>) -> Self {
        Self::new(&map)
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.map().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(|map| Self::new(&map))
    }
}

/// What [`Fields::find`] makes of the value under the key it looks for.
trait Found: Copy {
    type Value;
    /// What the key's value gives, read from the map being parsed.
    fn take<'de, A: MapAccess<'de>>(self, map: &mut A) -> Result<Self::Value, A::Error>;
    /// What a map without the key gives.
    fn absent(self) -> Self::Value;
}

/// The value itself.
#[derive(Clone, Copy)]
struct FindValue;

impl Found for FindValue {
    type Value = Option<Value>;
    fn take<'de, A: MapAccess<'de>>(self, map: &mut A) -> Result<Self::Value, A::Error> {
        map.next_value().map(Some)
    }
    fn absent(self) -> Self::Value {
        None
    }
}

/// Only whether the key is there.
#[derive(Clone, Copy)]
struct FindPresence;

impl Found for FindPresence {
    type Value = bool;
    fn take<'de, A: MapAccess<'de>>(self, map: &mut A) -> Result<Self::Value, A::Error> {
        map.next_value::<IgnoredAny>().map(|_| true)
    }
    fn absent(self) -> Self::Value {
        false
    }
}

/// Walks the top-level keys, skipping every value but the one under `name`.
struct KeyVisitor<'n, S> {
    name: &'n str,
    seed: S,
}

impl<'de, S: Found> Visitor<'de> for KeyVisitor<'_, S> {
    type Value = S::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key_seed(KeyIs(self.name))? {
            if key && found.is_none() {
                found = Some(self.seed.take(&mut map)?);
            } else {
                // The parser checks the object's end once the visitor
                // returns: the keys after the one looked for are read too.
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found.unwrap_or_else(|| self.seed.absent()))
    }
}

/// Whether a key is `.0`, without allocating it unless it has escapes.
struct KeyIs<'n>(&'n str);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        Ok(key == self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Value) -> Fields {
        match value {
            Value::Object(map) => Fields::new(&map),
            _ => unreachable!("an object"),
        }
    }

    #[test]
    fn keeps_the_order_and_values_of_the_map() {
        let value = json!({"lastName": "Doe", "emails": ["a@x.example"], "age": 1.5e300, "ratio": 0.30000000000000004, "tiny": 5e-324,
            "customAttributes": {"tier": null, "n\"ote": "é\u{1}"}, "firstName": null});
        let f = fields(value.clone());
        assert_eq!(Value::Object(f.map()), value);
        let keys: Vec<String> = f.map().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "lastName",
                "emails",
                "age",
                "ratio",
                "tiny",
                "customAttributes",
                "firstName"
            ]
        );
        assert_eq!(f.json(), serde_json::to_string(&value).unwrap());
    }

    #[test]
    fn gets_one_key_and_tells_null_from_absent() {
        let f =
            fields(json!({"firstName": "Jane", "emails": ["a@x.example"], "phoneNumber": null}));
        assert_eq!(f.get("emails"), Some(json!(["a@x.example"])));
        assert_eq!(f.get("phoneNumber"), Some(Value::Null));
        assert_eq!(f.get("jobTitle"), None);
        assert!(f.contains_key("phoneNumber"));
        assert!(!f.contains_key("jobTitle"));
        assert!(!f.contains_key("Jane"), "a value is no key");
        let f = fields(json!({"jobTitle": "emails", "emails": null}));
        assert_eq!(f.get("emails"), Some(Value::Null));
        assert_eq!(fields(json!({"jobTitle": "emails"})).get("emails"), None);
    }

    #[test]
    fn the_empty_map_holds_nothing() {
        let f = Fields::new(&Map::new());
        assert!(f.is_empty());
        assert_eq!(f.json(), "{}");
        assert_eq!(f.get("emails"), None);
        assert!(f.map().is_empty());
    }

    #[test]
    fn insert_replaces_in_place_or_appends() {
        let mut f = fields(json!({"firstName": "Jane", "lastName": "Doe"}));
        assert_eq!(f.insert("firstName", json!("Annie")), Some(json!("Jane")));
        f.insert("jobTitle", json!("CTO"));
        assert_eq!(
            f.json(),
            r#"{"firstName":"Annie","lastName":"Doe","jobTitle":"CTO"}"#
        );
        assert_eq!(
            f,
            fields(json!({"lastName": "Doe", "jobTitle": "CTO", "firstName": "Annie"}))
        );
    }

    #[test]
    fn serializes_as_the_map() {
        let f = fields(json!({"b": 1, "a": [true]}));
        assert_eq!(serde_json::to_string(&f).unwrap(), r#"{"b":1,"a":[true]}"#);
        let back: Fields = serde_json::from_str(r#"{"b":1,"a":[true]}"#).unwrap();
        assert_eq!(back.json(), f.json());
    }
}
