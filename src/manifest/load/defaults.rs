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
