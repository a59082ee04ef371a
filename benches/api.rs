//! The client and the sandbox together, on loopback: upserts per second in
//! memory and with `--state`, person reads per second (a list page of 100 is
//! 100 reads), and the sandbox's memory holding 100,000 people, created
//! through the API or read from its state file.
//!
//! `cargo bench --bench api`. Targets on the 2-core dev machine: ≥ 5,000
//! upserts/s, ≥ 20,000 reads/s, ≥ 1,000 durable upserts/s, < 200 MB RSS.
//! Knobs (environment): `ZEEG_BENCH_PEOPLE` (default 100000),
//! `ZEEG_BENCH_CONCURRENCY` (default 32).

use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt, stream};
use serde_json::{Map, Value, json};
use zeeg::api::{Client, ClientConfig, RetryPolicy, Token};

#[path = "../tests/it/common.rs"]
mod common;
use common::Sandbox;

const UPSERT_TARGET: f64 = 5_000.0;
const READ_TARGET: f64 = 20_000.0;
const DURABLE_TARGET: f64 = 1_000.0;
const RSS_TARGET_MB: f64 = 200.0;

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let people = env_usize("ZEEG_BENCH_PEOPLE", 100_000);
    let concurrency = env_usize("ZEEG_BENCH_CONCURRENCY", 32);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run(people, concurrency));
}

async fn run(people: usize, concurrency: usize) {
    println!("zeeg api bench: {people} people, {concurrency} upserts in flight");
    println!("sandbox: {}", common::zeeg_bin().display());
    // Other work on the machine slows both sides; say how busy it was.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average at start: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );

    // In memory: upsert everybody (creates), then read them all back.
    let sandbox = Sandbox::start(&[]);
    let idle = common::memory(sandbox.child.id());
    let client = connect(&sandbox.api_url());
    let created = timed_upserts(&client, 0..people, concurrency).await;
    let after_creates = common::memory(sandbox.child.id());
    let updated = timed_upserts(&client, 0..people.min(20_000), concurrency).await;

    let started = Instant::now();
    let mut reads = 0;
    let rounds = 3;
    for _ in 0..rounds {
        let all = client.list_all().await.expect("list_all");
        assert_eq!(all.len(), people, "every person listed once");
        reads += all.len();
    }
    let list_rate = reads as f64 / started.elapsed().as_secs_f64();
    let held = common::memory(sandbox.child.id());
    let stats = client.stats();
    let sandbox_cpu = common::cpu_seconds(&format!("/proc/{}/stat", sandbox.child.id()));
    let client_cpu = common::cpu_seconds("/proc/self/stat");
    drop(sandbox);

    // Durable: the same upserts against a sandbox with --state.
    let dir = tempfile::tempdir().expect("a temp dir");
    let state = dir.path().join("sandbox.db");
    let durable_people = people.min(20_000);
    let sandbox = Sandbox::start(&["--state", &state.to_string_lossy()]);
    let client = connect(&sandbox.api_url());
    let durable = timed_upserts(&client, 0..durable_people, concurrency).await;
    // The rest untimed, then a sandbox opening the state: its memory holding
    // the people it read, and its peak while reading them.
    timed_upserts(&client, durable_people..people, concurrency).await;
    drop(sandbox);
    let sandbox = Sandbox::start(&["--state", &state.to_string_lossy()]);
    let opened = common::memory(sandbox.child.id());
    drop(sandbox);

    println!();
    report(
        "upserts/s in memory (creates)",
        created,
        UPSERT_TARGET,
        true,
    );
    report(
        "upserts/s in memory (updates)",
        updated,
        UPSERT_TARGET,
        true,
    );
    report(
        "person reads/s (list pages of 100)",
        list_rate,
        READ_TARGET,
        true,
    );
    report(
        "upserts/s with --state (creates)",
        durable,
        DURABLE_TARGET,
        true,
    );
    println!(
        "sandbox memory: idle {:.1} MB; holding {people} people {:.1} MB RSS, peak {:.1} MB \
         (after the creates: {:.1} MB)",
        idle.rss_mb, held.rss_mb, held.hwm_mb, after_creates.rss_mb
    );
    let per_100k = |mb: f64| (mb - idle.rss_mb) / people as f64 * 100_000.0;
    println!(
        "sandbox memory above idle per 100,000 people: {:.1} MB in memory (after the creates: \
         {:.1} MB); opening the state of {people}: {:.1} MB RSS, peak {:.1} MB",
        per_100k(held.rss_mb),
        per_100k(after_creates.rss_mb),
        per_100k(opened.rss_mb),
        per_100k(opened.hwm_mb),
    );
    report(
        "peak RSS MB holding the people",
        held.hwm_mb,
        RSS_TARGET_MB,
        false,
    );
    println!(
        "client: {} requests, {} answered 429, {} retries",
        stats.requests, stats.rate_limited, stats.retries
    );
    println!(
        "cpu for the in-memory phases: sandbox {sandbox_cpu:.1} s, client {client_cpu:.1} s \
         (both share the machine's cores)"
    );
}

/// User plus system CPU time of a process, from /proc/PID/stat.
fn report(what: &str, value: f64, target: f64, higher_is_better: bool) {
    let met = if higher_is_better {
        value >= target
    } else {
        value < target
    };
    let sign = if higher_is_better { "≥" } else { "<" };
    println!(
        "{what:<40} {value:>10.0}   target {sign} {target:.0}   {}",
        if met { "ok" } else { "MISSED" }
    );
}

fn connect(api_url: &str) -> Client {
    let mut config = ClientConfig::new(Token::new(common::TOKEN)).with_base_url(api_url);
    config.retry = RetryPolicy {
        base_delay: Duration::from_millis(50),
        ..RetryPolicy::default()
    };
    Client::new(config).expect("a loopback client")
}

/// Upserts people `range` by email with `concurrency` requests in flight;
/// returns upserts per second.
async fn timed_upserts(client: &Client, range: std::ops::Range<usize>, concurrency: usize) -> f64 {
    let count = range.len();
    let started = Instant::now();
    stream::iter(range)
        .map(|n| {
            let body = person(n);
            async move { client.upsert("email", &body).await }
        })
        .buffer_unordered(concurrency)
        .try_for_each(|_| async { Ok(()) })
        .await
        .expect("every upsert succeeds");
    count as f64 / started.elapsed().as_secs_f64()
}

/// A person of typical size: names, two emails, a job, a phone, a place, a
/// profile link.
fn person(n: usize) -> Map<String, Value> {
    let Value::Object(map) = json!({
        "firstName": format!("First{n}"),
        "lastName": format!("Last{n}"),
        "emails": [format!("person{n}@example.com"), format!("p{n}@example.org")],
        "jobTitle": "Account Executive",
        "phoneNumber": format!("+4930{n:08}"),
        "primaryLocation": "Berlin, Germany",
        "socials": {"linkedin": format!("https://linkedin.com/in/person{n}")},
    }) else {
        unreachable!("json! of an object is an object")
    };
    map
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
