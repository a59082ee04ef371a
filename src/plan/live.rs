//! Reading the live people a plan needs, with as few requests as possible.
//!
//! One small request learns the live total T while the people object's schema
//! is fetched alongside. Then either every page is listed (⌈T/100⌉ requests)
//! or each entry is looked up with `search` (about one request per entry),
//! whichever is cheaper; searching works only for attributes the API searches
//! in (names, emails, phone number). Reads stay within min(N, ⌈T/100⌉) + 2.

use std::collections::HashSet;

use futures::{StreamExt, TryStreamExt, stream};
use miette::Diagnostic;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::api::{ApiError, Client, ObjectSchema, Person, assumed};
use crate::manifest::{Entry, SourceLocation};

/// How the live people are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadStrategy {
    /// Every page of the people list.
    List,
    /// One search per entry, by its identity.
    Search,
}

/// The live people read for a plan.
#[derive(Debug, Clone)]
pub struct LiveState {
    /// The people read: everybody (list) or those found by the searches, each
    /// once.
    pub people: Vec<Person>,
    /// How many people the CRM holds.
    pub total: u64,
    /// How they were read.
    pub strategy: ReadStrategy,
}

/// Reading live state failed.
#[derive(Debug, Error, Diagnostic)]
pub enum LiveError {
    /// The API refused or did not answer.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Api(#[from] ApiError),

    /// People files use custom attributes the workspace does not have.
    #[error("{} custom attribute(s) in the people files are not in the workspace", .problems.len())]
    #[diagnostic(
        code(zeeg::plan::unknown_custom_attributes),
        help("nothing was planned; every problem is listed below")
    )]
    UnknownCustomAttributes {
        #[related]
        problems: Vec<UnknownCustomAttribute>,
    },
}

/// One custom attribute slug the workspace lacks (or has archived).
#[derive(Debug, Error, Diagnostic, PartialEq, Eq)]
#[error("{at}: the workspace has no {}custom attribute `{slug}`", if *.archived { "active " } else { "" })]
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

/// Slugs whose values the API's `search` looks in (names, emails, phone).
const SEARCHABLE_SLUGS: &[&str] = &["email", "emails", "first_name", "last_name", "phone_number"];

/// Records per page when listing (the API's maximum).
pub const PAGE_SIZE: u64 = 100;

/// Searches in flight at once.
const SEARCH_CONCURRENCY: usize = 8;

/// Picks the cheaper way to read what `entries` need from `total` live people.
///
/// Listing costs ⌈total/100⌉ requests; searching costs about one per entry and
/// works only when every entry's matching attribute is searchable. Ties go to
/// listing, which also sees every secondary email (see [`super::matching`]).
pub fn choose_strategy(entries: &[Entry], total: u64) -> ReadStrategy {
    let pages = total.div_ceil(PAGE_SIZE);
    let searchable = entries
        .iter()
        .all(|e| SEARCHABLE_SLUGS.contains(&e.matching_attribute.as_str()));
    if searchable && (entries.len() as u64) < pages {
        ReadStrategy::Search
    } else {
        ReadStrategy::List
    }
}

/// Reads the live people `entries` may match, and checks their custom
/// attribute slugs against the workspace's schema.
pub async fn read_live(client: &Client, entries: &[Entry]) -> Result<LiveState, LiveError> {
    let (schema, total) = tokio::try_join!(client.object_schema(), client.total())?;
    check_custom_attributes(entries, &schema)?;
    let strategy = choose_strategy(entries, total);
    tracing::info!(
        total,
        entries = entries.len(),
        ?strategy,
        "reading live people"
    );
    let (people, strategy) = match strategy {
        _ if total == 0 => (Vec::new(), strategy),
        ReadStrategy::List => (client.list_all().await?, strategy),
        ReadStrategy::Search => search_each(client, entries, total).await?,
    };
    Ok(LiveState {
        people,
        total,
        strategy,
    })
}

/// Searches each distinct identity once, concurrently; matching happens
/// locally afterwards, so a search finding more than the exact person is fine.
///
/// The first search goes alone: if the workspace ignores `search`
/// ([`assumed::search_ignored`]) it has listed everybody, and that answer is
/// the whole list (read as [`ReadStrategy::List`]).
async fn search_each(
    client: &Client,
    entries: &[Entry],
    total: u64,
) -> Result<(Vec<Person>, ReadStrategy), ApiError> {
    let mut queries: Vec<String> = entries
        .iter()
        .filter_map(|entry| match &entry.match_value {
            Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_lowercase()),
            _ => None,
        })
        .collect();
    queries.sort();
    queries.dedup();
    let Some((first, rest)) = queries.split_first() else {
        return Ok((Vec::new(), ReadStrategy::Search));
    };
    let first = client.search(first).await?;
    if assumed::search_ignored(first.len() as u64, total) {
        tracing::info!(
            total,
            "search is not applied by this workspace: its answer is the whole list"
        );
        return Ok((first, ReadStrategy::List));
    }
    let found: Vec<Vec<Person>> = stream::iter(rest)
        .map(|query| async move { client.search(query).await })
        .buffer_unordered(SEARCH_CONCURRENCY)
        .try_collect()
        .await?;
    let mut seen = HashSet::new();
    let people = first
        .into_iter()
        .chain(found.into_iter().flatten())
        .filter(|person| seen.insert(person.id.clone()))
        .collect();
    Ok((people, ReadStrategy::Search))
}

/// Every custom attribute slug an entry sets or matches on must exist, and
/// not be archived, in the workspace.
pub fn check_custom_attributes(entries: &[Entry], schema: &ObjectSchema) -> Result<(), LiveError> {
    let mut problems = Vec::new();
    for entry in entries {
        let mut slugs: Vec<&str> = entry
            .fields
            .get("customAttributes")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|object| object.keys().map(String::as_str))
            .collect();
        if !crate::person::is_standard_slug(&entry.matching_attribute) {
            slugs.push(&entry.matching_attribute);
        }
        slugs.dedup();
        for slug in slugs {
            let known = schema.attributes.iter().find(|a| a.key == slug);
            let problem = match known {
                Some(attribute) if !attribute.is_archived => continue,
                Some(_) => UnknownCustomAttribute {
                    slug: slug.to_string(),
                    at: entry.source.clone(),
                    archived: true,
                    help: format!(
                        "`{slug}` is archived in Zeeg: restore it there, or remove it from this entry"
                    ),
                },
                None => UnknownCustomAttribute {
                    slug: slug.to_string(),
                    at: entry.source.clone(),
                    archived: false,
                    help: missing_help(slug, schema),
                },
            };
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(LiveError::UnknownCustomAttributes { problems })
    }
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::Attribute;
    use crate::plan::testing::entry;

    fn entries(n: usize, slug: &str) -> Vec<Entry> {
        (0..n)
            .map(|i| match slug {
                "email" => entry(i, slug, json!({"emails": [format!("p{i}@acme.com")]})),
                _ => entry(i, slug, json!({"customAttributes": {slug: i}})),
            })
            .collect()
    }

    #[test]
    fn few_entries_against_many_people_are_searched() {
        assert_eq!(
            choose_strategy(&entries(49, "email"), 5_000),
            ReadStrategy::Search
        );
        assert_eq!(
            choose_strategy(&entries(50, "email"), 5_000),
            ReadStrategy::List
        );
        assert_eq!(
            choose_strategy(&entries(2_000, "email"), 2_000),
            ReadStrategy::List
        );
        assert_eq!(choose_strategy(&entries(0, "email"), 0), ReadStrategy::List);
    }

    #[test]
    fn custom_attribute_identities_cannot_be_searched() {
        assert_eq!(
            choose_strategy(&entries(1, "employee_id"), 100_000),
            ReadStrategy::List
        );
    }

    fn attribute(key: &str, standard: bool, archived: bool) -> Attribute {
        Attribute {
            key: key.into(),
            label: key.into(),
            kind: "text".into(),
            is_standard: standard,
            is_unique: false,
            is_required: false,
            is_archived: archived,
            options: None,
        }
    }

    #[test]
    fn unknown_and_archived_custom_attributes_name_slug_and_place() {
        let schema = ObjectSchema {
            slug: "people".into(),
            attributes: vec![
                attribute("first_name", true, false),
                attribute("customer_tier", false, false),
                attribute("legacy", false, true),
            ],
        };
        let entries = [
            entry(
                3,
                "email",
                json!({"emails": ["a@b.c"], "customAttributes": {"customer_tier": "gold", "custmer_tier": "x"}}),
            ),
            entry(9, "legacy", json!({"customAttributes": {"legacy": 1}})),
        ];
        let Err(LiveError::UnknownCustomAttributes { problems }) =
            check_custom_attributes(&entries, &schema)
        else {
            panic!("expected unknown attributes")
        };
        let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            vec![
                "people.yaml:3: the workspace has no custom attribute `custmer_tier`",
                "people.yaml:9: the workspace has no active custom attribute `legacy`",
            ]
        );
        assert!(problems[0].help.contains("did you mean `customer_tier`"));
        assert!(check_custom_attributes(&entries[..0], &schema).is_ok());
    }
}
