//! `cargo bench --bench apply`: how fast `zeeg apply` converges against the
//! sandbox, and how much memory it takes. Prints the figures and whether each
//! target of the apply issue is met; never fails on timing.

#[path = "../tests/it/common.rs"]
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::Sandbox;

/// Writes `n` people to `dir/people.yaml`.
fn write_people(dir: &Path, n: usize) {
    let mut yaml = String::with_capacity(n * 100);
    yaml.push_str("people:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  - firstName: Person{i}\n    lastName: Bench\n    emails: [bench{i}@example.com]\n    jobTitle: Engineer\n"
        ));
    }
    std::fs::write(dir.join("people.yaml"), yaml).expect("write people.yaml");
}

struct Measured {
    wall: Duration,
    exit: Option<i32>,
    /// The upsert phase alone, as apply reports it.
    upserts: Duration,
    requests: u64,
    rate_limited: u64,
    created: u64,
    peak_rss_kib: i64,
    /// User and system CPU time of the zeeg process: what the machine's load
    /// does not change much.
    cpu: Duration,
}

/// Runs `zeeg apply --auto-approve --format json` on a fresh project of `n`
/// people against `sandbox`, measuring the child's wall time and peak RSS.
fn apply(sandbox: &Sandbox, n: usize, extra: &[&str]) -> Measured {
    let dir = tempfile::tempdir().expect("temp dir");
    write_people(dir.path(), n);
    let started = Instant::now();
    let (output, usage) = common::output_with_usage(
        sandbox
            .zeeg()
            .args(["apply", "--auto-approve", "--format", "json", "-q"])
            .arg(dir.path())
            .args(extra),
    );
    let wall = started.elapsed();
    let exit = output.status.code();
    // What zeeg said on stderr (retry lines, say), as it would have shown.
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    let json: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("apply printed no JSON ({e}): {text}"));
    let stats = &json["stats"];
    Measured {
        wall,
        exit,
        upserts: Duration::from_secs_f64(stats["upsertSeconds"].as_f64().unwrap_or(0.0)),
        requests: stats["requests"].as_u64().unwrap_or(0),
        rate_limited: stats["rateLimited"].as_u64().unwrap_or(0),
        created: json["summary"]["created"].as_u64().unwrap_or(0),
        peak_rss_kib: usage.peak_rss_kib,
        cpu: usage.cpu,
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}

/// Live people of the sandbox and how many distinct emails they hold: a
/// duplicate would show as more people than emails.
fn people_in(sandbox: &Sandbox) -> (usize, usize) {
    use zeeg::api::{Client, ClientConfig, Token};
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let config = ClientConfig::new(Token::new(common::TOKEN)).with_base_url(sandbox.api_url());
    let client = Client::new(config).expect("a client");
    let people = runtime
        .block_on(client.list_all())
        .expect("the sandbox lists its people");
    let emails: std::collections::HashSet<&str> = people
        .iter()
        .filter_map(|p| p.emails.first().map(String::as_str))
        .collect();
    (people.len(), emails.len())
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// A rate-limited run: wall time and share of 429s against a bound.
fn rate_case(n: usize, limit: u32, bound: f64, share_bound: f64) {
    let sandbox = Sandbox::start(&["--rate-limit", &limit.to_string()]);
    let m = apply(&sandbox, n, &[]);
    let share = m.rate_limited as f64 / m.requests.max(1) as f64;
    println!(
        "rate-limit {limit}/s, {n} creates: wall {:.2} s (upserts {:.2} s, target ≤ {bound:.1} s) {}; \
         {} requests, {} answered 429 ({:.1}%, target ≤ {:.0}%) {}; created {} [load {}]",
        m.wall.as_secs_f64(),
        m.upserts.as_secs_f64(),
        verdict(m.wall.as_secs_f64() <= bound),
        m.requests,
        m.rate_limited,
        share * 100.0,
        share_bound * 100.0,
        verdict(share <= share_bound),
        m.created,
        load(),
    );
}

fn main() {
    let only = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let wanted = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));

    // 1. Faults: 300 creates, 15% of requests failing (500 or a dropped
    //    connection).
    if wanted("faults") {
        let sandbox = Sandbox::start(&["--fail-rate", "0.15"]);
        let m = apply(&sandbox, 300, &[]);
        let (people, distinct) = people_in(&sandbox);
        println!(
            "fail-rate 0.15, 300 creates: wall {:.2} s (target ≤ 10 s) {}; {} requests; \
             {people} people, {} duplicates (target 300, 0) {}; exit {:?} [load {}]",
            m.wall.as_secs_f64(),
            verdict(m.wall.as_secs_f64() <= 10.0),
            m.requests,
            people - distinct,
            verdict(people == 300 && distinct == 300),
            m.exit,
            load(),
        );
    }

    // 2. Rate limits: 2,000 creates at 100/s, 200 at 50/s.
    if wanted("rate") {
        rate_case(2_000, 100, 22.0, 0.03);
        rate_case(200, 50, 4.4, 0.05);
    }

    // 3. 10,000 creates against 5 ms latency, 32 in flight; peak RSS.
    if wanted("latency") {
        let sandbox = Sandbox::start(&["--latency", "5"]);
        let m = apply(&sandbox, 10_000, &["--parallelism", "32"]);
        let rate = m.created as f64 / m.upserts.as_secs_f64().max(1e-9);
        let rss_mb = m.peak_rss_kib as f64 / 1024.0;
        println!(
            "latency 5 ms, 10000 creates, --parallelism 32: wall {:.2} s, upserts {:.2} s = {rate:.0} upserts/s \
             (target ≥ 4685) {}; zeeg CPU {:.0} µs per upsert; peak RSS {rss_mb:.1} MB (target ≤ 100) {}; created {} [load {}]",
            m.wall.as_secs_f64(),
            m.upserts.as_secs_f64(),
            verdict(rate >= 4685.0),
            m.cpu.as_secs_f64() * 1e6 / m.created.max(1) as f64,
            verdict(rss_mb <= 100.0),
            m.created,
            load(),
        );
    }

    // 4. Default parallelism against one request at a time.
    if wanted("parallel") {
        let n = 1_000;
        let default = {
            let sandbox = Sandbox::start(&["--latency", "5"]);
            apply(&sandbox, n, &[])
        };
        let sequential = {
            let sandbox = Sandbox::start(&["--latency", "5"]);
            apply(&sandbox, n, &["--parallelism", "1"])
        };
        let ratio = default.upserts.as_secs_f64() / sequential.upserts.as_secs_f64().max(1e-9);
        println!(
            "latency 5 ms, {n} creates: default parallelism {:.2} s, sequential {:.2} s, \
             ratio {ratio:.3} (target ≤ 0.25) {} [load {}]",
            default.upserts.as_secs_f64(),
            sequential.upserts.as_secs_f64(),
            verdict(ratio <= 0.25),
            load(),
        );
    }

    // 5. A dead network: nothing listens, and a name that does not resolve.
    if wanted("dead") {
        for (what, url, bound) in [
            (
                "connection refused",
                "http://127.0.0.1:9/v2".to_string(),
                15.0,
            ),
            (
                "unknown host",
                "https://zeeg-unknown-host.invalid/v2".to_string(),
                3.0,
            ),
        ] {
            let dir = tempfile::tempdir().expect("temp dir");
            write_people(dir.path(), 2);
            let started = Instant::now();
            let out = common::zeeg()
                .env("ZEEG_API_URL", &url)
                .env("ZEEG_API_TOKEN", common::TOKEN)
                .arg("plan")
                .arg(dir.path())
                .output()
                .expect("zeeg runs");
            let wall = started.elapsed().as_secs_f64();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let retries = stderr
                .lines()
                .filter(|l| l.starts_with("retrying "))
                .count();
            println!(
                "{what}: exit {:?} after {wall:.2} s (target 1 within {bound} s) {}; {retries} retry lines [load {}]",
                out.status.code(),
                verdict(out.status.code() == Some(1) && wall <= bound),
                load(),
            );
        }
    }
}
