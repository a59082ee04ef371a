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
    Company, CompanyEnvelope, ErrorBody, ListResponse, Listed, ObjectSchema, Person, PersonEnvelope,
};
use super::object::ObjectSlug;
use super::pace::{PaceConfig, Pacer, Ticket};
use super::retry::{self, Cause, Retry, RetryPolicy};
use super::surrogate;
use super::token::Token;

mod attributes;

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
    /// rather than as values written again at every try.
    pub async fn upsert_try(
        &self,
        matching_attribute: &str,
        body: &[u8],
        tries: u32,
    ) -> Result<Upserted, TryFailure> {
        let call = upsert_call(matching_attribute, body.to_vec());
        let (status, answer) = self.try_call(&call, tries.max(1)).await?;
        upserted(&call, status, &answer).map_err(TryFailure::Failed)
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
    /// read as far as the rules of [`assumed::pages_to_read`] allow.
    async fn all_pages<T: DeserializeOwned + Listed>(
        &self,
        path: &str,
        search: Option<&str>,
    ) -> Result<Vec<T>, ApiError> {
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
        let mut items = Vec::new();
        let mut previous: Vec<String> = first
            .collection
            .iter()
            .map(|item| item.id().to_owned())
            .collect();
        items.extend(first.collection);
        // `buffered` keeps the pages in order while several are in flight.
        let mut rest = stream::iter(2..=pages)
            .map(|page| self.page::<T>(path, page, MAX_PAGE_SIZE, search))
            .buffered(self.inner.list_concurrency);
        while let Some(page) = rest.try_next().await? {
            let ids: Vec<String> = page
                .collection
                .iter()
                .map(|item| item.id().to_owned())
                .collect();
            if ids.is_empty() || ids == previous {
                // An empty page ends the list whatever the pagination
                // claimed; the same page twice means the server ignores
                // `page`, and reading on would only repeat it.
                tracing::warn!(
                    read = items.len(),
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
            items.extend(page.collection);
            previous = ids;
        }
        // An item created while the pages were read shifts the later pages
        // by one, which shows the last of a page again on the next.
        let mut seen = HashSet::with_capacity(items.len());
        items.retain(|item| seen.insert(item.id().to_owned()));
        Ok(items)
    }

    /// Sends a call, trying again after transient failures as the retry
    /// policy says, and saying so before each wait; returns the status and
    /// body of a 2xx answer.
    async fn execute(&self, call: &Call) -> Result<(StatusCode, Vec<u8>), ApiError> {
        let mut tries = 1;
        loop {
            match self.try_call(call, tries).await {
                Ok(answer) => return Ok(answer),
                Err(TryFailure::Failed(error)) => return Err(error),
                Err(TryFailure::Retry(retry)) => {
                    self.notify(&retry.line(&call.describe()));
                    tokio::time::sleep(retry.wait).await;
                    tries = retry.next_try;
                }
            }
        }
    }

    /// One try of a call, number `tries` (from 1): waits for the shared pace,
    /// sends, and reads the answer. A transient failure comes back as the
    /// policy's decision to retry, or as the final error once it says no.
    async fn try_call(&self, call: &Call, tries: u32) -> Result<(StatusCode, Vec<u8>), TryFailure> {
        match self.attempt(call, tries).await {
            Ok(answer) => Ok(answer),
            Err(Failure::Fatal(error)) => Err(TryFailure::Failed(error)),
            Err(Failure::Transient(transient)) => {
                match self.inner.retry.after(&transient.cause, tries) {
                    Some(retry) => Err(TryFailure::Retry(Retry {
                        pace: transient.pace,
                        ..retry
                    })),
                    None => Err(TryFailure::Failed(self.gave_up(call, transient, tries))),
                }
            }
        }
    }

    async fn attempt(&self, call: &Call, attempt: u32) -> Result<(StatusCode, Vec<u8>), Failure> {
        let ticket = self.inner.pacer.ready().await;
        let (status, retry_after, answer, cut) = self.send(call, attempt, ticket).await?;
        if status.is_success() {
            return Ok((status, answer));
        }
        let mut failure = self.refused(call, status, retry_after, &answer);
        if let (true, Failure::Transient(transient)) = (cut, &mut failure) {
            transient.pace = self.inner.pacer.rate();
        }
        Err(failure)
    }

    /// Sends one try and reads its answer, counting it and telling the
    /// shared pace whether the API throttled it.
    async fn send(
        &self,
        call: &Call,
        attempt: u32,
        ticket: Ticket,
    ) -> Result<(StatusCode, Option<Duration>, Vec<u8>, bool), Failure> {
        let url = self.url(call, true);
        let mut request = self.inner.http.request(call.method.clone(), url);
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let counters = &self.inner.counters;
        counters.requests.fetch_add(1, Ordering::Relaxed);
        if attempt > 1 {
            counters.retries.fetch_add(1, Ordering::Relaxed);
        }
        let started = Instant::now();
        let (status, retry_after, answer) = self
            .watched(call, async {
                let response = request.send().await.map_err(|e| self.transport(call, e))?;
                let status = response.status();
                let retry_after = retry::retry_after(response.headers(), SystemTime::now());
                let answer = self.read_body(call, response).await?;
                Ok((status, retry_after, answer))
            })
            .await?;
        let cut = if status == StatusCode::TOO_MANY_REQUESTS {
            counters.rate_limited.fetch_add(1, Ordering::Relaxed);
            self.inner.pacer.throttled(ticket)
        } else {
            self.inner.pacer.accepted(ticket);
            false
        };
        tracing::debug!(
            method = %call.method,
            path = %call.path,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            attempt,
            "api request"
        );
        Ok((status, retry_after, answer, cut))
    }

    /// What an answer other than 2xx means: a try to repeat, or an error.
    fn refused(
        &self,
        call: &Call,
        status: StatusCode,
        retry_after: Option<Duration>,
        answer: &[u8],
    ) -> Failure {
        // Bodies vary by endpoint: branch on the status, read what is there.
        // What the server wrote is data: the token is cut out of it and its
        // length is capped before it can reach a message.
        let body: ErrorBody = serde_json::from_slice(answer).unwrap_or_default();
        let message = body.text().map(|text| self.server_text(text));
        let code = status.as_u16();
        if assumed::is_transient_status(code) {
            let cause = if code == 429 {
                Cause::RateLimited { retry_after }
            } else {
                Cause::Server { status: code }
            };
            return Failure::Transient(Transient {
                cause,
                pace: None,
                message,
                source: None,
            });
        }
        let request = call.describe();
        Failure::Fatal(match code {
            400 => ApiError::BadRequest { request, message },
            401 => ApiError::Unauthorized { request },
            403 => ApiError::Forbidden {
                request,
                scope: call.scope,
            },
            404 => ApiError::NotFound {
                request,
                // Without the query, which may hold a searched email.
                url: self.shown_url(call),
                message,
            },
            409 => ApiError::Conflict { request, message },
            422 => ApiError::Validation {
                request,
                message,
                errors: self.field_errors(body.errors.unwrap_or_default()),
            },
            _ => ApiError::UnexpectedStatus {
                request,
                status: code,
                message,
            },
        })
    }

    /// Runs a request to its answer, saying every so often that it has had
    /// none yet: a slow server is never silence.
    async fn watched<T>(&self, call: &Call, request: impl Future<Output = T>) -> T {
        let every = self.inner.slow_notice;
        tokio::pin!(request);
        let mut waited = Duration::ZERO;
        loop {
            tokio::select! {
                answer = &mut request => return answer,
                () = tokio::time::sleep(every) => {
                    waited += every;
                    self.notify(&format!(
                        "still waiting for an answer to {} after {} (gives up after {})",
                        call.describe(),
                        retry::seconds(waited),
                        retry::seconds(self.inner.request_timeout),
                    ));
                }
            }
        }
    }

    /// Reads a body, refusing one over [`assumed::MAX_RESPONSE_BYTES`]
    /// before it is all in memory: a server streaming forever must not.
    async fn read_body(
        &self,
        call: &Call,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, Failure> {
        let limit = assumed::MAX_RESPONSE_BYTES;
        let too_large = || {
            Failure::Fatal(ApiError::ResponseTooLarge {
                url: self.shown_url(call),
                limit: limit / (1024 * 1024),
            })
        };
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport(call, e))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Text a server sent, made safe to print: without the token (a server
    /// may echo the request's headers) and at most a few hundred characters.
    fn server_text(&self, text: &str) -> String {
        let clean = crate::secret::Secrets::new([self.inner.token.expose()]).cut(text);
        let limit = assumed::MAX_SERVER_TEXT_CHARS;
        match clean.char_indices().nth(limit) {
            Some((cut, _)) => format!("{}… (cut at {limit} characters)", &clean[..cut]),
            None => clean,
        }
    }

    /// `{"field": ["message", …]}` as a list; a lone string or any other value
    /// becomes one message, so nothing the API said is lost.
    fn field_errors(&self, errors: Map<String, Value>) -> Vec<FieldError> {
        field_errors(errors)
            .into_iter()
            .map(|error| FieldError {
                field: self.server_text(&error.field),
                messages: error.messages.iter().map(|m| self.server_text(m)).collect(),
            })
            .collect()
    }

    fn notify(&self, line: &str) {
        self.inner.notices.notify(line);
    }

    /// A request that got no (complete) answer, sorted into what a retry may
    /// mend and what it cannot. The URL is dropped from the error: reqwest's
    /// would include the query string.
    fn transport(&self, call: &Call, error: reqwest::Error) -> Failure {
        if error.is_builder() {
            return Failure::Fatal(ApiError::InvalidUrl {
                url: call.path.clone(),
                reason: error.without_url().to_string(),
            });
        }
        let host = self.inner.base.host_str().unwrap_or_default().to_string();
        let cause = match network_cause(&error) {
            NetworkCause::UnknownHost => {
                return Failure::Fatal(ApiError::UnknownHost {
                    host,
                    source: error.without_url(),
                });
            }
            NetworkCause::Certificate(reason) => {
                return Failure::Fatal(ApiError::Certificate {
                    host,
                    reason: self.server_text(&reason),
                });
            }
            NetworkCause::Refused => Cause::Refused,
            NetworkCause::Timeout => Cause::Timeout,
            NetworkCause::Other => Cause::Dropped,
        };
        Failure::Transient(Transient {
            cause,
            pace: None,
            message: None,
            source: Some(error.without_url()),
        })
    }

    /// The error of a call whose last try failed transiently.
    fn gave_up(&self, call: &Call, transient: Transient, tries: u32) -> ApiError {
        let Transient {
            cause,
            message,
            source,
            ..
        } = transient;
        let url = self.shown_url(call);
        match (cause, source) {
            (Cause::RateLimited { .. }, _) => ApiError::RateLimited {
                request: call.describe(),
                tries,
            },
            (Cause::Server { status }, _) => ApiError::Server {
                request: call.describe(),
                status,
                tries,
                message,
            },
            (Cause::Timeout, _) => ApiError::Timeout {
                url,
                timeout: retry::seconds(self.inner.request_timeout),
                tries,
            },
            (Cause::Refused, _) => ApiError::Refused { url, tries },
            (Cause::Dropped, Some(source)) => ApiError::Unreachable { url, tries, source },
            (Cause::Dropped, None) => ApiError::Refused { url, tries },
        }
    }

    /// The call's URL as a message names it: without the query, and without
    /// the token, should the base URL hold it (`https://host/v2/TOKEN/`).
    fn shown_url(&self, call: &Call) -> String {
        crate::secret::Secrets::new([self.inner.token.expose()]).cut(self.url(call, false).as_str())
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
    cause: Cause,
    /// The shared pace after this answer cut it (requests per second).
    pace: Option<f64>,
    /// What the server said, for the final error.
    message: Option<String>,
    /// The network error, for the final error's chain.
    source: Option<reqwest::Error>,
}

/// The outcome of one failed try of an upsert, for a caller that schedules
/// the retries itself (apply's executor, so that a waiting entry holds no
/// concurrency slot).
#[derive(Debug)]
pub enum TryFailure {
    /// Worth another try after [`Retry::wait`]; the policy said so.
    Retry(Retry),
    /// Final: no retry can mend it, or the tries are used up.
    Failed(ApiError),
}

/// What a network error means for retrying.
enum NetworkCause {
    UnknownHost,
    Certificate(String),
    Refused,
    Timeout,
    Other,
}

/// Sorts a network error by walking its chain: reqwest only says "error
/// sending request"; the resolver, the TLS library and the socket say why.
fn network_cause(error: &reqwest::Error) -> NetworkCause {
    if error.is_timeout() {
        return NetworkCause::Timeout;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return NetworkCause::Refused,
                std::io::ErrorKind::TimedOut => return NetworkCause::Timeout,
                _ => {}
            }
        }
        let text = current.to_string();
        // hyper-util's resolver error, and rustls's "invalid peer
        // certificate: UnknownIssuer" (their types are not ours to name).
        if text.starts_with("dns error") {
            return NetworkCause::UnknownHost;
        }
        if text.contains("invalid peer certificate")
            || text.contains("certificate") && text.contains("invalid")
        {
            return NetworkCause::Certificate(text);
        }
        source = current.source();
    }
    NetworkCause::Other
}

/// `PUT /crm/people?matchingAttribute=SLUG` with `body`, JSON text.
fn upsert_call(matching_attribute: &str, body: Vec<u8>) -> Call {
    Call::new(Method::PUT, PEOPLE_PATH, Scope::Write)
        .query(MATCHING_ATTRIBUTE_PARAM, matching_attribute)
        .body(body)
}

/// `PUT /crm/companies?matchingAttribute=domain` with `{name?, domain}`.
fn company_call(domain: &str, name: Option<&str>) -> Call {
    let mut body = Map::new();
    if let Some(name) = name {
        body.insert("name".into(), Value::from(name));
    }
    body.insert("domain".into(), Value::from(domain));
    Call::new(Method::PUT, COMPANIES_PATH, Scope::Write)
        .query(MATCHING_ATTRIBUTE_PARAM, COMPANY_MATCHING_ATTRIBUTE)
        .body(json_bytes(&body))
}

/// A request body as JSON text, written straight from the map: going
/// through `Value`'s `Display` cloned every field of every upsert first.
pub(crate) fn json_bytes(body: &Map<String, Value>) -> Vec<u8> {
    // A map of JSON values with string keys always serializes; the
    // fallback only keeps this free of a panic.
    serde_json::to_vec(body)
        .unwrap_or_else(|_| Value::Object(body.clone()).to_string().into_bytes())
}

fn asserted(call: &Call, status: StatusCode, answer: &[u8]) -> Result<AssertedCompany, ApiError> {
    let envelope: CompanyEnvelope = decode(call, answer)?;
    Ok(AssertedCompany {
        created: status == StatusCode::CREATED,
        company: envelope.company,
    })
}

fn upserted(call: &Call, status: StatusCode, answer: &[u8]) -> Result<Upserted, ApiError> {
    let envelope: PersonEnvelope = decode(call, answer)?;
    Ok(Upserted {
        created: status == StatusCode::CREATED,
        person: envelope.person,
    })
}

fn decode<T: DeserializeOwned>(call: &Call, answer: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(&surrogate::repaired(answer)).map_err(|source| {
        ApiError::InvalidResponse {
            request: call.describe(),
            source,
        }
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
