//! Throughput and memory of `zeeg sandbox serve` on loopback, driven with
//! reqwest: upserts (in memory and with `--state`), list reads, reads by id,
//! and the sandbox's RSS holding 100,000 people.
//!
//! `cargo bench --bench sandbox`; figures go to stdout. Targets (issue 2):
//! ≥ 5,000 upserts/s in memory, ≥ 1,000/s with `--state`, ≥ 20,000 person
//! reads/s (a page of 100 counts as 100), 100,000 people in < 200 MB RSS.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};

#[path = "../tests/it/common.rs"]
mod common;
use common::TOKEN;
const CONCURRENCY: usize = 16;

/// A sandbox under measurement: the test context's child process.
struct Served {
    sandbox: common::Sandbox,
    base: String,
}

impl Served {
    fn start(extra: &[&str]) -> Served {
        let sandbox = common::Sandbox::start(extra);
        Served {
            base: sandbox.api_url(),
            sandbox,
        }
    }

    /// Resident set size now and at its peak, in MB.
    fn rss_mb(&self) -> (f64, f64) {
        let common::Memory { rss_mb, hwm_mb } = common::memory(self.sandbox.child.id());
        (rss_mb, hwm_mb)
    }

    /// CPU seconds (user + system) the sandbox process has used so far.
    fn cpu_seconds(&self) -> f64 {
        common::cpu_seconds(&format!("/proc/{}/stat", self.sandbox.child.id()))
    }

    /// Runs a phase and prints its rate and the sandbox's CPU time per request,
    /// a figure that does not depend on how busy the rest of the machine is.
    async fn phase<F: std::future::Future<Output = (f64, usize)>>(&self, label: &str, run: F) {
        let cpu_before = self.cpu_seconds();
        let (rate, requests) = run.await;
        let cpu = self.cpu_seconds() - cpu_before;
        let per_request = cpu / requests as f64 * 1e6;
        println!("{label:<38} {rate:>9.0} /s   sandbox CPU {per_request:>6.1} µs/request");
    }
}

fn person(i: usize, round: usize) -> Value {
    json!({
        "firstName": format!("First{i}"),
        "lastName": format!("Last{i}"),
        "emails": [format!("person{i}@example.com"), format!("p{i}@home.example.org")],
        "jobTitle": format!("Engineer {round}"),
        "phoneNumber": format!("+49 30 {i:07}"),
        "primaryLocation": "Berlin, Germany",
        "socials": {"linkedin": format!("https://linkedin.com/in/p{i}")}
    })
}

/// Sends upserts for people `range` with bounded concurrency; returns per second.
/// `round` goes into the job title, so a later round really changes people.
async fn upserts(
    client: &reqwest::Client,
    base: &str,
    range: std::ops::Range<usize>,
    round: usize,
) -> (f64, usize) {
    let n = range.len();
    let url = format!("{base}/crm/people?matchingAttribute=email");
    let start = Instant::now();
    futures::stream::iter(range)
        .map(|i| {
            let request = client.put(&url).bearer_auth(TOKEN).json(&person(i, round));
            async move {
                let response = request.send().await.expect("upsert answered");
                assert!(response.status().is_success(), "{}", response.status());
                response.bytes().await.expect("upsert body");
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
    (n as f64 / start.elapsed().as_secs_f64(), n)
}

/// Reads for `duration`; returns (people/s, requests); a page of 100 is 100 people.
async fn reads(client: &reqwest::Client, urls: Vec<String>, duration: Duration) -> (f64, usize) {
    let people = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let workers = (0..CONCURRENCY).map(|w| {
        let (client, urls, people, requests) = (
            client.clone(),
            urls.clone(),
            people.clone(),
            requests.clone(),
        );
        tokio::spawn(async move {
            let mut k = w;
            while start.elapsed() < duration {
                let url = &urls[k % urls.len()];
                k += CONCURRENCY;
                let body: Value = client
                    .get(url)
                    .bearer_auth(TOKEN)
                    .send()
                    .await
                    .expect("read answered")
                    .json()
                    .await
                    .expect("read body");
                let n = body["collection"].as_array().map_or(1, Vec::len);
                people.fetch_add(n, Ordering::Relaxed);
                requests.fetch_add(1, Ordering::Relaxed);
            }
        })
    });
    futures::future::join_all(workers).await;
    let secs = start.elapsed().as_secs_f64();
    (
        people.load(Ordering::Relaxed) as f64 / secs,
        requests.load(Ordering::Relaxed),
    )
}

#[tokio::main]
async fn main() {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("an HTTP client");

    println!("sandbox benchmark (client and sandbox on loopback, concurrency {CONCURRENCY})");
    let memory = Served::start(&[]);
    let base = memory.base.clone();
    memory
        .phase(
            "in memory: create upserts",
            upserts(&client, &base, 0..20_000, 0),
        )
        .await;
    memory
        .phase(
            "in memory: update upserts",
            upserts(&client, &base, 0..10_000, 1),
        )
        .await;
    memory
        .phase(
            "in memory: create upserts to 100k",
            upserts(&client, &base, 20_000..100_000, 0),
        )
        .await;
    let (rss, peak) = memory.rss_mb();
    println!("in memory: RSS holding 100,000 people  {rss:>9.1} MB (peak {peak:.1} MB)");

    let pages: Vec<String> = (1..=1000)
        .map(|p| format!("{base}/crm/people?page={p}&count=100"))
        .collect();
    memory
        .phase(
            "in memory: people read in pages of 100",
            reads(&client, pages, Duration::from_secs(3)),
        )
        .await;
    let first: Value = client
        .get(format!("{base}/crm/people?count=100"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("list answered")
        .json()
        .await
        .expect("list body");
    let by_id: Vec<String> = first["collection"]
        .as_array()
        .expect("a collection")
        .iter()
        .map(|p| format!("{base}/crm/people/{}", p["id"].as_str().unwrap_or_default()))
        .collect();
    memory
        .phase(
            "in memory: people read by id",
            reads(&client, by_id, Duration::from_secs(3)),
        )
        .await;
    drop(memory);

    let dir = tempfile::tempdir().expect("a temporary directory");
    let state = dir.path().join("bench.db");
    let durable = Served::start(&["--state", state.to_str().unwrap_or_default()]);
    let base = durable.base.clone();
    durable
        .phase(
            "--state: create upserts",
            upserts(&client, &base, 0..10_000, 0),
        )
        .await;
    durable
        .phase(
            "--state: update upserts",
            upserts(&client, &base, 0..5_000, 1),
        )
        .await;
    println!(
        "load average while measuring: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
}
