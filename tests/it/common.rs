//! The shared test context: running `zeeg` with a clean environment, and
//! starting a sandbox on a free loopback port.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The token every test sandbox accepts for reading and writing.
pub const TOKEN: &str = "test-token";
/// A token that may only read.
pub const READ_TOKEN: &str = "read-token";

/// The `zeeg` binary under test.
pub fn zeeg_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_zeeg"))
}

/// A `zeeg` command whose environment does not leak from the caller's: no
/// `CI`, no `NO_COLOR`, no `ZEEG_*`, no terminal.
pub fn zeeg() -> Command {
    let mut command = Command::new(zeeg_bin());
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key == "CI" || key == "NO_COLOR" || key.starts_with("ZEEG_") || key == "RUST_LOG" {
            command.env_remove(&*key);
        }
    }
    command.env("RUST_BACKTRACE", "0");
    command.stdin(Stdio::null());
    command
}

/// Runs a command and returns its output, as text, with the exit code.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(command: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the zeeg binary runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// A `zeeg sandbox serve` child process on a free loopback port; killed on drop.
pub struct Sandbox {
    pub child: Child,
    pub url: String,
}

impl Sandbox {
    /// Starts a sandbox accepting [`TOKEN`] (read and write) and [`READ_TOKEN`]
    /// (read only), plus `extra` arguments.
    pub fn start(extra: &[&str]) -> Sandbox {
        let mut command = zeeg();
        command
            .args(["-q", "sandbox", "serve", "--addr", "127.0.0.1:0"])
            .args(["--token", TOKEN])
            .args(["--token", &format!("{READ_TOKEN}:crm:read")])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().expect("the sandbox starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.trim().to_string();
                    }
                }
                _ => {
                    let _ = child.kill();
                    panic!("the sandbox exited before it listened");
                }
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Sandbox { child, url }
    }

    /// The API base URL (`http://127.0.0.1:PORT/v2`), as the sandbox prints it.
    pub fn api_url(&self) -> String {
        self.url.clone()
    }

    /// A `zeeg` command pointed at this sandbox with the read-write token.
    pub fn zeeg(&self) -> Command {
        let mut command = zeeg();
        command
            .env("ZEEG_API_URL", self.api_url())
            .env("ZEEG_API_TOKEN", TOKEN);
        command
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The largest peak resident set, in KiB, of the child processes waited for so
/// far (benchmarks read it after a `zeeg` run, while the sandbox still runs).
pub fn peak_children_rss_kib() -> i64 {
    // SAFETY: getrusage only writes into the zeroed struct we own.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage.ru_maxrss
    }
}

/// Resident set size now and at its peak (VmRSS, VmHWM) of a process, in MB,
/// from /proc; NaN where /proc does not say.
pub struct Memory {
    pub rss_mb: f64,
    pub hwm_mb: f64,
}

pub fn memory(pid: u32) -> Memory {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    Memory {
        rss_mb: field("VmRSS:"),
        hwm_mb: field("VmHWM:"),
    }
}

/// CPU seconds (user + system) a process has used so far, from a
/// `/proc/PID/stat` file (`/proc/self/stat` for this one); NaN if unreadable.
pub fn cpu_seconds(stat_path: &str) -> f64 {
    let stat = std::fs::read_to_string(stat_path).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) if per_second > 0.0 => (user + system) / per_second,
        _ => f64::NAN,
    }
}

/// The repository root, for fixtures and examples.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}
