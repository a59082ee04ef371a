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

/// A run as a snapshot shows it: the command line (with the `CI` and
/// `NO_COLOR` it sets), the exit code, then stdout and stderr, each under its
/// own heading so that an empty one shows as empty.
pub fn shown(command: &Command, run: &Run) -> String {
    let mut line = String::from("$");
    for (key, value) in command.get_envs() {
        if let (Some(key @ ("CI" | "NO_COLOR")), Some(value)) = (key.to_str(), value) {
            line.push_str(&format!(" {key}={}", value.to_string_lossy()));
        }
    }
    line.push_str(" zeeg");
    for arg in command.get_args() {
        let arg = arg.to_string_lossy();
        // Quoted as a shell would need it, so the line can be pasted.
        if arg.is_empty()
            || arg.contains(|c: char| c.is_whitespace() || "*?[]{}$'\"\\|&;<>()`!#~".contains(c))
        {
            line.push_str(&format!(" '{}'", arg.replace('\'', r"'\''")));
        } else {
            line.push_str(&format!(" {arg}"));
        }
    }
    format!(
        "{line}\nexit code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
        run.code, run.stdout, run.stderr
    )
}

/// A snapshot filter for the ids a sandbox makes, for the snapshots that show
/// them (the ids a test seeds are its own, and kept).
pub const ID_FILTER: (&str, &str) = (
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "[id]",
);

/// Snapshot settings that filter out what differs from run to run in
/// zeeg's output, the temporary folders and the loopback ports, then
/// whatever the `extra` filters (regex, replacement) say, such as
/// [`ID_FILTER`].
pub fn snapshot_settings(extra: &[(&str, &str)]) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let temp = std::env::temp_dir();
    let temp = temp.to_string_lossy();
    let temp = escaped(temp.trim_end_matches('/'));
    settings.add_filter(&format!(r"{temp}/\.tmp[A-Za-z0-9]+"), "[temp]");
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    for (regex, replacement) in extra {
        settings.add_filter(regex, *replacement);
    }
    settings
}

/// `text` as a regular expression that matches only itself.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Runs a `zeeg` command and snapshots its command line, exit code, stdout
/// and stderr together (see [`shown`]) as `name`, through the filters of
/// [`snapshot_settings`] and any extra `[(regex, replacement), …]`; returns
/// the run. For the runs whose whole output is the behaviour: one snapshot
/// says all of it, as a user would see it. Messages wrap at 100 columns
/// before the filters apply, so a path in one is best given relative to the
/// folder the run is in: the wrap then never depends on the temporary
/// folder's length.
#[macro_export]
macro_rules! zeeg_snapshot {
    ($name:expr, $command:expr) => {
        $crate::zeeg_snapshot!($name, $command, [])
    };
    ($name:expr, $command:expr, [$($filter:expr),* $(,)?]) => {
        // A match keeps the temporaries of `$command` (`zeeg().args(…)`)
        // alive to its end, where a `let` would drop them.
        match $command {
            command => {
                let command: &mut std::process::Command = command;
                let run = $crate::common::run(command);
                let mut settings = $crate::common::snapshot_settings(&[$($filter),*]);
                settings.set_omit_expression(true);
                settings.bind(|| {
                    insta::assert_snapshot!($name, $crate::common::shown(command, &run));
                });
                run
            }
        }
    };
}

/// Runs `command_line` (a shell line, with the `zeeg` binary's full path) on
/// a pseudo-terminal (util-linux `script`) in `dir`, with `env` and no `CI` or
/// `NO_COLOR`, typing `answer`. The terminal merges stderr into stdout.
pub fn on_a_terminal(command_line: &str, dir: &Path, env: &[(&str, &str)], answer: &str) -> Run {
    let mut script = Command::new("script");
    script
        .args(["-q", "-e", "-c", command_line, "/dev/null"])
        .current_dir(dir)
        .envs(env.iter().copied())
        .env_remove("CI")
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut process = script.spawn().expect("util-linux `script` runs");
    if let Some(mut stdin) = process.stdin.take() {
        std::io::Write::write_all(&mut stdin, answer.as_bytes()).expect("the answer is typed");
    }
    let output = process.wait_with_output().expect("the run finishes");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).replace('\r', ""),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
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

/// What one child process cost, as the kernel counted it.
#[allow(dead_code)] // used by the benchmarks only
pub struct Usage {
    pub peak_rss_kib: i64,
    /// User and system CPU time.
    pub cpu: std::time::Duration,
}

/// Runs `command` to its end like `Command::output`, and also returns its
/// own peak RSS and CPU time (`wait4`), whatever other children ran before.
// wait4 reaps the child itself.
#[allow(dead_code, clippy::zombie_processes)]
pub fn output_with_usage(command: &mut Command) -> (Output, Usage) {
    use std::os::unix::process::ExitStatusExt;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                pipe.read_to_end(&mut bytes).expect("the pipe reads");
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let mut status = 0;
    // SAFETY: wait4 writes into the zeroed struct and status we own; the
    // child is ours and waited for exactly once.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let time = |t: libc::timeval| {
        std::time::Duration::from_secs(t.tv_sec as u64)
            + std::time::Duration::from_micros(t.tv_usec as u64)
    };
    let output = Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: stdout.join().expect("stdout drained"),
        stderr: stderr.join().expect("stderr drained"),
    };
    let usage = Usage {
        peak_rss_kib: usage.ru_maxrss,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
    };
    (output, usage)
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

/// A temporary project folder holding `files` (a path relative to the
/// folder, and its text); folders are made as needed.
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_files(dir.path(), files);
    dir
}

/// Writes `files` (relative paths and texts) under `dir`, making folders.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("a folder in the project");
        }
        std::fs::write(path, text).expect("a file in the project");
    }
}

/// The repository root, for fixtures and examples.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Direct calls to a sandbox, bypassing zeeg: blocking ones for tests that
/// check what a run of zeeg left there, `async` ones (whose answers keep
/// their status) for the tests of the sandbox itself.
#[allow(dead_code)] // not every test module or bench uses it
pub struct Api {
    /// The API base URL.
    pub base: String,
    pub http: reqwest::Client,
    /// For the blocking calls, made at the first: an `async` test must not
    /// drop a runtime.
    runtime: std::sync::OnceLock<tokio::runtime::Runtime>,
}

#[allow(dead_code)]
impl Api {
    pub fn new(sandbox: &Sandbox) -> Api {
        Api {
            base: sandbox.api_url(),
            http: reqwest::Client::new(),
            runtime: std::sync::OnceLock::new(),
        }
    }

    fn block_on<T>(&self, task: impl std::future::Future<Output = T>) -> T {
        self.runtime
            .get_or_init(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime")
            })
            .block_on(task)
    }

    pub fn get(&self, path_and_query: &str) -> serde_json::Value {
        let url = format!("{}{path_and_query}", self.base);
        self.block_on(async {
            // The sandbox may run with --fail-rate: try until it answers.
            for _ in 0..50 {
                let answer = self.http.get(&url).bearer_auth(TOKEN).send().await;
                if let Ok(answer) = answer
                    && answer.status().is_success()
                {
                    return answer.json::<serde_json::Value>().await.unwrap();
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            panic!("the sandbox did not answer GET {path_and_query}");
        })
    }

    /// How many people the sandbox holds.
    pub fn total(&self) -> u64 {
        self.get("/crm/people?page=1&count=1")["pagination"]["total"]
            .as_u64()
            .unwrap()
    }

    /// Every person whose emails contain `email`.
    pub fn find(&self, email: &str) -> Vec<serde_json::Value> {
        let found = self.get(&format!("/crm/people?page=1&count=100&search={email}"));
        found["collection"].as_array().unwrap().clone()
    }

    /// The one person with this primary email.
    pub fn person(&self, email: &str) -> serde_json::Value {
        let found: Vec<serde_json::Value> = self
            .find(email)
            .into_iter()
            .filter(|p| p["emails"][0] == email)
            .collect();
        assert_eq!(found.len(), 1, "exactly one person with {email}");
        found.into_iter().next().unwrap()
    }

    /// Upserts a person matched by email.
    pub fn upsert(&self, body: serde_json::Value) {
        self.put("/crm/people?matchingAttribute=email", body);
    }

    /// PUTs `body` to `path_and_query`, asserting success.
    pub fn put(&self, path_and_query: &str, body: serde_json::Value) {
        let url = format!("{}{path_and_query}", self.base);
        self.block_on(async {
            let answer = self
                .http
                .put(&url)
                .bearer_auth(TOKEN)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(
                answer.status().is_success(),
                "direct PUT: {}",
                answer.status()
            );
        })
    }

    /// PATCHes `body` to `path`: the status and the answer.
    pub fn patch(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let url = format!("{}{path}", self.base);
        self.block_on(self.send(self.http.patch(&url).bearer_auth(TOKEN).json(&body)))
    }

    /// Sends `request`: the status, and the body as JSON (as a JSON string
    /// when it is none).
    pub async fn send(&self, request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
        let response = request.send().await.expect("the sandbox answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a complete body");
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        (status, body)
    }

    /// `PUT /crm/people?matchingAttribute=SLUG` with a raw body and the write token.
    pub async fn upsert_raw(&self, slug: &str, body: &str) -> (u16, serde_json::Value) {
        self.send(
            self.http
                .put(format!("{}/crm/people?matchingAttribute={slug}", self.base))
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
        .await
    }

    /// [`Api::upsert_raw`] of a JSON body.
    pub async fn upsert_by(&self, slug: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.upsert_raw(slug, &body.to_string()).await
    }

    /// `PUT /crm/companies?QUERY` with the write token.
    pub async fn put_company(
        &self,
        query: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.send(
            self.http
                .put(format!("{}/crm/companies?{query}", self.base))
                .bearer_auth(TOKEN)
                .json(&body),
        )
        .await
    }

    /// Asserts a company by domain, which must answer 200 or 201.
    pub async fn assert_company(&self, body: serde_json::Value) -> serde_json::Value {
        let (status, answer) = self.put_company("matchingAttribute=domain", body).await;
        assert!(status == 200 || status == 201, "{status} {answer}");
        answer
    }

    /// `GET` a path below the base URL with the read-only token.
    pub async fn read(&self, path: &str) -> (u16, serde_json::Value) {
        self.send(
            self.http
                .get(format!("{}{path}", self.base))
                .bearer_auth(READ_TOKEN),
        )
        .await
    }

    /// Every person, walking `nextPage` links, `count` a page.
    pub async fn read_all(&self, count: u32) -> Vec<serde_json::Value> {
        let mut people = Vec::new();
        let mut path = format!("/crm/people?count={count}");
        loop {
            let (status, page) = self.read(&path).await;
            assert_eq!(status, 200, "{page}");
            people.extend(page["collection"].as_array().unwrap().iter().cloned());
            match page["pagination"]["nextPage"].as_str() {
                Some(next) => path = next.strip_prefix("/v2").unwrap().to_string(),
                None => return people,
            }
        }
    }

    /// How many people the sandbox holds, read with the read-only token.
    pub async fn read_total(&self) -> u64 {
        let (_, page) = self.read("/crm/people").await;
        page["pagination"]["total"].as_u64().unwrap()
    }
}

/// A server on loopback that answers every list with `people` (one page),
/// the people object with no custom attributes, and every write with
/// `status` and a body whose message and errors echo the request, as some
/// servers do: the shapes of the API, with whatever values a test wants it
/// to send. Without `status`, writes are 404s.
pub fn mock_api(people: serde_json::Value, status: Option<u16>) -> String {
    mock_api_with(people, serde_json::Value::Null, status)
}

/// What the mock sends where `people` hold it: JSON text a `Value` cannot
/// hold, a lone surrogate.
pub const LONE_SURROGATE: &str = "<lone surrogate>";

/// [`mock_api`] whose people object lists `attributes`.
pub fn mock_api_with(
    people: serde_json::Value,
    attributes: serde_json::Value,
    status: Option<u16>,
) -> String {
    mock_api_failing(people, attributes, status, "")
}

/// [`mock_api_with`] whose writes answer `status` only when their body
/// holds `when`; the others create the person they send (201), as the API
/// would: a failure that no plan can foresee.
pub fn mock_api_failing(
    people: serde_json::Value,
    attributes: serde_json::Value,
    status: Option<u16>,
    when: &'static str,
) -> String {
    use axum::http::{Method, StatusCode, Uri, header};
    use serde_json::json;
    let total = people.as_array().map_or(1, Vec::len);
    let page = json!({"collection": people, "pagination": {"total": total, "count": total,
        "totalPages": 1, "previousPage": null, "currentPage": 1, "nextPage": null}})
    .to_string()
    .replace(LONE_SURROGATE, "\\ud800");
    let object = json!({"success": true, "status": 200,
        "object": {"slug": "people", "attributes": attributes}})
    .to_string();
    let companies_object = json!({"success": true, "status": 200,
        "object": {"slug": "companies", "attributes": []}})
    .to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let router =
                axum::Router::new().fallback(move |method: Method, uri: Uri, body: String| {
                    let json = [(header::CONTENT_TYPE, "application/json")];
                    let answer = if method == Method::PUT && !body.contains(when) {
                        let mut person: serde_json::Value =
                            serde_json::from_str(&body).unwrap_or_else(|_| json!({}));
                        person["id"] = json!(format!("{:032x}", body.len()));
                        person["createdAt"] = json!("2025-01-15T09:00:00+00:00");
                        person["updatedAt"] = json!("2025-01-15T09:00:00+00:00");
                        let answer = json!({"success": true, "status": 201, "person": person});
                        (StatusCode::CREATED, json, answer.to_string())
                    } else if method == Method::PUT {
                        let code = StatusCode::from_u16(status.unwrap_or(404)).unwrap();
                        let answer = json!({"success": false, "status": code.as_u16(),
                            "message": format!("could not save {body}"),
                            "errors": {"emails": [format!("taken: {body}")]}});
                        (code, json, answer.to_string())
                    } else if uri.path().ends_with("/crm/objects/people") {
                        (StatusCode::OK, json, object.clone())
                    } else if uri.path().ends_with("/crm/objects/companies") {
                        (StatusCode::OK, json, companies_object.clone())
                    } else {
                        (StatusCode::OK, json, page.clone())
                    };
                    async move { answer }
                });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, router).await.unwrap();
        });
    });
    format!("http://{}/v2", rx.recv().unwrap())
}

/// Error text with miette's line wrapping (at 100 columns) undone.
pub fn unwrapped(stderr: &str) -> String {
    let mut text = stderr.to_string();
    for wrap in ["\n  | ", "\n    "] {
        text = text.replace(wrap, " ");
    }
    // A break inside a hyphenated id leaves a space after the hyphen.
    text.replace("- ", "-")
}
