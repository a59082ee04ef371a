//! JSON Schema validation, with each violation turned into a [`Problem`] that
//! points at the exact key or value and says how to fix it.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError, Validator};
use serde_json::Value;
use std::ops::Range;
use std::sync::OnceLock;

use super::diagnostic::{ManifestError, Problem};
use super::model::{config_schema, people_schema};
use super::source::SourceText;
use super::yaml::{Document, Spans};

/// A compiled schema and the schema itself (to list the keys a mapping allows).
///
/// Each schema is compiled once per process, by [`Schema::people`] and
/// [`Schema::config`]; import checks its entries with the same validator.
pub(crate) struct Schema {
    validator: Validator,
    schema: Value,
    /// How the top level is named in messages ("a people file", "zeeg.yaml").
    top: &'static str,
}

impl Schema {
    /// The schema of a people file.
    pub fn people() -> &'static Schema {
        static PEOPLE: OnceLock<Schema> = OnceLock::new();
        PEOPLE.get_or_init(|| Schema::new(people_schema(), "a people file"))
    }

    /// A people file's top level with its `people` items left out: they are
    /// checked one at a time, with [`Schema::person`], as they are parsed.
    pub fn people_top() -> &'static Schema {
        static TOP: OnceLock<Schema> = OnceLock::new();
        TOP.get_or_init(|| {
            let mut schema = people_schema();
            if let Some(items) = schema.pointer_mut("/properties/people/items") {
                *items = Value::Bool(true);
            }
            Schema::new(schema, "a people file")
        })
    }

    /// One item of a people file's `people` list (and its `defaults`).
    pub fn person() -> &'static Schema {
        static PERSON: OnceLock<Schema> = OnceLock::new();
        PERSON.get_or_init(|| {
            let mut schema = people_schema();
            let item = schema.pointer("/properties/people/items").cloned();
            if let (Some(Value::Object(item)), Some(top)) = (item, schema.as_object_mut()) {
                // The list item's own `$ref`, over the same `$defs`.
                top.retain(|key, _| key.starts_with('$'));
                top.extend(item);
            }
            Schema::new(schema, "a person")
        })
    }

    /// The schema of `zeeg.yaml`.
    pub fn config() -> &'static Schema {
        static CONFIG: OnceLock<Schema> = OnceLock::new();
        CONFIG.get_or_init(|| Schema::new(config_schema(), "zeeg.yaml"))
    }

    /// The JSON pointers of every value in `document` that the schema refuses.
    pub fn refused_pointers(&self, document: &Value) -> Vec<String> {
        self.validator
            .iter_errors(document)
            .map(|error| error.instance_path().as_str().to_string())
            .collect()
    }

    fn new(schema: Value, top: &'static str) -> Schema {
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema)
            // The schema is generated from our own types; a test checks it
            // against the meta-schema, so this cannot fail at run time.
            .expect("the generated schema compiles");
        Schema {
            validator,
            schema,
            top,
        }
    }

    /// Every violation in `doc`, as problems, with the JSON pointer each is about.
    pub fn check(&self, doc: &Document, source: &SourceText) -> Vec<(String, Problem)> {
        self.check_at(&doc.value, "", &doc.spans, source)
    }

    /// Every violation in `value`, the node at `pointer` of a document whose
    /// spans are `spans`, as problems with the JSON pointer each is about.
    pub fn check_at(
        &self,
        value: &Value,
        pointer: &str,
        spans: &Spans,
        source: &SourceText,
    ) -> Vec<(String, Problem)> {
        self.validator
            .iter_errors(value)
            .flat_map(|error| {
                let at = format!("{pointer}{}", error.instance_path().as_str());
                self.problems(&error, at, spans, source)
            })
            .collect()
    }

    /// The problems one violation makes: usually one, one per key for
    /// unknown keys.
    fn problems(
        &self,
        error: &ValidationError<'_>,
        pointer: String,
        spans: &Spans,
        source: &SourceText,
    ) -> Vec<(String, Problem)> {
        let (value_span, _) = value_and_key_span(spans, &pointer);
        // The key of `pointer/key` in the document, for problems about a key.
        let key_at = |key: &str| {
            let at = format!("{pointer}/{}", escape(key));
            let span = spans
                .get(&at)
                .and_then(|s| s.key.clone())
                .unwrap_or_else(|| value_span.clone());
            (at, span)
        };
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let allowed = self.allowed_keys(error.schema_path().as_str());
                let context = self.context(&pointer);
                unexpected
                    .iter()
                    .map(|key| {
                        let (at, span) = key_at(key);
                        (
                            at,
                            unknown_key(key, &context, &allowed, &pointer).at(source, span),
                        )
                    })
                    .collect()
            }
            ValidationErrorKind::PropertyNames { error } => {
                let key = error.instance().as_str().unwrap_or_default().to_string();
                let (at, span) = key_at(&key);
                let problem = Problem::new(ManifestError::BadSlug { slug: key.clone() })
                    .at(source, span)
                    .label("custom attribute slugs are snake_case")
                    .help(slug_help(&key));
                vec![(at, problem)]
            }
            _ => {
                let problem = value_problem(error, &pointer, spans, source);
                vec![(pointer, problem)]
            }
        }
    }

    /// The keys the object schema at `schema_path/..` allows.
    fn allowed_keys(&self, schema_path: &str) -> Vec<String> {
        let parent = schema_path
            .strip_suffix("/additionalProperties")
            .unwrap_or(schema_path);
        // `$ref`s appear in the path as their own segment; the last `$defs/X`
        // (or the root) is the object that failed.
        let object = match parent.rfind("/$defs/") {
            Some(i) => {
                let rest = &parent[i + "/$defs/".len()..];
                let name = rest.split('/').next().unwrap_or(rest);
                self.schema.pointer(&format!("/$defs/{name}"))
            }
            None => self.schema.pointer(parent),
        };
        object
            .and_then(|o| o.get("properties"))
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn context(&self, pointer: &str) -> String {
        let segments: Vec<&str> = pointer.split('/').skip(1).collect();
        match segments.as_slice() {
            [] => self.top.to_string(),
            ["people", _] => "a person".to_string(),
            ["companies", _] => "a company".to_string(),
            [.., last] => format!("`{last}`"),
        }
    }
}

/// An attribute `type` zeeg does not know, with the types it does.
fn unknown_attribute_type(instance: &Value) -> Problem {
    let kind = instance
        .as_str()
        .map_or_else(|| describe(instance), str::to_string);
    Problem::new(ManifestError::AttributeType {
        help: crate::manifest::attributes::type_help(&kind),
        kind,
    })
    .label("this type")
}

/// The problem of a violation about the value at `pointer` (pointed at
/// by its key when the value is an object or a list of the wrong type).
fn value_problem(
    error: &ValidationError<'_>,
    pointer: &str,
    spans: &Spans,
    source: &SourceText,
) -> Problem {
    let instance = error.instance();
    let (value_span, key_span) = value_and_key_span(spans, pointer);
    let field = field_name(pointer);
    match error.kind() {
        ValidationErrorKind::Type { kind } => {
            let span = if instance.is_object() || instance.is_array() {
                key_span
            } else {
                value_span
            };
            wrong_type(&field, kind, instance, pointer).at(source, span)
        }
        ValidationErrorKind::Format { format } => {
            bad_format(format, instance).at(source, value_span)
        }
        ValidationErrorKind::MinItems { .. } if pointer == "/people" => {
            Problem::new(ManifestError::EmptyPeople)
                .at(source, key_span)
                .label("no people here")
        }
        ValidationErrorKind::Pattern { .. } => {
            let slug = instance.as_str().unwrap_or_default().to_string();
            Problem::new(ManifestError::BadSlug { slug: slug.clone() })
                .at(source, value_span)
                .label("not snake_case")
                .help(slug_help(&slug))
        }
        ValidationErrorKind::Enum { .. } if is_attribute_type(pointer) => {
            unknown_attribute_type(instance).at(source, value_span)
        }
        ValidationErrorKind::AnyOf { .. } if is_attribute_option(pointer) => {
            Problem::new(ManifestError::Schema {
                message: format!("{field}: an option is its value or `{{value, color}}`"),
            })
            .at(source, value_span)
            .label("this option")
            .help("write `gold` or `{value: gold, color: yellow}`, with no other keys")
        }
        ValidationErrorKind::AnyOf { .. } if pointer.contains("/customAttributes/") => {
            nested_custom_value(&field, instance).at(source, key_span)
        }
        _ => Problem::new(ManifestError::Schema {
            // `field` is already quoted where it names a key.
            message: format!("{field}: {}", error.masked()),
        })
        .at(source, value_span)
        .label("here"),
    }
}

/// Whether `pointer` is the `type` of a declared attribute.
fn is_attribute_type(pointer: &str) -> bool {
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    matches!(segments.as_slice(), ["attributes", _, _, "type"])
}

/// Whether `pointer` is an option of a declared attribute.
fn is_attribute_option(pointer: &str) -> bool {
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    matches!(segments.as_slice(), ["attributes", _, _, "options", _])
}

/// Where the node at `pointer` (or its closest ancestor) is written: its
/// value, and its key (its value when it has none).
fn value_and_key_span(spans: &Spans, pointer: &str) -> (Range<usize>, Range<usize>) {
    let span = spans.nearest(pointer);
    let value = span.as_ref().map_or(0..0, |s| s.value.clone());
    let key = span.and_then(|s| s.key).unwrap_or_else(|| value.clone());
    (value, key)
}

/// A key the schema does not allow here. (The span is the caller's to set.)
fn unknown_key(key: &str, context: &str, allowed: &[String], pointer: &str) -> Problem {
    Problem::new(ManifestError::UnknownKey {
        key: key.to_string(),
        context: context.to_string(),
    })
    .label("unknown key")
    .help(unknown_key_help(key, allowed, pointer))
}

/// A value of the wrong JSON type. (The span is the caller's to set.)
fn wrong_type(field: &str, kind: &TypeKind, instance: &Value, pointer: &str) -> Problem {
    let expected = expected_types(kind);
    let help = type_help(field, &expected, instance, pointer);
    Problem::new(ManifestError::WrongType {
        field: field.to_string(),
        expected: expected.clone(),
        found: describe(instance),
    })
    .label(format!("expected {expected}"))
    .help(help)
}

/// A string that is not a valid email, URL or UUID.
fn bad_format(format: &str, instance: &Value) -> Problem {
    let text = instance.as_str().unwrap_or_default();
    let (what, help) = match format {
        "email" | "idn-email" => (
            "email address",
            "write an address like `jane.doe@acme.com`".to_string(),
        ),
        "uri" => (
            "URL",
            "write a full URL with its scheme, e.g. `https://linkedin.com/in/janedoe`".to_string(),
        ),
        "uuid" => (
            "UUID",
            "a company id is a UUID like `3c90c3cc-0d44-4b50-8888-8dd25736052a`".to_string(),
        ),
        other => (other, format!("write a valid {other}")),
    };
    Problem::new(ManifestError::Format {
        what: format!("`{text}` is not a valid {what}"),
    })
    .label(format!("not a valid {what}"))
    .help(help)
}

/// A custom attribute value that nests (an object, or a list holding one).
fn nested_custom_value(field: &str, instance: &Value) -> Problem {
    let found = match instance {
        Value::Array(items) => match items.iter().find(|i| i.is_object() || i.is_array()) {
            Some(inner) => format!("a list holding {}", describe(inner)),
            None => describe(instance),
        },
        other => describe(other),
    };
    Problem::new(ManifestError::WrongType {
        field: field.to_string(),
        expected: "text, a number, true/false, null or a list of those".into(),
        found,
    })
    .label("not a custom attribute value")
    .help("custom attribute values cannot nest; write one value or a flat list")
}

pub(crate) fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// How messages name what a pointer is about: `` `emails` `` for
/// `/people/0/emails`, "each item of `emails`" for `/people/0/emails/1`.
fn field_name(pointer: &str) -> String {
    let mut segments = pointer.rsplit('/').filter(|s| !s.is_empty());
    let last = segments.next();
    let unescape = |s: &str| s.replace("~1", "/").replace("~0", "~");
    match last {
        None => "the file".to_string(),
        Some(index) if index.parse::<usize>().is_ok() => match segments.next() {
            Some("people") => "each person".to_string(),
            Some("companies") => "each company".to_string(),
            Some(parent) => format!("each item of `{}`", unescape(parent)),
            None => "each item".to_string(),
        },
        Some(key) => format!("`{}`", unescape(key)),
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "true/false".into(),
        Value::Number(_) => "a number".into(),
        Value::String(_) => "text".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

fn type_name(ty: JsonType) -> &'static str {
    match ty {
        JsonType::Null => "null",
        JsonType::Boolean => "true/false",
        JsonType::Integer => "a whole number",
        JsonType::Number => "a number",
        JsonType::String => "text",
        JsonType::Array => "a list",
        JsonType::Object => "a mapping",
    }
}

fn expected_types(kind: &TypeKind) -> String {
    let names: Vec<&str> = match kind {
        TypeKind::Single(ty) => vec![type_name(*ty)],
        TypeKind::Multiple(set) => set.iter().map(type_name).collect(),
    };
    // "text or null" reads better than "null or text".
    let mut names = names;
    names.sort_by_key(|n| *n == "null");
    names.join(" or ")
}

fn type_help(field: &str, expected: &str, instance: &Value, pointer: &str) -> String {
    if field == "each person" {
        return "write each person as a mapping of fields after its `- `, e.g.\n  - firstName: Jane\n    emails: [jane.doe@acme.com]".into();
    }
    if expected == "a mapping" {
        match field {
            "`socials`" => return "write one URL per network, e.g.\nsocials:\n  linkedin: https://linkedin.com/in/janedoe".into(),
            "`defaults`" => return "`defaults` holds person fields shared by every entry, e.g.\ndefaults:\n  matchingAttribute: email".into(),
            "`customAttributes`" => return "write one value per attribute slug, e.g.\ncustomAttributes:\n  customer_tier: gold".into(),
            _ => {}
        }
    }
    match instance {
        Value::Number(_) | Value::Bool(_) if expected.contains("text") => {
            if field == "`phoneNumber`" {
                super::error::ManifestError::unquoted_phone_help("+4930123456789")
            } else {
                "put the value in quotes to make it text".into()
            }
        }
        Value::Null if field == "`people`" => {
            "list the people under `people:`, each starting with `- `, e.g.\npeople:\n  - firstName: Jane".into()
        }
        Value::Null => format!(
            "{field} cannot be null; remove the key to leave it unmanaged{}",
            if field == "`emails`" {
                ", or write `[]` to clear the emails"
            } else {
                ""
            }
        ),
        Value::Object(_) if pointer == "/people" => {
            "`people` is a list: start each person with `- `, e.g.\npeople:\n  - firstName: Jane"
                .into()
        }
        Value::String(_) if expected.starts_with("a list") => {
            format!(
                "write a list, e.g. `{}: [{}]`",
                field.trim_matches('`'),
                instance.as_str().unwrap_or_default()
            )
        }
        _ => format!("write {expected} here"),
    }
}

fn slug_help(slug: &str) -> String {
    let mut fixed = String::new();
    let mut previous_lower = false;
    for c in slug.chars() {
        let lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        if c.is_ascii_uppercase() {
            if previous_lower {
                fixed.push('_');
            }
            fixed.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            fixed.push(c);
        } else if !fixed.ends_with('_') && !fixed.is_empty() {
            fixed.push('_');
        }
        previous_lower = lower;
    }
    let fixed = fixed.trim_end_matches('_');
    if !fixed.is_empty() && fixed.starts_with(|c: char| c.is_ascii_lowercase()) && fixed != slug {
        format!("attribute slugs are lowercase words joined by `_`: did you mean `{fixed}`?")
    } else {
        "attribute slugs are lowercase words joined by `_`, starting with a letter, e.g. `customer_tier`".into()
    }
}

/// The allowed key that `key` is most likely a misspelling of, if any.
pub(crate) fn near_miss<'a, K: AsRef<str>>(key: &str, allowed: &'a [K]) -> Option<&'a str> {
    let squash = |s: &str| s.to_ascii_lowercase().replace(['_', '-', ' '], "");
    allowed
        .iter()
        .map(|k| {
            let k = k.as_ref();
            (
                k,
                strsim::normalized_damerau_levenshtein(&squash(key), &squash(k)),
            )
        })
        .filter(|(_, score)| *score >= 0.6)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k)
}

/// "did you mean" for a near-miss, else the list of keys allowed here.
fn unknown_key_help(key: &str, allowed: &[String], pointer: &str) -> String {
    if let Some(suggestion) = near_miss(key, allowed) {
        return format!("did you mean `{suggestion}`?");
    }
    if matches!(key, "person" | "persons" | "contacts" | "entries") {
        return "did you mean `people`?".into();
    }
    let list = allowed
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if pointer.ends_with("/socials") {
        format!("zeeg knows the networks {list}; keep other profiles in `customAttributes`")
    } else {
        format!("the keys allowed here are {list}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_get_a_suggestion() {
        let allowed: Vec<String> = ["firstName", "jobTitle", "emails"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            unknown_key_help("jobtitle", &allowed, "/people/0"),
            "did you mean `jobTitle`?"
        );
        assert_eq!(
            unknown_key_help("job_title", &allowed, "/people/0"),
            "did you mean `jobTitle`?"
        );
        assert_eq!(
            unknown_key_help("email", &allowed, "/people/0"),
            "did you mean `emails`?"
        );
        assert!(unknown_key_help("shoeSize", &allowed, "/people/0").starts_with("the keys"));
    }

    #[test]
    fn slugs_get_a_snake_case_suggestion() {
        assert!(slug_help("customerTier").contains("`customer_tier`"));
        assert!(slug_help("Customer Tier").contains("`customer_tier`"));
        assert!(slug_help("Employee-ID").contains("`employee_id`"));
    }
}
