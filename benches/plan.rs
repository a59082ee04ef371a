//! `zeeg plan` at scale: 10,000 entries against a sandbox holding 100,000
//! people, 20 ms latency per request. Targets: ≤ 5 s wall, read requests
//! ≤ min(N, ⌈T/100⌉) + 2, peak RSS ≤ 300 MB. Prints the figures.
//!
//! Run with `cargo bench --bench plan`.

use std::time::Instant;

const LIVE: usize = 100_000;
const ENTRIES: usize = 10_000;

#[path = "../tests/it/common.rs"]
mod common;

fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");

    // Live: p{i}@live.example. Desired: every 10th of them, half with a new
    // job title, so the plan holds creates, updates and unchanged entries.
    let seed: Vec<serde_json::Value> = (0..LIVE)
        .map(|i| {
            serde_json::json!({
                "firstName": format!("Person{i}"),
                "lastName": "Live",
                "emails": [format!("p{i}@live.example")],
                "jobTitle": "Engineer",
            })
        })
        .collect();
    let seed_path = dir.path().join("seed.json");
    std::fs::write(&seed_path, serde_json::to_string(&seed).unwrap()).unwrap();
    let mut yaml = String::from("people:\n");
    for n in 0..ENTRIES {
        let i = n * 10;
        if n % 10 == 9 {
            yaml.push_str(&format!(
                "  - firstName: New{n}\n    emails: [n{n}@new.example]\n"
            ));
        } else {
            let title = if n % 2 == 0 {
                "Engineer"
            } else {
                "Senior Engineer"
            };
            yaml.push_str(&format!(
                "  - firstName: Person{i}\n    lastName: Live\n    emails: [p{i}@live.example]\n    jobTitle: {title}\n"
            ));
        }
    }
    std::fs::create_dir(dir.path().join("people")).unwrap();
    std::fs::write(dir.path().join("people/bench.yaml"), yaml).unwrap();
    std::fs::write(dir.path().join("zeeg.yaml"), "{}\n").unwrap();

    let started = Instant::now();
    let sandbox =
        common::Sandbox::start(&["--latency", "20", "--seed", &seed_path.to_string_lossy()]);
    let url = sandbox.api_url();
    println!(
        "sandbox seeded with {LIVE} people in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let output = common::zeeg()
        .current_dir(dir.path())
        .env("ZEEG_API_URL", &url)
        .env("ZEEG_API_TOKEN", common::TOKEN)
        .args(["-v", "plan", "people", "--format", "json"])
        .output()
        .expect("zeeg plan runs");
    let wall = started.elapsed();
    let rss_kib = common::peak_children_rss_kib();
    drop(sandbox);

    let stderr = String::from_utf8_lossy(&output.stderr);
    for line in stderr.lines().filter(|l| l.contains("elapsed_ms")) {
        println!("log: {}", line.trim());
    }
    assert!(output.status.success(), "zeeg plan failed:\n{stderr}");
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let requests: u64 = stderr
        .lines()
        .find(|l| l.contains("live people read"))
        .and_then(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("requests="))
                .and_then(|n| n.parse().ok())
        })
        .expect("the -v log names the request count");
    let budget = ENTRIES.min(LIVE.div_ceil(100)) as u64 + 2;

    println!("entries: {ENTRIES}, live people: {LIVE}, latency: 20 ms");
    println!("summary: {}", plan["summary"]);
    println!("wall: {:.2} s (target ≤ 5 s)", wall.as_secs_f64());
    println!("read requests: {requests} (target ≤ {budget})");
    println!(
        "peak RSS: {:.1} MB (target ≤ 300 MB)",
        rss_kib as f64 / 1024.0
    );
}
