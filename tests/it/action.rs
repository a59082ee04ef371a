//! The GitHub Action (`action.yml`, `action/*.sh`, `action/comment.js`), run
//! by the stand-in runner against a folder of fake releases: every way it
//! installs zeeg (archive, cache, cargo), every way that fails, and what it
//! makes of each exit code of a stand-in zeeg.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::runner::{JobRun, Outcome, Runner};

/// A release whose archives and checksums are right.
const GOOD: &str = "1.0.0";
/// A release whose Linux archive does not match its checksum.
const CORRUPT: &str = "1.1.0";
/// A release without the Linux archive.
const MISSING: &str = "1.2.0";
/// A release whose Linux archive has no checksum beside it.
const UNVERIFIABLE: &str = "1.3.0";
const LINUX: &str = "x86_64-unknown-linux-musl";
const WINDOWS: &str = "x86_64-pc-windows-msvc";
pub const TOKEN: &str = "zeeg-secret-4f1c9a";

/// The zeeg inside the fake archives: records how it was called (and
/// whether it got the right token, never the token itself), prints what the
/// real one prints in each format, and exits $FAKE_ZEEG_EXIT. Like the real
/// one, plan exits 2 only under --detailed-exitcode. The `::warning::` line is
/// what a people file could smuggle into zeeg's output.
const STAND_IN: &str = r#"#!/bin/sh
printf '%s\n' "$*" >> "$FAKE_ZEEG_CALLS"
if [ -n "${ZEEG_API_TOKEN:-}" ]; then
  if [ "$ZEEG_API_TOKEN" = "$FAKE_ZEEG_TOKEN" ]; then echo "token: right" >> "$FAKE_ZEEG_CALLS"; else echo "token: wrong" >> "$FAKE_ZEEG_CALLS"; fi
fi
if [ "$1" = --version ]; then echo "zeeg 1.0.0 (abcdef0 2026-12-02)"; exit 0; fi
echo "::warning::smuggled by a people file" >&2
case "$*" in
  *"--format json"*) echo '{"formatVersion":1,"summary":{"create":1,"update":2,"unchanged":3},"warnings":[],"companies":{"summary":{"create":0,"update":1,"unchanged":4},"changes":[]}}' ;;
  *"--format markdown"*) printf '<!-- zeeg-plan -->\n### zeeg plan\n' ;;
  apply*) printf '+ jane@acme.example\nApply complete: 1 created, 2 updated, 0 failed.\n' ;;
  validate*) echo "3 people in 1 file: valid" >&2 ;;
esac
code=${FAKE_ZEEG_EXIT:-0}
case "$1 $*" in plan*--detailed-exitcode*) ;; plan*) [ "$code" = 2 ] && code=0 ;; esac
exit "$code"
"#;

/// A folder laid out as GitHub serves releases: `download/vX/ARCHIVE`.
pub struct Releases {
    dir: tempfile::TempDir,
}

impl Releases {
    pub fn new() -> Releases {
        let dir = tempfile::tempdir().expect("a temp dir");
        let releases = Releases { dir };
        for version in [GOOD, env!("CARGO_PKG_VERSION")] {
            releases.archive(version, LINUX, Checksum::Right);
            releases.archive(version, WINDOWS, Checksum::Right);
        }
        releases.archive(CORRUPT, LINUX, Checksum::OfOtherBytes);
        std::fs::create_dir_all(releases.version_dir(MISSING)).expect("the missing release");
        releases.archive(UNVERIFIABLE, LINUX, Checksum::None);
        releases
    }

    fn url(&self) -> String {
        format!("file://{}", self.dir.path().display())
    }

    fn version_dir(&self, version: &str) -> PathBuf {
        self.dir.path().join("download").join(format!("v{version}"))
    }

    /// `zeeg-TARGET.tar.xz` (a folder of that name holding zeeg) or, for
    /// Windows, `zeeg-TARGET.zip` (zeeg.exe at its top), as dist packs them.
    fn archive(&self, version: &str, target: &str, checksum: Checksum) {
        let at = self.version_dir(version);
        let staging = tempfile::tempdir().expect("a temp dir");
        let windows = target.contains("windows");
        let name = if windows {
            format!("zeeg-{target}.zip")
        } else {
            format!("zeeg-{target}.tar.xz")
        };
        let top = if windows {
            staging.path().to_path_buf()
        } else {
            staging.path().join(format!("zeeg-{target}"))
        };
        std::fs::create_dir_all(&top).expect("the archive's folder");
        std::fs::create_dir_all(&at).expect("the release folder");
        let exe = top.join(if windows { "zeeg.exe" } else { "zeeg" });
        std::fs::write(&exe, STAND_IN).expect("the stand-in");
        make_executable(&exe);
        std::fs::write(top.join("README.md"), "# zeeg\n").expect("a readme");
        let archive = at.join(&name);
        let status = if windows {
            Command::new("zip")
                .arg("-qr")
                .arg(&archive)
                .args(["zeeg.exe", "README.md"])
                .current_dir(staging.path())
                .status()
        } else {
            Command::new("tar")
                .arg("-cJf")
                .arg(&archive)
                .arg(format!("zeeg-{target}"))
                .current_dir(staging.path())
                .status()
        };
        assert!(status.expect("tar/zip run").success());
        let bytes = std::fs::read(&archive).expect("the archive");
        let hashed = match checksum {
            Checksum::None => return,
            Checksum::Right => bytes,
            Checksum::OfOtherBytes => [bytes.as_slice(), b"tampered"].concat(),
        };
        let line = format!("{}  {name}\n", sha256(&hashed));
        std::fs::write(at.join(format!("{name}.sha256")), line).expect("the checksum");
    }
}

enum Checksum {
    Right,
    OfOtherBytes,
    None,
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A runner whose steps download from `releases`, with a stand-in zeeg's
/// calls recorded in `calls()`.
pub fn runner(releases: &Releases) -> Runner {
    let mut runner = Runner::new();
    let calls = runner.root.path().join("zeeg-calls");
    runner
        .env
        .insert("ZEEG_RELEASES_URL".into(), releases.url());
    runner
        .env
        .insert("FAKE_ZEEG_CALLS".into(), calls.display().to_string());
    runner.env.insert("FAKE_ZEEG_TOKEN".into(), TOKEN.into());
    runner
}

pub fn calls(runner: &Runner) -> String {
    std::fs::read_to_string(runner.root.path().join("zeeg-calls")).unwrap_or_default()
}

/// A `cargo` on PATH that records its arguments and installs a stand-in
/// zeeg where `--root` says, as `cargo install` would.
fn with_fake_cargo(runner: &mut Runner) -> PathBuf {
    let bin = runner.root.path().join("fake-cargo");
    std::fs::create_dir(&bin).expect("a folder for cargo");
    let record = runner.root.path().join("cargo-calls");
    let cargo = bin.join("cargo");
    std::fs::write(
        &cargo,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nwhile [ \"$1\" != --root ]; do shift; done\nmkdir -p \"$2/bin\"\nprintf '#!/bin/sh\\necho built from source\\n' > \"$2/bin/zeeg\"\nchmod +x \"$2/bin/zeeg\"\n",
            record.display()
        ),
    )
    .expect("the fake cargo");
    make_executable(&cargo);
    runner.path.push(bin);
    record
}

fn install_dir(runner: &Runner, version: &str, platform: &str) -> PathBuf {
    runner
        .tool_cache()
        .join("zeeg")
        .join(version)
        .join(platform)
        .join("bin")
}

fn assert_ok(job: &JobRun) {
    assert!(!job.failed(), "{:#?}", job.steps);
}

#[test]
fn the_release_archive_is_verified_installed_and_put_on_path_unwrapped() {
    let releases = Releases::new();
    let runner = runner(&releases);
    let job = runner.action(&[("version", GOOD)]);
    assert_ok(&job);
    let install = job.step("install");
    assert_eq!(install.outputs["source"], "archive");
    let archive = releases
        .version_dir(GOOD)
        .join(format!("zeeg-{LINUX}.tar.xz"));
    let hash = sha256(&std::fs::read(&archive).unwrap());
    assert!(
        install.log.contains(&format!(
            "zeeg-{LINUX}.tar.xz: SHA-256 {hash}, as published."
        )),
        "{}",
        install.log
    );
    let bin = install_dir(&runner, GOOD, LINUX);
    assert_eq!(job.added_paths, vec![bin.clone()]);
    assert_eq!(job.outputs["version"], GOOD);
    // On PATH is the archive's zeeg itself, not a wrapper around it: a later
    // step's `$(zeeg …)` gets exactly what zeeg prints.
    assert_eq!(std::fs::read_to_string(bin.join("zeeg")).unwrap(), STAND_IN);
    let (code, log) = runner.run_after(
        &job,
        r#"v=$(zeeg --version); [ "$v" = "zeeg 1.0.0 (abcdef0 2026-12-02)" ] || { echo "got: $v"; exit 1; }"#,
    );
    assert_eq!(code, 0, "{log}");
    // Saved to the cache at once, keyed by version and target; nothing run.
    assert!(
        runner
            .cache
            .join(format!("zeeg-{GOOD}-{LINUX}/bin/zeeg"))
            .is_file()
    );
    assert_eq!(job.step("run").outcome, Outcome::Skipped);
    assert_eq!(job.outputs["exitcode"], "");
}

#[test]
fn a_second_run_takes_zeeg_from_the_cache_without_downloading() {
    let releases = Releases::new();
    let first = runner(&releases);
    assert_ok(&first.action(&[("version", GOOD)]));
    // A fresh runner that shares the first one's actions cache, and whose
    // downloads would all fail.
    let mut second = runner(&releases);
    second.cache = first.cache.clone();
    second
        .env
        .insert("ZEEG_RELEASES_URL".into(), "file:///nonexistent".into());
    let job = second.action(&[("version", GOOD)]);
    assert_ok(&job);
    assert_eq!(job.step("cache").outputs["cache-hit"], "true");
    assert_eq!(job.step("install").outputs["source"], "cache");
    assert!(
        job.step("install")
            .log
            .contains(&format!("zeeg {GOOD} restored from the cache")),
        "{}",
        job.log()
    );
    assert_eq!(
        job.step("save").outcome,
        Outcome::Skipped,
        "nothing new to save"
    );
    let (code, log) = second.run_after(&job, "zeeg --version");
    assert_eq!(
        (code, log.as_str()),
        (0, "zeeg 1.0.0 (abcdef0 2026-12-02)\n")
    );
}

/// The action with `version` fails at the install step with exit 1 and
/// an error that says `says`, installing nothing.
fn install_fails(version: &str, says: &str) -> (Runner, JobRun) {
    let releases = Releases::new();
    let runner = runner(&releases);
    let job = runner.action(&[("version", version), ("command", "validate")]);
    let install = job.step("install");
    assert_eq!(install.code, Some(1), "{}", install.log);
    assert!(
        install.log.contains("::error title=zeeg::") && install.log.contains(says),
        "{}",
        install.log
    );
    assert!(!install_dir(&runner, version, LINUX).exists());
    assert!(job.added_paths.is_empty());
    assert_eq!(job.step("run").outcome, Outcome::Skipped);
    (runner, job)
}

#[test]
fn a_corrupt_archive_fails_with_a_clear_message_and_installs_nothing() {
    let (runner, job) = install_fails(
        CORRUPT,
        &format!("checksum mismatch for zeeg-{LINUX}.tar.xz"),
    );
    assert!(job.step("install").log.contains("nothing was installed"));
    // Not cached, and zeeg not run.
    assert_eq!(job.step("save").outcome, Outcome::Skipped);
    assert_eq!(std::fs::read_dir(&runner.cache).unwrap().count(), 0);
    assert_eq!(calls(&runner), "");
}

#[test]
fn an_archive_without_its_checksum_is_not_installed() {
    install_fails(
        UNVERIFIABLE,
        ".sha256 does not exist: the archive cannot be verified",
    );
}

#[test]
fn a_release_without_this_runners_archive_is_built_with_cargo() {
    let releases = Releases::new();
    let mut runner = runner(&releases);
    let record = with_fake_cargo(&mut runner);
    let job = runner.action(&[("version", MISSING)]);
    assert_ok(&job);
    let install = job.step("install");
    assert_eq!(install.outputs["source"], "cargo");
    assert!(
        install.log.contains(&format!(
            "::notice title=zeeg built from source::The release v{MISSING} has no zeeg-{LINUX}.tar.xz."
        )),
        "{}",
        install.log
    );
    let root = install_dir(&runner, MISSING, LINUX);
    let root = root.parent().unwrap();
    assert_eq!(
        std::fs::read_to_string(&record).unwrap(),
        format!(
            "install --locked --root {} --git https://github.com/OWNER/zeeg --tag v{MISSING} zeeg\n",
            root.display()
        )
    );
    assert!(
        runner
            .cache
            .join(format!("zeeg-{MISSING}-{LINUX}/bin/zeeg"))
            .is_file(),
        "the build is cached"
    );
    let (_, log) = runner.run_after(&job, "zeeg");
    assert_eq!(log, "built from source\n");
}

#[test]
fn a_runner_no_archive_is_built_for_gets_zeeg_built_with_cargo() {
    let releases = Releases::new();
    let mut runner = runner(&releases);
    let record = with_fake_cargo(&mut runner);
    runner.env.insert("RUNNER_ARCH".into(), "ARM".into());
    let job = runner.action(&[("version", GOOD)]);
    assert_ok(&job);
    let install = job.step("install");
    assert!(
        install.log.contains(
            "::notice title=zeeg built from source::No release archive is built for Linux on ARM."
        ),
        "{}",
        install.log
    );
    assert!(
        std::fs::read_to_string(&record)
            .unwrap()
            .contains(&format!("--tag v{GOOD}"))
    );
    assert_eq!(
        job.step("resolve").outputs["cache-key"],
        format!("zeeg-{GOOD}-Linux-ARM-source")
    );
}

#[test]
fn without_cargo_the_fallback_says_what_to_add() {
    install_fails(
        MISSING,
        "Building zeeg from source needs cargo: add a Rust toolchain step",
    );
}

#[test]
fn the_windows_archive_is_a_zip_with_zeeg_exe() {
    let releases = Releases::new();
    let mut runner = runner(&releases);
    runner.env.insert("RUNNER_OS".into(), "Windows".into());
    let job = runner.action(&[("version", GOOD)]);
    assert_ok(&job);
    let exe = install_dir(&runner, GOOD, WINDOWS).join("zeeg.exe");
    assert_eq!(std::fs::read_to_string(exe).unwrap(), STAND_IN);
}

#[test]
fn without_a_version_the_action_installs_the_release_it_is() {
    let releases = Releases::new();
    let runner = runner(&releases);
    let job = runner.action(&[]);
    assert_ok(&job);
    assert_eq!(job.outputs["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(job.step("install").outputs["source"], "archive");
}

/// A loopback server for `releases`, as GitHub serves them: `/latest`
/// redirects to the newest release's page, downloads are files or 404.
fn serve(releases: &Releases, latest: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let address = listener.local_addr().expect("its address");
    let root = releases.dir.path().to_path_buf();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(50) {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // The rest of the head is not needed.
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let mut parts = line.split_whitespace();
            let method = parts.next().unwrap_or("").to_string();
            let path = parts.next().unwrap_or("/").to_string();
            let body = (method == "GET").then_some(());
            let response = if path == "/latest" {
                format!(
                    "HTTP/1.1 302 Found\r\nLocation: /tag/v{latest}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
                .into_bytes()
            } else if path.starts_with("/tag/") {
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".to_vec()
            } else {
                let file = root.join(path.trim_start_matches('/'));
                match std::fs::read(&file) {
                    Ok(bytes) if !path.contains("..") => {
                        let mut r = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            bytes.len()
                        )
                        .into_bytes();
                        if body.is_some() {
                            r.extend(bytes);
                        }
                        r
                    }
                    _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nNot Found"
                        .to_vec(),
                }
            };
            let _ = stream.write_all(&response);
        }
    });
    format!("http://{address}")
}

#[test]
fn latest_is_the_release_github_redirects_to() {
    let releases = Releases::new();
    let mut runner = runner(&releases);
    runner
        .env
        .insert("ZEEG_RELEASES_URL".into(), serve(&releases, GOOD));
    let job = runner.action(&[("version", "latest")]);
    assert_ok(&job);
    assert_eq!(job.outputs["version"], GOOD);
    assert_eq!(job.step("install").outputs["source"], "archive");
    assert!(install_dir(&runner, GOOD, LINUX).join("zeeg").is_file());
}

#[test]
fn over_http_a_missing_archive_is_a_404_and_zeeg_is_built() {
    let releases = Releases::new();
    let mut runner = runner(&releases);
    runner
        .env
        .insert("ZEEG_RELEASES_URL".into(), serve(&releases, MISSING));
    with_fake_cargo(&mut runner);
    let job = runner.action(&[("version", "latest")]);
    assert_ok(&job);
    assert_eq!(job.outputs["version"], MISSING);
    assert_eq!(job.step("install").outputs["source"], "cargo");
}

#[test]
fn inputs_are_checked_before_anything_is_downloaded() {
    let releases = Releases::new();
    let runner = runner(&releases);
    for (inputs, says) in [
        (
            &[("command", "destroy")][..],
            "command: 'destroy' is not one of plan, apply, validate",
        ),
        (
            &[("command", "validate"), ("comment", "true")],
            "comment: true needs command: plan",
        ),
        (
            &[("comment", "yes")],
            "comment: 'yes' is neither true nor false",
        ),
        (
            &[("version", "1.0; rm -rf ~")],
            "version: '1.0; rm -rf ~' is not a version like 0.1.0",
        ),
        (
            &[("version", "v1.0.0/../..")],
            "is not a version like 0.1.0",
        ),
    ] {
        let job = runner.action(inputs);
        let resolve = job.step("resolve");
        assert_eq!(resolve.code, Some(1), "{inputs:?}");
        assert!(resolve.log.contains(says), "{inputs:?}: {}", resolve.log);
        assert_eq!(job.step("install").outcome, Outcome::Skipped);
    }
}

/// The action run with `command` against a stand-in zeeg exiting `code`.
fn run_command(command: &str, code: i32, extra: &[(&str, &str)]) -> (Runner, JobRun) {
    let releases = Releases::new();
    let mut runner = runner(&releases);
    runner.env.insert("FAKE_ZEEG_EXIT".into(), code.to_string());
    runner.secrets.insert("ZEEG_API_TOKEN".into(), TOKEN.into());
    let mut inputs = vec![
        ("version", GOOD),
        ("command", command),
        ("paths", "people/"),
        ("token", TOKEN),
    ];
    inputs.extend_from_slice(extra);
    let job = runner.action(&inputs);
    (runner, job)
}

#[test]
fn plan_sets_the_outputs_for_each_exit_code() {
    for code in [0, 2] {
        let (runner, job) = run_command("plan", code, &[]);
        assert_ok(&job);
        assert_eq!(job.outputs["exitcode"], code.to_string());
        assert_eq!(job.outputs["has-changes"], (code == 2).to_string());
        assert_eq!(
            job.outputs["summary"],
            "companies: 0 create, 1 update, 4 unchanged; people: 1 create, 2 update, 3 unchanged"
        );
        let json: Value =
            serde_json::from_str(&std::fs::read_to_string(&job.outputs["plan-json"]).unwrap())
                .unwrap();
        assert_eq!(json["summary"]["update"], 2);
        assert_eq!(
            calls(&runner),
            "plan people/ --format json --detailed-exitcode\ntoken: right\n"
        );
    }
    for (code, meaning) in [
        (1, "an error: see the log above"),
        (3, "some entries failed"),
        (4, "the saved plan is stale"),
    ] {
        let (_, job) = run_command("plan", code, &[]);
        let run = job.step("run");
        assert_eq!(
            (run.outcome, run.code),
            (Outcome::Failure, Some(1)),
            "{code}"
        );
        assert_eq!(job.outputs["exitcode"], code.to_string());
        assert_eq!(job.outputs["has-changes"], "");
        assert!(
            run.log.contains(&format!(
                "::error title=zeeg plan failed::zeeg plan exited with {code} ({meaning}"
            )),
            "{}",
            run.log
        );
    }
}

#[test]
fn apply_is_approved_and_fails_on_every_code_but_0() {
    let (runner, job) = run_command("apply", 0, &[("args", "--redact")]);
    assert_ok(&job);
    assert_eq!(
        calls(&runner),
        "apply people/ --redact --auto-approve\ntoken: right\n"
    );
    assert_eq!(
        job.outputs["summary"],
        "Apply complete: 1 created, 2 updated, 0 failed."
    );
    assert!(
        job.step("run").log.contains("+ jane@acme.example"),
        "the log shows apply"
    );
    for (code, meaning) in [
        (1, "an error"),
        (2, "changes"),
        (3, "some entries failed: the log names each with its reason"),
        (4, "the saved plan is stale for some entries"),
    ] {
        let (_, job) = run_command("apply", code, &[]);
        assert_eq!(job.step("run").outcome, Outcome::Failure, "{code}");
        assert_eq!(job.outputs["exitcode"], code.to_string());
        assert!(
            job.log()
                .contains(&format!("zeeg apply exited with {code} ({meaning}")),
            "{}",
            job.log()
        );
    }
}

#[test]
fn validate_reports_its_summary_line_and_fails_on_any_other_code() {
    let (runner, job) = run_command("validate", 0, &[]);
    assert_ok(&job);
    assert_eq!(job.outputs["summary"], "3 people in 1 file: valid");
    assert_eq!(
        calls(&runner),
        "validate people/\n",
        "validate gets no token"
    );
    // 2 means changes, which only a plan has.
    for code in [1, 2, 3] {
        let (_, job) = run_command("validate", code, &[]);
        assert_eq!(job.step("run").outcome, Outcome::Failure, "{code}");
        assert_eq!(job.outputs["exitcode"], code.to_string());
    }
}

#[test]
fn plan_without_a_token_validates_and_skips_with_a_notice() {
    let releases = Releases::new();
    let mut runner = runner(&releases);
    runner.on_pull_request(5);
    let job = runner.action(&[("version", GOOD), ("command", "plan"), ("comment", "true")]);
    assert_ok(&job);
    assert_eq!(calls(&runner), "validate\n");
    assert!(
        job.log()
            .contains("::notice title=zeeg plan skipped::No Zeeg API token"),
        "{}",
        job.log()
    );
    assert_eq!(job.outputs["exitcode"], "");
    assert_eq!(job.outputs["has-changes"], "");
    // A fork's pull request keeps the comment it had.
    assert_eq!(job.steps.last().unwrap().outcome, Outcome::Skipped);
    assert!(job.api_calls.is_empty());

    // Files that do not validate still fail the job.
    runner.env.insert("FAKE_ZEEG_EXIT".into(), "1".into());
    let job = runner.action(&[("version", GOOD), ("command", "plan")]);
    assert_eq!(job.step("run").outcome, Outcome::Failure);
    assert_eq!(job.outputs["exitcode"], "1");
}

#[test]
fn the_token_reaches_zeeg_and_nowhere_else() {
    let (runner, job) = run_command("plan", 2, &[("comment", "true")]);
    assert_ok(&job);
    assert!(calls(&runner).contains("token: right"));
    assert!(!job.log().contains(TOKEN), "{}", job.log());
    for (name, value) in &job.outputs {
        assert!(!value.contains(TOKEN), "output {name}");
    }
    for step in &job.steps {
        assert!(
            !step.outputs.values().any(|v| v.contains(TOKEN)),
            "{}",
            step.id
        );
    }
    for entry in walk(runner.root.path()) {
        if let Ok(text) = std::fs::read_to_string(&entry) {
            assert!(!text.contains(TOKEN), "{} holds the token", entry.display());
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn paths_and_args_reach_zeeg_as_words_never_globbed() {
    let releases = Releases::new();
    let runner = runner(&releases);
    // A file the glob would match, were it expanded.
    std::fs::write(runner.workspace().join("a.yaml"), "").unwrap();
    let job = runner.action(&[
        ("version", GOOD),
        ("command", "validate"),
        ("paths", "people/\n  *.yaml"),
        ("args", "--format text  -v"),
    ]);
    assert_ok(&job);
    assert_eq!(calls(&runner), "validate people/ *.yaml --format text -v\n");
}

#[test]
fn lines_zeeg_prints_are_never_taken_as_workflow_commands() {
    let (_, job) = run_command("plan", 0, &[]);
    let log = &job.step("run").log;
    let stop = log.find("::stop-commands::").expect("commands stopped");
    let key: String = log[stop + "::stop-commands::".len()..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    assert_eq!(key.len(), 32, "{log}");
    let smuggled = log.find("::warning::smuggled").expect("zeeg's line");
    let resumed = log.find(&format!("::{key}::")).expect("commands resumed");
    assert!(stop < smuggled && smuggled < resumed, "{log}");
}

/// A plan with `comment: true` on pull request 12 whose comments are `existing`.
fn plan_on_a_pull_request(code: i32, version: &str, existing: Value) -> JobRun {
    let releases = Releases::new();
    let mut runner = runner(&releases);
    runner.on_pull_request(12);
    runner.comments = existing;
    runner.env.insert("FAKE_ZEEG_EXIT".into(), code.to_string());
    runner.action(&[
        ("version", version),
        ("command", "plan"),
        ("comment", "true"),
        ("token", TOKEN),
    ])
}

fn comment(id: u64, login: &str, kind: &str, body: &str) -> Value {
    json!({"id": id, "user": {"login": login, "type": kind}, "body": body})
}

#[test]
fn the_plan_comment_is_posted_once_then_updated_in_place() {
    let job = plan_on_a_pull_request(2, GOOD, json!([]));
    assert_ok(&job);
    let listed = json!({"paginate": "listComments", "params": {"owner": "acme", "repo": "crm", "issue_number": 12}});
    assert_eq!(
        job.api_calls,
        vec![
            listed.clone(),
            json!({"create": {"owner": "acme", "repo": "crm", "issue_number": 12, "body": "<!-- zeeg-plan -->\n### zeeg plan\n"}})
        ]
    );
    // Ours is the marker *and* the workflow's bot: a person's comment that
    // quotes the marker is left alone.
    let existing = json!([
        comment(1, "mallory", "User", "<!-- zeeg-plan -->\nlooks fine"),
        comment(
            2,
            "github-actions[bot]",
            "Bot",
            "<!-- zeeg-plan -->\nold plan"
        ),
    ]);
    let job = plan_on_a_pull_request(0, GOOD, existing);
    assert_eq!(
        job.api_calls[1],
        json!({"update": {"owner": "acme", "repo": "crm", "comment_id": 2, "body": "<!-- zeeg-plan -->\n### zeeg plan\n"}})
    );
}

#[test]
fn a_failed_plan_or_install_replaces_the_comment_with_a_note() {
    let existing = json!([comment(
        2,
        "github-actions[bot]",
        "Bot",
        "<!-- zeeg-plan -->\nold plan"
    )]);
    for (code, version) in [(1, GOOD), (0, CORRUPT)] {
        let job = plan_on_a_pull_request(code, version, existing.clone());
        assert!(job.failed(), "{code} {version}");
        let update = &job.api_calls.last().expect("an update")["update"];
        assert_eq!(update["comment_id"], 2);
        let body = update["body"].as_str().unwrap();
        assert!(
            body.starts_with("<!-- zeeg-plan -->\n### zeeg plan failed"),
            "{body}"
        );
        assert!(
            body.contains("https://github.com/acme/crm/actions/runs/7"),
            "{body}"
        );
    }
}

#[test]
fn outside_a_pull_request_no_comment_is_made() {
    let releases = Releases::new();
    let runner = runner(&releases);
    let job = runner.action(&[
        ("version", GOOD),
        ("command", "plan"),
        ("comment", "true"),
        ("token", TOKEN),
    ]);
    assert_ok(&job);
    assert_eq!(job.api_calls.len(), 1, "{:?}", job.api_calls);
    assert!(
        job.api_calls[0]["notice"]
            .as_str()
            .unwrap()
            .contains("not for a pull request")
    );
}

/// The first step's outputs (which release, which archive) on a runner of
/// this OS and architecture.
pub fn resolved(os: &str, arch: &str) -> std::collections::BTreeMap<String, String> {
    let releases = Releases::new();
    let mut runner = runner(&releases);
    runner.env.insert("RUNNER_OS".into(), os.into());
    runner.env.insert("RUNNER_ARCH".into(), arch.into());
    let job = runner.action(&[("version", "9.9.9")]);
    job.step("resolve").outputs.clone()
}
