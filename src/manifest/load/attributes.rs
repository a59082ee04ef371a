//! The `attributes:` of a file (a people file or `zeeg.yaml`): each
//! declaration read, its own problems reported where they are written, and
//! no object and key declared twice across files.

use super::*;
use crate::api::object::ObjectSlug;
use crate::manifest::attributes::{
    AttributeDeclaration, DeclarationProblem, is_snake_case, type_help,
};

/// A declaration and where it is written, for the duplicate check.
pub(super) struct LoadedAttribute {
    pub(super) declared: DeclaredAttribute,
    source: SourceText,
    /// The span of its `key` value.
    span: Range<usize>,
}

/// Reads the declarations of a file whose schema check passed for
/// `attributes`, reporting each declaration's problems (hints are not
/// problems: they are `validate`'s to show).
pub(super) fn load_attributes(
    doc: &Document,
    source: &SourceText,
    shown: &Path,
    problems: &mut Vec<Problem>,
) -> Vec<LoadedAttribute> {
    let mut loaded = Vec::new();
    for object in ObjectSlug::ALL {
        let list = doc
            .value
            .pointer(&format!("/attributes/{object}"))
            .and_then(Value::as_array);
        for (index, item) in list.into_iter().flatten().enumerate() {
            let Ok(declaration) = AttributeDeclaration::deserialize(item) else {
                continue;
            };
            let at = Declared {
                spans: &doc.spans,
                source,
                pointer: format!("/attributes/{object}/{index}"),
            };
            problems.extend(at.problems(&declaration));
            let (line, column) = source.line_col(at.value("").start);
            loaded.push(LoadedAttribute {
                declared: DeclaredAttribute {
                    object,
                    declaration,
                    source: SourceLocation {
                        file: shown.into(),
                        line,
                        column,
                    },
                },
                source: source.clone(),
                span: at.value("/key"),
            });
        }
    }
    loaded
}

/// One declaration's place in its file.
struct Declared<'a> {
    spans: &'a Spans,
    source: &'a SourceText,
    /// Its list item's JSON pointer.
    pointer: String,
}

impl Declared<'_> {
    /// The span of the value at `below` (`/key`), or of its closest ancestor.
    fn value(&self, below: &str) -> Range<usize> {
        self.spans
            .nearest(&format!("{}{below}", self.pointer))
            .map_or(0..0, |s| s.value)
    }

    /// The span of the key `field` of the item (its value when it has none).
    fn key(&self, field: &str) -> Range<usize> {
        self.spans
            .nearest(&format!("{}/{field}", self.pointer))
            .map_or(0..0, |s| s.key.unwrap_or(s.value))
    }

    fn problems(&self, declaration: &AttributeDeclaration) -> Vec<Problem> {
        declaration
            .problems()
            .into_iter()
            .filter_map(|problem| self.problem(declaration, problem))
            .collect()
    }

    /// The diagnostic of one problem; `None` for a hint.
    fn problem(
        &self,
        declaration: &AttributeDeclaration,
        problem: DeclarationProblem,
    ) -> Option<Problem> {
        let source = self.source;
        Some(match problem {
            DeclarationProblem::UnknownType(kind) => Problem::new(ManifestError::AttributeType {
                help: type_help(&kind),
                kind,
            })
            .at(source, self.value("/type"))
            .label("this type"),
            DeclarationProblem::KeyForm => Problem::new(ManifestError::AttributeKeyForm {
                key: declaration.key.clone(),
                help: key_help(declaration),
            })
            .at(source, self.value("/key"))
            .label("not snake_case"),
            DeclarationProblem::OptionsNotAllowed(kind) => {
                Problem::new(ManifestError::AttributeOptionsNotAllowed {
                    kind: kind.to_string(),
                })
                .at(source, self.key("options"))
                .label("options")
            }
            DeclarationProblem::UniqueNotAllowed(kind) => {
                Problem::new(ManifestError::AttributeUniqueNotAllowed {
                    kind: kind.to_string(),
                })
                .at(source, self.key("unique"))
                .label("unique")
            }
            DeclarationProblem::DuplicateOption(value) => {
                let (first, again) = duplicate_at(declaration, &value);
                Problem::new(ManifestError::DuplicateAttributeOption { value })
                    .at(source, self.value(&format!("/options/{again}")))
                    .label("second time")
                    .also(
                        source,
                        self.value(&format!("/options/{first}")),
                        "first time",
                    )
            }
            DeclarationProblem::KeyDiffersFromLabel { .. } => return None,
        })
    }
}

/// The indexes of the first option equal to `value` ignoring case, and of
/// the later one that is exactly `value`.
fn duplicate_at(declaration: &AttributeDeclaration, value: &str) -> (usize, usize) {
    let values = declaration.option_values();
    let lower = value.to_lowercase();
    let first = values
        .iter()
        .position(|v| v.to_lowercase() == lower)
        .unwrap_or(0);
    let again = values
        .iter()
        .enumerate()
        .skip(first + 1)
        .find(|(_, v)| **v == value)
        .map_or(first, |(i, _)| i);
    (first, again)
}

fn key_help(declaration: &AttributeDeclaration) -> String {
    let derived = crate::api::object::derive_key(&declaration.label);
    let suggestion = if is_snake_case(&derived) {
        format!(
            "; for the label `{}` the server derives `{derived}`",
            declaration.label
        )
    } else {
        String::new()
    };
    format!(
        "a key is snake_case: a lowercase letter, then lowercase letters, digits and single \
         underscores{suggestion}"
    )
}

/// Two declarations of one object and key, in one file or across files,
/// name both places.
pub(super) fn check_attribute_keys(attributes: &[LoadedAttribute], problems: &mut Vec<Problem>) {
    let twice = repeats(attributes, |a| {
        (a.declared.object, a.declared.declaration.key.as_str())
    });
    for (attribute, earlier) in twice {
        let declared = &attribute.declared;
        problems.push(
            Problem::new(ManifestError::DuplicateAttribute {
                object: declared.object.to_string(),
                key: declared.declaration.key.clone(),
            })
            .at(&attribute.source, attribute.span.clone())
            .label("declared again")
            .also(&earlier.source, earlier.span.clone(), "first declared here"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{manifest, one_problem};

    fn declaring(items: &str) -> String {
        format!("attributes:\n  people:\n{items}")
    }

    const TIER: &str = "    - {key: tier, label: Tier, type: text}\n";

    #[test]
    fn an_attribute_declared_in_zeeg_yaml_and_a_file_names_both_places() {
        let seen = one_problem(&[
            ("zeeg.yaml", &declaring(TIER)),
            ("people.yaml", &declaring(TIER)),
        ]);
        assert_eq!(
            seen.placed(),
            (
                "the people attribute `tier` is declared twice",
                Some("people.yaml:3"),
                Some("zeeg.yaml:3")
            )
        );
    }

    #[test]
    fn one_key_on_two_objects_is_two_attributes() {
        let file = format!("{}  companies:\n{TIER}", declaring(TIER));
        let manifest = manifest(&[("attributes.yaml", &file)]);
        assert_eq!(manifest.attributes.len(), 2);
        let line = |i: usize| manifest.attributes[i].source.line;
        assert_eq!((line(0), line(1)), (3, 5));
    }

    #[test]
    fn a_key_that_is_not_snake_case_is_refused_with_the_derived_key() {
        let file = declaring("    - {key: Tier, label: Customer Tier, type: text}\n");
        let seen = one_problem(&[("attributes.yaml", &file)]);
        assert_eq!(
            seen.placed(),
            (
                "the attribute key `Tier` is not snake_case",
                Some("attributes.yaml:3"),
                None
            )
        );
        let help = seen.help.as_deref().unwrap_or_default();
        assert!(
            help.ends_with("; for the label `Customer Tier` the server derives `customer_tier`"),
            "{help}"
        );
    }

    #[test]
    fn an_option_twice_ignoring_case_names_both_options() {
        let file = declaring(
            "    - key: tier\n      label: Tier\n      type: select\n      \
             options:\n        - gold\n        - silver\n        - Gold\n",
        );
        let seen = one_problem(&[("attributes.yaml", &file)]);
        assert_eq!(
            seen.placed(),
            (
                "the option `Gold` is declared twice",
                Some("attributes.yaml:9"),
                Some("attributes.yaml:7")
            )
        );
    }

    #[test]
    fn options_on_a_type_without_them_point_at_the_options_key() {
        let file = declaring(
            "    - key: tier\n      label: Tier\n      type: text\n      options: [gold]\n",
        );
        let seen = one_problem(&[("attributes.yaml", &file)]);
        assert_eq!(
            seen.placed(),
            (
                "a `text` attribute has no options",
                Some("attributes.yaml:6"),
                None
            )
        );
    }
}
