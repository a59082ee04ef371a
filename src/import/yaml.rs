//! The YAML text of a people file.
//!
//! Emission is `serde-saphyr`'s, with options that give the canonical form:
//! two-space indents with list items indented under their key, no folding of
//! long lines, strings quoted only when YAML would read them as something else
//! (including YAML 1.1 spellings such as `yes`, `on`, `1_000` or dates, so that
//! older readers agree too), and multi-line text as literal block scalars
//! whose chomping indicator (`|-`, `|`, `|+`) keeps the trailing newlines.
//!
//! One policy is ours: multi-line text that a block scalar would carry only
//! invisibly or awkwardly — trailing spaces or tabs on a line (editors strip
//! them), a first line that starts with white space (it needs an indentation
//! indicator), or nothing but newlines — is written double-quoted with escapes
//! instead, so what is in the file is exactly what is in the CRM.

use serde_saphyr::SerializerOptions;

use super::companies::{Companies, CompanyLink};
use super::document::entry_document;
use super::node::Node;
use super::select::has_email;
use crate::api::Person;
use crate::company::LINK_FIELD;
use crate::person::DEFAULT_MATCHING_ATTRIBUTE;

/// The serializer settings of the canonical form.
fn options() -> SerializerOptions {
    serde_saphyr::ser_options! {
        indent_step: 2,
        compact_list_indent: false,
        prefer_block_scalars: true,
        folded_wrap_chars: usize::MAX,
        yaml_12: false,
    }
}

/// Emits any node in the canonical style.
pub fn to_yaml(node: &Node) -> Result<String, serde_saphyr::SerializeError> {
    serde_saphyr::to_string_with_options(node, options())
}

/// The first line of every imported file: tells yaml-language-server which
/// schema to check and complete the file with.
pub fn modeline(schema_ref: &str) -> String {
    format!("# yaml-language-server: $schema={schema_ref}\n")
}

/// What one imported file holds.
#[derive(Debug, Default)]
pub struct Layout<'a> {
    /// The `companies` it declares (see [`Companies::declarations`]).
    pub companies: Vec<Node>,
    /// `defaults.company`: the domain of every entry's company (a file per
    /// company); its entries then name no company of their own.
    pub company: Option<&'a str>,
    /// The people, in order.
    pub people: Vec<&'a Person>,
}

/// The text of a people file holding `layout`: `companies`, `defaults`, then
/// `people`, each only when there is something in it.
///
/// Files that hold email entries declare `defaults: {matchingAttribute: email}`,
/// so they mean the same whatever a `zeeg.yaml` around them sets as the default.
pub fn people_file(
    layout: &Layout<'_>,
    companies: &Companies<'_>,
    schema_ref: &str,
) -> Result<String, serde_saphyr::SerializeError> {
    let Layout {
        companies: declared,
        company,
        people,
    } = layout;
    let mut document = Vec::with_capacity(3);
    if !declared.is_empty() {
        document.push(("companies".to_string(), Node::List(declared.clone())));
    }
    let mut defaults = Vec::new();
    if people.iter().any(|p| has_email(p)) {
        defaults.push((
            "matchingAttribute".to_string(),
            Node::text(DEFAULT_MATCHING_ATTRIBUTE),
        ));
    }
    if let Some(domain) = company {
        defaults.push((LINK_FIELD.to_string(), Node::text(domain)));
    }
    if !defaults.is_empty() {
        document.push(("defaults".to_string(), Node::Map(defaults)));
    }
    if !people.is_empty() {
        let link = |p: &Person| match company {
            Some(_) => CompanyLink::FromDefaults,
            None => companies.link(p),
        };
        let entries = people.iter().map(|p| entry_document(p, link(p))).collect();
        document.push(("people".to_string(), Node::List(entries)));
    }
    let body = to_yaml(&Node::Map(document))?;
    Ok(with_blank_lines(&modeline(schema_ref), &body, people.len()))
}

/// `head` then `body` with a blank line between people, as a person would
/// write it: each entry reads as a paragraph, and a diff of one person stays
/// within its own. People start with `  - ` at column 0 under `people:`;
/// scalars inside an entry are indented deeper, so no line of a value can
/// begin that way. An entry that ends in a `|+` block already ends in empty
/// lines, which belong to that text: one more would change it, so it gets none.
fn with_blank_lines(head: &str, body: &str, people: usize) -> String {
    let mut text = String::with_capacity(head.len() + body.len() + people);
    text.push_str(head);
    let mut in_people = false;
    for line in body.split_inclusive('\n') {
        if !line.starts_with(' ') {
            // A top-level key.
            in_people = line == "people:\n";
        } else if in_people
            && line.starts_with(PERSON_START)
            && !text.ends_with("people:\n")
            && !text.ends_with("\n\n")
        {
            text.push('\n');
        }
        text.push_str(line);
    }
    text
}

/// How a person's list item starts in the emitted text.
const PERSON_START: &str = "  - ";

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A file of `people` and nothing else.
    fn plain_file(people: &[&Person], schema_ref: &str) -> String {
        let layout = Layout {
            people: people.to_vec(),
            ..Layout::default()
        };
        people_file(&layout, &Companies::default(), schema_ref).unwrap()
    }

    fn emit_one(value: &str) -> String {
        to_yaml(&Node::Map(vec![("k".into(), Node::text(value))])).unwrap()
    }

    #[test]
    fn strings_yaml_would_misread_are_quoted_and_plain_ones_are_not() {
        for ambiguous in [
            "yes",
            "no",
            "Off",
            "null",
            "~",
            "true",
            "123",
            "1.5",
            "-1",
            "1e3",
            "0x1F",
            "+4930123456789",
            "2025-01-01",
            "- x",
            "-",
            "# x",
            "&a",
            "*a",
            "!tag",
            "|x",
            ">x",
            "'x",
            "\"x",
            "%x",
            "@x",
            "`x",
            "a: b",
            "a #b",
            " lead",
            "trail ",
            "",
            "[x",
            "{x",
            "? x",
        ] {
            let yaml = emit_one(ambiguous);
            assert!(
                yaml.starts_with("k: \"") || yaml.starts_with("k: '"),
                "{ambiguous:?} not quoted: {yaml}"
            );
        }
        for plain in [
            "Jane Doe",
            "Ünïcödé 名前",
            "jane@acme.com",
            "Berlin, Germany",
            "a:b",
            "a#b",
            "https://linkedin.com/in/jane",
        ] {
            assert_eq!(emit_one(plain), format!("k: {plain}\n"));
        }
    }

    #[test]
    fn multi_line_text_keeps_its_trailing_newlines_with_the_right_chomping() {
        assert_eq!(emit_one("a\nb"), "k: |-\n  a\n  b\n");
        assert_eq!(emit_one("a\nb\n"), "k: |\n  a\n  b\n");
        assert_eq!(emit_one("a\nb\n\n"), "k: |+\n  a\n  b\n\n");
    }

    #[test]
    fn multi_line_text_a_block_would_blur_is_double_quoted() {
        assert_eq!(emit_one("a \nb"), "k: \"a \\nb\"\n");
        assert_eq!(emit_one("  a\nb"), "k: \"  a\\nb\"\n");
        assert_eq!(emit_one("\n\n"), "k: \"\\n\\n\"\n");
        assert_eq!(emit_one("a\r\nb"), "k: \"a\\r\\nb\"\n");
    }

    #[test]
    fn long_lines_are_not_folded() {
        let long = "word ".repeat(40) + "end";
        assert_eq!(emit_one(&long), format!("k: {long}\n"));
    }

    /// Reads YAML the way the manifest loader does (saphyr, YAML 1.2) and as
    /// serde-saphyr does, and checks both see `expected`.
    fn assert_reads_back(yaml: &str, expected: &serde_json::Value) {
        let back: serde_json::Value = serde_saphyr::from_str(yaml).unwrap();
        assert_eq!(&back, expected, "serde-saphyr read of:\n{yaml}");
        use saphyr::LoadableYamlNode;
        let docs = saphyr::Yaml::load_from_str(yaml).unwrap();
        assert_eq!(
            &saphyr_to_json(&docs[0]),
            expected,
            "saphyr read of:\n{yaml}"
        );
    }

    fn saphyr_to_json(yaml: &saphyr::Yaml) -> serde_json::Value {
        use saphyr::{Scalar, Yaml};
        match yaml {
            Yaml::Value(Scalar::Null) => serde_json::Value::Null,
            Yaml::Value(Scalar::Boolean(b)) => (*b).into(),
            Yaml::Value(Scalar::Integer(i)) => (*i).into(),
            Yaml::Value(Scalar::FloatingPoint(f)) => serde_json::json!(f.into_inner()),
            Yaml::Value(Scalar::String(s)) => s.to_string().into(),
            Yaml::Sequence(items) => items.iter().map(saphyr_to_json).collect(),
            Yaml::Mapping(map) => map
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::Value(Scalar::String(s)) => s.to_string(),
                        other => panic!("non-string key {other:?}"),
                    };
                    (key, saphyr_to_json(v))
                })
                .collect::<serde_json::Map<_, _>>()
                .into(),
            other => panic!("unexpected node {other:?}"),
        }
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let text = prop_oneof![
            // Anything at all, including control characters and odd white space.
            any::<String>(),
            // Text made of the characters YAML cares about most.
            "[a-c \\n\\t:#\\-'\"|>!&*%@`,\\[\\]{}?~]{0,12}",
            // Spellings that look like other types.
            prop::sample::select(vec![
                "yes",
                "No",
                "ON",
                "null",
                "Null",
                "~",
                "true",
                "FALSE",
                "123",
                "-1.5e3",
                ".inf",
                "0o17",
                "0x1F",
                "1_000",
                "12:30",
                "2025-01-01",
                "=",
                "<<",
                "-",
                "---",
                "...",
            ])
            .prop_map(str::to_string),
        ];
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(Into::into),
            any::<i64>().prop_map(Into::into),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| serde_json::json!(f)),
            text.prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Into::into),
                prop::collection::vec(("[a-z_]{1,8}|yes|123|a b", inner), 0..4)
                    .prop_map(|pairs| { serde_json::Value::Object(pairs.into_iter().collect()) }),
            ]
        })
    }

    fn node_to_json(node: &Node) -> serde_json::Value {
        match node {
            Node::Null => serde_json::Value::Null,
            Node::Bool(b) => (*b).into(),
            Node::Number(n) => serde_json::Value::Number(n.clone()),
            Node::Text(s) => s.clone().into(),
            Node::List(items) => items.iter().map(node_to_json).collect(),
            Node::Map(entries) => entries
                .iter()
                .map(|(k, v)| (k.clone(), node_to_json(v)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-c \\n\\t:#\\-'\"|>!&*%@`]{0,12}",
            Just("  - x".to_string()),
            Just("x\n  - y\n".to_string()),
            // Kept trailing newlines (`|+`) at the end of an entry.
            Just("x\n\n".to_string()),
            Just("x\ny\n\n\n".to_string()),
        ]
    }

    fn person() -> impl Strategy<Value = Person> {
        (
            prop::option::of(text()),
            prop::option::of(text()),
            prop::collection::vec(text(), 0..3),
            prop::option::of(text()),
            prop::option::of(text()),
        )
            .prop_map(
                |(first_name, description, emails, phone_number, linkedin)| Person {
                    id: "id".into(),
                    first_name,
                    last_name: Some("Doe".into()),
                    salutation: None,
                    emails,
                    job_title: None,
                    description,
                    phone_number,
                    primary_location: None,
                    avatar_url: None,
                    company: None,
                    socials: crate::api::Socials {
                        linkedin,
                        ..Default::default()
                    },
                    custom_attributes: Default::default(),
                    created_at: String::new(),
                    updated_at: String::new(),
                },
            )
    }

    #[test]
    fn an_entry_ending_in_kept_newlines_keeps_exactly_them() {
        let people: Vec<Person> = ["a\n\n", "b\n"]
            .iter()
            .enumerate()
            .map(|(i, description)| {
                serde_json::from_value(serde_json::json!({
                    "id": i.to_string(), "firstName": "A", "emails": [format!("{i}@x.com")],
                    "description": description, "createdAt": "", "updatedAt": ""
                }))
                .unwrap()
            })
            .collect();
        let text = plain_file(&people.iter().collect::<Vec<_>>(), "s.json");
        let back: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back["people"][0]["description"], "a\n\n");
        assert_eq!(back["people"][1]["description"], "b\n");
    }

    #[test]
    fn people_are_separated_by_a_blank_line() {
        let people = [
            serde_json::from_value::<Person>(serde_json::json!({
                "id": "1", "firstName": "A", "emails": ["a@x.com"],
                "description": "one\n  - two\n", "createdAt": "", "updatedAt": ""
            }))
            .unwrap(),
            serde_json::from_value::<Person>(serde_json::json!({
                "id": "2", "firstName": "B", "phoneNumber": "+491",
                "createdAt": "", "updatedAt": ""
            }))
            .unwrap(),
        ];
        let text = plain_file(&people.iter().collect::<Vec<_>>(), "s.json");
        assert_eq!(
            text,
            "# yaml-language-server: $schema=s.json\n\
             defaults:\n  matchingAttribute: email\n\
             people:\n\
             \x20 - firstName: A\n    emails:\n      - a@x.com\n    description: |\n      one\n        - two\n\
             \n\
             \x20 - matchingAttribute: phone_number\n    firstName: B\n    phoneNumber: \"+491\"\n"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn every_people_file_reads_back_as_its_entries(people in prop::collection::vec(person(), 1..4)) {
            let refs: Vec<&Person> = people.iter().collect();
            let text = plain_file(&refs, "../schema/people.schema.json");
            let mut expected = serde_json::Map::new();
            if refs.iter().any(|p| has_email(p)) {
                expected.insert("defaults".into(), serde_json::json!({"matchingAttribute": "email"}));
            }
            let entries = refs.iter().map(|p| node_to_json(&entry_document(p, CompanyLink::ById))).collect();
            expected.insert("people".into(), serde_json::Value::Array(entries));
            assert_reads_back(&text, &serde_json::Value::Object(expected));
        }

        #[test]
        fn every_emitted_value_reads_back_equal(value in json_value()) {
            let document = serde_json::json!({"people": [{"description": value.clone(), "list": [value]}]});
            let node = Node::from_json(&document);
            let yaml = to_yaml(&node).unwrap();
            // Keys are sorted by `from_json`; JSON object equality ignores order.
            assert_reads_back(&yaml, &document);
        }
    }
}
