//! `zeeg doctor`, the real binary: against the sandbox every check holds;
//! against a per-test mock that breaks one assumption, that check (and only
//! the checks that depend on it) says `differs` and the exit code is 1, or,
//! when zeeg copes with the difference, says `note` and the exit code is 0;
//! the rest still run.
//!
//! The mock is a proxy in front of an in-process sandbox that bends one kind
//! of answer, so each test states only what it breaks.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use zeeg::sandbox::{RunningSandbox, SandboxConfig};

use crate::common::{self, TOKEN};

/// The seed of the example project: 23 people, five custom attributes.
fn seed() -> std::path::PathBuf {
    common::repo_root().join("examples/acme/sandbox-seed.yaml")
}

async fn sandbox() -> RunningSandbox {
    seeded(seed()).await
}

async fn seeded(seed: std::path::PathBuf) -> RunningSandbox {
    let read_only = format!("{}:crm:read", common::READ_TOKEN);
    let config = SandboxConfig {
        tokens: vec![
            zeeg::sandbox::GrantedToken::read_write(TOKEN),
            zeeg::sandbox::GrantedToken::parse(&read_only).expect("a token spec"),
        ],
        seed: Some(seed),
        ..SandboxConfig::default()
    };
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    zeeg::sandbox::start(config, addr)
        .await
        .expect("the sandbox starts")
}

/// One assumption the proxy breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Break {
    /// Nothing: the proxy only counts.
    Nothing,
    /// Lists report `hasMore` instead of `nextPage`/`previousPage`.
    HasMore,
    /// `search` is not applied.
    SearchIgnored,
    /// `search` is case-sensitive.
    SearchCaseSensitive,
    /// A 404 answers a plain-text body.
    PlainNotFound,
    /// `count` is ignored: every page holds up to 20.
    CountIgnored,
    /// Page 2 and later start one person early.
    PagesOverlap,
    /// A list read a second time comes back in reverse order.
    UnstableOrder,
    /// Every request is refused with 403.
    NoReadScope,
    /// A custom attribute of an undocumented type.
    UnknownType,
    /// Numbers of custom attributes come back as strings.
    NumbersAsStrings,
    /// The first request is a 429 with a Retry-After nobody can read.
    UnreadableRetryAfter,
    /// An upsert that leaves out jobTitle clears it.
    OmittedCleared,
    /// The people object lists the email attribute as `emails`.
    EmailsSlug,
    /// People were created in the same second, listed in creation order:
    /// stable, but not by id.
    TiesNotById,
    /// A person read by id shows another job title than the list.
    PersonReadDiffers,
    /// A company read by id shows another `updatedAt` than the list.
    CompanyReadDiffers,
    /// Page 1's `nextPage` names page 9.
    WrongNextPage,
    /// `totalPages` claims five pages more than there are.
    TotalPagesTooHigh,
    /// An upsert without the matching value is a 400, not a 422.
    ValidationAs400,
    /// The companies `search` is case-sensitive.
    CompanySearchCaseSensitive,
    /// A person's `company` keeps the name the company had before a rename.
    StaleCompanyName,
    /// A created attribute's key is camelCase, not derived as documented.
    KeyCamelCase,
    /// A PATCH of `isArchived` answers the attribute still live.
    ArchiveIgnored,
}

struct Proxy {
    upstream: String,
    http: reqwest::Client,
    brk: Break,
    seen_queries: Mutex<HashSet<String>>,
    requests: Mutex<u32>,
    puts: Mutex<u32>,
}

async fn forward(
    proxy: &Proxy,
    method: &str,
    path_and_query: &str,
    body: Vec<u8>,
) -> (u16, Vec<u8>) {
    let url = format!("{}{path_and_query}", proxy.upstream);
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let answer = proxy
        .http
        .request(method, url)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the sandbox answers");
    let status = answer.status().as_u16();
    (status, answer.bytes().await.expect("a body").to_vec())
}

fn respond(status: u16, body: Vec<u8>, content_type: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).expect("a status");
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    response
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn with_query(path: &str, pairs: &[(String, String)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    format!("{path}?{}", query.finish())
}

fn param(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

fn set_param(pairs: &mut Vec<(String, String)>, name: &str, value: String) {
    pairs.retain(|(k, _)| k != name);
    pairs.push((name.to_string(), value));
}

/// The `page` and `count` a list request asks for (defaults 1 and 20).
fn page_and_count(pairs: &[(String, String)]) -> (usize, usize) {
    let number = |name, default| {
        param(pairs, name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    (number("page", 1), number("count", 20))
}

/// Page 1 of `count` people of the list the request `pairs` reads, as the
/// sandbox answers it.
async fn first_people(
    proxy: &Proxy,
    path: &str,
    pairs: &[(String, String)],
    count: usize,
) -> (u16, Value) {
    let mut whole = pairs.to_vec();
    set_param(&mut whole, "page", "1".into());
    set_param(&mut whole, "count", count.to_string());
    let (status, answer) = forward(proxy, "GET", &with_query(path, &whole), Vec::new()).await;
    (status, serde_json::from_slice(&answer).expect("JSON"))
}

/// A list `answer` whose people `bend` changes.
fn respond_with_people(
    status: u16,
    answer: &mut Value,
    bend: impl FnOnce(Vec<Value>) -> Vec<Value>,
) -> Response {
    let people = answer["collection"].as_array().cloned().unwrap_or_default();
    answer["collection"] = Value::Array(bend(people));
    respond(status, answer.to_string().into_bytes(), "application/json")
}

/// Every person created at one moment, as a bulk import would leave them.
fn created_in_one_second(person: &mut Value) {
    person["createdAt"] = json!("2025-01-15T09:00:00+00:00");
}

fn strings_for_numbers(person: &mut Value) {
    if let Some(Value::Object(custom)) = person.get_mut("customAttributes") {
        for value in custom.values_mut() {
            if let Value::Number(n) = value {
                *value = Value::String(n.to_string());
            }
        }
    }
}

async fn bend(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or_default().to_string();
    let body = axum::body::to_bytes(request.into_body(), usize::MAX)
        .await
        .expect("a request body")
        .to_vec();
    let first = {
        let mut requests = proxy.requests.lock().expect("not poisoned");
        *requests += 1;
        *requests == 1
    };
    if method == "PUT" {
        *proxy.puts.lock().expect("not poisoned") += 1;
    }
    let is_list = method == "GET" && path == "/v2/crm/people";
    let mut pairs = query_pairs(&query);
    match proxy.brk {
        Break::NoReadScope => {
            let body = json!({"success": false, "message": "forbidden", "status": 403});
            return respond(403, body.to_string().into_bytes(), "application/json");
        }
        Break::UnreadableRetryAfter if first => {
            let mut response = respond(429, b"{}".to_vec(), "application/json");
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from_static("soon"));
            return response;
        }
        Break::SearchIgnored if is_list => pairs.retain(|(k, _)| k != "search"),
        Break::SearchCaseSensitive
            if is_list
                && param(&pairs, "search")
                    .is_some_and(|s| s.chars().any(|c| c.is_ascii_uppercase())) =>
        {
            let body = json!({"collection": [], "pagination": {"total": 0, "count": 0,
                "totalPages": 1, "previousPage": null, "currentPage": 1, "nextPage": null}});
            return respond(200, body.to_string().into_bytes(), "application/json");
        }
        Break::CountIgnored if is_list => set_param(&mut pairs, "count", "20".into()),
        Break::CompanySearchCaseSensitive
            if method == "GET"
                && path == "/v2/crm/companies"
                && param(&pairs, "search")
                    .is_some_and(|s| s.chars().any(|c| c.is_ascii_uppercase())) =>
        {
            let body = json!({"collection": [], "pagination": {"total": 0, "count": 0,
                "totalPages": 1, "previousPage": null, "currentPage": 1, "nextPage": null}});
            return respond(200, body.to_string().into_bytes(), "application/json");
        }
        Break::PagesOverlap if is_list => {
            let (page, count) = page_and_count(&pairs);
            if page > 1 {
                let (status, mut answer) = first_people(&proxy, &path, &pairs, page * count).await;
                let start = (page - 1) * count - 1;
                return respond_with_people(status, &mut answer, |people| {
                    people.into_iter().skip(start).take(count).collect()
                });
            }
        }
        Break::TiesNotById if is_list && param(&pairs, "search").is_none() => {
            let (page, count) = page_and_count(&pairs);
            let (_, mut everyone) = first_people(&proxy, &path, &pairs, 100).await;
            let (status, answer) =
                forward(&proxy, "GET", &with_query(&path, &pairs), Vec::new()).await;
            let mut answer: Value = serde_json::from_slice(&answer).expect("JSON");
            answer["collection"] = everyone["collection"].take();
            return respond_with_people(status, &mut answer, |mut people| {
                people.reverse();
                people.iter_mut().for_each(created_in_one_second);
                people
                    .into_iter()
                    .skip((page - 1) * count)
                    .take(count)
                    .collect()
            });
        }
        Break::ValidationAs400 if method == "PUT" && body == b"{}" => {
            let body = json!({"success": false, "message": "bad request", "status": 400});
            return respond(400, body.to_string().into_bytes(), "application/json");
        }
        Break::OmittedCleared if method == "PUT" => {
            let mut sent: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if let Value::Object(fields) = &mut sent
                && !fields.is_empty()
                && !fields.contains_key("jobTitle")
            {
                fields.insert("jobTitle".into(), Value::Null);
            }
            let (status, answer) = forward(
                &proxy,
                "PUT",
                &with_query(&path, &pairs),
                sent.to_string().into_bytes(),
            )
            .await;
            return respond(status, answer, "application/json");
        }
        _ => {}
    }
    let target = if pairs.is_empty() {
        path.clone()
    } else {
        with_query(&path, &pairs)
    };
    let (status, answer) = forward(&proxy, &method, &target, body).await;
    if status == 404 && proxy.brk == Break::PlainNotFound {
        return respond(404, b"Not Found".to_vec(), "text/plain");
    }
    let Ok(mut json) = serde_json::from_slice::<Value>(&answer) else {
        return respond(status, answer, "application/json");
    };
    match proxy.brk {
        Break::HasMore if is_list => {
            if let Some(Value::Object(pagination)) = json.get_mut("pagination") {
                let more = pagination.get("nextPage").is_some_and(|n| !n.is_null());
                pagination.remove("nextPage");
                pagination.remove("previousPage");
                pagination.insert("hasMore".into(), Value::Bool(more));
            }
        }
        Break::UnstableOrder if is_list => {
            let again = !proxy
                .seen_queries
                .lock()
                .expect("not poisoned")
                .insert(query.clone());
            if again && let Some(Value::Array(people)) = json.get_mut("collection") {
                people.reverse();
            }
        }
        Break::KeyCamelCase if method == "POST" => {
            json["attribute"]["key"] = json!("zeegDoctorCheck");
        }
        Break::ArchiveIgnored if method == "PATCH" => {
            json["attribute"]["isArchived"] = json!(false);
        }
        Break::UnknownType if path == "/v2/crm/objects/people" => {
            if let Some(Value::Array(attributes)) = json.pointer_mut("/object/attributes") {
                for attribute in attributes {
                    if attribute["key"] == "customer_tier" {
                        attribute["type"] = json!("formula");
                    }
                }
            }
        }
        Break::EmailsSlug if path == "/v2/crm/objects/people" => {
            if let Some(Value::Array(attributes)) = json.pointer_mut("/object/attributes") {
                for attribute in attributes {
                    if attribute["key"] == "email" {
                        attribute["key"] = json!("emails");
                    }
                }
            }
        }
        Break::TiesNotById => {
            if let Some(person) = json.get_mut("person") {
                created_in_one_second(person);
            }
        }
        Break::PersonReadDiffers if method == "GET" => {
            if let Some(person) = json.get_mut("person") {
                person["jobTitle"] = json!("Another title");
            }
        }
        Break::CompanyReadDiffers if method == "GET" => {
            if let Some(company) = json.get_mut("company") {
                company["updatedAt"] = json!("2026-01-01T00:00:00+00:00");
            }
        }
        Break::TotalPagesTooHigh if is_list => {
            if let Some(pages) = json.pointer_mut("/pagination/totalPages") {
                *pages = json!(pages.as_u64().unwrap_or(0) + 5);
            }
        }
        Break::WrongNextPage if is_list => {
            if let Some(next) = json.pointer_mut("/pagination/nextPage")
                && !next.is_null()
            {
                *next = json!("/v2/crm/people?page=9");
            }
        }
        Break::StaleCompanyName => {
            let people = match json.get_mut("collection") {
                Some(Value::Array(people)) => people.iter_mut().collect(),
                _ => json.get_mut("person").into_iter().collect::<Vec<_>>(),
            };
            for person in people {
                if let Some(Value::Object(company)) = person.get_mut("company") {
                    company.insert("name".into(), json!("Name before the rename"));
                }
            }
        }
        Break::NumbersAsStrings => {
            if let Some(Value::Array(people)) = json.get_mut("collection") {
                people.iter_mut().for_each(strings_for_numbers);
            }
            if let Some(person) = json.get_mut("person") {
                strings_for_numbers(person);
            }
        }
        _ => {}
    }
    respond(status, json.to_string().into_bytes(), "application/json")
}

/// A proxy in front of `sandbox` that breaks `brk`; returns its base URL.
async fn proxy(sandbox: &RunningSandbox, brk: Break) -> String {
    proxy_counting(sandbox, brk).await.0
}

/// [`proxy`], and the proxy itself, which counts the requests it answers.
async fn proxy_counting(sandbox: &RunningSandbox, brk: Break) -> (String, Arc<Proxy>) {
    let proxy = Arc::new(Proxy {
        upstream: format!("http://{}", sandbox.addr()),
        http: reqwest::Client::new(),
        brk,
        seen_queries: Mutex::new(HashSet::new()),
        requests: Mutex::new(0),
        puts: Mutex::new(0),
    });
    let router = Router::new().fallback(bend).with_state(proxy.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}/v2"), proxy)
}

/// Runs `zeeg doctor ARGS` against `api_url` off the async workers.
async fn doctor(api_url: &str, args: &[&str]) -> common::Run {
    doctor_as(api_url, TOKEN, args).await
}

/// [`doctor`] with another token.
async fn doctor_as(api_url: &str, token: &str, args: &[&str]) -> common::Run {
    let mut command = common::zeeg();
    command
        .env("ZEEG_API_URL", api_url)
        .env("ZEEG_API_TOKEN", token)
        .arg("doctor")
        .args(args);
    tokio::task::spawn_blocking(move || common::run(&mut command))
        .await
        .expect("the run finishes")
}

/// The verdict of every check, by id, from `--format json`.
fn verdicts(run: &common::Run) -> BTreeMap<String, String> {
    let report: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("JSON on stdout ({e}):\n{}\n{}", run.stdout, run.stderr));
    let mut verdicts = BTreeMap::new();
    for check in report["checks"].as_array().expect("a list of checks") {
        let id = check["id"].as_str().expect("an id").to_string();
        let verdict = check["verdict"].as_str().expect("a verdict").to_string();
        assert!(
            verdicts.insert(id, verdict).is_none(),
            "a check reported twice"
        );
    }
    verdicts
}

fn with_verdict(verdicts: &BTreeMap<String, String>, verdict: &str) -> Vec<String> {
    verdicts
        .iter()
        .filter(|(_, v)| *v == verdict)
        .map(|(id, _)| id.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_the_sandbox_every_check_zeeg_relies_on_holds() {
    let sandbox = sandbox().await;
    let url = sandbox.base_url();

    let read = doctor(&url, &[]).await;
    assert_eq!(read.code, 0, "{}\n{}", read.stdout, read.stderr);
    crate::common::snapshot_settings(&[crate::common::ID_FILTER]).bind(|| {
        insta::assert_snapshot!("sandbox-table", read.stdout);
    });

    let write = doctor(&url, &["--write", "--auto-approve", "--format", "json"]).await;
    assert_eq!(write.code, 0, "{}\n{}", write.stdout, write.stderr);
    let verdicts = verdicts(&write);
    assert!(with_verdict(&verdicts, "differs").is_empty());
    assert!(
        with_verdict(&verdicts, "not checked").is_empty(),
        "the sandbox serves every endpoint, companies too"
    );
    assert_eq!(verdicts.len(), zeeg::doctor::CHECKS.len());
    crate::common::snapshot_settings(&[crate::common::ID_FILTER]).bind(|| {
        insta::assert_snapshot!("sandbox-write-json", write.stdout);
    });
    // What --write sends is announced on stderr, by id and field names only.
    assert!(
        write
            .stderr
            .contains("PUT /crm/people?matchingAttribute=email: the same, without jobTitle"),
        "{}",
        write.stderr
    );
    // The attribute doctor created stays, archived; a second run creates
    // the next one, so it checks the `_2` rule too.
    let again = doctor(&url, &["--write", "--auto-approve", "--format", "json"]).await;
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_starts(
        &check(&again, "attributes.key-derived"),
        "observed",
        "201, key `zeeg_doctor_check_2`",
    );
    let object: Value = reqwest::Client::new()
        .get(format!("{url}/crm/objects/people"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    let archived: Vec<&str> = object["object"]["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .filter(|a| a["label"] == "Zeeg doctor check" && a["isArchived"] == true)
        .filter_map(|a| a["key"].as_str())
        .collect();
    assert_eq!(archived, ["zeeg_doctor_check", "zeeg_doctor_check_2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attribute_key_not_derived_from_its_label() {
    let run = breaks(
        Break::KeyCamelCase,
        &["--write", "--auto-approve"],
        &["attributes.archive", "attributes.key-derived"],
    )
    .await;
    assert_starts(
        &check(&run, "attributes.key-derived"),
        "observed",
        "201, key `zeegDoctorCheck`, not `zeeg_doctor_check`",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_the_server_ignores() {
    breaks(
        Break::ArchiveIgnored,
        &["--write", "--auto-approve"],
        &["attributes.archive"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observed_names_no_contact_data_unless_no_redact() {
    let sandbox = sandbox().await;
    let url = sandbox.base_url();
    let seed = std::fs::read_to_string(seed()).expect("the seed");
    let emails: Vec<&str> = seed
        .split(|c: char| c.is_whitespace() || "[],\"'".contains(c))
        .filter(|word| word.contains('@'))
        .collect();
    assert!(emails.len() > 10, "the seed holds emails");

    let redacted = doctor(&url, &["--write", "--auto-approve", "--format", "json"]).await;
    let printed = format!("{}{}", redacted.stdout, redacted.stderr).to_lowercase();
    for email in &emails {
        assert!(!printed.contains(&email.to_lowercase()), "{email} printed");
    }
    assert!(!printed.contains("procurement"), "a job title printed");

    let clear = doctor(&url, &["--no-redact", "--format", "json"]).await;
    assert!(
        emails.iter().any(|email| clear.stdout.contains(email)),
        "--no-redact shows the email searched for:\n{}",
        clear.stdout
    );
}

/// Runs the read-only doctor (and `extra`) against a proxy breaking `brk`;
/// asserts exit 1 and exactly `differ` differing, the rest as against the
/// sandbox. Returns the run.
async fn breaks(brk: Break, extra: &[&str], differ: &[&str]) -> common::Run {
    let sandbox = sandbox().await;
    let url = proxy(&sandbox, brk).await;
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let run = doctor(&url, &args).await;
    let verdicts = verdicts(&run);
    assert_eq!(
        with_verdict(&verdicts, "differs"),
        differ,
        "{brk:?}: {}",
        run.stdout
    );
    assert_eq!(run.code, 1, "{brk:?}: {}", run.stderr);
    assert_eq!(
        verdicts.len(),
        zeeg::doctor::CHECKS.len(),
        "every check reported"
    );
    run
}

/// Runs the read-only doctor against a proxy breaking `brk`, which zeeg
/// copes with: asserts exit 0, exactly `noted` a note and nothing
/// differing, in JSON and in the table (where each note says what zeeg
/// does). Returns the JSON run and the table.
async fn copes_with(brk: Break, extra: &[&str], noted: &[&str]) -> (common::Run, String) {
    let sandbox = sandbox().await;
    let url = proxy(&sandbox, brk).await;
    let run = doctor(&url, &[extra, &["--format", "json"]].concat()).await;
    let verdicts = verdicts(&run);
    assert_eq!(
        with_verdict(&verdicts, "note"),
        noted,
        "{brk:?}: {}",
        run.stdout
    );
    assert!(
        with_verdict(&verdicts, "differs").is_empty(),
        "{brk:?}: {}",
        run.stdout
    );
    assert_eq!(run.code, 0, "{brk:?}: {}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(report["summary"]["note"], noted.len());
    for id in noted {
        let zeeg_does = &check(&run, id)["zeegDoes"];
        assert!(zeeg_does.as_str().is_some_and(|z| !z.is_empty()), "{id}");
    }
    // A proxy of its own: some breaks bend only the first request.
    let table = doctor(&proxy(&sandbox, brk).await, extra).await;
    assert_eq!(table.code, 0, "{brk:?}: {}", table.stderr);
    for id in noted {
        let line = table
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")));
        assert!(
            line.is_some_and(|l| l.split_whitespace().nth(1) == Some("note")),
            "{id}:\n{}",
            table.stdout
        );
    }
    assert!(
        table.stdout.contains("nothing to mend before apply"),
        "{}",
        table.stdout
    );
    (run, table.stdout)
}

/// The checks `not checked` in the report, except (read-only) the write
/// checks.
fn skipped_besides_the_usual(run: &common::Run) -> Vec<String> {
    let usual = [
        "attributes.archive",
        "attributes.key-derived",
        "errors.validation",
        "token.write",
        "upsert.omitted-kept",
        "upsert.same-values",
    ];
    with_verdict(&verdicts(run), "not checked")
        .into_iter()
        .filter(|id| !usual.contains(&id.as_str()))
        .collect()
}

/// Asserts that the text of `key` in a reported `check` starts with `prefix`.
fn assert_starts(check: &Value, key: &str, prefix: &str) {
    assert!(
        check[key]
            .as_str()
            .is_some_and(|text| text.starts_with(prefix)),
        "{check}"
    );
}

fn check(run: &common::Run, id: &str) -> Value {
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON");
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["id"] == id))
        .cloned()
        .unwrap_or_else(|| panic!("no check {id}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_reporting_has_more_instead_of_next_page() {
    let (run, _) = copes_with(Break::HasMore, &[], &["people.list.envelope"]).await;
    assert!(skipped_besides_the_usual(&run).is_empty());
    let envelope = check(&run, "people.list.envelope");
    assert!(
        envelope["observed"]
            .as_str()
            .is_some_and(|o| o.contains("previousPage, nextPage") && o.contains("hasMore")),
        "{envelope}"
    );
    assert!(
        envelope["zeegDoes"]
            .as_str()
            .is_some_and(|z| z.starts_with("zeeg reads this list anyway")),
        "{envelope}"
    );
}

/// The example project's plan through a proxy breaking `brk` is the plan
/// against the sandbox itself: zeeg copes with that difference.
async fn plans_the_example_as_against_the_sandbox(brk: Break) {
    let sandbox = sandbox().await;
    let url = proxy(&sandbox, brk).await;
    let run = plan_json(&url, &common::repo_root().join("examples/acme")).await;
    assert_eq!(run.code, 0, "{brk:?}: {}", run.stderr);
    let plan: Value = serde_json::from_str(&run.stdout).expect("a JSON plan");
    assert_eq!(
        plan["summary"],
        json!({"create": 8, "update": 9, "unchanged": 11}),
        "{brk:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_reads_a_list_without_page_links() {
    plans_the_example_as_against_the_sandbox(Break::HasMore).await;
}

/// `zeeg plan PATH --format json` against `api_url`.
async fn plan_json(api_url: &str, path: &std::path::Path) -> common::Run {
    let mut command = common::zeeg();
    command
        .env("ZEEG_API_URL", api_url)
        .env("ZEEG_API_TOKEN", TOKEN)
        .arg("plan")
        .arg(path)
        .args(["--format", "json"]);
    tokio::task::spawn_blocking(move || common::run(&mut command))
        .await
        .expect("the run finishes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_that_is_not_applied() {
    let (run, _) = copes_with(Break::SearchIgnored, &[], &["people.search.narrows"]).await;
    let narrows = check(&run, "people.search.narrows");
    assert_eq!(narrows["assumption"], "Reads");
    assert_starts(
        &narrows,
        "zeegDoes",
        "search is ignored by this workspace: plan",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_sensitive_search() {
    breaks(Break::SearchCaseSensitive, &[], &["people.search.case"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_sensitive_company_search() {
    let run = breaks(
        Break::CompanySearchCaseSensitive,
        &[],
        &["companies.search"],
    )
    .await;
    assert!(skipped_besides_the_usual(&run).is_empty());
    let search = check(&run, "companies.search");
    assert_eq!(
        search["observed"],
        "search by the domain of company 5f3b8a2e-1c4d-4e6f-9a7b-2d8c0e1f3a45 in another case: 0 companies listed, not company 5f3b8a2e-1c4d-4e6f-9a7b-2d8c0e1f3a45",
        "{search}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_showing_a_company_name_from_before_a_rename() {
    let run = breaks(Break::StaleCompanyName, &[], &["people.company.current"]).await;
    let current = check(&run, "people.company.current");
    let observed = current["observed"].as_str().unwrap_or_default();
    assert!(
        observed.ends_with("with another name than the company has"),
        "{current}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_not_found_without_a_json_body() {
    copes_with(Break::PlainNotFound, &[], &["errors.not-found"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_that_ignores_count() {
    let (run, _) = copes_with(Break::CountIgnored, &[], &["people.list.count"]).await;
    let count = check(&run, "people.list.count");
    assert_eq!(
        count["observed"], "count=1 listed 20; count=100 listed 20 of a total of 23",
        "{count}"
    );
    assert_eq!(check(&run, "people.list.pages")["verdict"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_reads_a_list_that_ignores_count() {
    plans_the_example_as_against_the_sandbox(Break::CountIgnored).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_that_overlap() {
    let (run, _) = copes_with(Break::PagesOverlap, &[], &["people.list.pages"]).await;
    let pages = check(&run, "people.list.pages");
    assert!(
        pages["observed"]
            .as_str()
            .is_some_and(|o| o.contains("page 2 repeats 1 of page 1")),
        "{pages}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_that_names_the_email_attribute_emails() {
    let sandbox = sandbox().await;
    let url = proxy(&sandbox, Break::EmailsSlug).await;
    let run = doctor(&url, &["--format", "json"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let verdicts = verdicts(&run);
    assert!(
        with_verdict(&verdicts, "differs").is_empty(),
        "{}",
        run.stdout
    );
    assert!(with_verdict(&verdicts, "note").is_empty(), "{}", run.stdout);
    let slugs = check(&run, "people.schema.standard-slugs");
    assert_eq!(slugs["verdict"], "ok");
    assert_starts(&slugs, "observed", "all 9 present: emails, first_name");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_created_in_one_second_listed_not_by_id() {
    let (run, table) = copes_with(Break::TiesNotById, &[], &["people.list.order"]).await;
    let order = check(&run, "people.list.order");
    assert!(
        order["observed"]
            .as_str()
            .is_some_and(|o| o.starts_with("stable, but not oldest first")
                && o.ends_with(", created the same second")),
        "{order}"
    );
    crate::common::snapshot_settings(&[crate::common::ID_FILTER]).bind(|| {
        insta::assert_snapshot!("ties-not-by-id-text", table);
    });
    plans_the_example_as_against_the_sandbox(Break::TiesNotById).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_read_by_id_that_differs_from_the_list() {
    let (run, _) = copes_with(Break::PersonReadDiffers, &[], &["people.get"]).await;
    assert_starts(&check(&run, "people.get"), "zeegDoes", "nothing today");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_read_by_id_that_differs_from_the_list() {
    let (run, _) = copes_with(Break::CompanyReadDiffers, &[], &["companies.get"]).await;
    let get = check(&run, "companies.get");
    assert_starts(&get, "zeegDoes", "plan reads a company by id only to learn");
    assert_eq!(check(&run, "people.company.current")["verdict"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_page_link_naming_the_wrong_page() {
    let (run, _) = copes_with(Break::WrongNextPage, &[], &["people.list.pages"]).await;
    let pages = check(&run, "people.list.pages");
    assert_eq!(pages["observed"], "page 1's nextPage does not name page 2");
    assert_starts(&pages, "zeegDoes", "nothing: zeeg pages by number");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_total_pages_claiming_too_many() {
    let (run, _) = copes_with(Break::TotalPagesTooHigh, &[], &["people.list.pages"]).await;
    let pages = check(&run, "people.list.pages");
    assert_eq!(pages["observed"], "totalPages is 8, ⌈23 / 11⌉ is 3");
    assert_starts(
        &pages,
        "zeegDoes",
        "nothing: zeeg reads no more pages than total fills",
    );
    plans_the_example_as_against_the_sandbox(Break::TotalPagesTooHigh).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_of_an_empty_upsert_as_400() {
    let write = ["--write", "--auto-approve"];
    let (run, _) = copes_with(Break::ValidationAs400, &write, &["errors.validation"]).await;
    assert_eq!(check(&run, "errors.validation")["observed"], "answered 400");
    assert_eq!(check(&run, "upsert.same-values")["verdict"], "ok");
}

/// A difference zeeg relies on still fails the run, notes or not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_that_changes_between_reads() {
    breaks(Break::UnstableOrder, &[], &["people.list.order"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_without_the_read_scope() {
    let run = breaks(Break::NoReadScope, &[], &["token.read"]).await;
    let verdicts = verdicts(&run);
    assert_eq!(verdicts["rate-limits"], "ok", "still reported");
    assert_eq!(
        with_verdict(&verdicts, "ok"),
        ["rate-limits"],
        "nothing else can be checked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attribute_of_an_undocumented_type() {
    copes_with(Break::UnknownType, &[], &["people.schema"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_that_come_back_as_strings() {
    breaks(Break::NumbersAsStrings, &[], &["people.custom-values"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_nobody_can_read() {
    let (run, _) = copes_with(Break::UnreadableRetryAfter, &[], &["rate-limits"]).await;
    let limits = check(&run, "rate-limits");
    assert!(
        limits["observed"]
            .as_str()
            .is_some_and(|o| o.contains("1 request answered 429 (Retry-After soon)")),
        "{limits}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upsert_that_clears_an_omitted_field_is_caught_and_mended() {
    let sandbox = sandbox().await;
    let before = everyone(&sandbox).await;
    let url = proxy(&sandbox, Break::OmittedCleared).await;
    let run = doctor(&url, &["--write", "--auto-approve", "--format", "json"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        with_verdict(&verdicts(&run), "differs"),
        ["upsert.omitted-kept"]
    );
    let omitted = check(&run, "upsert.omitted-kept");
    assert!(
        omitted["observed"].as_str().is_some_and(
            |o| o.contains("jobTitle was cleared; doctor sent jobTitle again and it is back")
        ),
        "{omitted}"
    );
    let text = doctor_text(&url).await;
    crate::common::snapshot_settings(&[crate::common::ID_FILTER]).bind(|| {
        insta::assert_snapshot!("omitted-cleared-text", text);
    });
    // The sandbox holds what it held (but for updatedAt): the field is back.
    assert_eq!(everyone(&sandbox).await, before);
}

/// Every person in the sandbox, without `updatedAt`.
async fn everyone(sandbox: &RunningSandbox) -> Vec<Value> {
    let config = zeeg::api::ClientConfig::new(zeeg::api::Token::new(TOKEN))
        .with_base_url(sandbox.base_url());
    let client = zeeg::api::Client::new(config).expect("a loopback URL");
    let people = client.list_all().await.expect("the sandbox lists");
    people
        .into_iter()
        .map(|person| {
            let mut value = serde_json::to_value(person).expect("a person");
            value["updatedAt"] = Value::Null;
            value
        })
        .collect()
}

/// The table of a `--write` run, as a user reads it.
async fn doctor_text(url: &str) -> String {
    doctor(url, &["--write", "--auto-approve"]).await.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_checks_need_a_terminal_or_auto_approve() {
    let sandbox = sandbox().await;
    let run = doctor(&sandbox.base_url(), &["--write"]).await;
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty(), "no report: {}", run.stdout);
    assert!(
        run.stderr
            .contains("refusing to send the write checks without confirmation"),
        "{}",
        run.stderr
    );
    let no_flag = doctor(&sandbox.base_url(), &["--auto-approve"]).await;
    // A command line that does not parse.
    assert_eq!(no_flag.code, 1, "--auto-approve needs --write");
    assert!(no_flag.stderr.contains("--write"), "{}", no_flag.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_reads_a_workspace_that_ignores_search_with_one_listing() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let people: Vec<Value> = (0..250)
        .map(
            |n| json!({"firstName": format!("Person{n}"), "emails": [format!("p{n}@example.com")]}),
        )
        .collect();
    let seed = dir.path().join("seed.json");
    std::fs::write(&seed, Value::Array(people).to_string()).expect("the seed is written");
    let sandbox = seeded(seed).await;
    let (url, proxy) = proxy_counting(&sandbox, Break::SearchIgnored).await;
    let files = dir.path().join("people");
    std::fs::create_dir(&files).expect("a folder");
    std::fs::write(
        files.join("two.yaml"),
        "people:\n  - firstName: Person7\n    emails: [p7@example.com]\n    jobTitle: Engineer\n  - firstName: Person8\n    emails: [p8@example.com]\n",
    )
    .expect("a people file");

    let run = plan_json(&url, &files).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let plan: Value = serde_json::from_str(&run.stdout).expect("a JSON plan");
    assert_eq!(
        plan["summary"],
        json!({"create": 0, "update": 1, "unchanged": 1})
    );
    // The schema, the total, then one search that lists all 3 pages and is
    // taken for the whole list; searching on would have cost 3 pages more.
    let requests = *proxy.requests.lock().expect("not poisoned");
    assert_eq!(requests, 5, "requests to the workspace");
}

#[test]
fn an_empty_workspace_says_what_it_cannot_check() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(
        dir.path().join("zeeg.yaml"),
        "defaults:\n  matchingAttribute: email\n",
    )
    .expect("zeeg.yaml");
    let run = common::run(
        common::zeeg()
            .args(["doctor", "--sandbox", "--write", "--auto-approve"])
            .arg(dir.path()),
    );
    assert_eq!(
        run.code, 0,
        "nothing differs: {}\n{}",
        run.stdout, run.stderr
    );
    assert!(dir.path().join(".zeeg").is_dir(), "the project's sandbox");
    crate::common::snapshot_settings(&[crate::common::ID_FILTER]).bind(|| {
        insta::assert_snapshot!("empty-workspace-table", run.stdout);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_may_only_read_is_named_by_token_write() {
    let sandbox = sandbox().await;
    let args = ["--write", "--auto-approve", "--format", "json"];
    let run = doctor_as(&sandbox.base_url(), common::READ_TOKEN, &args).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let verdicts = verdicts(&run);
    assert_eq!(with_verdict(&verdicts, "differs"), ["token.write"]);
    assert_eq!(verdicts["token.read"], "ok");
    for id in [
        "upsert.same-values",
        "upsert.omitted-kept",
        "errors.validation",
    ] {
        assert_eq!(verdicts[id], "not checked", "{id}");
    }
    let write = check(&run, "token.write");
    assert_eq!(write["observed"], "PUT /crm/people answered 403");
}

/// Runs `zeeg doctor --write` on a pseudo-terminal (util-linux `script`),
/// typing `answer` at the prompt.
fn doctor_on_a_terminal(api_url: &str, answer: &str) -> common::Run {
    let command = format!(
        "{} doctor --write --color never",
        common::zeeg_bin().display()
    );
    let env = [("ZEEG_API_URL", api_url), ("ZEEG_API_TOKEN", TOKEN)];
    common::on_a_terminal(&command, &std::env::temp_dir(), &env, answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_the_write_checks_are_sent_only_after_yes() {
    let sandbox = sandbox().await;
    let (url, proxy) = proxy_counting(&sandbox, Break::Nothing).await;

    let declined = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || doctor_on_a_terminal(&url, "n\n"))
            .await
            .expect("the run finishes")
    };
    assert_eq!(declined.code, 1, "{}", declined.stdout);
    assert!(
        declined.stdout.contains("Send these requests? [y/N]"),
        "{}",
        declined.stdout
    );
    assert!(
        declined.stdout.contains("Nothing was written."),
        "{}",
        declined.stdout
    );
    assert_eq!(
        *proxy.puts.lock().expect("not poisoned"),
        0,
        "a no sends nothing"
    );

    let approved = tokio::task::spawn_blocking(move || doctor_on_a_terminal(&url, "y\n"))
        .await
        .expect("the run finishes");
    assert_eq!(approved.code, 0, "{}", approved.stdout);
    assert!(
        approved.stdout.contains(&format!(
            "{n} checks: {n} ok, 0 differ, 0 notes, 0 not checked",
            n = zeeg::doctor::CHECKS.len()
        )),
        "{}",
        approved.stdout
    );
    assert_eq!(*proxy.puts.lock().expect("not poisoned"), 3);
}
