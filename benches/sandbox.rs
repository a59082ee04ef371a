//! Throughput and memory of `zeeg sandbox serve` on loopback, driven with
//! reqwest: upserts (in memory and with `--state`), list reads, reads by id,
//! and the sandbox's RSS holding 100,000 people.
//!
//! `cargo bench --bench sandbox`; figures go to stdout. Targets (issue 2):
//! ≥ 5,000 upserts/s in memory, ≥ 1,000/s with `--state`, ≥ 20,000 person
//! reads/s (a page of 100 counts as 100), 100,000 people in < 200 MB RSS.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};

const TOKEN: &str = "bench-token";
const CONCURRENCY: usize = 16;

struct Served {
    child: Child,
    base: String,
}

impl Served {
    fn start(extra: &[&str]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_zeeg"))
            .args([
                "sandbox",
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--token",
                TOKEN,
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("zeeg sandbox serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = lines
            .next()
            .and_then(Result::ok)
            .expect("the sandbox prints its address");
        let url = line
            .strip_prefix("listening on ")
            .expect("the listening line");
        Served {
            base: format!("{}/v2", url.trim()),
            child,
        }
    }

    /// Resident set size now and at its peak, in MB, from /proc.
    fn rss_mb(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(f64::NAN, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
) -> f64 {
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
    n as f64 / start.elapsed().as_secs_f64()
}

/// Reads for `duration`; returns (requests/s, people/s).
async fn reads(client: &reqwest::Client, urls: Vec<String>, duration: Duration) -> (f64, f64) {
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
        requests.load(Ordering::Relaxed) as f64 / secs,
        people.load(Ordering::Relaxed) as f64 / secs,
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
    let created = upserts(&client, &memory.base, 0..20_000, 0).await;
    println!("in memory: create upserts          {created:>9.0} /s");
    let updated = upserts(&client, &memory.base, 0..10_000, 1).await;
    println!("in memory: update upserts          {updated:>9.0} /s");
    let more = upserts(&client, &memory.base, 20_000..100_000, 0).await;
    println!("in memory: create upserts (to 100k) {more:>8.0} /s");
    let (rss, peak) = memory.rss_mb();
    println!("in memory: RSS with 100,000 people {rss:>9.1} MB (peak {peak:.1} MB)");

    let pages: Vec<String> = (1..=1000)
        .map(|p| format!("{}/crm/people?page={p}&count=100", memory.base))
        .collect();
    let (page_rate, people_rate) = reads(&client, pages, Duration::from_secs(3)).await;
    println!("in memory: list pages of 100       {page_rate:>9.0} /s = {people_rate:.0} people/s");

    let first: Value = client
        .get(format!("{}/crm/people?count=100", memory.base))
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
        .map(|p| {
            format!(
                "{}/crm/people/{}",
                memory.base,
                p["id"].as_str().unwrap_or_default()
            )
        })
        .collect();
    let (id_rate, _) = reads(&client, by_id, Duration::from_secs(3)).await;
    println!("in memory: reads by id             {id_rate:>9.0} /s");
    drop(memory);

    let dir = tempfile::tempdir().expect("a temporary directory");
    let state = dir.path().join("bench.db");
    let durable = Served::start(&["--state", state.to_str().unwrap_or_default()]);
    let durable_rate = upserts(&client, &durable.base, 0..10_000, 0).await;
    println!("--state:   create upserts          {durable_rate:>9.0} /s");
    let durable_updates = upserts(&client, &durable.base, 0..5_000, 1).await;
    println!("--state:   update upserts          {durable_updates:>9.0} /s");
}
