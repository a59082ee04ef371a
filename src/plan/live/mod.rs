//! Reading the live people a plan needs, with as few requests as possible.
//!
//! One small request learns the live total T while the people object's schema
//! is fetched alongside. Then either every page is listed (⌈T/100⌉ requests)
//! or each entry is looked up with `search` (about one request per entry),
//! whichever is cheaper; searching works only for attributes the API searches
//! in (names, emails, phone number). Reads stay within min(N, ⌈T/100⌉) + 2.
//!
//! The people are taken as they arrive, a page at a time ([`Collector`]),
//! and let go unless an entry changes them: a plan of a big workspace holds
//! its entries, not a second copy of the CRM.

mod collect;
mod companies;
mod custom;
mod source;
#[cfg(test)]
mod tests;

use futures::{StreamExt, TryStreamExt, stream};
use miette::Diagnostic;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::api::assumed::{self, MAX_PAGE_SIZE, SEARCH_CONCURRENCY, SEARCHABLE_SLUGS};
use crate::api::{ApiError, Person};
use crate::manifest::Entry;
use crate::plan::matching::Matches;

pub use collect::Collector;
pub use companies::{LiveCompanies, read_live_companies, unknown_company_ids};
pub use custom::{
    CustomAttributeProblem, InvalidCustomValue, UnknownCustomAttribute, check_custom_attributes,
};
pub use source::LiveSource;

/// How the live people are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadStrategy {
    /// Every page of the people list.
    List,
    /// One search per entry, by its identity.
    Search,
}

/// What a plan keeps of the live people read: whole only those an entry
/// changes, the rest by number and id (see [`crate::plan::matching`]).
#[derive(Debug, Clone)]
pub struct LiveState {
    /// Which live person each entry matches, and those it changes.
    pub(crate) matches: Matches<Person>,
    /// The `companyId`s the entries set that a live person read links to:
    /// companies that exist.
    pub linked_companies: std::collections::HashSet<String>,
    /// How many people the CRM holds.
    pub total: u64,
    /// How they were read.
    pub strategy: ReadStrategy,
}

impl LiveState {
    /// How many live people were read: everybody (list) or those the
    /// searches found, each once.
    pub fn read(&self) -> usize {
        self.matches.read()
    }

    /// How many of them the plan keeps whole: those it changes.
    pub fn kept(&self) -> usize {
        self.matches.kept().len()
    }
}

/// Reading live state failed.
#[derive(Debug, Error, Diagnostic)]
pub enum LiveError {
    /// The API refused or did not answer.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Api(#[from] ApiError),

    /// People files use custom attributes the workspace does not have, or
    /// values their attributes' types refuse.
    #[error("{} custom attribute problem(s) in the people files: the API would refuse them", .problems.len())]
    #[diagnostic(
        code(zeeg::plan::custom_attributes),
        help("nothing was planned; every problem is listed below: fix them and plan again")
    )]
    CustomAttributes {
        #[related]
        problems: Vec<CustomAttributeProblem>,
    },
}

/// Picks the cheaper way to read what `entries` need from `total` live people.
///
/// Listing costs ⌈total/100⌉ requests; searching costs about one per entry and
/// works only when every entry's matching attribute is searchable. Ties go to
/// listing, which also sees every secondary email (see [`super::matching`]).
pub fn choose_strategy(entries: &[Entry], total: u64) -> ReadStrategy {
    let pages = total.div_ceil(u64::from(MAX_PAGE_SIZE));
    let searchable = entries
        .iter()
        .all(|e| SEARCHABLE_SLUGS.contains(&e.matching_attribute.slug()));
    if searchable && (entries.len() as u64) < pages {
        ReadStrategy::Search
    } else {
        ReadStrategy::List
    }
}

/// Reads the live people `entries` may match, of the `total` the CRM
/// holds, the way `strategy` says ([`choose_strategy`], or listing when
/// every record must be seen), handing each page to `collector` as it
/// arrives. Returns how they were read.
pub async fn read_people(
    client: &impl LiveSource,
    entries: &[Entry],
    total: u64,
    strategy: ReadStrategy,
    collector: &mut Collector<'_>,
) -> Result<ReadStrategy, ApiError> {
    tracing::info!(
        total,
        entries = entries.len(),
        ?strategy,
        "reading live people"
    );
    let strategy = match strategy {
        _ if total == 0 => strategy,
        ReadStrategy::List => {
            client.list_pages(|page| collector.page(page)).await?;
            strategy
        }
        ReadStrategy::Search => search_each(client, entries, total, collector).await?,
    };
    Ok(strategy)
}

/// Searches each distinct identity once, concurrently; matching happens
/// locally, so a search finding more than the exact person is fine.
///
/// The first search goes alone: if the workspace ignores `search`
/// ([`assumed::search_ignored`]) it has listed everybody, and that answer is
/// the whole list (read as [`ReadStrategy::List`]).
async fn search_each(
    client: &impl LiveSource,
    entries: &[Entry],
    total: u64,
    collector: &mut Collector<'_>,
) -> Result<ReadStrategy, ApiError> {
    let mut queries: Vec<String> = entries
        .iter()
        .filter_map(|entry| match entry.match_value.as_str() {
            Some(text) if !text.trim().is_empty() => Some(text.trim().to_lowercase()),
            _ => None,
        })
        .collect();
    queries.sort();
    queries.dedup();
    let Some((first, rest)) = queries.split_first() else {
        return Ok(ReadStrategy::Search);
    };
    let first = client.search(first).await?;
    if assumed::search_ignored(first.len() as u64, total) {
        tracing::info!(
            total,
            "search is not applied by this workspace: its answer is the whole list"
        );
        collector.page(first);
        return Ok(ReadStrategy::List);
    }
    // The collector takes each person once, the first time it is found.
    collector.page(first);
    let mut found = stream::iter(rest)
        .map(|query| async move { client.search(query).await })
        .buffer_unordered(SEARCH_CONCURRENCY);
    while let Some(people) = found.try_next().await? {
        collector.page(people);
    }
    Ok(ReadStrategy::Search)
}
