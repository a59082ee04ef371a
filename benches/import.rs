//! `zeeg import` of 100,000 people from a sandbox answering after 20 ms.
//!
//! Budget (issue 6): at most 10 s wall and 400 MB peak RSS for the import
//! process. Run with `cargo bench --bench import`; prints the figures.
//! `ZEEG_BENCH_PEOPLE=N` changes the size.

use std::time::Instant;

use serde_json::{Value, json};

const LATENCY_MS: &str = "20";
const WALL_BUDGET_S: f64 = 10.0;
const RSS_BUDGET_MB: f64 = 400.0;

#[path = "../tests/it/common.rs"]
mod common;

fn main() {
    let count: usize = std::env::var("ZEEG_BENCH_PEOPLE")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let tmp = tempfile::tempdir().expect("a temporary folder");

    // Streamed to the file: a bench process holding 100,000 people would
    // make its children's peak RSS meaningless (a spawned child starts as a
    // copy of its parent, and getrusage reports that).
    let seed = tmp.path().join("seed.json");
    write_seed(&seed, count).expect("seed written");

    let started = Instant::now();
    let sandbox =
        common::Sandbox::start(&["--latency", LATENCY_MS, "--seed", &seed.to_string_lossy()]);
    let url = &sandbox.url;
    println!(
        "sandbox seeded with {count} people in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let out = tmp.path().join("people");
    let started = Instant::now();
    let status = common::zeeg()
        .args(["import", "--split-by", "file-size", "--out"])
        .arg(&out)
        .env("ZEEG_API_URL", url)
        .env("ZEEG_API_TOKEN", common::TOKEN)
        .status()
        .expect("zeeg import runs");
    let wall = started.elapsed().as_secs_f64();
    // The largest child that has ended so far: the import (the sandbox still runs).
    let rss_mb = common::peak_children_rss_kib() as f64 / 1024.0;
    drop(sandbox);
    assert!(status.success(), "zeeg import failed: {status}");

    let files = std::fs::read_dir(&out).map(|d| d.count()).unwrap_or(0);
    let bytes: u64 = std::fs::read_dir(&out)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "import of {count} people (latency {LATENCY_MS} ms): {wall:.2} s wall (budget {WALL_BUDGET_S} s), {:.0} people/s",
        count as f64 / wall
    );
    println!("peak RSS of zeeg import: {rss_mb:.1} MB (budget {RSS_BUDGET_MB} MB)");
    println!("wrote {files} files, {:.1} MB of YAML", bytes as f64 / 1e6);
    let within = wall <= WALL_BUDGET_S && rss_mb <= RSS_BUDGET_MB;
    println!(
        "{}",
        if within {
            "within budget"
        } else {
            "OVER BUDGET"
        }
    );
}

/// A person varied by index: both names, one or two emails, a phone for
/// some, multi-line text, a company, socials and custom attributes.
fn person(i: usize) -> Value {
    const LAST: [&str; 4] = ["Doe", "Müller", "null", "田中"];
    const JOB: [&str; 4] = ["Engineer", "yes", "Head of Sales", "- x"];
    const TIER: [&str; 2] = ["gold", "silver"];
    let emails = if i.is_multiple_of(3) {
        json!([format!("p{i}@example.com"), format!("p{i}@alt.example")])
    } else {
        json!([format!("p{i}@example.com")])
    };
    let mut person = json!({
        "firstName": format!("First{i}"),
        "lastName": LAST[i % 4],
        "emails": emails,
        "jobTitle": JOB[i % 4],
        "primaryLocation": "Berlin, Germany",
        "customAttributes": {"tier": TIER[i % 2], "seats": i % 500},
    });
    if i.is_multiple_of(2) {
        person["phoneNumber"] = json!(format!("+4930{i:08}"));
        person["description"] = json!("First line.\nSecond line: with a colon.\n");
    }
    if i.is_multiple_of(5) {
        person["socials"] = json!({"linkedin": format!("https://www.linkedin.com/in/p{i}")});
        person["companyId"] = json!("5f3b8a2e-1c4d-4e6f-9a7b-2d8c0e1f3a45");
    }
    person
}

fn write_seed(path: &std::path::Path, count: usize) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    // The company the people link to must exist: the sandbox refuses an
    // unknown companyId, in a seed as in an upsert.
    file.write_all(
        br#"{"customAttributes": {"tier": "select=gold|silver", "seats": "number"},
            "companies": [{"id": "5f3b8a2e-1c4d-4e6f-9a7b-2d8c0e1f3a45", "name": "Acme", "domain": "acme.example"}],
            "people": ["#,
    )?;
    for i in 0..count {
        if i > 0 {
            file.write_all(b",")?;
        }
        serde_json::to_writer(&mut file, &person(i))?;
    }
    file.write_all(b"]}")?;
    file.flush()
}
