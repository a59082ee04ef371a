//! `zeeg validate` on 10,000 people in 100 files (about 2 MB), run as a whole
//! process the way users run it. Prints wall time and peak RSS.
//!
//! `cargo bench --bench validate` generates the input in a temporary folder;
//! `cargo bench --bench validate -- --write DIR` only writes it to DIR.
//! Targets: ≤ 0.5 s wall, ≤ 150 MB peak RSS.
//!
//! Then the costs that must stay linear, each one process measured alone:
//! 20,000 invalid entries reported as text (≤ 2 s), one entry with 80,000
//! emails (the duplicate check), and a 50 MB people file (≤ 3 s, ≤ 500 MB).

#[path = "shared/big_file.rs"]
mod big_file;
#[path = "../tests/it/common.rs"]
mod common;

use big_file::{FIRST, LAST, TITLES};

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const FILES: usize = 100;
const PEOPLE_PER_FILE: usize = 100;
const RUNS: usize = 5;

/// Writes `FILES` people files of `PEOPLE_PER_FILE` people each into `dir`.
fn generate(dir: &Path) -> std::io::Result<u64> {
    let mut bytes = 0;
    for f in 0..FILES {
        let mut text = String::from(
            "# yaml-language-server: $schema=../schema/people.schema.json\ndefaults:\n  matchingAttribute: email\n  companyId: 3c90c3cc-0d44-4b50-8888-8dd25736052a\npeople:\n",
        );
        for p in 0..PEOPLE_PER_FILE {
            let n = f * PEOPLE_PER_FILE + p;
            let first = FIRST[n % FIRST.len()];
            let last = LAST[n / FIRST.len() % LAST.len()];
            let _ = write!(
                text,
                "  - firstName: {first}\n    lastName: {last}\n    emails: [person{n}@acme.example]\n    jobTitle: {title}\n    phoneNumber: \"+49301{n:07}\"\n    customAttributes:\n      customer_tier: {tier}\n",
                title = TITLES[n % TITLES.len()],
                tier = ["gold", "silver", "bronze"][n % 3],
            );
            if n.is_multiple_of(4) {
                let _ = writeln!(
                    text,
                    "    socials:\n      linkedin: https://linkedin.com/in/person{n}"
                );
            }
            if n.is_multiple_of(10) {
                text.push_str(
                    "    description: |\n      Met at the Berlin trade fair.\n      Prefers email over phone.\n",
                );
            }
        }
        bytes += text.len() as u64;
        std::fs::write(dir.join(format!("team-{f:03}.yaml")), text)?;
    }
    Ok(bytes)
}

/// Peak RSS (KiB) and total CPU time of the children waited for so far.
fn children_usage() -> (i64, Duration) {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    if rc != 0 {
        return (-1, Duration::ZERO);
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    (usage.ru_maxrss, time(usage.ru_utime) + time(usage.ru_stime))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--write") {
        let dir = Path::new(args.get(i + 1).expect("--write DIR"));
        std::fs::create_dir_all(dir).expect("create the output folder");
        let bytes = generate(dir).expect("write the people files");
        println!(
            "wrote {FILES} files, {} people, {bytes} bytes into {}",
            FILES * PEOPLE_PER_FILE,
            dir.display()
        );
        return;
    }

    let dir = tempfile::tempdir().expect("a temporary folder");
    let bytes = generate(dir.path()).expect("write the people files");
    let zeeg = env!("CARGO_BIN_EXE_zeeg");
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let out = Command::new(zeeg)
            .args(["--color", "never", "validate"])
            .arg(dir.path())
            .output()
            .expect("zeeg runs");
        times.push(started.elapsed());
        assert!(
            out.status.success(),
            "the generated files are valid:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    times.sort();
    let (rss_kib, cpu) = children_usage();
    // On a shared machine wall time depends on the neighbours; CPU time and
    // the load average say how much.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "validate: {} people in {FILES} files ({:.1} MB): wall min {:.3} s, median {:.3} s, max {:.3} s; CPU {:.3} s per run; peak RSS {:.1} MiB; load average {}",
        FILES * PEOPLE_PER_FILE,
        bytes as f64 / 1e6,
        times[0].as_secs_f64(),
        times[RUNS / 2].as_secs_f64(),
        times[RUNS - 1].as_secs_f64(),
        cpu.as_secs_f64() / RUNS as f64,
        rss_kib as f64 / 1024.0,
        load.split_whitespace().next().unwrap_or("?"),
    );
    println!("targets: wall <= 0.5 s, peak RSS <= 150 MB");

    linear_costs(zeeg, dir.path());
}

/// One `zeeg validate FILE` run alone: its wall time, CPU time (user and
/// system, which the neighbours on a shared machine change far less), peak
/// RSS (KiB) and whether it exited 0.
fn measured(zeeg: &str, file: &Path) -> (Duration, Duration, i64, bool) {
    let started = Instant::now();
    let (output, usage) = common::output_with_usage(
        Command::new(zeeg)
            .args(["--color", "never", "validate"])
            .arg(file),
    );
    (
        started.elapsed(),
        usage.cpu,
        usage.peak_rss_kib,
        output.status.success(),
    )
}

fn linear_costs(zeeg: &str, scratch: &Path) {
    let load = || {
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        load.split_whitespace().next().unwrap_or("?").to_string()
    };

    let bad = scratch.join("bad.yaml");
    let mut text = String::from("people:\n");
    for i in 0..20_000 {
        let _ = write!(
            text,
            "  - firstName: P{i}\n    emails: [not-an-email-{i}]\n"
        );
    }
    std::fs::write(&bad, &text).expect("write");
    let (wall, cpu, rss, ok) = measured(zeeg, &bad);
    assert!(!ok, "the file is invalid");
    println!(
        "validate: 20,000 invalid entries as text: {:.3} s wall, {:.3} s CPU, peak RSS {:.1} MiB; load average {} (target <= 2 s)",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        rss as f64 / 1024.0,
        load()
    );

    let many = scratch.join("many-emails.yaml");
    let mut text = String::from("people:\n  - firstName: Many\n    emails:\n");
    for i in 0..80_000 {
        let _ = writeln!(text, "      - e{i}@acme.example");
    }
    std::fs::write(&many, &text).expect("write");
    let (wall, cpu, _, ok) = measured(zeeg, &many);
    assert!(ok, "the file is valid");
    println!(
        "validate: one entry with 80,000 emails: {:.3} s wall, {:.3} s CPU; load average {}",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        load()
    );

    let big = scratch.join("big.yaml");
    let (text, n) = big_file::fifty_megabytes();
    std::fs::write(&big, &text).expect("write");
    let (wall, cpu, rss, ok) = measured(zeeg, &big);
    assert!(ok, "the file is valid");
    println!(
        "validate: one 50 MB file ({n} people): {:.3} s wall, {:.3} s CPU, peak RSS {:.1} MiB; load average {} (targets <= 3 s, <= 500 MB)",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        rss as f64 / 1024.0,
        load()
    );
}
