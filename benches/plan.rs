//! `zeeg plan` at scale, against a sandbox with 20 ms latency per request:
//!
//! 1. companies: 10,000 entries across 1,000 companies (declared, 50 of them
//!    new and 100 renamed) against 100,000 live people and 10,000 live
//!    companies. Targets: ≤ 5 s wall, ≤ 300 MB peak RSS, and at most 1.2× the
//!    read requests of the same plan without companies (case 2).
//! 2. people only: 10,000 entries against 100,000 live people. Targets:
//!    ≤ 5 s wall, read requests ≤ min(N, ⌈T/100⌉) + 2.
//!
//! 3. big (`cargo bench --bench plan big`): the 50 MB people file (356,100
//!    people) with the in-process sandbox, `zeeg plan --sandbox` as text and
//!    as JSON against an empty sandbox, `zeeg apply --sandbox
//!    --auto-approve` of it, then both plans again against the sandbox now
//!    holding those people. Targets: each plan ≤ 400 MB peak RSS and ≤ 8 s
//!    wall, the apply ≤ 450 MB.
//!
//! Prints the figures. Run with `cargo bench --bench plan [people|big]`.

use std::path::Path;
use std::time::{Duration, Instant};

const LIVE: usize = 100_000;
const ENTRIES: usize = 10_000;
const LIVE_COMPANIES: usize = 10_000;
const COMPANIES: usize = 1_000;

#[path = "shared/big_file.rs"]
mod big_file;
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
    let only = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let wanted = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    if wanted("people") {
        people_and_companies();
    }
    if wanted("big") {
        big_file_with_sandbox();
    }
}

/// A whole `zeeg` run in `dir` with stdout to `out`: wall time, CPU time,
/// peak RSS (MiB) and exit status. Through `sh -c exec`, so the process
/// measured is zeeg itself and its output never passes through the bench.
fn measured_run(dir: &Path, args: &[&str], out: &Path) -> (Duration, Duration, f64, bool) {
    let mut command = std::process::Command::new("sh");
    command
        .current_dir(dir)
        .arg("-c")
        .arg("out=$1; shift; exec \"$@\" > \"$out\"")
        .arg("sh")
        .arg(out)
        .arg(common::zeeg_bin())
        .args(args);
    let started = Instant::now();
    let (output, usage) = common::output_with_usage(&mut command);
    let wall = started.elapsed();
    if !output.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    }
    (
        wall,
        usage.cpu,
        usage.peak_rss_kib as f64 / 1024.0,
        output.status.success(),
    )
}

fn load() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    load.split_whitespace().next().unwrap_or("?").to_string()
}

fn big_file_with_sandbox() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let people = dir.path().join("people");
    std::fs::create_dir_all(&people).expect("the people folder");
    let (text, n) = big_file::fifty_megabytes();
    std::fs::write(people.join("big.yaml"), &text).expect("the people file");
    drop(text);
    std::fs::write(dir.path().join("zeeg.yaml"), "{}\n").expect("zeeg.yaml");
    let out = dir.path().join("out");
    let plan = |against: &str| {
        for format in ["text", "json"] {
            let (wall, cpu, rss, ok) = measured_run(
                dir.path(),
                &[
                    "--color",
                    "never",
                    "plan",
                    "--sandbox",
                    "people",
                    "--format",
                    format,
                ],
                &out,
            );
            assert!(ok, "zeeg plan failed");
            let bytes = std::fs::metadata(&out).map_or(0, |m| m.len());
            if format == "json" {
                // Checked without holding it: the bench's own memory would
                // count in the peak RSS of the next child it starts.
                let file = std::fs::File::open(&out).expect("the plan");
                let _: serde::de::IgnoredAny =
                    serde_json::from_reader(std::io::BufReader::new(file))
                        .expect("one JSON document");
                let mut head = String::new();
                let file = std::fs::File::open(&out).expect("the plan");
                std::io::Read::read_to_string(&mut std::io::Read::take(file, 300), &mut head)
                    .expect("the plan's start");
                let summary = head.find("\"summary\"").map_or("", |at| &head[at..]);
                let summary: Vec<&str> = summary.split_whitespace().take(8).collect();
                println!("  {}", summary.join(" "));
            }
            println!(
                "plan --sandbox of {n} people against {against}, {format}: {:.2} s wall, {:.2} s CPU, \
                 peak RSS {rss:.1} MiB, {:.1} MB of output (targets ≤ 8 s, ≤ 400 MB) [load {}]",
                wall.as_secs_f64(),
                cpu.as_secs_f64(),
                bytes as f64 / 1e6,
                load()
            );
        }
    };
    plan("an empty sandbox");
    let (wall, cpu, rss, ok) = measured_run(
        dir.path(),
        &[
            "--color",
            "never",
            "-q",
            "apply",
            "--sandbox",
            "--auto-approve",
            "people",
        ],
        &out,
    );
    assert!(ok, "zeeg apply failed");
    println!(
        "apply --sandbox --auto-approve of {n} people: {:.2} s wall, {:.2} s CPU ({:.1} µs per entry), \
         peak RSS {rss:.1} MiB (target ≤ 450 MB) [load {}]",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / n as f64,
        load()
    );
    plan("the sandbox holding them");
}

fn people_and_companies() {
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
