//! `zeeg plan` at scale, against a sandbox with 20 ms latency per request:
//!
//! 1. companies: 10,000 entries across 1,000 companies (declared, 50 of them
//!    new and 100 renamed) against 100,000 live people and 10,000 live
//!    companies. Targets: ≤ 5 s wall, ≤ 300 MB peak RSS, and at most 1.2× the
//!    read requests of the same plan without companies (case 2).
//! 2. people only: 10,000 entries against 100,000 live people. Targets:
//!    ≤ 5 s wall, read requests ≤ min(N, ⌈T/100⌉) + 2.
//!
//! Prints the figures. Run with `cargo bench --bench plan`.

use std::path::Path;
use std::time::{Duration, Instant};

const LIVE: usize = 100_000;
const ENTRIES: usize = 10_000;
const LIVE_COMPANIES: usize = 10_000;
const COMPANIES: usize = 1_000;

#[path = "../tests/it/common.rs"]
mod common;

/// What one `zeeg plan` run took.
struct Figures {
    wall: Duration,
    requests: u64,
    /// Of the zeeg process alone (the sandbox is still running, so it is
    /// not among the children waited for).
    rss_mb: f64,
    summary: serde_json::Value,
    companies: serde_json::Value,
}

fn company_id(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// Live: p{i}@live.example, person i at company i % 10,000 (c{k}.example).
///
/// Written line by line rather than built as one JSON value: the bench's own
/// memory would otherwise count in the peak RSS of the children it starts
/// (a child shares its parent's pages until it execs).
fn seed(dir: &Path) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.join("seed.json");
    let file = std::fs::File::create(&path).expect("the seed file");
    let mut out = std::io::BufWriter::new(file);
    let mut write = |text: String| out.write_all(text.as_bytes()).expect("the seed is written");
    write("{\"companies\": [\n".into());
    for k in 0..LIVE_COMPANIES {
        let comma = if k + 1 < LIVE_COMPANIES { "," } else { "" };
        let company = serde_json::json!({"id": company_id(k), "name": format!("Company {k}"), "domain": format!("c{k}.example")});
        write(format!("{company}{comma}\n"));
    }
    write("],\n\"people\": [\n".into());
    for i in 0..LIVE {
        let comma = if i + 1 < LIVE { "," } else { "" };
        let person = serde_json::json!({
            "firstName": format!("Person{i}"),
            "lastName": "Live",
            "emails": [format!("p{i}@live.example")],
            "jobTitle": "Engineer",
            "companyId": company_id(i % LIVE_COMPANIES),
        });
        write(format!("{person}{comma}\n"));
    }
    write("]}\n".into());
    out.flush().expect("the seed is written");
    path
}

/// Desired: every 10th live person (some with a new job title) and a few
/// new people; with companies, entry n works at c{n % 1000}.example (or, for
/// the last 50 companies, at a new one), and the 1,000 are declared.
fn people_files(dir: &Path, with_companies: bool) {
    let domain = |n: usize| match n % COMPANIES {
        k if k >= COMPANIES - 50 => format!("new{k}.example"),
        k => format!("c{k}.example"),
    };
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
        if with_companies {
            yaml.push_str(&format!("    company: {}\n", domain(n)));
        }
    }
    let people = dir.join("people");
    std::fs::create_dir_all(&people).unwrap();
    std::fs::write(people.join("bench.yaml"), yaml).unwrap();
    if with_companies {
        let mut companies = String::from("companies:\n");
        for k in 0..COMPANIES {
            // Every 10th existing company is renamed.
            let name = if k % 10 == 0 {
                format!("Company {k} Renamed")
            } else {
                format!("Company {k}")
            };
            companies.push_str(&format!("  - domain: {}\n    name: {name}\n", domain(k)));
        }
        std::fs::write(people.join("companies.yaml"), companies).unwrap();
    }
    std::fs::write(dir.join("zeeg.yaml"), "{}\n").unwrap();
}

fn run_plan(dir: &Path, url: &str) -> Figures {
    let started = Instant::now();
    let (output, usage) = common::output_with_usage(
        common::zeeg()
            .current_dir(dir)
            .env("ZEEG_API_URL", url)
            .env("ZEEG_API_TOKEN", common::TOKEN)
            .args(["-v", "plan", "people", "--format", "json"]),
    );
    let wall = started.elapsed();
    let rss_kib = usage.peak_rss_kib;
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
    Figures {
        wall,
        requests,
        rss_mb: rss_kib as f64 / 1024.0,
        summary: plan["summary"].clone(),
        companies: plan["companies"]["summary"].clone(),
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let seed_path = seed(dir.path());
    let started = Instant::now();
    let sandbox =
        common::Sandbox::start(&["--latency", "20", "--seed", &seed_path.to_string_lossy()]);
    let url = sandbox.api_url();
    println!(
        "sandbox seeded with {LIVE} people and {LIVE_COMPANIES} companies in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    let with = tempfile::tempdir().expect("a temporary folder");
    people_files(with.path(), true);
    let companies = run_plan(with.path(), &url);
    let without = tempfile::tempdir().expect("a temporary folder");
    people_files(without.path(), false);
    let people = run_plan(without.path(), &url);
    drop(sandbox);

    let budget = ENTRIES.min(LIVE.div_ceil(100)) as u64 + 2;
    println!("latency: 20 ms; live: {LIVE} people, {LIVE_COMPANIES} companies");
    println!(
        "with companies ({ENTRIES} entries across {COMPANIES} declared companies): people {}, companies {}",
        companies.summary, companies.companies
    );
    println!(
        "  wall: {:.2} s (target ≤ 5 s); read requests: {} = {:.3}× those without companies (target ≤ 1.2×); peak RSS: {:.1} MB (target ≤ 300 MB)",
        companies.wall.as_secs_f64(),
        companies.requests,
        companies.requests as f64 / people.requests as f64,
        companies.rss_mb
    );
    println!(
        "people only ({ENTRIES} entries): {}\n  wall: {:.2} s (target ≤ 5 s); read requests: {} (target ≤ {budget}); peak RSS: {:.1} MB",
        people.summary,
        people.wall.as_secs_f64(),
        people.requests,
        people.rss_mb
    );
}
