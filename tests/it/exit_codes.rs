//! Every exit code of the README's table, from the real binary against a real
//! sandbox: scripts and CI branch on these numbers, so each one is an API.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{Sandbox, project, run, write_files, zeeg};

/// A project of `n` people `p0@example.com`… with `jobTitle: TITLE`.
/// `n` people with this job title.
fn people(n: usize, title: &str) -> String {
    let mut yaml = String::from("people:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  - firstName: Person{i}\n    emails: [p{i}@example.com]\n    jobTitle: {title}\n"
        ));
    }
    yaml
}

#[test]
fn help_and_version_exit_0() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["plan", "--help"],
        &["-V"],
    ] {
        let out = run(zeeg().args(args));
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(!out.stdout.is_empty(), "{args:?} prints on stdout");
    }
}

#[test]
fn a_command_line_that_does_not_parse_exits_1_never_2() {
    for (args, name) in [
        (&["plan", "--format", "md"][..], "unknown-format"),
        (&["plan", "--no-such-flag"], "unknown-flag"),
        (&["plna"], "unknown-command"),
        (&["apply", "--parallelism", "0"], "zero-parallelism"),
        (&[], "no-command"),
    ] {
        let out = crate::zeeg_snapshot!(format!("command-line-{name}"), zeeg().args(args));
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
    }
}

#[test]
fn plan_exits_0_without_changes_2_with_changes_and_1_on_errors() {
    let sandbox = Sandbox::start(&[]);
    let dir = project(&[("people.yaml", &people(3, "Engineer"))]);
    let plan = |extra: &[&str]| {
        run(sandbox
            .zeeg()
            .arg("plan")
            .args(extra)
            .current_dir(dir.path()))
    };

    assert_eq!(plan(&[]).code, 0, "changes without --detailed-exitcode");
    let changes = plan(&["--detailed-exitcode"]);
    assert_eq!(changes.code, 2, "{}", changes.stderr);

    let applied = run(sandbox
        .zeeg()
        .args(["apply", "--auto-approve"])
        .current_dir(dir.path()));
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let none = plan(&["--detailed-exitcode"]);
    assert_eq!(none.code, 0, "{}", none.stderr);
    assert!(none.stdout.contains("No changes."), "{}", none.stdout);

    std::fs::write(dir.path().join("broken.yaml"), "people: [").unwrap();
    let invalid = plan(&["--detailed-exitcode"]);
    assert_eq!(invalid.code, 1, "{}", invalid.stderr);
    std::fs::remove_file(dir.path().join("broken.yaml")).unwrap();

    let unauthorised = run(sandbox
        .zeeg()
        .env("ZEEG_API_TOKEN", "wrong-token")
        .args(["plan", "--detailed-exitcode"])
        .current_dir(dir.path()));
    assert_eq!(unauthorised.code, 1, "{}", unauthorised.stderr);
}

#[test]
fn apply_exits_3_when_an_entry_fails_and_the_rest_are_applied() {
    // An API that refuses one entry at apply (422), which no plan can
    // foresee; the rest it creates.
    let api = crate::common::mock_api_failing(
        serde_json::json!([]),
        serde_json::Value::Null,
        Some(422),
        "refused-at-apply",
    );
    let dir = project(&[("people.yaml", &people(2, "Engineer"))]);
    let mut yaml = std::fs::read_to_string(dir.path().join("people.yaml")).unwrap();
    yaml.push_str(
        "  - firstName: Big\n    emails: [big@example.com]\n    description: refused-at-apply\n",
    );
    std::fs::write(dir.path().join("people.yaml"), yaml).unwrap();

    let out = run(zeeg()
        .env("ZEEG_API_URL", &api)
        .env("ZEEG_API_TOKEN", crate::common::TOKEN)
        .args(["apply", "--auto-approve"])
        .current_dir(dir.path()));
    // The plan shows the whole description: keep messages to the summary.
    let summary: String = out
        .stdout
        .lines()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(out.code, 3, "{summary}\n{}", out.stderr);
    assert!(
        summary.contains("Apply complete: 2 created, 0 updated, 1 failed."),
        "{summary}"
    );
    assert!(
        summary.contains("people.yaml:8 email big@example.com"),
        "{summary}"
    );
}

#[test]
fn apply_of_a_stale_saved_plan_exits_4() {
    let sandbox = Sandbox::start(&[]);
    let dir = project(&[("people.yaml", &people(2, "Engineer"))]);
    let saved = dir.path().join("zeeg.plan");
    let planned = run(sandbox
        .zeeg()
        .args(["plan", "--out"])
        .arg(&saved)
        .current_dir(dir.path()));
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    write_files(dir.path(), &[("people.yaml", &people(2, "Manager"))]);

    let out = crate::zeeg_snapshot!(
        "stale-saved-plan",
        sandbox
            .zeeg()
            .args(["apply", "--auto-approve", "--plan"])
            .arg(&saved)
            .current_dir(dir.path())
    );
    assert_eq!(out.code, 4, "{}\n{}", out.stdout, out.stderr);
}

#[test]
fn apply_interrupted_by_sigint_exits_130() {
    let sandbox = Sandbox::start(&["--latency", "100"]);
    let dir = project(&[("people.yaml", &people(40, "Engineer"))]);
    let mut child = sandbox
        .zeeg()
        .args(["apply", "--auto-approve", "--parallelism", "1"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("created ") {
                let _ = started_tx.send(());
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while started_rx.recv_timeout(Duration::from_secs(1)).is_err() {
        assert!(Instant::now() < deadline, "apply made no progress");
    }
    // SAFETY: sending a signal to our own child process.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let output = child.wait_with_output().unwrap();
    reader.join().unwrap();
    assert_eq!(output.status.code(), Some(130));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Apply interrupted: "), "{stdout}");
}
