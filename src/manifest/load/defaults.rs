//! `defaults`: merging them under entries, and the help for a default
//! matching attribute that entries have no value for.

use super::*;

/// One problem per `defaults.matchingAttribute` that entries inherit without
/// having a value for it: a wrong slug in zeeg.yaml is one error at its line,
/// with a "did you mean" over the slugs the project knows, not one per person.
pub(super) fn report_unmatched_defaults(
    loaded: &[Loaded],
    project_default: Option<&(SourceText, Range<usize>)>,
    problems: &mut Vec<Problem>,
) {
    // Where the default is, its attribute, and the entries without a value.
    type Group<'l> = ((SourceText, Range<usize>), &'l str, Vec<&'l Loaded>);
    let mut groups: Vec<Group> = Vec::new();
    for item in loaded {
        let place = match (&item.unmatched_default, project_default) {
            (None, _) => continue,
            (Some(DefaultAt::File(span)), _) => (item.source.clone(), span.clone()),
            (Some(DefaultAt::Project), Some(place)) => place.clone(),
            (Some(DefaultAt::Project), None) => continue,
        };
        let attribute = item.entry.matching_attribute.slug();
        match groups
            .iter_mut()
            .find(|(p, a, _)| p.0.same(&place.0) && p.1 == place.1 && *a == attribute)
        {
            Some((_, _, items)) => items.push(item),
            None => groups.push((place, attribute, vec![item])),
        }
    }
    if groups.is_empty() {
        return;
    }
    let known = known_slugs(loaded);
    for ((source, span), attribute, items) in groups {
        let help = unmatched_default_help(attribute, &items[0].entry.source, &known);
        problems.push(
            Problem::new(ManifestError::DefaultWithoutValues {
                attribute: attribute.to_string(),
                entries: items.len(),
            })
            .at(&source, span)
            .label(format!(
                "the matching attribute of {}",
                crate::plural::counted(items.len(), "entry", "entries")
            ))
            .help(help),
        );
    }
}

/// The slugs a matching attribute could mean: the standard ones and every
/// custom attribute the entries set.
pub(super) fn known_slugs(loaded: &[Loaded]) -> Vec<String> {
    let mut known: Vec<String> = crate::person::STANDARD_SLUGS
        .iter()
        .map(|(slug, _)| slug.to_string())
        .collect();
    // A set beside the list: `contains` on the list was quadratic in slugs.
    let mut seen: HashSet<String> = known.iter().cloned().collect();
    for item in loaded {
        let Some(Value::Object(custom)) = item.entry.fields.get("customAttributes") else {
            continue;
        };
        for (slug, _) in custom {
            if seen.insert(slug.clone()) {
                known.push(slug);
            }
        }
    }
    known
}

/// The fix for a default matching attribute that entries have no value for:
/// a near slug, else the slugs they do have, and where the first entry is.
pub(super) fn unmatched_default_help(
    attribute: &str,
    first: &SourceLocation,
    known: &[String],
) -> String {
    let suggestion = known
        .iter()
        .filter(|slug| *slug != attribute)
        .map(|slug| (strsim::jaro_winkler(attribute, slug), slug.as_str()))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let fix = format!(
        "or give each of them a value for `{attribute}` (the first is {}:{})",
        first.file.display(),
        first.line
    );
    match suggestion {
        Some((_, slug)) => format!("did you mean `{slug}`? {}", capitalised_or(&fix)),
        None => format!(
            "use a slug the entries have a value for: {}; {fix}",
            known
                .iter()
                .take(10)
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `or give …` after a question: `Or give …`.
pub(super) fn capitalised_or(text: &str) -> String {
    match text.strip_prefix("or ") {
        Some(rest) => format!("Or {rest}"),
        None => text.to_string(),
    }
}

/// Puts each key of `defaults` into `entry` unless the entry has it;
/// `socials` and `customAttributes` merge key by key. `company` and
/// `companyId` are one setting, the link: an entry (or nearer defaults)
/// holding either keeps it, and takes neither from further defaults.
pub(super) fn merge_under(entry: &mut Map<String, Value>, defaults: &Map<String, Value>) {
    let linked = entry.contains_key(company::LINK_FIELD) || entry.contains_key(company::ID_FIELD);
    for (key, value) in defaults {
        if linked && (key == company::LINK_FIELD || key == company::ID_FIELD) {
            continue;
        }
        match (entry.get_mut(key), value) {
            (None, _) => {
                entry.insert(key.clone(), value.clone());
            }
            (Some(Value::Object(mine)), Value::Object(theirs))
                if key == "socials" || key == "customAttributes" =>
            {
                for (k, v) in theirs {
                    if !mine.contains_key(k) {
                        mine.insert(k.clone(), v.clone());
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{field, manifest, one_problem};
    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not a mapping: {other}"),
        }
    }

    fn merged(entry: Value, defaults: Value) -> Value {
        let mut entry = map(entry);
        merge_under(&mut entry, &map(defaults));
        Value::Object(entry)
    }

    #[test]
    fn a_default_fills_only_what_the_entry_lacks() {
        let entry = json!({"firstName": "Jane", "jobTitle": "CEO"});
        let defaults = json!({"jobTitle": "Staff", "description": "from defaults"});
        assert_eq!(
            merged(entry, defaults),
            json!({"firstName": "Jane", "jobTitle": "CEO", "description": "from defaults"})
        );
    }

    #[test]
    fn an_explicit_null_is_kept_over_a_default() {
        let entry = json!({"jobTitle": null});
        assert_eq!(
            merged(entry, json!({"jobTitle": "Staff"})),
            json!({"jobTitle": null})
        );
    }

    #[test]
    fn socials_and_custom_attributes_merge_key_by_key() {
        let entry = json!({
            "socials": {"linkedin": "mine"},
            "customAttributes": {"tier": "gold", "region": null},
        });
        let defaults = json!({
            "socials": {"linkedin": "theirs", "twitter": "theirs"},
            "customAttributes": {"tier": "silver", "region": "eu", "seats": 3},
        });
        assert_eq!(
            merged(entry, defaults),
            json!({
                "socials": {"linkedin": "mine", "twitter": "theirs"},
                "customAttributes": {"tier": "gold", "region": null, "seats": 3},
            })
        );
    }

    #[test]
    fn a_list_is_not_merged_with_the_defaults_list() {
        let entry = json!({"emails": ["jane@acme.com"]});
        assert_eq!(
            merged(entry, json!({"emails": ["team@acme.com"]})),
            json!({"emails": ["jane@acme.com"]})
        );
    }

    #[test]
    fn an_entry_linked_either_way_takes_no_link_from_defaults() {
        let defaults = json!({"company": "acme.com", "companyId": "c-1", "jobTitle": "Staff"});
        assert_eq!(
            merged(json!({"companyId": "c-2"}), defaults.clone()),
            json!({"companyId": "c-2", "jobTitle": "Staff"})
        );
        assert_eq!(
            merged(json!({"company": null}), defaults),
            json!({"company": null, "jobTitle": "Staff"})
        );
    }

    #[test]
    fn the_files_defaults_win_over_zeeg_yaml_and_the_entry_over_both() {
        let manifest = manifest(&[
            (
                "zeeg.yaml",
                "defaults:\n  jobTitle: From project\n  description: Project text\n",
            ),
            (
                "people.yaml",
                "defaults:\n  jobTitle: From file\npeople:\n  \
                 - firstName: Jane\n    emails: [jane@acme.com]\n  \
                 - firstName: Max\n    emails: [max@acme.com]\n    jobTitle: Own\n  \
                 - firstName: Ann\n    emails: [ann@acme.com]\n    jobTitle: null\n",
            ),
        ]);
        let job = |email| field(&manifest, email, "jobTitle");
        assert_eq!(job("jane@acme.com"), Some(json!("From file")));
        assert_eq!(job("max@acme.com"), Some(json!("Own")));
        assert_eq!(job("ann@acme.com"), Some(Value::Null));
        let description = field(&manifest, "ann@acme.com", "description");
        assert_eq!(description, Some(json!("Project text")));
    }

    #[test]
    fn defaults_written_after_people_still_apply() {
        let manifest = manifest(&[(
            "people.yaml",
            "people:\n  - firstName: Jane\n    emails: [jane@acme.com]\n\
             defaults:\n  jobTitle: Staff\n",
        )]);
        let job = field(&manifest, "jane@acme.com", "jobTitle");
        assert_eq!(job, Some(json!("Staff")));
    }

    #[test]
    fn a_default_matching_attribute_without_values_is_one_problem_at_the_default() {
        let seen = one_problem(&[
            ("zeeg.yaml", "defaults:\n  matchingAttribute: phone_numbr\n"),
            (
                "people.yaml",
                "people:\n  - firstName: Jane\n    phoneNumber: '+4930'\n  \
                 - firstName: Max\n    phoneNumber: '+4931'\n",
            ),
        ]);
        let message = "2 entries match on `phone_numbr` by default but have no value for it";
        assert_eq!(seen.placed(), (message, Some("zeeg.yaml:2"), None));
        let help = seen.help.as_deref().unwrap_or_default();
        assert!(
            help.starts_with("did you mean `phone_number`? Or give each of them"),
            "{help}"
        );
        assert!(help.contains("people.yaml:2"), "{help}");
    }

    #[test]
    fn a_files_default_matching_attribute_is_reported_in_that_file() {
        let seen = one_problem(&[(
            "people.yaml",
            "defaults:\n  matchingAttribute: tier\npeople:\n  \
             - firstName: Jane\n    customAttributes: {region: eu}\n",
        )]);
        assert_eq!(seen.at.as_deref(), Some("people.yaml:2"));
        assert!(seen.message.starts_with("1 entry matches on `tier`"));
    }

    #[test]
    fn without_a_near_slug_the_help_lists_the_known_ones_custom_too() {
        let first = SourceLocation {
            file: PathBuf::from("people.yaml").into(),
            line: 4,
            column: 3,
        };
        let known = ["email", "phone_number", "region"].map(String::from);
        let help = unmatched_default_help("zzz", &first, &known);
        assert_eq!(
            help,
            "use a slug the entries have a value for: `email`, `phone_number`, `region`; \
             or give each of them a value for `zzz` (the first is people.yaml:4)"
        );
        let near = unmatched_default_help("regoin", &first, &known);
        assert!(near.starts_with("did you mean `region`? Or give"), "{near}");
    }
}
