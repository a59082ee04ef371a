//! Custom attribute slugs and values checked against the workspace's
//! attributes before anything is planned: a value the API would refuse is
//! an error at its `file:line`, never a surprise at apply.

use miette::Diagnostic;
use serde_json::{Map, Value};
use thiserror::Error;

use super::LiveError;
use crate::api::{ObjectSchema, ValueRefusal};
use crate::manifest::{Entry, SourceLocation};

/// One custom attribute problem of an entry.
#[derive(Debug, Error, Diagnostic, PartialEq, Eq)]
pub enum CustomAttributeProblem {
    /// The slug is not an active attribute of the workspace.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Unknown(UnknownCustomAttribute),
    /// The value does not fit the attribute's type.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Value(InvalidCustomValue),
}

/// A custom attribute value the API would refuse, at the place it is written.
#[derive(Debug, Error, Diagnostic, PartialEq, Eq)]
#[error("{at}:{}: {refusal}", .at.column)]
#[diagnostic(code(zeeg::plan::custom_attribute_value), help("{}", .refusal.hint()))]
pub struct InvalidCustomValue {
    /// Where the value is written.
    pub at: SourceLocation,
    /// What the attribute's type says.
    pub refusal: ValueRefusal,
}

/// One custom attribute slug the workspace lacks (or has archived).
#[derive(Debug, Error, Diagnostic, PartialEq, Eq)]
#[error("{at}:{}: the workspace has no {}custom attribute `{slug}`", .at.column, if *.archived { "active " } else { "" })]
#[diagnostic(
    code(zeeg::plan::unknown_custom_attribute),
    help("{}", .help)
)]
pub struct UnknownCustomAttribute {
    /// The slug as written.
    pub slug: String,
    /// The entry that uses it.
    pub at: SourceLocation,
    /// Whether the workspace has it, but archived.
    pub archived: bool,
    /// What to do.
    pub help: String,
}

/// Every custom attribute slug an entry sets or matches on must exist, and
/// not be archived, in the workspace; and every value must be one its type
/// accepts (the rule of [`crate::api::attribute`], which the sandbox applies
/// to writes too).
pub fn check_custom_attributes(entries: &[Entry], schema: &ObjectSchema) -> Result<(), LiveError> {
    let mut problems = Vec::new();
    for entry in entries {
        let found = value_problems(entry, schema).chain(slug_problems(entry, schema));
        for problem in found {
            // A value from defaults is wrong once, not once per entry.
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        // In the order of the files, as `validate` reports.
        problems.sort_by(|a, b| a.at().cmp(b.at()));
        Err(LiveError::CustomAttributes { problems })
    }
}

/// Where `entry` writes the value of `slug`: the value's own place when it
/// has one (the matching attribute's slug may have none), else the entry's.
fn value_at(entry: &Entry, slug: &str) -> SourceLocation {
    entry
        .custom_value_at
        .get(slug)
        .cloned()
        .unwrap_or_else(|| entry.source.clone())
}

/// The custom values of `entry` that their attribute refuses.
fn value_problems<'a>(
    entry: &'a Entry,
    schema: &'a ObjectSchema,
) -> impl Iterator<Item = CustomAttributeProblem> + 'a {
    let values = match entry.fields.get("customAttributes") {
        Some(Value::Object(values)) => values,
        _ => Map::new(),
    };
    values.into_iter().filter_map(move |(slug, value)| {
        // Unknown and archived slugs are reported once, by `slug_problems`.
        let attribute = schema
            .attributes
            .iter()
            .find(|a| a.key == slug && !a.is_archived && !a.is_standard)?;
        let refusal = attribute.check_value(&value).err()?;
        Some(CustomAttributeProblem::Value(InvalidCustomValue {
            at: value_at(entry, &slug),
            refusal,
        }))
    })
}

/// The slugs `entry` sets or matches on that are no live custom attribute
/// of the workspace.
fn slug_problems(entry: &Entry, schema: &ObjectSchema) -> Vec<CustomAttributeProblem> {
    let mut slugs: Vec<String> = match entry.fields.get("customAttributes") {
        Some(Value::Object(values)) => values.into_iter().map(|(slug, _)| slug).collect(),
        _ => Vec::new(),
    };
    if entry.matching_attribute.is_custom() {
        slugs.push(entry.matching_attribute.slug().to_string());
    }
    slugs.dedup();
    slugs
        .into_iter()
        .filter_map(|slug| unknown_slug(entry, &slug, schema))
        .map(CustomAttributeProblem::Unknown)
        .collect()
}

/// Why `slug` is no custom attribute the API takes, if it is none: unknown,
/// standard, or archived.
fn unknown_slug(
    entry: &Entry,
    slug: &str,
    schema: &ObjectSchema,
) -> Option<UnknownCustomAttribute> {
    // The object lists the standard attributes too, but under
    // `customAttributes` the API takes only custom ones.
    let known = schema
        .attributes
        .iter()
        .find(|a| a.key == slug && !a.is_standard);
    let (archived, help) = match known {
        Some(attribute) if !attribute.is_archived => return None,
        None if crate::person::is_standard_slug(slug) => (false, standard_help(slug)),
        Some(_) => (
            true,
            format!("`{slug}` is archived in Zeeg: restore it there, or remove it from this entry"),
        ),
        None => (false, missing_help(slug, schema)),
    };
    Some(UnknownCustomAttribute {
        slug: slug.to_string(),
        at: value_at(entry, slug),
        archived,
        help,
    })
}

impl CustomAttributeProblem {
    fn at(&self) -> &SourceLocation {
        match self {
            CustomAttributeProblem::Unknown(problem) => &problem.at,
            CustomAttributeProblem::Value(problem) => &problem.at,
        }
    }
}

/// `first_name` under `customAttributes`: the field it is.
fn standard_help(slug: &str) -> String {
    let field = crate::person::standard_field(slug).unwrap_or("emails");
    format!("`{slug}` is a standard attribute, not a custom one: write it as the entry's `{field}`")
}

fn missing_help(slug: &str, schema: &ObjectSchema) -> String {
    let closest = schema
        .attributes
        .iter()
        .filter(|a| !a.is_standard && !a.is_archived)
        .map(|a| (strsim::jaro_winkler(slug, &a.key), &a.key))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match closest {
        Some((_, key)) => {
            format!("did you mean `{key}`? Custom attributes are created in Zeeg, not by zeeg")
        }
        None => format!(
            "create the attribute `{slug}` for people in Zeeg first, or fix the slug; zeeg does not create attributes"
        ),
    }
}
