//! The live companies a plan needs, and the `companyId`s that name none.

use std::collections::HashSet;

use futures::{StreamExt, TryStreamExt, stream};
use serde_json::Value;

use super::{LiveSource, ReadStrategy};
use crate::api::assumed::{self, MAX_PAGE_SIZE, SEARCH_CONCURRENCY};
use crate::api::{ApiError, Company};
use crate::company::ID_FIELD;
use crate::manifest::{Entry, SourceLocation};

/// The `companyId`s the entries set that name no company in the CRM, each
/// with the first entry that sets it: apply would have them refused (422),
/// so the plan says so first. An id that a live company read for the plan,
/// or a live person read for it links to (`linked`, see
/// [`super::LiveState::linked_companies`]), exists; only the others are
/// read, one request each (an import's files, whose ids are all linked,
/// need none).
pub async fn unknown_company_ids(
    client: &impl LiveSource,
    entries: &[Entry],
    linked: &HashSet<String>,
    companies: &[Company],
) -> Result<Vec<(String, SourceLocation)>, ApiError> {
    let known: HashSet<&str> = companies
        .iter()
        .map(|c| c.id.as_str())
        .chain(linked.iter().map(String::as_str))
        .collect();
    let mut asked = HashSet::new();
    let unknown: Vec<(String, &SourceLocation)> = entries
        .iter()
        .filter_map(|e| match e.fields.get(ID_FIELD)? {
            Value::String(id) => Some((id, &e.source)),
            _ => None,
        })
        .filter(|(id, _)| !known.contains(id.as_str()) && asked.insert(id.clone()))
        .collect();
    let found: Vec<Option<(String, SourceLocation)>> = stream::iter(unknown)
        .map(|(id, at)| async move {
            let company = client.company(&id).await?;
            Ok::<_, ApiError>(company.is_none().then(|| (id, at.clone())))
        })
        .buffered(SEARCH_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// The live companies read for a plan.
#[derive(Debug, Clone, Default)]
pub struct LiveCompanies {
    /// The live companies whose domain the plan needs (each once).
    pub companies: Vec<Company>,
    /// How they were read; `None` when no domain was needed (no request).
    pub strategy: Option<ReadStrategy>,
}

/// Reads the live companies with the `domains` (keys, see
/// [`crate::company::domain_key`]) as [`read_people`] reads people: one small
/// request learns the total; then each domain is searched when the domains
/// are fewer than the pages, else every page is listed. No domain, no request.
/// With `every`, every page is listed and every company kept: a plan that
/// removes an option of the companies' attributes counts who holds it.
pub async fn read_live_companies(
    client: &impl LiveSource,
    domains: &[String],
    every: bool,
) -> Result<LiveCompanies, ApiError> {
    if domains.is_empty() && !every {
        return Ok(LiveCompanies::default());
    }
    let total = client.companies_total().await?;
    let pages = total.div_ceil(u64::from(MAX_PAGE_SIZE));
    let (found, strategy) = match domains.split_first() {
        _ if total == 0 => (Vec::new(), ReadStrategy::Search),
        _ if every => (client.list_companies().await?, ReadStrategy::List),
        Some((first, rest)) if (domains.len() as u64) < pages => {
            let first = client.search_companies(first).await?;
            if assumed::search_ignored(first.len() as u64, total) {
                (first, ReadStrategy::List)
            } else {
                let found: Vec<Vec<Company>> = stream::iter(rest)
                    .map(|domain| client.search_companies(domain))
                    .buffer_unordered(SEARCH_CONCURRENCY)
                    .try_collect()
                    .await?;
                (
                    first
                        .into_iter()
                        .chain(found.into_iter().flatten())
                        .collect(),
                    ReadStrategy::Search,
                )
            }
        }
        _ => (client.list_companies().await?, ReadStrategy::List),
    };
    // In the API's order, oldest first, whatever order the searches ended in.
    let mut found = found;
    found.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    let wanted: HashSet<&str> = domains.iter().map(String::as_str).collect();
    let mut seen = HashSet::new();
    let companies = found
        .into_iter()
        .filter(|c| {
            every
                || c.domain
                    .as_deref()
                    .is_some_and(|d| wanted.contains(crate::company::domain_key(d).as_str()))
        })
        .filter(|c| seen.insert(c.id.clone()))
        .collect();
    tracing::info!(
        total,
        domains = domains.len(),
        ?strategy,
        "live companies read"
    );
    Ok(LiveCompanies {
        companies,
        strategy: Some(strategy),
    })
}
