//! The whole `zeeg` binary under faults: a dead network, a server that fails
//! or rate limits, and Ctrl-C while it waits. Each says what it waits for,
//! and each ends.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::common::{self, Run, Sandbox, run};

const PEOPLE: &str = "people:\n  - firstName: Ada\n    emails: [ada@example.com]\n  - firstName: Grace\n    emails: [grace@example.com]\n";

/// A project of one people file.
fn people_project(people: &str) -> tempfile::TempDir {
    common::project(&[("people.yaml", people)])
}

fn plan_at(url: &str, dir: &std::path::Path) -> (Run, Duration) {
    let started = Instant::now();
    let out = run(common::zeeg()
        .env("ZEEG_API_URL", url)
        .env("ZEEG_API_TOKEN", common::TOKEN)
        .current_dir(dir)
        .args(["plan", "."]));
    (out, started.elapsed())
}

/// The retry lines of a run, timings and ports replaced, sorted (requests
/// that run side by side print in either order).
fn retry_lines(stderr: &str) -> String {
    let mut lines: Vec<String> = stderr
        .lines()
        .filter(|line| line.starts_with("retrying "))
        .map(|line| {
            let (head, tail) = line.split_once(" in ").unwrap_or((line, ""));
            let tail = tail.split_once(": ").map_or("", |(_, rest)| rest);
            format!("{head} in [WAIT]: {tail}")
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_refused_connection_is_tried_three_times_then_exits_1_saying_so() {
    let dir = people_project(PEOPLE);
    let (out, took) = plan_at(&format!("http://127.0.0.1:{}/v2", free_port()), dir.path());
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(took < Duration::from_secs(15), "took {took:?}");
    insta::assert_snapshot!(retry_lines(&out.stderr), @r"
    retrying GET /crm/objects/people in [WAIT]: connection refused (try 2 of 3)
    retrying GET /crm/objects/people in [WAIT]: connection refused (try 3 of 3)
    retrying GET /crm/people in [WAIT]: connection refused (try 2 of 3)
    retrying GET /crm/people in [WAIT]: connection refused (try 3 of 3)
    ");
    assert!(
        out.stderr.contains("connection refused (gave"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unknown_host_exits_1_at_once() {
    let dir = people_project(PEOPLE);
    let (out, took) = plan_at("https://zeeg-unknown-host.invalid/v2", dir.path());
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(!out.stderr.contains("retrying"), "{}", out.stderr);
    assert!(
        out.stderr.contains("zeeg-unknown-host.invalid is unknown"),
        "{}",
        out.stderr
    );
}

/// A mock of an empty workspace: the first `failures` requests to each path
/// answer 503 (only the writes, when `writes_only`).
async fn flaky_api(failures: usize, writes_only: bool) -> String {
    #[derive(Clone)]
    struct Flaky {
        seen: Arc<Mutex<HashMap<String, usize>>>,
        failures: usize,
        writes_only: bool,
    }
    async fn answer(State(flaky): State<Flaky>, request: Request) -> Response {
        let path = request.uri().path().to_string();
        let write = request.method() == axum::http::Method::PUT;
        let n = {
            let mut seen = flaky.seen.lock().unwrap();
            let n = seen.entry(path.clone()).or_default();
            *n += 1;
            *n
        };
        if n <= flaky.failures && (write || !flaky.writes_only) {
            let body = json!({"success": false, "message": "try later", "status": 503});
            return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
        }
        let body: Value = if path.ends_with("/objects/people") {
            json!({"success": true, "status": 200, "object": {"slug": "people", "attributes": []}})
        } else {
            json!({"collection": [], "pagination": {"total": 0, "count": 0, "totalPages": 0,
                   "previousPage": null, "currentPage": 1, "nextPage": null}})
        };
        axum::Json(body).into_response()
    }
    let router = Router::new().fallback(answer).with_state(Flaky {
        seen: Arc::default(),
        failures,
        writes_only,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/v2")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_exits_1_at_once_naming_the_cause() {
    let (port, accepted) = crate::client::self_signed_tls_server().await;
    let dir = people_project(PEOPLE);
    let path = dir.path().to_path_buf();
    let (out, took) = tokio::task::spawn_blocking(move || {
        plan_at(&format!("https://127.0.0.1:{port}/v2"), &path)
    })
    .await
    .unwrap();
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(!out.stderr.contains("retrying"), "{}", out.stderr);
    assert!(
        out.stderr.contains("could not be verified"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("not a network problem"),
        "{}",
        out.stderr
    );
    // The schema and the total are asked for side by side: one try each at
    // most (the second may be dropped once the first has failed).
    let tries = accepted.load(std::sync::atomic::Ordering::SeqCst);
    assert!((1..=2).contains(&tries), "{tries} connections");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_wait_to_retry_is_a_line_on_stderr() {
    let url = flaky_api(2, false).await;
    let dir = people_project(PEOPLE);
    let path = dir.path().to_path_buf();
    let (out, _) = tokio::task::spawn_blocking(move || plan_at(&url, &path))
        .await
        .unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Plan: 2 to create"), "{}", out.stdout);
    insta::assert_snapshot!(retry_lines(&out.stderr), @r"
    retrying GET /crm/objects/people in [WAIT]: server error 503 (try 2 of 6)
    retrying GET /crm/objects/people in [WAIT]: server error 503 (try 3 of 6)
    retrying GET /crm/people in [WAIT]: server error 503 (try 2 of 6)
    retrying GET /crm/people in [WAIT]: server error 503 (try 3 of 6)
    ");
    // The wait itself is in the line, as a human reads it.
    let first = out
        .stderr
        .lines()
        .find(|l| l.starts_with("retrying "))
        .unwrap();
    assert!(
        first.contains(" in 2") && first.contains(" ms: "),
        "about a quarter second: {first}"
    );
}

/// Runs `zeeg ARGS` in `dir` against `url`, sends SIGINT once it prints
/// its first retry line, and returns its exit code, its stderr and how long
/// it took to end after the signal.
fn interrupted_while_waiting(
    url: &str,
    dir: &std::path::Path,
    args: &[&str],
) -> (Option<i32>, String, Duration) {
    let mut child = common::zeeg()
        .env("ZEEG_API_URL", url)
        .env("ZEEG_API_TOKEN", common::TOKEN)
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let waiting = line.starts_with("retrying ");
        seen.push(line);
        if waiting {
            break;
        }
    }
    // SAFETY: plain FFI on a child we own.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let signalled = Instant::now();
    seen.extend(lines.map_while(Result::ok));
    let status = child.wait().unwrap();
    (status.code(), seen.join("\n"), signalled.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_waiting_to_retry_ends_the_plan_with_130() {
    let url = flaky_api(usize::MAX, false).await;
    let dir = people_project(PEOPLE);
    let path = dir.path().to_path_buf();
    let (code, stderr, after_signal) =
        tokio::task::spawn_blocking(move || interrupted_while_waiting(&url, &path, &["plan", "."]))
            .await
            .unwrap();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(after_signal < Duration::from_secs(2), "{after_signal:?}");
    assert!(stderr.contains("Interrupted"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_apply_waits_to_retry_ends_with_130_and_names_the_entries() {
    let url = flaky_api(usize::MAX, true).await;
    let dir = people_project(PEOPLE);
    let path = dir.path().to_path_buf();
    let (code, stderr, after_signal) = tokio::task::spawn_blocking(move || {
        interrupted_while_waiting(&url, &path, &["apply", ".", "--auto-approve"])
    })
    .await
    .unwrap();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(after_signal < Duration::from_secs(2), "{after_signal:?}");
    assert!(
        stderr.contains("server error 503 (not retried: apply was interrupted)"),
        "{stderr}"
    );
}

/// An API that reads as empty and never answers a write; the counter says
/// how many writes it holds.
async fn unanswering_api() -> (String, Arc<AtomicUsize>) {
    async fn answer(State(held): State<Arc<AtomicUsize>>, request: Request) -> Response {
        if request.method() == axum::http::Method::PUT {
            held.fetch_add(1, Ordering::SeqCst);
            std::future::pending::<()>().await;
        }
        let body: Value = if request.uri().path().ends_with("/objects/people") {
            json!({"success": true, "status": 200, "object": {"slug": "people", "attributes": []}})
        } else {
            json!({"collection": [], "pagination": {"total": 0, "count": 0, "totalPages": 0,
                   "previousPage": null, "currentPage": 1, "nextPage": null}})
        };
        axum::Json(body).into_response()
    }
    let held = Arc::new(AtomicUsize::new(0));
    let router = Router::new().fallback(answer).with_state(held.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}/v2"), held)
}

/// Runs apply of five people at parallelism 2 against `url`; once `held`
/// says two writes are in flight, Ctrl-C, and Ctrl-C again once apply says
/// it waits for them. Returns the run and how long it took after the second.
fn interrupted_twice(url: &str, dir: &std::path::Path, held: &AtomicUsize) -> (Run, Duration) {
    let mut child = common::zeeg()
        .env("ZEEG_API_URL", url)
        .env("ZEEG_API_TOKEN", common::TOKEN)
        .current_dir(dir)
        .args(["apply", ".", "--auto-approve", "--parallelism", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while held.load(Ordering::SeqCst) < 2 {
        assert!(Instant::now() < deadline, "apply sent no writes");
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = child.id() as libc::pid_t;
    // SAFETY: plain FFI on a child we own.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut stderr = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let waiting = line.starts_with("Stopping: ");
        stderr.push(line);
        if waiting {
            break;
        }
    }
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let signalled = Instant::now();
    stderr.extend(lines.map_while(Result::ok));
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    let status = child.wait().unwrap();
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr: stderr.join("\n"),
    };
    (run, signalled.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_ctrl_c_reports_the_abandoned_requests_as_unknown_not_as_not_sent() {
    let (url, held) = unanswering_api().await;
    let dir = people_project(&many(5));
    let path = dir.path().to_path_buf();
    let (out, after_second) =
        tokio::task::spawn_blocking(move || interrupted_twice(&url, &path, &held))
            .await
            .unwrap();
    assert_eq!(out.code, 130, "{}\n{}", out.stdout, out.stderr);
    assert!(after_second < Duration::from_secs(5), "{after_second:?}");
    assert!(
        out.stderr.contains("waiting for 2 in flight to finish"),
        "{}",
        out.stderr
    );
    // Two requests were sent and never answered: they may have been
    // applied, so they are not among the three that were never sent.
    assert!(
        out.stdout.contains(
            "Interrupted: 3 entries were not sent, and 2 abandoned in flight \
             (may have been applied; run `zeeg plan` to see)."
        ),
        "{}",
        out.stdout
    );
    assert_eq!(
        out.stdout.lines().last(),
        Some("Apply interrupted: 0 created, 0 updated, 0 failed.")
    );
}

/// `n` people to create, one file.
fn many(n: usize) -> String {
    let mut yaml = String::from("people:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  - firstName: P{i}\n    emails: [p{i}@example.com]\n"
        ));
    }
    yaml
}

fn apply(sandbox: &Sandbox, dir: &std::path::Path) -> (Run, Value) {
    let out = run(sandbox.zeeg().current_dir(dir).args([
        "apply",
        ".",
        "--auto-approve",
        "--format",
        "json",
    ]));
    let json = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
    (out, json)
}

#[test]
fn apply_under_failures_creates_exactly_the_people_in_the_files() {
    let sandbox = Sandbox::start(&["--fail-rate", "0.15"]);
    let dir = people_project(&many(60));
    let (out, json) = apply(&sandbox, dir.path());
    assert!(
        json["stats"]["retries"].as_u64().unwrap() > 0,
        "faults were injected"
    );
    assert!(
        out.stderr.contains("retrying people.yaml:"),
        "{}",
        out.stderr
    );
    // Six tries make an entry's failure rare (0.15^6 each), not impossible:
    // then it is reported as failed (exit 3), never counted as created, and
    // a second run finishes the job.
    let created = json["summary"]["created"].as_u64().unwrap();
    let failed = json["summary"]["failed"].as_u64().unwrap();
    if out.code == 3 {
        assert!(failed > 0 && created + failed == 60, "{}", out.stdout);
        let (rerun, rerun_json) = apply(&sandbox, dir.path());
        assert_eq!(rerun.code, 0, "{}", rerun.stderr);
        assert_eq!(rerun_json["summary"]["created"], failed, "{}", rerun.stdout);
    } else {
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(created, 60, "{}", out.stdout);
    }
    // The next plan finds every person once: nothing missing, nothing doubled.
    let again = run(sandbox
        .zeeg()
        .current_dir(dir.path())
        .args(["plan", ".", "--format", "json"]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    let plan: Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(
        plan["summary"],
        json!({"create": 0, "update": 0, "unchanged": 60})
    );
}

#[test]
fn apply_under_a_rate_limit_paces_itself_and_creates_everyone() {
    // The bucket is empty at the start: other integrations just used it.
    let sandbox = Sandbox::start(&["--rate-limit", "20"]);
    let dir = people_project(&many(80));
    let started = Instant::now();
    let (out, json) = apply(&sandbox, dir.path());
    let elapsed = started.elapsed();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json["summary"]["created"], 80, "{}", out.stdout);
    let stats = &json["stats"];
    let (requests, limited) = (
        stats["requests"].as_u64().unwrap(),
        stats["rateLimited"].as_u64().unwrap(),
    );
    // Only the few 429s that found the limit, not one per wave; the run
    // itself at about the limit's pace (80 + the plan's reads at 20/s).
    assert!(
        limited > 0 && limited <= 14,
        "{limited} of {requests} answered 429"
    );
    assert!(elapsed < Duration::from_secs(12), "{elapsed:?}");
    assert!(
        out.stderr.contains("rate limited by the API: pacing at"),
        "{}",
        out.stderr
    );
}

#[test]
fn stray_429s_cost_only_their_own_requests() {
    // Every failure a 429 with `Retry-After: 1`, as another integration's
    // use of the workspace sends them: no pacing, no pause for the rest.
    let sandbox = Sandbox::start(&["--fail-rate", "0.05", "--fail-mix", "429=1"]);
    let dir = people_project(&many(200));
    let started = Instant::now();
    let (out, json) = apply(&sandbox, dir.path());
    let elapsed = started.elapsed();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json["summary"]["created"], 200, "{}", out.stdout);
    assert!(json["stats"]["rateLimited"].as_u64().unwrap() > 0);
    assert!(
        !out.stderr.contains("pacing at"),
        "stray 429s paced the run: {}",
        out.stderr
    );
    // Each throttled entry waits its second (twice for an unlucky one);
    // were every 429 a pause for all, the ten or so would take 10 s.
    assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");
}

#[test]
fn apply_follows_a_limit_that_drops_and_recovers() {
    // 100/s, 10/s from 1 s, 100/s again from 3 s. The outcome and the share
    // of 429s say whether the pace followed the limit down and back up; how
    // fast it recovered is the benchmarks' to measure, since a loaded machine
    // stretches any wall-clock bound here.
    let sandbox = Sandbox::start(&["--rate-schedule", "100@0,10@1,100@3"]);
    let dir = people_project(&many(200));
    let (out, json) = apply(&sandbox, dir.path());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json["summary"]["created"], 200, "{}", out.stdout);
    let stats = &json["stats"];
    let (requests, limited) = (
        stats["requests"].as_u64().unwrap(),
        stats["rateLimited"].as_u64().unwrap(),
    );
    // A tenth on a quiet machine; 23 of 225 at load 7 on two cores, where
    // the client hears each 429 late. Not following the limit is far more.
    assert!(
        limited * 6 <= requests,
        "{limited} of {requests} answered 429"
    );
}

#[test]
fn a_retry_after_given_as_an_http_date_is_waited_out() {
    let sandbox = Sandbox::start(&[
        "--fail-rate",
        "0.2",
        "--fail-mix",
        "429=1",
        "--retry-after-date",
    ]);
    let dir = people_project(&many(40));
    let started = Instant::now();
    let (out, json) = apply(&sandbox, dir.path());
    let elapsed = started.elapsed();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json["summary"]["created"], 40, "{}", out.stdout);
    assert!(json["stats"]["rateLimited"].as_u64().unwrap() > 0);
    // A date a second or two ahead: each throttled entry waited for it.
    assert!(
        out.stderr.contains("retrying people.yaml:"),
        "{}",
        out.stderr
    );
    assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
}
