//! The workspace's custom attributes as declarations, in `attributes.yaml`:
//! what import writes beside the people so that a plan of its files changes
//! no attribute.

use super::node::Node;
use super::yaml::{modeline, to_yaml};
use super::{ImportError, PeopleFile};
use crate::api::Attribute;
use crate::api::attribute::AttributeType;
use crate::manifest::attributes::is_declarable;

/// The name of the file that holds the declarations.
pub const ATTRIBUTES_FILE: &str = "attributes.yaml";

/// `attributes.yaml` declaring every custom attribute of people and
/// companies (archived ones too, as `archived: true`), each as the API
/// lists it; `None` when there is none. Standard attributes are Zeeg's, and
/// types a declaration cannot name (relation, user, currency) are left
/// undeclared, so unmanaged.
pub fn attributes_file(
    people: &[Attribute],
    companies: &[Attribute],
    schema_ref: &str,
) -> Result<Option<PeopleFile>, ImportError> {
    let mut objects = Vec::new();
    let mut count = 0;
    for (object, attributes) in [("people", people), ("companies", companies)] {
        let declared: Vec<Node> = attributes.iter().filter_map(declaration).collect();
        count += declared.len();
        if !declared.is_empty() {
            objects.push((object.to_string(), Node::List(declared)));
        }
    }
    if objects.is_empty() {
        return Ok(None);
    }
    let document = Node::Map(vec![("attributes".to_string(), Node::Map(objects))]);
    let body = to_yaml(&document).map_err(|source| ImportError::Emit { source })?;
    Ok(Some(PeopleFile {
        name: ATTRIBUTES_FILE.to_string(),
        people: 0,
        companies: 0,
        attributes: count,
        text: format!("{}{body}", modeline(schema_ref)),
    }))
}

/// One attribute as its declaration: defaults left out, as a person would
/// write it.
fn declaration(attribute: &Attribute) -> Option<Node> {
    let kind: AttributeType = attribute.kind.parse().ok()?;
    if attribute.is_standard || !is_declarable(kind) {
        return None;
    }
    let mut fields = vec![
        ("key".to_string(), Node::text(&attribute.key)),
        ("label".to_string(), Node::text(&attribute.label)),
        ("type".to_string(), Node::text(kind.as_str())),
    ];
    if kind.has_options() {
        let options = attribute.options.iter().map(|option| match &option.color {
            None => Node::text(&option.value),
            Some(color) => Node::Map(vec![
                ("value".to_string(), Node::text(&option.value)),
                ("color".to_string(), Node::text(color)),
            ]),
        });
        fields.push(("options".to_string(), Node::List(options.collect())));
    }
    for (name, on) in [
        ("required", attribute.is_required),
        ("unique", attribute.is_unique),
        ("archived", attribute.is_archived),
    ] {
        if on {
            fields.push((name.to_string(), Node::Bool(true)));
        }
    }
    Some(Node::Map(fields))
}
