//! `cargo bench --bench apply`: how fast `zeeg apply` converges against the
//! sandbox, and how much memory it takes. Prints the figures and whether each
//! target of the apply issue is met; never fails on timing.

#[path = "../tests/it/common.rs"]
mod common;

use std::path::Path;
use std::process::Stdio;
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
    /// The upsert phase alone, as apply reports it.
    upserts: Duration,
    requests: u64,
    rate_limited: u64,
    created: u64,
    peak_rss_kib: i64,
}

/// Runs `zeeg apply --auto-approve --format json` on a fresh project of `n`
/// people against `sandbox`, measuring the child's wall time and peak RSS.
fn apply(sandbox: &Sandbox, n: usize, extra: &[&str]) -> Measured {
    let dir = tempfile::tempdir().expect("temp dir");
    write_people(dir.path(), n);
    let started = Instant::now();
    // Reaped below with wait4, which also reports the child's peak RSS.
    #[allow(clippy::zombie_processes)]
    let child = sandbox
        .zeeg()
        .args(["apply", "--auto-approve", "--format", "json", "-q"])
        .arg(dir.path())
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("zeeg runs");
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).expect("read stdout");
        text
    });
    let mut status = 0;
    // SAFETY: plain FFI; `usage` is a zeroed out-parameter.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(waited, pid, "wait4");
    let text = reader.join().expect("reader");
    let json: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("apply printed no JSON ({e}): {text}"));
    let stats = &json["stats"];
    Measured {
        wall,
        upserts: Duration::from_secs_f64(stats["upsertSeconds"].as_f64().unwrap_or(0.0)),
        requests: stats["requests"].as_u64().unwrap_or(0),
        rate_limited: stats["rateLimited"].as_u64().unwrap_or(0),
        created: json["summary"]["created"].as_u64().unwrap_or(0),
        peak_rss_kib: usage.ru_maxrss,
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}

fn main() {
    // 1. 2,000 creates against 200 requests per second.
    {
        let sandbox = Sandbox::start(&["--rate-limit", "200"]);
        let m = apply(&sandbox, 2_000, &[]);
        let share = m.rate_limited as f64 / m.requests.max(1) as f64;
        let bound = 1.15 * 10.0;
        println!(
            "rate-limit 200/s, 2000 creates: wall {:.2} s (upserts {:.2} s, target ≤ {bound:.1} s) {}; \
             {} requests, {} answered 429 ({:.1}%, target ≤ 5%) {}; created {}",
            m.wall.as_secs_f64(),
            m.upserts.as_secs_f64(),
            verdict(m.wall.as_secs_f64() <= bound),
            m.requests,
            m.rate_limited,
            share * 100.0,
            verdict(share <= 0.05),
            m.created,
        );
    }

    // 2. 10,000 creates against 5 ms latency, 32 in flight; peak RSS.
    {
        let sandbox = Sandbox::start(&["--latency", "5"]);
        let m = apply(&sandbox, 10_000, &["--parallelism", "32"]);
        let rate = m.created as f64 / m.upserts.as_secs_f64().max(1e-9);
        let rss_mb = m.peak_rss_kib as f64 / 1024.0;
        println!(
            "latency 5 ms, 10000 creates, --parallelism 32: wall {:.2} s, upserts {:.2} s = {rate:.0} upserts/s \
             (target ≥ 3000) {}; peak RSS {rss_mb:.1} MB (target ≤ 200) {}; created {}",
            m.wall.as_secs_f64(),
            m.upserts.as_secs_f64(),
            verdict(rate >= 3000.0),
            verdict(rss_mb <= 200.0),
            m.created,
        );
    }

    // 3. Default parallelism against one request at a time.
    {
        let n = 2_000;
        let default = {
            let sandbox = Sandbox::start(&["--latency", "5"]);
            apply(&sandbox, n, &[])
        };
        let sequential = {
            let sandbox = Sandbox::start(&["--latency", "5"]);
            apply(&sandbox, n, &["--parallelism", "1"])
        };
        let speedup = sequential.upserts.as_secs_f64() / default.upserts.as_secs_f64().max(1e-9);
        println!(
            "latency 5 ms, {n} creates: default parallelism {:.2} s, sequential {:.2} s, \
             speed-up {speedup:.1}× (target ≥ 3×) {}",
            default.upserts.as_secs_f64(),
            sequential.upserts.as_secs_f64(),
            verdict(speedup >= 3.0),
        );
    }
}
