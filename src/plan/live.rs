//! Reading the live people a plan needs, with as few requests as possible.
//!
//! One small request learns the live total T while the people object's schema
//! is fetched alongside. Then either every page is listed (⌈T/100⌉ requests)
//! or each entry is looked up with `search` (about one request per entry),
//! whichever is cheaper; searching works only for attributes the API searches
//! in (names, emails, phone number). Reads stay within min(N, ⌈T/100⌉) + 2.

use std::collections::HashSet;
use std::future::Future;

use futures::{StreamExt, TryStreamExt, stream};
use miette::Diagnostic;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::api::assumed::{self, MAX_PAGE_SIZE, SEARCH_CONCURRENCY, SEARCHABLE_SLUGS};
use crate::api::object::ObjectSlug;
use crate::api::{ApiError, Client, Company, ObjectSchema, Person, ValueRefusal};
use crate::company::ID_FIELD;
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

/// The reads a plan makes of the CRM. Plan owns this seam, so that how it
/// reads can be tested against a fake that counts calls; the API client
/// implements it below.
pub trait LiveSource: Sync {
    /// `GET /crm/objects/{slug}`: the object's attributes, their types and
    /// options.
    fn object_schema_of(
        &self,
        object: ObjectSlug,
    ) -> impl Future<Output = Result<ObjectSchema, ApiError>> + Send;
    /// How many people the CRM holds (one small request).
    fn total(&self) -> impl Future<Output = Result<u64, ApiError>> + Send;
    /// Every person, page by page.
    fn list_all(&self) -> impl Future<Output = Result<Vec<Person>, ApiError>> + Send;
    /// The people whose names, emails or phone number contain `text`.
    fn search(&self, text: &str) -> impl Future<Output = Result<Vec<Person>, ApiError>> + Send;
    /// How many companies the CRM holds (one small request).
    fn companies_total(&self) -> impl Future<Output = Result<u64, ApiError>> + Send;
    /// Every company, page by page.
    fn list_companies(&self) -> impl Future<Output = Result<Vec<Company>, ApiError>> + Send;
    /// The companies whose name or domain contains `text`.
    fn search_companies(
        &self,
        text: &str,
    ) -> impl Future<Output = Result<Vec<Company>, ApiError>> + Send;
    /// The company with this id; `None` when the CRM holds none (404).
    fn company(&self, id: &str) -> impl Future<Output = Result<Option<Company>, ApiError>> + Send;
}

impl LiveSource for Client {
    fn object_schema_of(
        &self,
        object: ObjectSlug,
    ) -> impl Future<Output = Result<ObjectSchema, ApiError>> + Send {
        Client::object_schema_of(self, object)
    }

    fn total(&self) -> impl Future<Output = Result<u64, ApiError>> + Send {
        Client::total(self)
    }

    fn list_all(&self) -> impl Future<Output = Result<Vec<Person>, ApiError>> + Send {
        Client::list_all(self)
    }

    fn search(&self, text: &str) -> impl Future<Output = Result<Vec<Person>, ApiError>> + Send {
        Client::search(self, text)
    }

    async fn companies_total(&self) -> Result<u64, ApiError> {
        Ok(self.companies_page(1, 1, None).await?.pagination.total)
    }

    fn list_companies(&self) -> impl Future<Output = Result<Vec<Company>, ApiError>> + Send {
        Client::list_companies(self)
    }

    fn search_companies(
        &self,
        text: &str,
    ) -> impl Future<Output = Result<Vec<Company>, ApiError>> + Send {
        Client::search_companies(self, text)
    }

    async fn company(&self, id: &str) -> Result<Option<Company>, ApiError> {
        match self.get_company(id).await {
            Ok(company) => Ok(Some(company)),
            Err(ApiError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// The `companyId`s the entries set that name no company in the CRM, each
/// with the first entry that sets it: apply would have them refused (422),
/// so the plan says so first. An id that a live company read for the plan,
/// or a live person read for it links to, exists; only the others are read,
/// one request each (an import's files, whose ids are all linked, need none).
pub async fn unknown_company_ids(
    client: &impl LiveSource,
    entries: &[Entry],
    people: &[Person],
    companies: &[Company],
) -> Result<Vec<(String, SourceLocation)>, ApiError> {
    let known: HashSet<&str> = companies
        .iter()
        .map(|c| c.id.as_str())
        .chain(
            people
                .iter()
                .filter_map(|p| Some(p.company.as_ref()?.id.as_str())),
        )
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
/// every record must be seen).
pub async fn read_people(
    client: &impl LiveSource,
    entries: &[Entry],
    total: u64,
    strategy: ReadStrategy,
) -> Result<LiveState, ApiError> {
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
    client: &impl LiveSource,
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;
    use crate::api::Attribute;
    use crate::plan::testing::{entry, person};

    /// An in-memory CRM that answers plan's reads and counts the requests the
    /// API would have needed for them (a list costs one per page).
    struct CountingCrm {
        people: Vec<Person>,
        companies: Vec<Company>,
        requests: AtomicU64,
        searches: AtomicU64,
    }

    impl CountingCrm {
        fn new(people: Vec<Person>) -> CountingCrm {
            CountingCrm {
                people,
                companies: Vec::new(),
                requests: AtomicU64::new(0),
                searches: AtomicU64::new(0),
            }
        }

        fn count(&self, requests: u64) {
            self.requests.fetch_add(requests, Ordering::Relaxed);
        }

        fn requests(&self) -> u64 {
            self.requests.load(Ordering::Relaxed)
        }
    }

    impl LiveSource for CountingCrm {
        async fn object_schema_of(&self, object: ObjectSlug) -> Result<ObjectSchema, ApiError> {
            self.count(1);
            Ok(ObjectSchema {
                slug: object.as_str().into(),
                attributes: Vec::new(),
            })
        }

        async fn total(&self) -> Result<u64, ApiError> {
            self.count(1);
            Ok(self.people.len() as u64)
        }

        async fn list_all(&self) -> Result<Vec<Person>, ApiError> {
            let pages = (self.people.len() as u64).div_ceil(u64::from(MAX_PAGE_SIZE));
            self.count(pages.max(1));
            Ok(self.people.clone())
        }

        async fn search(&self, text: &str) -> Result<Vec<Person>, ApiError> {
            self.count(1);
            self.searches.fetch_add(1, Ordering::Relaxed);
            let text = text.to_lowercase();
            let holds = |value: &str| value.to_lowercase().contains(&text);
            Ok(self
                .people
                .iter()
                .filter(|p| {
                    ["firstName", "lastName", "phoneNumber"]
                        .iter()
                        .any(|f| p.scalar(f).is_some_and(holds))
                        || p.emails.iter().any(|e| holds(e))
                })
                .cloned()
                .collect())
        }

        async fn companies_total(&self) -> Result<u64, ApiError> {
            self.count(1);
            Ok(self.companies.len() as u64)
        }

        async fn list_companies(&self) -> Result<Vec<Company>, ApiError> {
            let pages = (self.companies.len() as u64).div_ceil(u64::from(MAX_PAGE_SIZE));
            self.count(pages.max(1));
            Ok(self.companies.clone())
        }

        async fn search_companies(&self, text: &str) -> Result<Vec<Company>, ApiError> {
            self.count(1);
            self.searches.fetch_add(1, Ordering::Relaxed);
            let text = text.to_lowercase();
            let holds = |value: &Option<String>| {
                value
                    .as_deref()
                    .is_some_and(|v| v.to_lowercase().contains(&text))
            };
            Ok(self
                .companies
                .iter()
                .filter(|c| holds(&c.name) || holds(&c.domain))
                .cloned()
                .collect())
        }

        async fn company(&self, id: &str) -> Result<Option<Company>, ApiError> {
            self.count(1);
            Ok(self.companies.iter().find(|c| c.id == id).cloned())
        }
    }

    fn live_companies(n: usize) -> Vec<Company> {
        (0..n)
            .map(|i| {
                serde_json::from_value(
                    json!({"id": format!("c-{i}"), "name": format!("Company {i}"),
                    "domain": format!("c{i}.example"), "createdAt": "2025-01-15T09:00:00+00:00",
                    "updatedAt": "2025-01-15T09:00:00+00:00"}),
                )
                .unwrap()
            })
            .collect()
    }

    fn read_companies(crm: &CountingCrm, domains: &[String]) -> LiveCompanies {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(read_live_companies(crm, domains, false))
            .unwrap()
    }

    #[test]
    fn only_company_ids_no_live_read_links_to_are_looked_up_each_once() {
        let mut crm = CountingCrm::new(Vec::new());
        crm.companies = live_companies(3);
        let linked = person(
            "p-1",
            json!({"emails": ["a@x.io"], "company": {"id": "c-0", "name": "Company 0"}}),
        );
        let with_id = |line: usize, id: &str| {
            entry(
                line,
                "email",
                json!({"emails": [format!("p{line}@x.io")], "companyId": id}),
            )
        };
        let entries = vec![
            with_id(2, "c-0"),
            with_id(5, "c-1"),
            with_id(8, "nowhere"),
            with_id(11, "nowhere"),
            entry(
                14,
                "email",
                json!({"emails": ["q@x.io"], "companyId": null}),
            ),
        ];
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let unknown = runtime
            .block_on(unknown_company_ids(
                &crm,
                &entries,
                &[linked],
                &crm.companies[2..],
            ))
            .unwrap();
        let lines: Vec<(&str, usize)> = unknown
            .iter()
            .map(|(id, at)| (id.as_str(), at.line))
            .collect();
        assert_eq!(lines, [("nowhere", 8)]);
        // c-0 is linked, c-2 was read: only c-1 and `nowhere` cost a request.
        assert_eq!(crm.requests(), 2);
    }

    #[test]
    fn few_domains_are_searched_many_are_listed_and_none_cost_nothing() {
        let mut crm = CountingCrm::new(Vec::new());
        crm.companies = live_companies(5_000);
        let none = read_companies(&crm, &[]);
        assert_eq!((none.strategy, crm.requests()), (None, 0));

        // c1.example also finds c10…c19 and more by substring: only c1 is kept.
        let few: Vec<String> = ["c1.example", "C7.EXAMPLE", "gone.example"]
            .map(crate::company::domain_key)
            .to_vec();
        let found = read_companies(&crm, &few);
        assert_eq!(found.strategy, Some(ReadStrategy::Search));
        assert_eq!(crm.requests(), 1 + 3, "the total, then a search per domain");
        let mut ids: Vec<&str> = found.companies.iter().map(|c| c.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["c-1", "c-7"]);

        let mut crm = CountingCrm::new(Vec::new());
        crm.companies = live_companies(5_000);
        let many: Vec<String> = (0..60).map(|i| format!("c{i}.example")).collect();
        let found = read_companies(&crm, &many);
        assert_eq!(found.strategy, Some(ReadStrategy::List));
        assert_eq!(crm.requests(), 1 + 50, "the total, then 50 pages");
        assert_eq!(found.companies.len(), 60);
    }

    fn live_people(n: usize) -> Vec<Person> {
        (0..n)
            .map(|i| {
                person(
                    &format!("id-{i}"),
                    json!({"firstName": format!("P{i}"), "emails": [format!("p{i}@acme.com")],
                           "phoneNumber": format!("+4930100{i:03}")}),
                )
            })
            .collect()
    }

    fn read(crm: &CountingCrm, entries: &[Entry]) -> LiveState {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(async {
                let total = crm.total().await?;
                read_people(crm, entries, total, choose_strategy(entries, total)).await
            })
            .unwrap()
    }

    #[test]
    fn entries_as_many_as_pages_are_listed_and_fewer_are_searched() {
        let crm = CountingCrm::new(live_people(5_000));
        let state = read(&crm, &entries(50, "email"));
        assert_eq!(
            state.strategy,
            ReadStrategy::List,
            "50 entries cost as much as 50 pages"
        );
        assert_eq!(state.people.len(), 5_000);
        assert!(crm.requests() <= 60, "{} read requests", crm.requests());

        let crm = CountingCrm::new(live_people(5_000));
        let state = read(&crm, &entries(20, "email"));
        assert_eq!(state.strategy, ReadStrategy::Search);
        assert!(crm.requests() <= 22, "{} read requests", crm.requests());
        assert_eq!(state.people.len(), 20, "each entry's person, once");
    }

    #[test]
    fn as_many_entries_as_people_are_listed_page_by_page() {
        let crm = CountingCrm::new(live_people(2_000));
        let state = read(&crm, &entries(2_000, "email"));
        assert_eq!(state.strategy, ReadStrategy::List);
        assert_eq!(crm.searches.load(Ordering::Relaxed), 0);
        assert!(crm.requests() <= 22, "{} read requests", crm.requests());
    }

    #[test]
    fn phone_and_email_identities_are_searched_once_each() {
        let crm = CountingCrm::new(live_people(1_000));
        let wanted = [
            entry(1, "email", json!({"emails": ["P7@acme.com"]})),
            entry(2, "email", json!({"emails": ["p7@acme.com"]})),
            entry(3, "phone_number", json!({"phoneNumber": "+4930100042"})),
        ];
        let state = read(&crm, &wanted);
        assert_eq!(state.strategy, ReadStrategy::Search);
        assert_eq!(
            crm.searches.load(Ordering::Relaxed),
            2,
            "one search per identity"
        );
        assert!(crm.requests() <= 4, "{} read requests", crm.requests());
        let mut ids: Vec<&str> = state.people.iter().map(|p| p.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["id-42", "id-7"]);
    }

    #[test]
    fn an_empty_crm_is_not_read_further() {
        let crm = CountingCrm::new(Vec::new());
        let state = read(&crm, &entries(3, "email"));
        assert!(state.people.is_empty());
        assert_eq!(crm.requests(), 1, "the total only");
    }

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
            options: Vec::new(),
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
        let Err(LiveError::CustomAttributes { problems }) =
            check_custom_attributes(&entries, &schema)
        else {
            panic!("expected unknown attributes")
        };
        let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            vec![
                "people.yaml:5:7: the workspace has no custom attribute `custmer_tier`",
                "people.yaml:10:7: the workspace has no active custom attribute `legacy`",
            ]
        );
        let CustomAttributeProblem::Unknown(first) = &problems[0] else {
            panic!("expected an unknown attribute")
        };
        assert!(first.help.contains("did you mean `customer_tier`"));
        assert!(check_custom_attributes(&entries[..0], &schema).is_ok());
    }
}
