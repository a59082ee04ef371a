//! Reading the live people a plan needs, with as few requests as possible.

use serde::{Deserialize, Serialize};

use crate::manifest::Entry;

/// How the live people are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadStrategy {
    /// Every page of the people list.
    List,
    /// One search per entry, by its identity.
    Search,
}

/// Reading live state failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LiveError {}

/// The live people read for a plan.
#[derive(Debug, Clone)]
pub struct LiveState {}

/// Slugs whose values the API's `search` looks in (names, emails, phone).
const SEARCHABLE_SLUGS: &[&str] = &["email", "emails", "first_name", "last_name", "phone_number"];

/// Records per page when listing (the API's maximum).
pub const PAGE_SIZE: u64 = 100;

/// Picks the cheaper way to read what `entries` need from `total` live people.
///
/// Listing costs ⌈total/100⌉ requests; searching costs about one per entry and
/// works only when every entry's matching attribute is searchable. The first
/// page of the list is read anyway (it tells the total), so ties go to listing.
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
