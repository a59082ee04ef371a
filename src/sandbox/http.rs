//! The HTTP face of the sandbox: routes, authentication, the simulated
//! conditions (`--latency`, `--rate-limit`, `--fail-rate` and their kin) and the error bodies
//! of `zeeg-api.md`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Instant, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::{Map, Value};

use super::attributes::{CustomAttributes, Objects};
use super::body::{self, FieldErrors, Origin, PersonPatch};
use super::companies::parse_company;
use super::durable::Durable;
use super::faults::{Fault, Faults, RetryAfter};
use super::latency::Latency;
use super::limit::TokenBucket;
use super::store::{MatchKey, Store};
use super::{MAX_BODY_BYTES, Scopes};
use crate::api::assumed::{COMPANY_MATCHING_ATTRIBUTE, UNKNOWN_COMPANY_FIELD};
use crate::api::model::{ErrorBody, ListResponse, Pagination};
use crate::person::MatchingAttribute;

/// Everything a request handler needs.
pub(crate) struct App {
    pub store: RwLock<Store>,
    pub durable: Option<Durable>,
    /// Taken before `store` by a handler that needs both.
    pub attributes: RwLock<Objects>,
    pub tokens: HashMap<String, Scopes>,
    pub bucket: Option<Mutex<TokenBucket>>,
    pub latency: Latency,
    pub faults: Faults,
    pub retry_after: RetryAfter,
}

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v2/crm/people", get(list_people).put(upsert_person))
        .route("/v2/crm/people/{id}", get(get_person))
        .route("/v2/crm/companies", get(list_companies).put(assert_company))
        .route("/v2/crm/companies/{id}", get(get_company))
        .merge(super::objects::routes())
        .fallback(|| async { Refusal::NotFound("no such endpoint") })
        .method_not_allowed_fallback(|| async { Refusal::MethodNotAllowed })
        // Bodies over 1 MB are refused with 413 Payload Too Large (see `Refusal::TooLarge`).
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(app.clone(), conditions))
        .with_state(app)
}

/// The simulated conditions. `--latency` is the time between a request's
/// arrival and its answer: the sandbox does its work at once and holds the
/// answer until then, as a distant server's answer is on its way back. Its
/// own work (and waiting for a busy worker) thus falls inside the latency
/// instead of adding to it, and the requests in flight at once do not queue
/// behind each other's work when their time comes. A request that is refused
/// or failed here never reaches its handler, so it has changed nothing.
async fn conditions(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let answer_at = app.latency.deadline();
    let response = refuse_or_run(&app, request, next).await;
    app.latency.until(answer_at).await;
    response
}

/// Refuses a request as `--rate-limit` and `--fail-rate` say, or runs it.
async fn refuse_or_run(app: &App, request: Request, next: Next) -> Response {
    if let Some(bucket) = &app.bucket {
        let taken = bucket
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .take(Instant::now());
        if let Err(wait) = taken {
            let header = app.retry_after.header(Some(wait), SystemTime::now());
            return Refusal::RateLimited(Some(header)).into_response();
        }
    }
    match app.faults.draw() {
        None => {}
        Some(Fault::ServerError) => return Refusal::SimulatedFailure.into_response(),
        Some(Fault::Throttled) => {
            let header = app.retry_after.header(None, SystemTime::now());
            return Refusal::RateLimited(Some(header)).into_response();
        }
        Some(Fault::ThrottledBare) => return Refusal::RateLimited(None).into_response(),
        Some(Fault::Dropped) => return dropped_connection(),
    }
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return next.run(request).await;
    }
    // The path only: queries may hold search text, and bodies contact data.
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let response = next.run(request).await;
    tracing::debug!("{method} {path} -> {}", response.status().as_u16());
    response
}

/// A response whose body fails at once: hyper then closes the connection
/// without a complete answer, which a client sees as a dropped connection.
fn dropped_connection() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped (--fail-rate)"))
    });
    Response::new(Body::from_stream(failing))
}

/// The scope a route needs.
#[derive(Clone, Copy)]
pub(super) enum Need {
    Read,
    Write,
}

pub(super) fn authorize(app: &App, headers: &HeaderMap, need: Need) -> Result<(), Refusal> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(Refusal::Unauthorized)?;
    let scopes = app.tokens.get(token).ok_or(Refusal::Unauthorized)?;
    match need {
        Need::Read if !scopes.read => Err(Refusal::Forbidden("crm:read")),
        Need::Write if !scopes.write => Err(Refusal::Forbidden("crm:write")),
        _ => Ok(()),
    }
}

async fn upsert_person(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Refusal> {
    authorize(&app, &headers, Need::Write)?;
    let object = body_object(body, "a person")?;
    let objects = app.attributes.read().unwrap_or_else(|p| p.into_inner());
    let (key, patch) = upsert_request(&objects.people, query.as_deref(), &object)?;
    let now = jiff::Timestamp::now();
    let mut store = app.store.write().unwrap_or_else(|p| p.into_inner());
    if let Some(Some(company_id)) = &patch.company_id
        && store.companies.get(company_id).is_none()
    {
        let mut errors = FieldErrors::default();
        errors.add(
            UNKNOWN_COMPANY_FIELD,
            "names no company: assert the company first (PUT /crm/companies?matchingAttribute=domain) and send the id it answers",
        );
        return Err(Refusal::Validation(errors));
    }
    let existing = store.find(&key);
    let pending = store.prepare(
        existing.as_deref(),
        &patch,
        // Time-ordered ids (v7), so that people created within the same second still
        // list in creation order under the "createdAt, then id" rule.
        || uuid::Uuid::now_v7().to_string(),
        now,
    );
    if !pending.person.has_name() {
        let mut errors = FieldErrors::default();
        let message = "firstName or lastName is required";
        errors.add("firstName", message);
        errors.add("lastName", message);
        return Err(Refusal::Validation(errors));
    }
    finish_write(&app, &mut store, pending)
}

/// The matching key and the fields of an upsert, or the 422 that says what
/// is wrong with its `matchingAttribute` and body.
fn upsert_request(
    attributes: &CustomAttributes,
    query: Option<&str>,
    object: &Map<String, Value>,
) -> Result<(MatchKey, PersonPatch), Refusal> {
    let params = QueryParams::parse(query);
    // No `matchingAttribute` is the default one (see its docs). [assumed]
    let attribute = params
        .get("matchingAttribute")
        .map(MatchingAttribute::new)
        .unwrap_or_default();
    let (slug, field) = (attribute.slug(), attribute.field());
    let known_slug = !attribute.is_custom() || attributes.get(slug).is_some();

    let mut errors = FieldErrors::default();
    if !known_slug {
        errors.add(
            "matchingAttribute",
            format!("`{slug}` is neither a standard attribute nor a custom attribute of the people object"),
        );
    }
    let input = with_errors(
        body::parse_person(object, attributes, Origin::Request),
        errors,
    )?;
    let patch = input.patch;
    let key = MatchKey::from_patch(field, &patch).ok_or_else(|| {
        let mut errors = FieldErrors::default();
        errors.add(
            attribute.required_field(),
            format!("is required: it is the matching attribute `{slug}`"),
        );
        Refusal::Validation(errors)
    })?;
    Ok((key, patch))
}

/// A write the state file refused is a 500: an answer never claims a
/// change that would not survive a restart.
pub(super) fn durably(write: Result<(), rusqlite::Error>) -> Result<(), Refusal> {
    write.map_err(|e| {
        tracing::error!("could not write the sandbox state: {e}");
        Refusal::Internal
    })
}

/// 201 for a create, 200 for an update (changed or not).
pub(super) fn write_status(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

async fn get_person(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    authorize(&app, &headers, Need::Read)?;
    let store = app.store.read().unwrap_or_else(|p| p.into_inner());
    let person = store
        .get(&id)
        .ok_or(Refusal::NotFound("no person has this id"))?;
    Ok(found("person", &person))
}

/// The most people one page holds, and the default page size.
const MAX_COUNT: u64 = 100;
const DEFAULT_COUNT: u64 = 20;

async fn list_people(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Refusal> {
    authorize(&app, &headers, Need::Read)?;
    let list = ListQuery::parse(query.as_deref())?;
    let store = app.store.read().unwrap_or_else(|p| p.into_inner());
    let (collection, total) = store.page(list.search(), list.page, list.count);
    // Serialised under the read lock: written from the stored bytes, with
    // no `Person` built for it.
    Ok(list.answer("/v2/crm/people", collection, total))
}

async fn list_companies(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Refusal> {
    authorize(&app, &headers, Need::Read)?;
    let list = ListQuery::parse(query.as_deref())?;
    let store = app.store.read().unwrap_or_else(|p| p.into_inner());
    let (collection, total) = store.companies.page(list.search(), list.page, list.count);
    Ok(list.answer("/v2/crm/companies", collection, total))
}

/// The paging and search of a list request.
struct ListQuery {
    page: u64,
    count: u64,
    search: Option<String>,
}

impl ListQuery {
    fn parse(query: Option<&str>) -> Result<ListQuery, Refusal> {
        let params = QueryParams::parse(query);
        Ok(ListQuery {
            page: params.number("page", 1, u64::MAX, 1)?,
            count: params.number("count", 1, MAX_COUNT, DEFAULT_COUNT)?,
            search: params
                .get("search")
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        })
    }

    fn search(&self) -> Option<&str> {
        self.search.as_deref()
    }

    /// The list answer: this page of `collection` out of `total`, with links
    /// to the pages beside it below `path`.
    fn answer<T: Serialize>(&self, path: &str, collection: Vec<T>, total: u64) -> Response {
        let (page, count) = (self.page, self.count);
        let total_pages = total.div_ceil(count).max(1);
        let link = |page: u64| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            query.append_pair("page", &page.to_string());
            query.append_pair("count", &count.to_string());
            if let Some(search) = self.search() {
                query.append_pair("search", search);
            }
            format!("{path}?{}", query.finish())
        };
        let pagination = Pagination {
            total,
            count: collection.len() as u64,
            total_pages,
            // Past the end, "previous" is the last page that exists.
            previous_page: (page > 1).then(|| link((page - 1).min(total_pages))),
            current_page: page,
            next_page: (page < total_pages).then(|| link(page + 1)),
        };
        json(
            StatusCode::OK,
            &ListResponse {
                collection,
                pagination,
            },
        )
    }
}

/// `PUT /crm/companies?matchingAttribute=domain`: the company with the
/// body's domain, updated with the fields sent, or a new one.
async fn assert_company(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Refusal> {
    authorize(&app, &headers, Need::Write)?;
    let object = body_object(body, "a company")?;
    let params = QueryParams::parse(query.as_deref());
    let mut errors = FieldErrors::default();
    // Like a person upsert without one, an assert without `matchingAttribute`
    // matches on the only attribute there is. [assumed]
    let slug = params
        .get("matchingAttribute")
        .unwrap_or(COMPANY_MATCHING_ATTRIBUTE);
    if slug != COMPANY_MATCHING_ATTRIBUTE {
        errors.add(
            "matchingAttribute",
            format!("`{slug}` is not a matching attribute of companies: only `{COMPANY_MATCHING_ATTRIBUTE}` is"),
        );
    }
    let objects = app.attributes.read().unwrap_or_else(|p| p.into_inner());
    let input = with_errors(
        parse_company(&object, &objects.companies, Origin::Request),
        errors,
    )?;

    let mut store = app.store.write().unwrap_or_else(|p| p.into_inner());
    let pending = store
        .companies
        .prepare(
            &input,
            || uuid::Uuid::now_v7().to_string(),
            jiff::Timestamp::now(),
        )
        .ok_or_else(|| {
            let mut errors = FieldErrors::default();
            errors.add("name", "is required to create a company");
            Refusal::Validation(errors)
        })?;
    finish_write(&app, &mut store, pending)
}

async fn get_company(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    authorize(&app, &headers, Need::Read)?;
    let store = app.store.read().unwrap_or_else(|p| p.into_inner());
    let company = store
        .companies
        .get(&id)
        .ok_or(Refusal::NotFound("no company has this id"))?;
    Ok(found("company", company))
}

/// A write's body as a JSON object (`what` says what it should hold), or
/// the 400/413 that says why it is not one.
pub(super) fn body_object(
    body: Result<Bytes, BytesRejection>,
    what: &str,
) -> Result<Map<String, Value>, Refusal> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Refusal::TooLarge
        } else {
            Refusal::BadRequest(format!("the request body could not be read: {rejection}"))
        }
    })?;
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| Refusal::BadRequest(format!("the request body is not valid JSON: {e}")))?;
    match value {
        Value::Object(object) => Ok(object),
        _ => Err(Refusal::BadRequest(format!(
            "the request body must be a JSON object ({what})"
        ))),
    }
}

/// The rest of a request's field errors, and those parsing its body found:
/// the parsed body when there are none, else the 422 that lists them all.
fn with_errors<T>(parsed: Result<T, FieldErrors>, mut errors: FieldErrors) -> Result<T, Refusal> {
    match parsed {
        Ok(input) if errors.is_empty() => Ok(input),
        Ok(_) => Err(Refusal::Validation(errors)),
        Err(field_errors) => {
            errors.extend(field_errors);
            Err(Refusal::Validation(errors))
        }
    }
}

/// A person's upsert or a company's assert, prepared against the store
/// and not yet committed.
pub(super) trait PreparedWrite {
    type Record: Serialize;
    /// The answer's key for the record.
    const KIND: &'static str;
    fn record(&self) -> &Self::Record;
    /// Whether anything differs from what is stored.
    fn changed(&self) -> bool;
    fn created(&self) -> bool;
    fn save(&self, durable: &Durable) -> Result<(), rusqlite::Error>;
    fn commit(self, store: &mut Store);
}

/// Saves a prepared write when it changes something (see [`durably`]),
/// answers with its record (serialised before the commit moves it into
/// the store, so never cloned), then commits it.
fn finish_write<P: PreparedWrite>(
    app: &App,
    store: &mut Store,
    pending: P,
) -> Result<Response, Refusal> {
    if pending.changed()
        && let Some(durable) = &app.durable
    {
        durably(pending.save(durable))?;
    }
    let status = write_status(pending.created());
    let answer = json(status, &Answer::new(status, P::KIND, pending.record()));
    if pending.changed() {
        pending.commit(store);
    }
    Ok(answer)
}

/// The 200 of a read of one record.
fn found<R: Serialize>(kind: &'static str, record: &R) -> Response {
    json(StatusCode::OK, &Answer::new(StatusCode::OK, kind, record))
}

/// `{"success": true, "status", "<kind>"}` over a borrowed person or company.
struct Answer<'r, R> {
    status: u16,
    kind: &'static str,
    record: &'r R,
}

impl<'r, R> Answer<'r, R> {
    fn new(status: StatusCode, kind: &'static str, record: &'r R) -> Answer<'r, R> {
        Answer {
            status: status.as_u16(),
            kind,
            record,
        }
    }
}

impl<R: Serialize> Serialize for Answer<'_, R> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("success", &true)?;
        map.serialize_entry("status", &self.status)?;
        map.serialize_entry(self.kind, self.record)?;
        map.end()
    }
}

pub(super) fn json(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        Err(_) => Refusal::Internal.into_response(),
    }
}

/// A request's query parameters; the first of a repeated name wins.
struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    fn parse(query: Option<&str>) -> QueryParams {
        let pairs = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        QueryParams(pairs)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn number(&self, name: &str, min: u64, max: u64, default: u64) -> Result<u64, Refusal> {
        let Some(text) = self.get(name) else {
            return Ok(default);
        };
        match text.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ if max == u64::MAX => Err(Refusal::BadRequest(format!(
                "`{name}` must be a whole number from {min}"
            ))),
            _ => Err(Refusal::BadRequest(format!(
                "`{name}` must be a whole number from {min} to {max}"
            ))),
        }
    }
}

/// Every refusal the sandbox answers, with the bodies of `zeeg-api.md`.
#[derive(Debug)]
pub(super) enum Refusal {
    BadRequest(String),
    Unauthorized,
    Forbidden(&'static str),
    NotFound(&'static str),
    MethodNotAllowed,
    /// 413 rather than 400: it names the cause, and clients already treat any
    /// 4xx other than 429 as final.
    TooLarge,
    Validation(FieldErrors),
    /// 429, with the `Retry-After` to send, if any.
    RateLimited(Option<HeaderValue>),
    SimulatedFailure,
    Internal,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, message, errors): (StatusCode, String, Option<Map<String, Value>>) = match self
        {
            Refusal::BadRequest(message) => (StatusCode::BAD_REQUEST, message, None),
            Refusal::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "missing or unknown API token: send `Authorization: Bearer <token>`".into(),
                None,
            ),
            Refusal::Forbidden(scope) => (
                StatusCode::FORBIDDEN,
                format!("this token lacks the `{scope}` scope"),
                None,
            ),
            Refusal::NotFound(message) => (StatusCode::NOT_FOUND, message.into(), None),
            Refusal::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "this endpoint does not take this method".into(),
                None,
            ),
            Refusal::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
                None,
            ),
            Refusal::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "the given data was invalid".into(),
                Some(errors.into_map()),
            ),
            Refusal::RateLimited(retry_after) => {
                let mut response = error_body(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too many requests: slow down".into(),
                    None,
                );
                if let Some(value) = retry_after {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                return response;
            }
            Refusal::SimulatedFailure => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "simulated server error (--fail-rate)".into(),
                None,
            ),
            Refusal::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal server error".into(),
                None,
            ),
        };
        error_body(status, message, errors)
    }
}

fn error_body(status: StatusCode, message: String, errors: Option<Map<String, Value>>) -> Response {
    let body = ErrorBody {
        success: Some(false),
        message: Some(message),
        status: Some(status.as_u16()),
        error: None,
        errors,
    };
    json(status, &body)
}
