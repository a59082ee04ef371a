//! The client: one configured HTTP connection pool, the endpoints of
//! `zeeg-api.md` as async methods, retries, and counters callers can read.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use futures::{StreamExt, TryStreamExt, stream};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use url::Url;

use super::assumed::{
    self, COMPANIES_PATH, COMPANY_MATCHING_ATTRIBUTE, COUNT_PARAM, DEFAULT_BASE_URL,
    DEFAULT_LIST_CONCURRENCY, MATCHING_ATTRIBUTE_PARAM, MAX_PAGE_SIZE, PAGE_PARAM, PEOPLE_PATH,
    SEARCH_PARAM,
};
use super::destination::is_loopback;
use super::error::{ApiError, FieldError, Scope};
use super::model::{
    Company, CompanyEnvelope, ErrorBody, ListResponse, Listed, ObjectSchema, Person,
    PersonAcknowledged, PersonEnvelope,
};
use super::object::ObjectSlug;
use super::pace::{PaceConfig, Pacer, Ticket};
use super::retry::{self, Cause, Retry, RetryPolicy};
use super::surrogate;
use super::token::Token;

mod attributes;
mod shape;
#[cfg(test)]
mod testing;
mod transport;

pub(crate) use shape::json_bytes;
use shape::*;
pub use transport::TryFailure;
use transport::*;

const USER_AGENT: &str = concat!("zeeg/", env!("CARGO_PKG_VERSION"));

/// How to reach the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The API's base URL, e.g. `https://api.zeeg.me/v2`; endpoint paths are
    /// appended to it.
    pub base_url: String,
    /// The bearer token.
    pub token: Token,
    /// The longest wait for a connection.
    pub connect_timeout: Duration,
    /// The longest wait for a whole answer, per try.
    pub request_timeout: Duration,
    /// Retries after 429, 5xx, timeouts and broken connections.
    pub retry: RetryPolicy,
    /// How many list pages [`Client::list_all`] and [`Client::search`] fetch at once.
    pub list_concurrency: usize,
    /// How the shared request rate adapts to 429s.
    pub pace: PaceConfig,
    /// A request without an answer says so this often.
    pub slow_notice: Duration,
    /// Where the lines about waiting go (retries, slow answers).
    pub notices: Notices,
}

/// Where the client's lines about waiting go: a retry about to wait, a
/// request that has had no answer for a while. By default, nowhere; the
/// command line prints them on stderr at default verbosity.
#[derive(Clone, Default)]
pub struct Notices(Option<Arc<NoticeSink>>);

type NoticeSink = dyn Fn(&str) + Send + Sync;

impl Notices {
    /// Lines go to `sink`.
    pub fn to(sink: impl Fn(&str) + Send + Sync + 'static) -> Notices {
        Notices(Some(Arc::new(sink)))
    }

    /// Says `line`, if anyone listens.
    pub fn notify(&self, line: &str) {
        if let Some(sink) = &self.0 {
            sink(line);
        }
    }
}

impl fmt::Debug for Notices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Notices(on)"
        } else {
            "Notices(off)"
        })
    }
}

impl ClientConfig {
    /// The defaults for the real API at `https://api.zeeg.me/v2`.
    pub fn new(token: Token) -> ClientConfig {
        ClientConfig {
            base_url: DEFAULT_BASE_URL.to_string(),
            token,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            list_concurrency: DEFAULT_LIST_CONCURRENCY,
            pace: PaceConfig::default(),
            slow_notice: Duration::from_secs(10),
            notices: Notices::default(),
        }
    }

    /// The configuration the command line asks for: the token from
    /// `token_file` or `ZEEG_API_TOKEN`, and `api_url` (`--api-url` /
    /// `ZEEG_API_URL`) or the real API.
    pub fn load(
        api_url: Option<&str>,
        token_file: Option<&std::path::Path>,
    ) -> Result<ClientConfig, ApiError> {
        let config = ClientConfig::new(Token::load(token_file)?);
        Ok(match api_url {
            Some(url) => config.with_base_url(url),
            None => config,
        })
    }

    /// The same configuration for another base URL (`--api-url`, a sandbox).
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> ClientConfig {
        self.base_url = base_url.into();
        self
    }
}

/// A client of the Zeeg CRM people API. Cheap to clone: clones share the
/// connection pool and the counters.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    request_timeout: Duration,
    retry: RetryPolicy,
    list_concurrency: usize,
    counters: Counters,
    /// Shared by every request of every clone: one command, one pace.
    pacer: Pacer,
    slow_notice: Duration,
    notices: Notices,
    /// Cut out of whatever a server writes back.
    token: Token,
    /// The items already named for text that is not Unicode: a person read
    /// twice (a count, then a search) is named once.
    not_unicode: std::sync::Mutex<HashSet<String>>,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    rate_limited: AtomicU64,
    retries: AtomicU64,
}

/// What the client has done so far, counted across all its clones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP requests sent, every try counted.
    pub requests: u64,
    /// 429 answers received.
    pub rate_limited: u64,
    /// Tries that repeated an earlier one.
    pub retries: u64,
}

/// The answer of an upsert.
#[derive(Debug, Clone, PartialEq)]
pub struct Upserted {
    /// Whether the API created the person (201) rather than updating one (200).
    pub created: bool,
    /// The person as the API holds it now.
    pub person: Person,
}

/// The answer of a company assert.
#[derive(Debug, Clone, PartialEq)]
pub struct AssertedCompany {
    /// Whether the API created the company (201) rather than finding it by
    /// its domain (200).
    pub created: bool,
    /// The company as the API holds it now.
    pub company: Company,
}

impl Client {
    /// Sets up a client. Refuses a base URL that is not http(s), and plain
    /// `http://` to anything but this machine, since the token would travel
    /// in clear.
    pub fn new(config: ClientConfig) -> Result<Client, ApiError> {
        let base = checked_base_url(&config.base_url)?;
        let mut auth =
            HeaderValue::try_from(format!("Bearer {}", config.token.expose())).map_err(|_| {
                ApiError::MalformedToken {
                    origin: "the configuration".to_string(),
                }
            })?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            // A redirect could carry the token to another host or to plain
            // http; the API documents none, so none is followed.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|source| ApiError::HttpClient { source })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                request_timeout: config.request_timeout,
                retry: RetryPolicy {
                    max_tries: config.retry.max_tries.max(1),
                    ..config.retry
                },
                list_concurrency: config.list_concurrency.max(1),
                counters: Counters::default(),
                pacer: Pacer::new(config.pace),
                slow_notice: config.slow_notice.max(Duration::from_millis(10)),
                notices: config.notices,
                token: config.token,
                not_unicode: std::sync::Mutex::default(),
            }),
        })
    }

    /// The pace every request of this client (and its clones) keeps.
    pub fn pacer(&self) -> &Pacer {
        &self.inner.pacer
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    /// The counters so far.
    pub fn stats(&self) -> ClientStats {
        let counters = &self.inner.counters;
        ClientStats {
            requests: counters.requests.load(Ordering::Relaxed),
            rate_limited: counters.rate_limited.load(Ordering::Relaxed),
            retries: counters.retries.load(Ordering::Relaxed),
        }
    }

    /// `PUT /crm/people?matchingAttribute=SLUG`: updates the person whose
    /// `matching_attribute` equals the body's, or creates one.
    pub async fn upsert(
        &self,
        matching_attribute: &str,
        body: &Map<String, Value>,
    ) -> Result<Upserted, ApiError> {
        let call = upsert_call(matching_attribute, json_bytes(body));
        let (status, answer) = self.execute(&call).await?;
        upserted(&call, status, &answer)
    }

    /// One try of [`Client::upsert`], number `tries` (from 1), for a caller
    /// that waits between tries itself: a transient failure comes back as
    /// the retry policy's [`Retry`] (how long, and the line to show), or as
    /// the final error once the policy gives up. `body` is the JSON text of
    /// the request body: apply keeps each job's body as text, written once,
    /// rather than as values written again at every try. The answer is
    /// checked to be a person's, whose fields are not read: `Ok(true)` when
    /// the API created the person (201), `Ok(false)` when it updated one.
    pub async fn upsert_try(
        &self,
        matching_attribute: &str,
        body: &[u8],
        tries: u32,
    ) -> Result<bool, TryFailure> {
        let call = upsert_call(matching_attribute, body.to_vec());
        let (status, answer) = self.try_call(&call, tries.max(1)).await?;
        let _: PersonAcknowledged = decode(&call, &answer).map_err(TryFailure::Failed)?;
        Ok(status == StatusCode::CREATED)
    }

    /// `GET /crm/people?page=P&count=C`: one page of people, oldest first.
    /// `count` is clamped to 1..=100.
    pub async fn list_page(&self, page: u64, count: u32) -> Result<ListResponse<Person>, ApiError> {
        self.page(PEOPLE_PATH, page, count, None).await
    }

    /// How many people the CRM holds, in one small request.
    pub async fn total(&self) -> Result<u64, ApiError> {
        Ok(self
            .page::<Person>(PEOPLE_PATH, 1, 1, None)
            .await?
            .pagination
            .total)
    }

    /// Every person, in the API's order (oldest first), each once: the first
    /// page, then the rest concurrently once the total is known.
    pub async fn list_all(&self) -> Result<Vec<Person>, ApiError> {
        self.all_pages(PEOPLE_PATH, None).await
    }

    /// Every page of people, in the API's order, handed to `visit` as it
    /// arrives (the requests of [`Client::list_all`]), so that a caller
    /// keeps only what it needs of each. A person may come twice, on two
    /// pages: the visitor drops repeats.
    pub async fn list_pages(&self, visit: impl FnMut(Vec<Person>)) -> Result<(), ApiError> {
        self.each_page(PEOPLE_PATH, None, visit).await
    }

    /// Every person whose names, emails or phone number contain `text`,
    /// ignoring case (all pages).
    pub async fn search(&self, text: &str) -> Result<Vec<Person>, ApiError> {
        self.all_pages(PEOPLE_PATH, Some(text)).await
    }

    /// `GET /crm/people/{id}`. An unknown id is [`ApiError::NotFound`].
    pub async fn get(&self, id: &str) -> Result<Person, ApiError> {
        let call = Call::new(Method::GET, PEOPLE_PATH, Scope::Read).segment(id);
        let (_, answer) = self.execute(&call).await?;
        let envelope: PersonEnvelope = decode(&call, &answer)?;
        Ok(envelope.person)
    }

    /// `GET /crm/objects/people`: the standard and custom attributes.
    pub async fn object_schema(&self) -> Result<ObjectSchema, ApiError> {
        self.object_schema_of(ObjectSlug::People).await
    }

    /// `PUT /crm/companies?matchingAttribute=domain`: finds the company whose
    /// domain is `domain` (ignoring ASCII case and surrounding white space)
    /// and updates it, or creates it. `name` is needed to create one; `None`
    /// leaves the name of a found company as it is.
    pub async fn assert_company(
        &self,
        domain: &str,
        name: Option<&str>,
    ) -> Result<AssertedCompany, ApiError> {
        let call = company_call(domain, name);
        let (status, answer) = self.execute(&call).await?;
        asserted(&call, status, &answer)
    }

    /// One try of [`Client::assert_company`], number `tries` (from 1), for a
    /// caller that waits between tries itself (apply's executor), as
    /// [`Client::upsert_try`].
    pub async fn assert_company_try(
        &self,
        domain: &str,
        name: Option<&str>,
        tries: u32,
    ) -> Result<AssertedCompany, TryFailure> {
        let call = company_call(domain, name);
        let (status, answer) = self.try_call(&call, tries.max(1)).await?;
        asserted(&call, status, &answer).map_err(TryFailure::Failed)
    }

    /// `GET /crm/companies?page=P&count=C`: one page of companies, oldest
    /// first, only those whose name or domain contains `search` (ignoring
    /// case) when it is given. `count` is clamped to 1..=100.
    pub async fn companies_page(
        &self,
        page: u64,
        count: u32,
        search: Option<&str>,
    ) -> Result<ListResponse<Company>, ApiError> {
        self.page(COMPANIES_PATH, page, count, search).await
    }

    /// Every company, oldest first, each once (all pages, as [`Client::list_all`]).
    pub async fn list_companies(&self) -> Result<Vec<Company>, ApiError> {
        self.all_pages(COMPANIES_PATH, None).await
    }

    /// Every company whose name or domain contains `text`, ignoring case
    /// (all pages).
    pub async fn search_companies(&self, text: &str) -> Result<Vec<Company>, ApiError> {
        self.all_pages(COMPANIES_PATH, Some(text)).await
    }

    /// `GET /crm/companies/{id}`. An unknown id is [`ApiError::NotFound`].
    pub async fn get_company(&self, id: &str) -> Result<Company, ApiError> {
        let call = Call::new(Method::GET, COMPANIES_PATH, Scope::Read).segment(id);
        let (_, answer) = self.execute(&call).await?;
        let envelope: CompanyEnvelope = decode(&call, &answer)?;
        Ok(envelope.company)
    }

    /// One page of the list at `path` (people or companies).
    async fn page<T: DeserializeOwned>(
        &self,
        path: &str,
        page: u64,
        count: u32,
        search: Option<&str>,
    ) -> Result<ListResponse<T>, ApiError> {
        let mut call = Call::new(Method::GET, path, Scope::Read)
            .query(PAGE_PARAM, &page.max(1).to_string())
            .query(COUNT_PARAM, &count.clamp(1, MAX_PAGE_SIZE).to_string());
        if let Some(text) = search {
            call = call.query(SEARCH_PARAM, text);
        }
        let (_, answer) = self.execute(&call).await?;
        let answer = surrogate::repaired(&answer);
        if let Cow::Owned(page) = &answer {
            for item in surrogate::items_repaired(page) {
                let mut named = self
                    .inner
                    .not_unicode
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if !named.insert(item.clone()) {
                    continue;
                }
                drop(named);
                self.notify(&format!(
                    "warning: {} sent {item} with text that is not Unicode (a lone surrogate such as \\ud800); read as U+FFFD",
                    call.describe()
                ));
            }
        }
        decode(&call, &answer)
    }

    /// Every item of the list at `path` (people or companies), in order,
    /// each once (see [`Client::each_page`]).
    async fn all_pages<T: DeserializeOwned + Listed>(
        &self,
        path: &str,
        search: Option<&str>,
    ) -> Result<Vec<T>, ApiError> {
        let mut items: Vec<T> = Vec::new();
        self.each_page(path, search, |page| items.extend(page))
            .await?;
        // An item created while the pages were read shifts the later pages
        // by one, which shows the last of a page again on the next.
        let mut seen = HashSet::with_capacity(items.len());
        items.retain(|item| seen.insert(item.id().to_owned()));
        Ok(items)
    }

    /// Hands each page of the list at `path` to `visit`, in order, read as
    /// far as the rules of [`assumed::pages_to_read`] allow. An item may come
    /// twice, on two pages (see [`Client::all_pages`]): the visitor drops
    /// repeats.
    async fn each_page<T: DeserializeOwned + Listed>(
        &self,
        path: &str,
        search: Option<&str>,
        mut visit: impl FnMut(Vec<T>),
    ) -> Result<(), ApiError> {
        let first = self.page::<T>(path, 1, MAX_PAGE_SIZE, search).await?;
        let pages = assumed::pages_to_read(
            first.pagination.total,
            first.pagination.total_pages,
            first.collection.len() as u64,
        );
        if pages > assumed::MAX_PAGES {
            return Err(ApiError::TooManyPages {
                request: format!("GET {path}"),
                pages,
                max: assumed::MAX_PAGES,
            });
        }
        let mut previous = ids_of(&first.collection);
        let mut read = first.collection.len();
        visit(first.collection);
        // `buffered` keeps the pages in order while several are in flight.
        let mut rest = stream::iter(2..=pages)
            .map(|page| self.page::<T>(path, page, MAX_PAGE_SIZE, search))
            .buffered(self.inner.list_concurrency);
        while let Some(page) = rest.try_next().await? {
            let ids = ids_of(&page.collection);
            if ids.is_empty() || ids == previous {
                // An empty page ends the list whatever the pagination
                // claimed; the same page twice means the server ignores
                // `page`, and reading on would only repeat it.
                tracing::warn!(
                    read,
                    claimed = first.pagination.total,
                    "the API's list ended early: page {} is {}",
                    page.pagination.current_page,
                    if ids.is_empty() {
                        "empty"
                    } else {
                        "the same as the one before"
                    }
                );
                break;
            }
            read += page.collection.len();
            visit(page.collection);
            previous = ids;
        }
        Ok(())
    }
}

/// The ids of a page's items, in order.
fn ids_of<T: Listed>(items: &[T]) -> Vec<String> {
    items.iter().map(|item| item.id().to_owned()).collect()
}

/// An answer exactly as it came, for callers that check the API's shapes
/// themselves (`zeeg doctor`) rather than trusting them.
#[derive(Debug, Clone)]
pub struct RawAnswer {
    /// The HTTP status.
    pub status: u16,
    /// Every header, by lower-case name, with values that are not visible
    /// ASCII left out (they cannot be printed faithfully).
    pub headers: Vec<(String, String)>,
    /// The body, undecoded.
    pub body: Vec<u8>,
}

impl Client {
    /// `GET path?query` below the base URL, once: no retry, no decoding, any
    /// status returned as it came. Kept apart from [`Client::execute`] so the
    /// typed endpoints never depend on it.
    pub async fn get_raw(&self, path: &str, query: &[(&str, &str)]) -> Result<RawAnswer, ApiError> {
        let mut url = self.inner.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .extend(path.split('/').filter(|s| !s.is_empty()));
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().copied());
        }
        // One command, one pace: the raw reads wait their turn too.
        let ticket = self.inner.pacer.ready().await;
        self.inner.counters.requests.fetch_add(1, Ordering::Relaxed);
        let call = Call::new(Method::GET, path, Scope::Read);
        let failed = |failure: Failure| match failure {
            Failure::Fatal(error) => error,
            Failure::Transient(transient) => self.gave_up(&call, transient, 1),
        };
        let response = self
            .inner
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| failed(self.transport(&call, e)))?;
        let status = response.status().as_u16();
        if status == 429 {
            self.inner
                .counters
                .rate_limited
                .fetch_add(1, Ordering::Relaxed);
            self.inner.pacer.throttled(ticket);
        } else {
            self.inner.pacer.accepted(ticket);
        }
        let headers = response
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
            .collect();
        let body = self.read_body(&call, response).await.map_err(failed)?;
        tracing::debug!(path, status, "api raw request");
        Ok(RawAnswer {
            status,
            headers,
            body,
        })
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_allow_https_and_loopback_http_only() {
        for ok in [
            "https://api.zeeg.me/v2",
            "http://127.0.0.1:8080/v2",
            "http://127.8.9.10/v2",
            "http://[::1]:9/v2",
            "http://LOCALHOST:1/v2",
        ] {
            assert!(checked_base_url(ok).is_ok(), "{ok}");
        }
        for insecure in [
            "http://api.zeeg.me/v2",
            "http://10.0.0.1/v2",
            "http://[::2]/v2",
        ] {
            assert!(
                matches!(
                    checked_base_url(insecure),
                    Err(ApiError::InsecureUrl { .. })
                ),
                "{insecure}"
            );
        }
        for invalid in [
            "api.zeeg.me",
            "ftp://api.zeeg.me",
            "https://u:p@api.zeeg.me/v2",
        ] {
            assert!(
                matches!(checked_base_url(invalid), Err(ApiError::InvalidUrl { .. })),
                "{invalid}"
            );
        }
    }

    #[test]
    fn field_errors_keep_every_message() {
        let errors =
            serde_json::json!({"firstName": ["is required", "must be text"], "emails": "bad"});
        let Value::Object(errors) = errors else {
            unreachable!()
        };
        let found = field_errors(errors);
        assert_eq!(found[0].to_string(), "firstName: is required, must be text");
        assert_eq!(found[1].to_string(), "emails: bad");
    }
}
