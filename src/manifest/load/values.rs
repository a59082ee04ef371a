//! Offline, people's custom values against the attributes the files
//! declare: the rule plan applies online to live attributes
//! ([`crate::api::Attribute::check_value`]), so `validate` finds a value a
//! declared attribute refuses before anything exists.

use std::collections::HashMap;

use super::attributes::LoadedAttribute;
use super::file::Loaded;
use crate::api::object::ObjectSlug;
use crate::api::{Attribute, ValueProblem};
use crate::manifest::attributes::DeclaredAttribute;
use crate::manifest::diagnostic::{ManifestError, Problem};

/// Each value under `customAttributes` whose declared people attribute
/// refuses it, once per entry and attribute, at the entry's matching value
/// (`validate` keeps no place of each value, and reports what plan
/// reports). Undeclared slugs are the live check's: offline they may name
/// attributes that exist.
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
    for entry in loaded {
        let values = entry
            .entry
            .fields
            .get("customAttributes")
            .and_then(|values| values.as_object());
        for (slug, value) in values.into_iter().flatten() {
            let Some((attribute, declared)) = declared.get(slug.as_str()) else {
                continue;
            };
            if let Err(refusal) = attribute.check_value(value) {
                let help = match &refusal.problem {
                    ValueProblem::NotAnOption { .. } => format!(
                        "use one of: {}; or add the option to the declaration at {}",
                        refusal.options.join(", "),
                        declared.source
                    ),
                    _ => refusal.hint(),
                };
                problems.push(
                    Problem::new(ManifestError::DeclaredValue { refusal, help })
                        .at(&entry.source, entry.match_span.clone())
                        .label(format!("the `{slug}` of this person")),
                );
            }
        }
    }
}
