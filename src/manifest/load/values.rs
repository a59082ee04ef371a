//! Offline, people's custom values against the attributes the files
//! declare: the rule plan applies online to live attributes
//! ([`crate::api::Attribute::check_value`]), so `validate` finds a value a
//! declared attribute refuses before anything exists.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::attributes::LoadedAttribute;
use super::file::Loaded;
use crate::api::object::ObjectSlug;
use crate::api::{Attribute, ValueProblem};
use crate::manifest::attributes::DeclaredAttribute;
use crate::manifest::diagnostic::{ManifestError, Problem};

/// Each value under `customAttributes` whose declared people attribute
/// refuses it, once per entry and attribute, where the value is written.
/// Undeclared slugs are the live check's: offline they may name attributes
/// that exist.
pub(super) fn check_declared_values(
    loaded: &[Loaded],
    attributes: &[LoadedAttribute],
    problems: &mut Vec<Problem>,
) {
    let declared: HashMap<&str, (Attribute, &DeclaredAttribute)> = attributes
        .iter()
        .map(|a| &a.declared)
        .filter(|a| a.object == ObjectSlug::People && !a.declaration.archived)
        .filter_map(|a| {
            Some((
                a.declaration.key.as_str(),
                (a.declaration.as_attribute()?, a),
            ))
        })
        .collect();
    if declared.is_empty() {
        return;
    }
    // A value from defaults is wrong once, not once per entry using it.
    let mut reported = HashSet::new();
    for entry in loaded {
        let Some(Value::Object(values)) = entry.entry.fields.get("customAttributes") else {
            continue;
        };
        for (slug, value) in values {
            let Some((attribute, declared)) = declared.get(slug.as_str()) else {
                continue;
            };
            let written = entry.entry.custom_value_at.get_key_value(slug.as_str());
            if written.is_some_and(|(slug, at)| !reported.insert((slug.as_str(), at))) {
                continue;
            }
            if let Err(refusal) = attribute.check_value(&value) {
                let help = match &refusal.problem {
                    ValueProblem::NotAnOption { .. } => format!(
                        "use one of: {}; or add the option to the declaration at {}",
                        refusal.options.join(", "),
                        declared.source
                    ),
                    _ => refusal.hint(),
                };
                let problem = Problem::new(ManifestError::DeclaredValue { refusal, help });
                problems.push(at_value(problem, entry, &slug));
            }
        }
    }
}

/// `problem` at the value of `slug` in the entry's own file (to the end of
/// its line), or at the entry when the value comes from zeeg.yaml's
/// defaults, which the label then names.
fn at_value(problem: Problem, entry: &Loaded, slug: &str) -> Problem {
    let written = entry.entry.custom_value_at.get(slug);
    let in_file = written.filter(|at| at.file == entry.entry.source.file);
    let span = in_file.and_then(|at| {
        let start = entry.source.offset_of(at.line, at.column)?;
        let line = entry.source.line_bounds(at.line - 1);
        Some(start..line.end.max(start))
    });
    match (span, written) {
        (Some(span), _) => problem.at(&entry.source, span).label("this value"),
        (None, Some(at)) => problem
            .at(&entry.source, entry.match_span.clone())
            .label(format!("its `{slug}` comes from the defaults at {at}")),
        (None, None) => problem
            .at(&entry.source, entry.match_span.clone())
            .label(format!("the `{slug}` of this person")),
    }
}
