//! The client: one configured HTTP connection pool, the endpoints of
//! `zeeg-api.md` as async methods, retries, and counters callers can read.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use backon::Retryable;
use futures::{StreamExt, TryStreamExt, stream};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use url::Url;

use super::assumed::{
    self, COMPANIES_PATH, COMPANY_MATCHING_ATTRIBUTE, COUNT_PARAM, DEFAULT_BASE_URL,
    DEFAULT_LIST_CONCURRENCY, MATCHING_ATTRIBUTE_PARAM, MAX_PAGE_SIZE, PAGE_PARAM,
    PEOPLE_OBJECT_PATH, PEOPLE_PATH, SEARCH_PARAM,
};
use super::destination::is_loopback;
use super::error::{ApiError, FieldError, Scope};
use super::model::{
    Company, CompanyEnvelope, ErrorBody, ListResponse, Listed, ObjectEnvelope, ObjectSchema,
    Person, PersonEnvelope,
};
use super::retry::{self, RetryPolicy};
use super::token::Token;

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
            }),
        })
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
        // Display of a Value cannot fail, unlike serde_json::to_vec.
        let bytes = Value::Object(body.clone()).to_string().into_bytes();
        let call = Call::new(Method::PUT, PEOPLE_PATH, Scope::Write)
            .query(MATCHING_ATTRIBUTE_PARAM, matching_attribute)
            .body(bytes);
        let (status, answer) = self.execute(&call).await?;
        let envelope: PersonEnvelope = decode(&call, &answer)?;
        Ok(Upserted {
            created: status == StatusCode::CREATED,
            person: envelope.person,
        })
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
        let call = Call::new(Method::GET, PEOPLE_OBJECT_PATH, Scope::Read);
        let (_, answer) = self.execute(&call).await?;
        let envelope: ObjectEnvelope = decode(&call, &answer)?;
        Ok(envelope.object)
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
        let mut body = Map::new();
        if let Some(name) = name {
            body.insert("name".into(), Value::from(name));
        }
        body.insert("domain".into(), Value::from(domain));
        let call = Call::new(Method::PUT, COMPANIES_PATH, Scope::Write)
            .query(MATCHING_ATTRIBUTE_PARAM, COMPANY_MATCHING_ATTRIBUTE)
            .body(Value::Object(body).to_string().into_bytes());
        let (status, answer) = self.execute(&call).await?;
        let envelope: CompanyEnvelope = decode(&call, &answer)?;
        Ok(AssertedCompany {
            created: status == StatusCode::CREATED,
            company: envelope.company,
        })
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
        decode(&call, &answer)
    }

    /// Every item of the list at `path` (people or companies), in order.
    async fn all_pages<T: DeserializeOwned + Listed>(
        &self,
        path: &str,
        search: Option<&str>,
    ) -> Result<Vec<T>, ApiError> {
        let first = self.page(path, 1, MAX_PAGE_SIZE, search).await?;
        let total_pages = first.pagination.total_pages;
        let mut people = first.collection;
        // `buffered` keeps the pages in order while several are in flight.
        let rest: Vec<ListResponse<T>> = stream::iter(2..=total_pages)
            .map(|page| self.page(path, page, MAX_PAGE_SIZE, search))
            .buffered(self.inner.list_concurrency)
            .try_collect()
            .await?;
        for page in rest {
            people.extend(page.collection);
        }
        // A person created while the pages were read shifts the later pages
        // by one, which shows the last of a page again on the next.
        let mut seen = HashSet::with_capacity(people.len());
        people.retain(|person| seen.insert(person.id().to_owned()));
        Ok(people)
    }

    /// Sends a call, trying again after transient failures; returns the
    /// status and body of a 2xx answer.
    async fn execute(&self, call: &Call) -> Result<(StatusCode, Vec<u8>), ApiError> {
        let policy = &self.inner.retry;
        let tries = AtomicU32::new(0);
        let result = (|| async {
            let attempt = tries.fetch_add(1, Ordering::Relaxed) + 1;
            self.attempt(call, attempt).await
        })
        .retry(policy.backoff())
        .sleep(tokio::time::sleep)
        .when(|failure| matches!(failure, Failure::Transient(_)))
        .adjust(|failure, backoff| {
            let retry_after = match failure {
                Failure::Transient(transient) => transient.retry_after,
                Failure::Fatal(_) => None,
            };
            backoff.map(|backoff| policy.delay(retry_after, backoff))
        })
        .notify(|failure, delay| {
            self.inner.counters.retries.fetch_add(1, Ordering::Relaxed);
            if let Failure::Transient(transient) = failure {
                tracing::debug!(
                    method = %call.method,
                    path = %call.path,
                    reason = %transient.kind,
                    delay_ms = delay.as_millis() as u64,
                    "api retry"
                );
            }
        })
        .await;
        match result {
            Ok(answer) => Ok(answer),
            Err(Failure::Fatal(error)) => Err(error),
            Err(Failure::Transient(transient)) => {
                Err(self.gave_up(call, transient, tries.load(Ordering::Relaxed)))
            }
        }
    }

    async fn attempt(&self, call: &Call, attempt: u32) -> Result<(StatusCode, Vec<u8>), Failure> {
        let url = self.url(call, true);
        let mut request = self.inner.http.request(call.method.clone(), url);
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        self.inner.counters.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let response = request.send().await.map_err(|e| transport(call, e))?;
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.inner
                .counters
                .rate_limited
                .fetch_add(1, Ordering::Relaxed);
        }
        let retry_after = retry::retry_after(response.headers(), SystemTime::now());
        let answer = response.bytes().await.map_err(|e| transport(call, e))?;
        tracing::debug!(
            method = %call.method,
            path = %call.path,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            attempt,
            "api request"
        );
        if status.is_success() {
            return Ok((status, answer.to_vec()));
        }
        // Bodies vary by endpoint: branch on the status, read what is there.
        let body: ErrorBody = serde_json::from_slice(&answer).unwrap_or_default();
        let message = body.text().map(str::to_owned);
        let code = status.as_u16();
        if assumed::is_transient_status(code) {
            return Err(Failure::Transient(Transient {
                kind: TransientKind::Status {
                    status: code,
                    message,
                },
                retry_after,
            }));
        }
        let request = call.describe();
        Err(Failure::Fatal(match code {
            400 => ApiError::BadRequest { request, message },
            401 => ApiError::Unauthorized { request },
            403 => ApiError::Forbidden {
                request,
                scope: call.scope,
            },
            404 => ApiError::NotFound {
                request,
                // Without the query, which may hold a searched email.
                url: self.url(call, false).to_string(),
                message,
            },
            409 => ApiError::Conflict { request, message },
            422 => ApiError::Validation {
                request,
                message,
                errors: field_errors(body.errors.unwrap_or_default()),
            },
            _ => ApiError::UnexpectedStatus {
                request,
                status: code,
                message,
            },
        }))
    }

    fn gave_up(&self, call: &Call, transient: Transient, tries: u32) -> ApiError {
        match transient.kind {
            TransientKind::Status {
                status: 429,
                message: _,
            } => ApiError::RateLimited {
                request: call.describe(),
                tries,
            },
            TransientKind::Status { status, message } => ApiError::Server {
                request: call.describe(),
                status,
                tries,
                message,
            },
            TransientKind::Timeout => ApiError::Timeout {
                url: self.url(call, false).to_string(),
                timeout: human(self.inner.request_timeout),
                tries,
            },
            TransientKind::Connection(source) => ApiError::Unreachable {
                url: self.url(call, false).to_string(),
                tries,
                source,
            },
        }
    }

    /// The call's URL; without the query string when it is for a message,
    /// since a search query holds contact data.
    fn url(&self, call: &Call, with_query: bool) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(&call.segments);
        }
        if with_query && !call.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(call.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }
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
        let bare = url.to_string();
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().copied());
        }
        self.inner.counters.requests.fetch_add(1, Ordering::Relaxed);
        let failed = |error: reqwest::Error| {
            if error.is_timeout() {
                ApiError::Timeout {
                    url: bare.clone(),
                    timeout: human(self.inner.request_timeout),
                    tries: 1,
                }
            } else {
                ApiError::Unreachable {
                    url: bare.clone(),
                    tries: 1,
                    source: error.without_url(),
                }
            }
        };
        let response = self.inner.http.get(url).send().await.map_err(failed)?;
        let status = response.status().as_u16();
        if status == 429 {
            self.inner
                .counters
                .rate_limited
                .fetch_add(1, Ordering::Relaxed);
        }
        let headers = response
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
            .collect();
        let body = response.bytes().await.map_err(failed)?.to_vec();
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

/// One request, described without its body so it can be named in messages.
struct Call {
    method: Method,
    /// The path below the base URL, for messages and logs: `/crm/people`.
    path: String,
    segments: Vec<String>,
    query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    scope: Scope,
}

impl Call {
    fn new(method: Method, path: &str, scope: Scope) -> Call {
        Call {
            method,
            path: path.to_string(),
            segments: path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            query: Vec::new(),
            body: None,
            scope,
        }
    }

    fn segment(mut self, segment: &str) -> Call {
        self.path = format!("{}/{segment}", self.path);
        self.segments.push(segment.to_string());
        self
    }

    fn query(mut self, key: &'static str, value: &str) -> Call {
        self.query.push((key, value.to_string()));
        self
    }

    fn body(mut self, body: Vec<u8>) -> Call {
        self.body = Some(body);
        self
    }

    fn describe(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Why a try failed: worth another try, or final.
enum Failure {
    Transient(Transient),
    Fatal(ApiError),
}

struct Transient {
    kind: TransientKind,
    retry_after: Option<Duration>,
}

enum TransientKind {
    Status {
        status: u16,
        message: Option<String>,
    },
    Timeout,
    Connection(reqwest::Error),
}

impl fmt::Display for TransientKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransientKind::Status { status, .. } => write!(f, "status {status}"),
            TransientKind::Timeout => f.write_str("timeout"),
            TransientKind::Connection(error) => write!(f, "{error}"),
        }
    }
}

/// A request that got no (complete) answer. The URL is dropped from the
/// error: reqwest's would include the query string.
fn transport(call: &Call, error: reqwest::Error) -> Failure {
    if error.is_builder() {
        return Failure::Fatal(ApiError::InvalidUrl {
            url: call.path.clone(),
            reason: error.without_url().to_string(),
        });
    }
    let kind = if error.is_timeout() {
        TransientKind::Timeout
    } else {
        TransientKind::Connection(error.without_url())
    };
    Failure::Transient(Transient {
        kind,
        retry_after: None,
    })
}

fn decode<T: DeserializeOwned>(call: &Call, answer: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(answer).map_err(|source| ApiError::InvalidResponse {
        request: call.describe(),
        source,
    })
}

/// `{"field": ["message", …]}` as a list; a lone string or any other value
/// becomes one message, so nothing the API said is lost.
fn field_errors(errors: Map<String, Value>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|(field, value)| {
            let messages = match value {
                Value::Array(items) => items.into_iter().map(message_text).collect(),
                other => vec![message_text(other)],
            };
            FieldError { field, messages }
        })
        .collect()
}

fn message_text(value: Value) -> String {
    match value {
        Value::String(text) => text,
        other => other.to_string(),
    }
}

fn checked_base_url(raw: &str) -> Result<Url, ApiError> {
    let invalid = |reason: &str| ApiError::InvalidUrl {
        url: raw.to_string(),
        reason: reason.to_string(),
    };
    let url = Url::parse(raw.trim()).map_err(|e| invalid(&e.to_string()))?;
    if url.cannot_be_a_base() {
        return Err(invalid("not a base URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "it holds credentials; give the token with ZEEG_API_TOKEN or --token-file",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("a base URL has no query or fragment"));
    }
    let host = url.host().ok_or_else(|| invalid("it has no host"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&host) => Ok(url),
        "http" => Err(ApiError::InsecureUrl {
            host: host.to_string(),
        }),
        other => Err(invalid(&format!("scheme {other}: is not http(s)"))),
    }
}

fn human(duration: Duration) -> String {
    if duration >= Duration::from_secs(1) && duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
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
