//! The API client, called as a library against per-test mock servers (axum on
//! 127.0.0.1:0): retries, Retry-After, error mapping, pagination, and that the
//! token never shows.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use miette::Diagnostic;
use serde_json::{Map, Value, json};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use zeeg::api::{ApiError, Client, ClientConfig, Notices, RetryPolicy, Scope, Token};

const SECRET: &str = "zk_live_s3cr3t-t0ken-do-not-print";

/// Fast retries so the tests take milliseconds, not the real policy's seconds.
fn fast_retry(max_tries: u32) -> RetryPolicy {
    RetryPolicy {
        max_tries,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        max_retry_after: Duration::from_secs(5),
    }
}

fn config(base_url: &str) -> ClientConfig {
    let mut config = ClientConfig::new(Token::new(SECRET)).with_base_url(base_url);
    config.retry = fast_retry(4);
    config.request_timeout = Duration::from_secs(5);
    config
}

fn client(base_url: &str) -> Client {
    Client::new(config(base_url)).expect("a loopback URL is accepted")
}

/// The error as a user reads it: message and help.
fn render(error: &ApiError) -> String {
    let help = error.help().map(|h| h.to_string()).unwrap_or_default();
    format!("{error}\nhelp: {help}")
}

fn person(n: usize) -> Value {
    json!({
        "id": format!("00000000-0000-4000-8000-{n:012}"),
        "firstName": format!("Person{n}"),
        "lastName": null,
        "salutation": null,
        "emails": [format!("p{n}@example.com")],
        "jobTitle": null, "description": null, "phoneNumber": null,
        "primaryLocation": null, "avatarUrl": null, "company": null,
        "socials": {"linkedin": null, "twitter": null, "facebook": null, "instagram": null},
        "customAttributes": {},
        "createdAt": "2025-01-15T09:00:00+00:00",
        "updatedAt": "2025-01-15T09:00:00+00:00"
    })
}

fn body(fields: Value) -> Map<String, Value> {
    match fields {
        Value::Object(map) => map,
        _ => unreachable!("tests pass objects"),
    }
}

// ---------------------------------------------------------------------------
// A scripted mock: answers the n-th request with the n-th reply (the last one
// repeats) and records what it was sent.

#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

fn reply(status: u16, body: Value) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body: body.to_string(),
        delay: Duration::ZERO,
    }
}

impl Reply {
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    fn delayed(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

fn upserted(status: u16) -> Reply {
    reply(
        status,
        json!({"success": true, "status": status, "person": person(1)}),
    )
}

fn page(people: &[Value], total: usize, page: usize, count: usize) -> Value {
    let total_pages = total.div_ceil(count);
    json!({
        "collection": people,
        "pagination": {
            "total": total, "count": count, "totalPages": total_pages,
            "previousPage": null, "currentPage": page, "nextPage": null
        }
    })
}

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    uri: String,
    authorization: Option<String>,
    user_agent: Option<String>,
    accept: Option<String>,
    content_type: Option<String>,
    body: String,
}

struct Mock {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Mock {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

#[derive(Clone)]
struct Script {
    replies: Arc<Vec<Reply>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn scripted_reply(State(script): State<Script>, request: Request) -> Response {
    let headers = request.headers().clone();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut seen = Seen {
        method: request.method().to_string(),
        uri: request.uri().to_string(),
        authorization: header("authorization"),
        user_agent: header("user-agent"),
        accept: header("accept"),
        content_type: header("content-type"),
        body: String::new(),
    };
    let bytes = axum::body::to_bytes(request.into_body(), usize::MAX)
        .await
        .unwrap();
    seen.body = String::from_utf8_lossy(&bytes).into_owned();
    let n = {
        let mut all = script.seen.lock().unwrap();
        all.push(seen);
        all.len() - 1
    };
    let reply = script.replies[n.min(script.replies.len() - 1)].clone();
    tokio::time::sleep(reply.delay).await;
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap();
    for (name, value) in reply.headers {
        response.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

async fn serve<L>(listener: L, router: Router) -> String
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/v2")
}

async fn scripted(replies: Vec<Reply>) -> Mock {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    scripted_on(listener, replies).await
}

async fn scripted_on<L>(listener: L, replies: Vec<Reply>) -> Mock
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    let script = Script {
        replies: Arc::new(replies),
        seen: Arc::default(),
    };
    let seen = script.seen.clone();
    let router = Router::new().fallback(scripted_reply).with_state(script);
    Mock {
        base: serve(listener, router).await,
        seen,
    }
}

/// Accepts connections, but reads the request and hangs up on the first
/// `drops` of them without answering.
struct HangUpFirst {
    listener: TcpListener,
    drops: usize,
}

impl axum::serve::Listener for HangUpFirst {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            let Ok((mut stream, addr)) = self.listener.accept().await else {
                continue;
            };
            if self.drops == 0 {
                return (stream, addr);
            }
            self.drops -= 1;
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            drop(stream);
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

// ---------------------------------------------------------------------------
// Retries

#[tokio::test]
async fn a_429_with_retry_after_seconds_is_waited_out() {
    let mock = scripted(vec![
        reply(429, json!({"error": "Too many requests"})).header("retry-after", "1"),
        upserted(201),
    ])
    .await;
    let client = client(&mock.base);
    let started = Instant::now();
    let done = client
        .upsert(
            "email",
            &body(json!({"emails": ["p1@example.com"], "firstName": "P"})),
        )
        .await
        .expect("the second try succeeds");
    assert!(done.created);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}, Retry-After said 1 s",
        started.elapsed()
    );
    let stats = client.stats();
    assert_eq!(
        (stats.requests, stats.rate_limited, stats.retries),
        (2, 1, 1)
    );
}

#[tokio::test]
async fn a_429_with_retry_after_as_http_date_is_waited_out() {
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let mock = scripted(vec![
        reply(429, json!({"error": "Too many requests"})).header("retry-after", when),
        upserted(200),
    ])
    .await;
    let client = client(&mock.base);
    let started = Instant::now();
    let done = client
        .upsert("email", &body(json!({"emails": ["p1@example.com"]})))
        .await
        .expect("the second try succeeds");
    assert!(!done.created, "200 means updated");
    // The date has whole seconds, so the wait is between 1 and 2 s; the
    // backoff alone would have been 10-20 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(client.stats().rate_limited, 1);
}

#[tokio::test]
async fn a_429_without_retry_after_backs_off_exponentially() {
    let mock = scripted(vec![
        reply(
            429,
            json!({"success": false, "message": "Slow down", "status": 429}),
        ),
        reply(
            429,
            json!({"success": false, "message": "Slow down", "status": 429}),
        ),
        reply(
            429,
            json!({"success": false, "message": "Slow down", "status": 429}),
        ),
        upserted(201),
    ])
    .await;
    let mut config = config(&mock.base);
    config.retry = RetryPolicy {
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(1),
        ..fast_retry(4)
    };
    let client = Client::new(config).unwrap();
    let started = Instant::now();
    client
        .upsert("email", &body(json!({"emails": ["p1@example.com"]})))
        .await
        .expect("the fourth try succeeds");
    // 100 + 200 + 400 ms at the least: the delay doubles each time.
    assert!(
        started.elapsed() >= Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );
    let stats = client.stats();
    assert_eq!(
        (stats.requests, stats.rate_limited, stats.retries),
        (4, 3, 3)
    );
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let mock = scripted(vec![
        reply(
            500,
            json!({"success": false, "message": "Internal error", "status": 500}),
        ),
        reply(502, json!({"error": "Bad gateway"})),
        reply(200, page(&[person(1)], 1, 1, 100)),
    ])
    .await;
    let client = client(&mock.base);
    let people = client.list_all().await.expect("the third try succeeds");
    assert_eq!(people.len(), 1);
    assert_eq!(client.stats().retries, 2);
    assert_eq!(mock.seen().len(), 3);
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let listener = HangUpFirst {
        listener: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        drops: 2,
    };
    let mock = scripted_on(listener, vec![upserted(201)]).await;
    let client = client(&mock.base);
    let done = client
        .upsert(
            "email",
            &body(json!({"emails": ["p1@example.com"], "firstName": "P"})),
        )
        .await
        .expect("the try after the hang-ups succeeds");
    assert!(done.created);
    assert_eq!(client.stats().retries, 2);
    assert_eq!(
        mock.seen().len(),
        1,
        "only the third connection got through"
    );
}

#[tokio::test]
async fn a_timeout_is_retried() {
    let mock = scripted(vec![
        upserted(201).delayed(Duration::from_secs(3)),
        upserted(201),
    ])
    .await;
    let mut config = config(&mock.base);
    config.request_timeout = Duration::from_millis(300);
    let client = Client::new(config).unwrap();
    client
        .upsert("email", &body(json!({"emails": ["p1@example.com"]})))
        .await
        .expect("the second try answers in time");
    assert_eq!(client.stats().retries, 1);
}

#[tokio::test]
async fn exhausted_tries_end_in_an_error_that_counts_them() {
    let mock = scripted(vec![reply(
        503,
        json!({"success": false, "message": "Service unavailable", "status": 503}),
    )])
    .await;
    let error = client(&mock.base).list_page(1, 100).await.unwrap_err();
    assert_eq!(mock.seen().len(), 4);
    insta::assert_snapshot!(render(&error), @r"
    the API failed GET /crm/people with status 503: Service unavailable (gave up after 4 tries)
    help: Zeeg's servers are having trouble. Try again later; running again is safe.
    ");

    let mock = scripted(vec![reply(429, json!({"error": "Too many requests"}))]).await;
    let limited = client(&mock.base);
    let error = limited
        .upsert("email", &body(json!({"emails": ["p1@example.com"]})))
        .await
        .unwrap_err();
    assert_eq!(limited.stats().rate_limited, 4);
    insta::assert_snapshot!(render(&error), @r"
    the API answered PUT /crm/people with 429 Too Many Requests on all 4 tries
    help: The workspace's rate limit is exhausted. Wait a minute, or lower --parallelism.
    ");
}

#[tokio::test]
async fn an_unreachable_api_is_named_without_token_or_query() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}/v2");
    let (lines, notices) = collected();
    let mut config = config(&base);
    config.notices = notices;
    let client = Client::new(config).unwrap();
    let error = client.search("jane@acme.com").await.unwrap_err();
    let text = render(&error).replace(&port.to_string(), "PORT");
    insta::assert_snapshot!(text, @r"
    could not connect to http://127.0.0.1:PORT/v2/crm/people: connection refused (gave up after 3 tries)
    help: Nothing accepts connections there. Check the port and host in --api-url or ZEEG_API_URL; for a local sandbox, check that `zeeg sandbox serve` is running.
    ");
    let lines = lines.lock().unwrap().clone();
    assert_eq!(lines.len(), 2, "one line per wait: {lines:?}");
    assert!(
        lines[0].starts_with("retrying GET /crm/people in "),
        "{lines:?}"
    );
    assert!(
        lines[1].ends_with(": connection refused (try 3 of 3)"),
        "{lines:?}"
    );
    let chain = format!("{:?}", miette::Report::new(error));
    assert!(
        !chain.contains("jane"),
        "the search text is contact data: {chain}"
    );
    assert!(!chain.contains(SECRET));
}

/// Notices that land in a list, for the test to read.
fn collected() -> (Arc<Mutex<Vec<String>>>, Notices) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    (
        lines,
        Notices::to(move |line| sink.lock().unwrap().push(line.to_string())),
    )
}

#[tokio::test]
async fn an_unknown_host_fails_at_once_without_retries() {
    // `.invalid` never resolves (RFC 6761).
    let (lines, notices) = collected();
    let mut config = config("https://zeeg-unknown-host.invalid/v2");
    config.notices = notices;
    let client = Client::new(config).unwrap();
    let started = Instant::now();
    let error = client.total().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(matches!(error, ApiError::UnknownHost { .. }), "{error:?}");
    assert_eq!(client.stats().requests, 1);
    assert!(lines.lock().unwrap().is_empty(), "no retry to announce");
    insta::assert_snapshot!(render(&error), @r"
    the API host zeeg-unknown-host.invalid is unknown: the name does not resolve
    help: Check the host in --api-url or ZEEG_API_URL (or apiUrl in zeeg.yaml) for a typo; the real API is https://api.zeeg.me/v2. Nothing was retried: a name that does not resolve will not resolve in a second either.
    ");
}

/// A TLS server on loopback with a self-signed certificate: it completes
/// no handshake with a client that verifies. Returns its port and how many
/// connections it accepted.
pub(crate) async fn self_signed_tls_server() -> (u16, Arc<AtomicUsize>) {
    use tokio_rustls::rustls::ServerConfig;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let dir = crate::common::repo_root().join("tests/fixtures/tls");
    let cert = CertificateDer::from_pem_file(dir.join("self-signed.crt")).unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("self-signed.key")).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let tls = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(stream).await;
            });
        }
    });
    (port, accepted)
}

#[tokio::test]
async fn an_untrusted_certificate_fails_at_once_and_says_it_is_not_the_network() {
    let (port, accepted) = self_signed_tls_server().await;
    let client = client(&format!("https://127.0.0.1:{port}/v2"));
    let error = client.total().await.unwrap_err();
    assert!(matches!(error, ApiError::Certificate { .. }), "{error:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "tried once");
    insta::assert_snapshot!(render(&error), @r"
    the TLS certificate of 127.0.0.1 could not be verified (invalid peer certificate: UnknownIssuer)
    help: This is not a network problem, and it was not retried: the server did not prove it is 127.0.0.1, so the token was not sent. zeeg trusts the public certificate authorities (the Mozilla list). A self-signed or private certificate (a test server, a company proxy) cannot be verified; check that --api-url names the real API.
    ");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_and_says_so_while_it_waits() {
    // Accepts, reads, and never writes a byte.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            held.push(stream);
        }
    });
    let (lines, notices) = collected();
    let mut config = config(&format!("http://127.0.0.1:{port}/v2"));
    config.request_timeout = Duration::from_millis(700);
    config.slow_notice = Duration::from_millis(300);
    config.notices = notices;
    let client = Client::new(config).unwrap();
    let error = client.total().await.unwrap_err();
    let text = render(&error).replace(&port.to_string(), "PORT");
    insta::assert_snapshot!(text, @r"
    no answer from http://127.0.0.1:PORT/v2/crm/people within 700 ms (gave up after 3 tries)
    help: Check your network connection and --api-url; running again is safe.
    ");
    let lines = lines.lock().unwrap().clone();
    assert!(
        lines.contains(
            &"still waiting for an answer to GET /crm/people after 300 ms (gives up after 700 ms)"
                .to_string()
        ),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("no answer in time (try 2 of 3)")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn an_endless_body_is_cut_off_with_an_error_naming_the_url() {
    let router = Router::new().fallback(|| async {
        let chunk = axum::body::Bytes::from(vec![b' '; 64 * 1024]);
        let endless = futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
        Response::new(Body::from_stream(endless))
    });
    let base = serve(TcpListener::bind("127.0.0.1:0").await.unwrap(), router).await;
    let client = client(&base);
    let error = client.search("jane").await.unwrap_err();
    assert!(
        matches!(error, ApiError::ResponseTooLarge { .. }),
        "{error:?}"
    );
    assert_eq!(client.stats().requests, 1, "not retried");
    let text = render(&error).replace(&base, "BASE");
    insta::assert_snapshot!(text, @r"
    the answer from BASE/crm/people is larger than 8 MB; zeeg stopped reading it
    help: No answer of the Zeeg API is that large. Check that --api-url points at the Zeeg API (…/v2).
    ");
}

#[tokio::test]
async fn server_text_loses_the_token_and_its_length() {
    let echoed = format!(
        "bad header Authorization: Bearer {SECRET} {}",
        "x".repeat(2_000)
    );
    let mock = scripted(vec![reply(
        400,
        json!({"success": false, "message": echoed, "status": 400}),
    )])
    .await;
    let error = client(&mock.base).list_page(1, 10).await.unwrap_err();
    let text = format!("{:?}", miette::Report::new(error));
    assert!(!text.contains(SECRET), "{text}");
    assert!(text.contains("Bearer [token]"), "{text}");
    assert!(text.contains("(cut at 300 characters)"), "{text}");
    assert!(text.len() < 1_000, "{} characters", text.len());
}

// ---------------------------------------------------------------------------
// Pagination that ends

#[tokio::test]
async fn a_claim_of_more_pages_than_the_total_backs_is_not_believed() {
    let people: Vec<Value> = (1..=150).map(person).collect();
    let mut first = page(&people[..100], 150, 1, 100);
    first["pagination"]["totalPages"] = json!(10_000_000_000u64);
    let mock = scripted(vec![
        reply(200, first),
        reply(200, page(&people[100..], 150, 2, 100)),
    ])
    .await;
    let listed = client(&mock.base).list_all().await.unwrap();
    assert_eq!(listed.len(), 150);
    assert_eq!(mock.seen().len(), 2);
}

#[tokio::test]
async fn an_absurd_total_is_refused_before_reading_on() {
    let people: Vec<Value> = (1..=100).map(person).collect();
    let mut first = page(&people, 100, 1, 100);
    first["pagination"]["total"] = json!(u64::MAX);
    first["pagination"]["totalPages"] = json!(u64::MAX);
    let mock = scripted(vec![reply(200, first)]).await;
    let error = client(&mock.base).list_all().await.unwrap_err();
    assert_eq!(mock.seen().len(), 1);
    insta::assert_snapshot!(render(&error), @r"
    the API claims 184467440737095517 pages for GET /crm/people, more than the 20000 zeeg reads
    help: Reading that many pages would not end. Check that --api-url points at the Zeeg API (…/v2); if it does, its pagination is broken: nothing was planned.
    ");
}

#[tokio::test]
async fn reading_stops_at_an_empty_page_and_at_a_repeated_one() {
    let people: Vec<Value> = (1..=100).map(person).collect();
    // Claims 5 pages, but the second is empty.
    let mock = scripted(vec![
        reply(200, page(&people, 500, 1, 100)),
        reply(200, page(&[], 500, 2, 100)),
    ])
    .await;
    let mut config = config(&mock.base);
    config.list_concurrency = 1;
    let listed = Client::new(config.clone())
        .unwrap()
        .list_all()
        .await
        .unwrap();
    assert_eq!(listed.len(), 100);
    assert_eq!(mock.seen().len(), 2, "no page after the empty one");

    // Ignores `page`: every answer is the first page again.
    let mock = scripted(vec![reply(200, page(&people, 500, 1, 100))]).await;
    let listed = Client::new(config.with_base_url(&mock.base))
        .unwrap()
        .list_all()
        .await
        .unwrap();
    assert_eq!(listed.len(), 100);
    assert_eq!(mock.seen().len(), 2, "no page after the repeated one");
}

// ---------------------------------------------------------------------------
// Error mapping

#[tokio::test]
async fn both_error_body_shapes_are_read() {
    let mock = scripted(vec![reply(
        404,
        json!({"success": false, "message": "Person not found", "status": 404}),
    )])
    .await;
    let error = client(&mock.base).get("no-such-id").await.unwrap_err();
    assert!(matches!(error, ApiError::NotFound { .. }));
    assert_eq!(
        error.to_string(),
        format!(
            "GET /crm/people/no-such-id answered 404 Not Found (the URL tried: {}/crm/people/no-such-id): Person not found",
            mock.base
        )
    );

    let mock = scripted(vec![reply(409, json!({"error": "Person is being merged"}))]).await;
    let error = client(&mock.base)
        .upsert("email", &body(json!({"emails": ["p1@example.com"]})))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(409));
    assert_eq!(
        error.to_string(),
        "the API reported a conflict for PUT /crm/people (409): Person is being merged"
    );

    // A body that is no JSON at all still gives the status's error.
    let mock = scripted(vec![Reply {
        body: "<html>Bad Request</html>".to_string(),
        ..reply(400, Value::Null)
    }])
    .await;
    let error = client(&mock.base).list_page(1, 10).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "the API rejected GET /crm/people as malformed (400)"
    );
}

#[tokio::test]
async fn field_errors_of_a_422_reach_the_user() {
    let mock = scripted(vec![reply(
        422,
        json!({
            "success": false,
            "message": "The given data was invalid.",
            "status": 422,
            "errors": {
                "firstName": ["A person needs a firstName or a lastName."],
                "customAttributes.tier": ["Unknown attribute.", "Must be one of gold, silver."]
            }
        }),
    )])
    .await;
    let client = client(&mock.base);
    let error = client
        .upsert("email", &body(json!({"emails": ["p1@example.com"]})))
        .await
        .unwrap_err();
    assert_eq!(mock.seen().len(), 1, "a 422 is final, not retried");
    let ApiError::Validation { errors, .. } = &error else {
        panic!("expected a validation error, got {error:?}");
    };
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[1].field, "customAttributes.tier");
    assert_eq!(errors[1].messages.len(), 2);
    insta::assert_snapshot!(render(&error), @r"
    the API rejected PUT /crm/people: firstName: A person needs a firstName or a lastName.; customAttributes.tier: Unknown attribute., Must be one of gold, silver.
    help: Fix the fields named above in the people file, then try again.
    ");
}

#[tokio::test]
async fn unauthorized_and_forbidden_say_what_to_fix() {
    let mock = scripted(vec![reply(
        401,
        json!({"success": false, "message": "Unauthenticated.", "status": 401}),
    )])
    .await;
    let error = client(&mock.base).total().await.unwrap_err();
    assert!(error.is_auth());
    assert_eq!(mock.seen().len(), 1, "a 401 is final, not retried");
    insta::assert_snapshot!(render(&error), @r"
    the API refused the token for GET /crm/people (401 Unauthorized)
    help: The token is wrong or has expired. Check ZEEG_API_TOKEN (or the file given to --token-file), or create a new token in Zeeg.
    ");

    let mock = scripted(vec![reply(403, json!({"error": "Forbidden"}))]).await;
    let client = client(&mock.base);
    let write = client
        .upsert("email", &body(json!({"emails": ["p1@example.com"]})))
        .await
        .unwrap_err();
    assert!(matches!(
        write,
        ApiError::Forbidden {
            scope: Scope::Write,
            ..
        }
    ));
    insta::assert_snapshot!(render(&write), @r"
    the token may not PUT /crm/people: it lacks the crm:write scope (403 Forbidden)
    help: Create a Zeeg API token with the crm:write scope and use it in ZEEG_API_TOKEN.
    ");
    let read = client.object_schema().await.unwrap_err();
    assert!(
        read.to_string().contains("lacks the crm:read scope"),
        "{read}"
    );
}

#[tokio::test]
async fn a_success_answer_that_is_not_json_is_reported() {
    let mock = scripted(vec![Reply {
        body: "{\"collection\": [".to_string(),
        ..reply(200, Value::Null)
    }])
    .await;
    let error = client(&mock.base).list_all().await.unwrap_err();
    assert!(
        matches!(error, ApiError::InvalidResponse { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the API answered GET /crm/people with a body zeeg cannot read"
    );
}

// ---------------------------------------------------------------------------
// Transport security and the token

#[test]
fn plain_http_to_another_host_is_refused() {
    let error = Client::new(config("http://api.zeeg.me/v2")).unwrap_err();
    insta::assert_snapshot!(render(&error), @r"
    refusing to send the API token over plain http:// to api.zeeg.me
    help: Use an https:// URL. Plain http:// is allowed only to this machine (127.0.0.1, ::1, localhost), for example a local `zeeg sandbox serve`.
    ");
    assert!(Client::new(config("http://localhost:9/v2")).is_ok());
    assert!(Client::new(config("https://api.zeeg.me/v2")).is_ok());
}

#[test]
fn a_missing_token_names_both_ways_to_give_one() {
    let error = Token::resolve(None, None).unwrap_err();
    insta::assert_snapshot!(render(&error), @r"
    no API token: ZEEG_API_TOKEN is not set and no --token-file was given
    help: Set ZEEG_API_TOKEN to a Zeeg API token (with the crm:read and crm:write scopes), or put the token in a file and pass --token-file PATH.
    ");
    assert!(matches!(
        Token::resolve(None, Some("  ".into())),
        Err(ApiError::MissingToken)
    ));
}

#[tokio::test]
async fn the_token_file_is_read_without_its_newline_and_sent_as_bearer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    std::fs::write(&path, format!("{SECRET}\n")).unwrap();
    // The file wins over the variable.
    let token = Token::resolve(Some(&path), Some("from-env".into())).unwrap();

    let mock = scripted(vec![reply(200, page(&[], 0, 1, 1))]).await;
    let mut config = config(&mock.base);
    config.token = token;
    let client = Client::new(config).unwrap();
    assert_eq!(client.total().await.unwrap(), 0);
    let seen = &mock.seen()[0];
    assert_eq!(
        seen.authorization.as_deref(),
        Some(&*format!("Bearer {SECRET}"))
    );
    assert_eq!(
        seen.user_agent.as_deref(),
        Some(&*format!("zeeg/{}", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(seen.accept.as_deref(), Some("application/json"));
    assert_eq!(seen.uri, "/v2/crm/people?page=1&count=1");

    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let error = Token::resolve(Some(&empty), None).unwrap_err();
    assert!(
        matches!(error, ApiError::EmptyTokenFile { .. }),
        "{error:?}"
    );
    let missing = Token::resolve(Some(&dir.path().join("nope")), None).unwrap_err();
    assert!(render(&missing).contains("--token-file"), "{missing}");
}

#[tokio::test]
async fn the_token_never_shows_in_debug_output_or_errors() {
    let token = Token::new(SECRET);
    let config = config("http://127.0.0.1:9/v2");
    let mut printed = vec![format!("{token:?}"), format!("{config:?}")];
    printed.push(format!("{:?}", Client::new(config.clone()).unwrap()));

    let mock = scripted(vec![
        reply(401, json!({"error": "Unauthenticated"})),
        reply(422, json!({"errors": {"emails": ["Invalid."]}})),
        reply(500, json!({"error": "boom"})),
    ])
    .await;
    let mut config = config.with_base_url(&mock.base);
    config.retry = fast_retry(1);
    let client = Client::new(config).unwrap();
    let fields = body(json!({"emails": ["jane@acme.com"], "description": "private notes"}));
    for _ in 0..3 {
        let error = client.upsert("email", &fields).await.unwrap_err();
        printed.push(format!("{error:?}"));
        printed.push(format!("{:?}", miette::Report::new(error)));
    }
    let error =
        Client::new(ClientConfig::new(token).with_base_url("http://10.1.2.3/v2")).unwrap_err();
    printed.push(format!("{:?}", miette::Report::new(error)));

    for text in printed {
        assert!(!text.contains(SECRET), "the token leaked: {text}");
        assert!(
            !text.contains("private notes"),
            "the request body leaked: {text}"
        );
    }
    let seen = mock.seen();
    assert_eq!(seen[0].method, "PUT");
    assert_eq!(seen[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(seen[0].uri, "/v2/crm/people?matchingAttribute=email");
    assert!(seen[0].body.contains("private notes"), "the body was sent");
}

// ---------------------------------------------------------------------------
// Pagination

#[derive(Clone)]
struct Listing {
    people: Arc<Vec<Value>>,
    in_flight: Arc<AtomicUsize>,
    most_in_flight: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

async fn list_people(
    State(listing): State<Listing>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> impl IntoResponse {
    let now = listing.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    listing.most_in_flight.fetch_max(now, Ordering::SeqCst);
    listing
        .requests
        .lock()
        .unwrap()
        .push(format!("{:?}", query.get("page")));
    // Long enough that the client's concurrent pages overlap.
    tokio::time::sleep(Duration::from_millis(30)).await;
    listing.in_flight.fetch_sub(1, Ordering::SeqCst);

    let search = query.get("search").map(|s| s.to_lowercase());
    let matching: Vec<&Value> = listing
        .people
        .iter()
        .filter(|p| match &search {
            Some(text) => p["emails"][0].as_str().unwrap().contains(text.as_str()),
            None => true,
        })
        .collect();
    let page: usize = query["page"].parse().unwrap();
    let count: usize = query["count"].parse().unwrap();
    let slice: Vec<Value> = matching
        .iter()
        .skip((page - 1) * count)
        .take(count)
        .map(|p| (*p).clone())
        .collect();
    axum::Json(self::page(&slice, matching.len(), page, count))
}

async fn listing(n: usize) -> (String, Listing) {
    let listing = Listing {
        people: Arc::new((1..=n).map(person).collect()),
        in_flight: Arc::default(),
        most_in_flight: Arc::default(),
        requests: Arc::default(),
    };
    let router = Router::new()
        .route("/v2/crm/people", get(list_people))
        .with_state(listing.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    (serve(listener, router).await, listing)
}

#[tokio::test]
async fn list_all_fetches_pages_concurrently_and_keeps_api_order() {
    let (base, listing) = listing(1_050).await;
    let mut config = config(&base);
    config.list_concurrency = 4;
    let client = Client::new(config).unwrap();
    let people = client.list_all().await.unwrap();

    let expected: Vec<String> = (1..=1_050)
        .map(|n| format!("00000000-0000-4000-8000-{n:012}"))
        .collect();
    let ids: Vec<String> = people.into_iter().map(|p| p.id).collect();
    assert_eq!(ids, expected, "every person once, in the API's order");
    assert_eq!(
        client.stats().requests,
        11,
        "11 pages of 100, one request each"
    );
    let most = listing.most_in_flight.load(Ordering::SeqCst);
    assert!((2..=4).contains(&most), "pages in flight at once: {most}");
}

#[tokio::test]
async fn a_person_shown_on_two_pages_is_listed_once() {
    // Page 2 starts with the last person of page 1 again, as when someone is
    // created (or the order shifts) while the pages are read.
    let mut people: Vec<Value> = (1..=100).map(person).collect();
    people.push(person(100));
    people.extend((101..=150).map(person));
    let mock = scripted(vec![
        reply(200, page(&people[..100], 151, 1, 100)),
        reply(200, page(&people[100..], 151, 2, 100)),
    ])
    .await;
    let listed = client(&mock.base).list_all().await.unwrap();
    assert_eq!(listed.len(), 150);
    assert_eq!(listed[99].first_name.as_deref(), Some("Person100"));
    assert_eq!(listed[100].first_name.as_deref(), Some("Person101"));
}

#[tokio::test]
async fn search_reads_every_page_of_matches() {
    let (base, listing) = listing(400).await;
    let client = client(&base);
    // p1@, p1x@: 1, 10..19, 100..199 = 111 people, two pages.
    let found = client.search("P1").await.unwrap();
    assert_eq!(found.len(), 111);
    assert!(found.iter().all(|p| p.emails[0].starts_with("p1")));
    assert_eq!(listing.requests.lock().unwrap().len(), 2);
    assert!(client.search("nobody").await.unwrap().is_empty());
}

fn company(n: usize) -> Value {
    json!({
        "id": format!("c0000000-0000-4000-8000-{n:012}"),
        "name": format!("Company {n}"),
        "domain": format!("c{n}.example"),
        "createdAt": "2025-01-15T09:00:00+00:00",
        "updatedAt": "2025-01-15T09:00:00+00:00"
    })
}

#[tokio::test]
async fn companies_are_asserted_by_domain_listed_and_read_at_their_paths() {
    let mock = scripted(vec![
        reply(
            201,
            json!({"success": true, "status": 201, "company": company(1)}),
        ),
        reply(
            200,
            json!({"success": true, "status": 200, "company": company(1)}),
        ),
        reply(200, page(&[company(1), company(2)], 2, 1, 100)),
        reply(
            200,
            json!({"success": true, "status": 200, "company": company(2)}),
        ),
    ])
    .await;
    let client = client(&mock.base);
    let created = client
        .assert_company("c1.example", Some("Company 1"))
        .await
        .unwrap();
    assert!(created.created);
    assert_eq!(created.company.name.as_deref(), Some("Company 1"));
    let found = client.assert_company("C1.example", None).await.unwrap();
    assert!(!found.created, "200 is an update");
    let listed = client.search_companies("Company & co").await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1].domain.as_deref(), Some("c2.example"));
    let read = client.get_company(&listed[1].id).await.unwrap();
    assert_eq!(read, listed[1]);

    let seen = mock.seen();
    assert_eq!(seen[0].method, "PUT");
    assert_eq!(seen[0].uri, "/v2/crm/companies?matchingAttribute=domain");
    assert_eq!(seen[0].content_type.as_deref(), Some("application/json"));
    let sent: Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(sent, json!({"name": "Company 1", "domain": "c1.example"}));
    let sent: Value = serde_json::from_str(&seen[1].body).unwrap();
    assert_eq!(
        sent,
        json!({"domain": "C1.example"}),
        "no name: the found company keeps its own"
    );
    assert_eq!(
        seen[2].uri,
        "/v2/crm/companies?page=1&count=100&search=Company+%26+co"
    );
    assert_eq!(seen[2].method, "GET");
    assert_eq!(
        seen[3].uri,
        "/v2/crm/companies/c0000000-0000-4000-8000-000000000002"
    );
}

// ---------------------------------------------------------------------------
// Against the real sandbox (`zeeg sandbox serve`)

use crate::common::{READ_TOKEN, Sandbox, TOKEN};

fn sandbox_client(sandbox: &Sandbox, token: &str, retry: RetryPolicy) -> Client {
    let mut config = ClientConfig::new(Token::new(token)).with_base_url(sandbox.api_url());
    config.retry = retry;
    Client::new(config).unwrap()
}

fn named(n: usize) -> Map<String, Value> {
    body(json!({
        "firstName": format!("Ada{n}"),
        "lastName": "Lovelace",
        "emails": [format!("ada{n}@example.com")],
    }))
}

/// Upserts people `0..n` with `parallel` requests in flight; every one must succeed.
async fn upsert_all(client: &Client, n: usize, parallel: usize) -> Vec<zeeg::api::Upserted> {
    use futures::{StreamExt, TryStreamExt};
    futures::stream::iter(0..n)
        .map(|i| async move { client.upsert("email", &named(i)).await })
        .buffered(parallel)
        .try_collect()
        .await
        .expect("every upsert succeeds")
}

#[tokio::test]
async fn the_client_rides_out_the_sandbox_rate_limit() {
    let sandbox = Sandbox::start(&["--rate-limit", "50"]);
    let client = sandbox_client(&sandbox, TOKEN, fast_retry(8));
    let done = upsert_all(&client, 150, 8).await;
    assert!(done.iter().all(|u| u.created));
    assert_eq!(client.total().await.unwrap(), 150);
    let stats = client.stats();
    assert!(stats.rate_limited > 0, "the limit was reached: {stats:?}");
    assert!(stats.retries >= stats.rate_limited, "{stats:?}");
}

#[tokio::test]
async fn the_client_rides_out_sandbox_failures_without_duplicates() {
    let sandbox = Sandbox::start(&["--fail-rate", "0.3"]);
    // 0.3^12: a call failing every try is a one-in-two-million event.
    let client = sandbox_client(&sandbox, TOKEN, fast_retry(12));
    let done = upsert_all(&client, 120, 4).await;
    assert!(done.iter().all(|u| u.created));
    // A retried PUT whose first answer was lost updates, never duplicates.
    let again = upsert_all(&client, 120, 4).await;
    assert!(again.iter().all(|u| !u.created));
    let everyone = client.list_all().await.unwrap();
    assert_eq!(everyone.len(), 120);
    assert_eq!(client.search("ada7").await.unwrap().len(), 11);
    assert_eq!(client.object_schema().await.unwrap().slug, "people");
    let stats = client.stats();
    assert!(stats.retries > 0, "failures were injected: {stats:?}");
}

#[tokio::test]
async fn sandbox_pagination_returns_every_person_once_in_order() {
    let sandbox = Sandbox::start(&[]);
    let client = sandbox_client(&sandbox, TOKEN, fast_retry(4));
    let created = upsert_all(&client, 257, 1).await;
    let before = client.stats().requests;

    let listed = client.list_all().await.unwrap();
    // Oldest first: by createdAt (whole seconds), then id.
    let mut expected: Vec<(&str, &str)> = created
        .iter()
        .map(|u| (u.person.created_at.as_str(), u.person.id.as_str()))
        .collect();
    expected.sort();
    let expected: Vec<&str> = expected.into_iter().map(|(_, id)| id).collect();
    let ids: Vec<&str> = listed.iter().map(|p| p.id.as_str()).collect();
    assert!(ids == expected, "each person once, in the API's order");
    assert_eq!(client.stats().requests - before, 3, "three pages of 100");

    assert_eq!(client.total().await.unwrap(), 257);
    let last = client.list_page(3, 100).await.unwrap();
    assert_eq!(last.collection.len(), 57);
    assert_eq!(last.pagination.total_pages, 3);
    let one = client.get(&created[42].person.id).await.unwrap();
    assert_eq!(one, created[42].person);
}

#[tokio::test]
async fn sandbox_search_ignores_case_and_spans_pages() {
    let sandbox = Sandbox::start(&[]);
    let client = sandbox_client(&sandbox, TOKEN, fast_retry(4));
    upsert_all(&client, 230, 4).await;
    client
        .upsert(
            "email",
            &body(
                json!({"firstName": "Grace", "lastName": "Hopper", "emails": ["grace@navy.mil"]}),
            ),
        )
        .await
        .unwrap();

    let found = client.search("LOVELACE").await.unwrap();
    assert_eq!(found.len(), 230, "every Lovelace, across three pages");
    let grace = client.search("NAVY.mil").await.unwrap();
    assert_eq!(grace.len(), 1);
    assert_eq!(grace[0].first_name.as_deref(), Some("Grace"));
    assert!(client.search("nobody-here").await.unwrap().is_empty());
}

#[tokio::test]
async fn sandbox_refusals_come_back_as_clear_errors() {
    let sandbox = Sandbox::start(&[]);
    let reader = sandbox_client(&sandbox, READ_TOKEN, fast_retry(4));
    let error = reader.upsert("email", &named(1)).await.unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::Forbidden {
                scope: Scope::Write,
                ..
            }
        ),
        "{error:?}"
    );

    let stranger = sandbox_client(&sandbox, "not-a-token", fast_retry(4));
    let error = stranger.list_all().await.unwrap_err();
    assert!(matches!(error, ApiError::Unauthorized { .. }), "{error:?}");

    let writer = sandbox_client(&sandbox, TOKEN, fast_retry(4));
    let error = writer
        .upsert("email", &body(json!({"emails": ["nameless@example.com"]})))
        .await
        .unwrap_err();
    let ApiError::Validation { errors, .. } = &error else {
        panic!("expected a 422, got {error:?}");
    };
    assert!(!errors.is_empty(), "the sandbox names the fields: {error}");

    let error = writer
        .get("00000000-0000-4000-8000-000000000000")
        .await
        .unwrap_err();
    assert!(matches!(error, ApiError::NotFound { .. }), "{error:?}");
}

#[tokio::test]
async fn sandbox_companies_through_the_client() {
    let sandbox = Sandbox::start(&[]);
    let client = sandbox_client(&sandbox, TOKEN, fast_retry(4));
    let mut created = Vec::new();
    for n in 0..205 {
        let domain = format!("c{n}.example");
        let asserted = client
            .assert_company(&domain, Some(&format!("Company {n}")))
            .await
            .unwrap();
        assert!(asserted.created);
        created.push(asserted.company);
    }
    let again = client
        .assert_company(" C7.EXAMPLE ", Some("Company Seven"))
        .await
        .unwrap();
    assert!(!again.created, "the same domain in another spelling");
    assert_eq!(again.company.id, created[7].id);

    let before = client.stats().requests;
    let listed = client.list_companies().await.unwrap();
    assert_eq!(client.stats().requests - before, 3, "three pages of 100");
    let ids: Vec<&str> = listed.iter().map(|c| c.id.as_str()).collect();
    let expected: Vec<&str> = created.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, expected, "each company once, oldest first");
    assert_eq!(listed[7].name.as_deref(), Some("Company Seven"));
    let page = client.companies_page(3, 100, None).await.unwrap();
    assert_eq!(page.collection.len(), 5);
    assert_eq!(page.pagination.total, 205);

    let found = client.search_companies("SEVEN").await.unwrap();
    assert_eq!(found.len(), 1, "by name");
    let found = client.search_companies("c20").await.unwrap();
    // c20, c200 … c204, by domain.
    assert_eq!(found.len(), 6);
    assert_eq!(
        client.get_company(&created[42].id).await.unwrap(),
        created[42]
    );
    let error = client
        .get_company("00000000-0000-4000-8000-000000000000")
        .await
        .unwrap_err();
    assert!(matches!(error, ApiError::NotFound { .. }), "{error:?}");

    let error = client
        .assert_company("new.example", None)
        .await
        .unwrap_err();
    let ApiError::Validation { errors, .. } = &error else {
        panic!("expected a 422, got {error:?}");
    };
    assert_eq!(errors[0].field, "name", "a create needs a name: {error}");

    // A person links by id and shows the company as it is now.
    let linked = client
        .upsert(
            "email",
            &body(json!({"firstName": "Ada", "emails": ["ada@c7.example"],
                         "companyId": created[7].id})),
        )
        .await
        .unwrap();
    let link = linked.person.company.expect("linked");
    assert_eq!(link.name.as_deref(), Some("Company Seven"));
    client
        .assert_company("c7.example", Some("Seven Ltd"))
        .await
        .unwrap();
    let read = client.get(&linked.person.id).await.unwrap();
    let link = read.company.expect("still linked");
    assert_eq!(
        (
            link.id.as_str(),
            link.name.as_deref(),
            link.domain.as_deref()
        ),
        (
            created[7].id.as_str(),
            Some("Seven Ltd"),
            Some("c7.example")
        )
    );
    let error = client
        .upsert(
            "email",
            &body(json!({"emails": ["ada@c7.example"], "companyId": "no-such-company"})),
        )
        .await
        .unwrap_err();
    let ApiError::Validation { errors, .. } = &error else {
        panic!("expected a 422, got {error:?}");
    };
    assert_eq!(errors[0].field, "companyId", "{error}");

    let reader = sandbox_client(&sandbox, READ_TOKEN, fast_retry(4));
    let error = reader.assert_company("c1.example", None).await.unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::Forbidden {
                scope: Scope::Write,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(reader.list_companies().await.unwrap().len(), 205);
}
