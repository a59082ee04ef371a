//! `zeeg plan` at scale: 10,000 entries against a sandbox holding 100,000
//! people, 20 ms latency per request. Targets: ≤ 5 s wall, read requests
//! ≤ min(N, ⌈T/100⌉) + 2, peak RSS ≤ 300 MB. Prints the figures.
//!
//! Run with `cargo bench --bench plan`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

const LIVE: usize = 100_000;
const ENTRIES: usize = 10_000;
const TOKEN: &str = "bench-token";

fn main() {
    let zeeg = env!("CARGO_BIN_EXE_zeeg");
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
    let mut sandbox = Command::new(zeeg)
        .args([
            "sandbox",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--token",
            TOKEN,
        ])
        .args(["--latency", "20", "--seed"])
        .arg(&seed_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the sandbox starts");
    let mut lines = BufReader::new(sandbox.stdout.take().unwrap()).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("listening on ") {
                    break format!("{}/v2", url.trim());
                }
            }
            _ => panic!("the sandbox exited before it listened"),
        }
    };
    std::thread::spawn(move || for _ in lines {});
    println!(
        "sandbox seeded with {LIVE} people in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let output = Command::new(zeeg)
        .current_dir(dir.path())
        .env("ZEEG_API_URL", &url)
        .env("ZEEG_API_TOKEN", TOKEN)
        .env_remove("CI")
        .args(["-v", "plan", "people", "--format", "json"])
        .output()
        .expect("zeeg plan runs");
    let wall = started.elapsed();
    let rss_kib = peak_child_rss_kib();
    let _ = sandbox.kill();
    let _ = sandbox.wait();

    let stderr = strip_ansi(&String::from_utf8_lossy(&output.stderr));
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

/// The largest peak resident set of the children waited for so far (the
/// sandbox is still running, so this is `zeeg plan`'s).
fn peak_child_rss_kib() -> i64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss
}

/// The log is styled even into a pipe; the figures are read without styles.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
