//! `zeeg apply` end to end: the real binary against a real sandbox over
//! loopback HTTP.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{self, Api, READ_TOKEN, Sandbox, TOKEN, run};

/// A project folder with one people file of `n` people `p0@example.com`…,
/// each with `jobTitle` from `title(i)`.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(n: usize, title: impl Fn(usize) -> String) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let project = Project { dir };
        project.write(n, title);
        project
    }

    fn write(&self, n: usize, title: impl Fn(usize) -> String) {
        let mut yaml = String::from("people:\n");
        for i in 0..n {
            yaml.push_str(&format!(
                "  - firstName: Person{i}\n    lastName: Test\n    emails: [p{i}@example.com]\n    jobTitle: {}\n",
                title(i)
            ));
        }
        std::fs::write(self.people_file(), yaml).unwrap();
    }

    fn people_file(&self) -> PathBuf {
        self.dir.path().join("people.yaml")
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn engineer(_: usize) -> String {
    "Engineer".to_string()
}

/// The line in `people.yaml` where entry `i` starts (`  - firstName…`).
fn line_of(i: usize) -> usize {
    2 + 4 * i
}

/// `zeeg apply PROJECT EXTRA` in the project, against `sandbox`.
fn apply_command(sandbox: &Sandbox, project: &Project, extra: &[&str]) -> std::process::Command {
    let mut command = sandbox.zeeg();
    command
        .arg("apply")
        .arg(project.path())
        .args(extra)
        .current_dir(project.path());
    command
}

fn apply(sandbox: &Sandbox, project: &Project, extra: &[&str]) -> common::Run {
    run(&mut apply_command(sandbox, project, extra))
}

fn plan(sandbox: &Sandbox, project: &Project, extra: &[&str]) -> common::Run {
    run(sandbox
        .zeeg()
        .arg("plan")
        .arg(project.path())
        .args(extra)
        .current_dir(project.path()))
}

fn last_line(text: &str) -> &str {
    text.lines().last().unwrap_or("")
}

/// Everybody in `project`'s file, with the sandbox agreeing: as many people
/// as entries (no duplicates) and a plan with nothing to do.
fn assert_converged(sandbox: &Sandbox, project: &Project, n: u64) {
    assert_eq!(
        Api::new(sandbox).total(),
        n,
        "the sandbox holds exactly the entries"
    );
    let replan = plan(sandbox, project, &[]);
    assert_eq!(replan.code, 0, "{}", replan.stderr);
    assert!(
        last_line(&replan.stdout).starts_with("No changes."),
        "{}",
        replan.stdout
    );
}

#[test]
fn applies_everything_then_has_nothing_to_do() {
    let sandbox = Sandbox::start(&[]);
    let project = Project::new(12, engineer);
    let first = apply(&sandbox, &project, &["--auto-approve"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(
        last_line(&first.stdout),
        "Apply complete: 12 created, 0 updated, 0 failed."
    );
    // Without a terminal, progress is one plain line per entry, named by file:line.
    assert!(
        first
            .stderr
            .contains(&format!("created people.yaml:{} ", line_of(3))),
        "{}",
        first.stderr
    );
    assert_converged(&sandbox, &project, 12);

    let again = apply(&sandbox, &project, &["--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);
    assert!(!again.stdout.contains("Apply complete"), "{}", again.stdout);
}

#[test]
fn updates_are_sent_and_json_results_name_each_entry() {
    let sandbox = Sandbox::start(&[]);
    let project = Project::new(4, engineer);
    assert_eq!(apply(&sandbox, &project, &["--auto-approve"]).code, 0);
    project.write(5, |i| {
        if i == 1 {
            "Director".into()
        } else {
            "Engineer".into()
        }
    });
    let second = apply(&sandbox, &project, &["--auto-approve", "--format", "json"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    let json: Value = serde_json::from_str(&second.stdout).expect("JSON results on stdout");
    assert_eq!(
        json["summary"],
        json!({"created": 1, "updated": 1, "failed": 0, "notSent": 0, "abandoned": 0, "stale": 0})
    );
    let results = json["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0]["source"],
        json!({"file": "people.yaml", "line": line_of(1)})
    );
    assert_eq!(results[0]["outcome"], "updated");
    assert_eq!(results[1]["outcome"], "created");
    assert_eq!(
        Api::new(&sandbox).person("p1@example.com")["jobTitle"],
        "Director"
    );
}

#[test]
fn text_output_shows_the_plan_then_the_summary() {
    let sandbox = Sandbox::start(&[]);
    let project = Project::new(2, engineer);
    assert_eq!(apply(&sandbox, &project, &["--auto-approve"]).code, 0);
    project.write(3, |i| {
        if i == 0 {
            "Founder".into()
        } else {
            "Engineer".into()
        }
    });
    let applied = apply(&sandbox, &project, &["--auto-approve", "--color", "never"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    insta::with_settings!({filters => vec![
        (r"person [0-9a-f-]{36}", "person [id]"),
    ]}, {
        insta::assert_snapshot!(applied.stdout);
    });
    let mut lines: Vec<&str> = applied.stderr.lines().collect();
    // Entries finish in any order; each gets exactly one line.
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "created people.yaml:10 email p2@example.com",
            "updated people.yaml:2 email p0@example.com",
        ]
    );
}

#[test]
fn converges_under_a_20_percent_failure_rate() {
    let sandbox = Sandbox::start(&["--fail-rate", "0.2"]);
    let project = Project::new(100, engineer);
    let first = apply(
        &sandbox,
        &project,
        &["--auto-approve", "--parallelism", "8"],
    );
    // Retries make a failure of an entry unlikely but not impossible; when
    // one happens it is reported, and a second run must finish the job.
    assert!(
        first.code == 0 || first.code == 3,
        "{}\n{}",
        first.stdout,
        first.stderr
    );
    if first.code == 3 {
        assert!(first.stdout.contains("Failed:"), "{}", first.stdout);
        let second = apply(
            &sandbox,
            &project,
            &["--auto-approve", "--parallelism", "8"],
        );
        assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    }
    assert_converged(&sandbox, &project, 100);
}

#[test]
fn converges_under_a_rate_limit_and_says_so() {
    let sandbox = Sandbox::start(&["--rate-limit", "20"]);
    let project = Project::new(60, engineer);
    let started = Instant::now();
    let first = apply(
        &sandbox,
        &project,
        &["--auto-approve", "--parallelism", "8"],
    );
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert!(
        first.stderr.contains("rate limited by the API"),
        "{}",
        first.stderr
    );
    // 60 writes at 20 per second cannot take less than about 2 s: the limit was honoured, not dodged.
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_converged(&sandbox, &project, 60);
}

#[test]
fn a_read_only_token_gets_a_clear_403_and_writes_nothing() {
    let sandbox = Sandbox::start(&[]);
    let project = Project::new(30, engineer);
    let refused = run(sandbox
        .zeeg()
        .env("ZEEG_API_TOKEN", READ_TOKEN)
        .args(["apply", "--auto-approve"])
        .arg(project.path()));
    assert!(
        refused.code == 1 || refused.code == 3,
        "{}\n{}",
        refused.stdout,
        refused.stderr
    );
    let all = format!("{}{}", refused.stdout, refused.stderr);
    assert!(all.contains("403"), "{all}");
    assert!(all.contains("crm:write"), "{all}");
    assert!(!all.contains(READ_TOKEN), "the token never appears: {all}");
    // One failure is enough to know: not every entry is tried.
    assert!(all.matches("failed  people.yaml").count() < 30, "{all}");
    assert_eq!(Api::new(&sandbox).total(), 0);
}

#[test]
fn without_a_terminal_the_prompt_is_refused_unless_auto_approved() {
    let sandbox = Sandbox::start(&[]);
    let project = Project::new(3, engineer);
    // The plan, then the refusal and what to do.
    crate::zeeg_snapshot!(
        "no-terminal-no-auto-approve",
        &mut apply_command(&sandbox, &project, &[])
    );
    assert_eq!(Api::new(&sandbox).total(), 0);
}

/// Runs `zeeg apply` on a pseudo-terminal (util-linux `script`), typing
/// `answer` at the prompt.
fn apply_on_a_terminal(sandbox: &Sandbox, project: &Project, answer: &str) -> common::Run {
    let command = format!(
        "{} apply --color never {}",
        common::zeeg_bin().display(),
        project.path().display()
    );
    let api_url = sandbox.api_url();
    let env = [
        ("ZEEG_API_URL", api_url.as_str()),
        ("ZEEG_API_TOKEN", TOKEN),
    ];
    common::on_a_terminal(&command, project.path(), &env, answer)
}

#[test]
fn on_a_terminal_the_prompt_applies_only_after_yes() {
    let sandbox = Sandbox::start(&[]);
    let project = Project::new(3, engineer);

    let declined = apply_on_a_terminal(&sandbox, &project, "n\n");
    assert_eq!(declined.code, 1, "{}", declined.stdout);
    assert!(
        declined.stdout.contains("Apply these changes? [y/N]"),
        "{}",
        declined.stdout
    );
    assert!(declined.stdout.contains("Nothing was written."));
    assert_eq!(Api::new(&sandbox).total(), 0, "a no writes nothing");

    let approved = apply_on_a_terminal(&sandbox, &project, "y\n");
    assert_eq!(approved.code, 0, "{}", approved.stdout);
    assert!(
        approved
            .stdout
            .contains("Apply complete: 3 created, 0 updated, 0 failed."),
        "{}",
        approved.stdout
    );
    assert_converged(&sandbox, &project, 3);
}

#[test]
fn the_safety_limit_refuses_mass_updates_unless_forced() {
    let sandbox = Sandbox::start(&[]);
    let project = Project::new(20, engineer);
    assert_eq!(apply(&sandbox, &project, &["--auto-approve"]).code, 0);
    // 10 of 20 (50%) would change.
    project.write(20, |i| {
        if i % 2 == 0 {
            "Manager".into()
        } else {
            "Engineer".into()
        }
    });

    // The plan says beforehand what apply will do, in every format.
    let warning = "apply will refuse this plan: it updates 10 of 20 managed entries (50%)";
    for format in ["text", "markdown"] {
        let planned = plan(&sandbox, &project, &["--format", format]);
        assert_eq!(planned.code, 0, "{}", planned.stderr);
        assert!(planned.stdout.contains(warning), "{}", planned.stdout);
        assert!(planned.stdout.contains("--force"), "{}", planned.stdout);
    }
    let json = plan(&sandbox, &project, &["--format", "json"]);
    let json: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["warnings"][0]["code"], "safety_limit");
    let message = json["warnings"][0]["message"].as_str().unwrap();
    assert!(message.starts_with(warning), "{message}");

    let refused = crate::zeeg_snapshot!(
        "safety-limit-refused",
        &mut apply_command(&sandbox, &project, &["--auto-approve"]),
        [common::ID_FILTER]
    );
    assert!(refused.stdout.contains(warning), "{}", refused.stdout);
    let api = Api::new(&sandbox);
    assert_eq!(
        api.person("p0@example.com")["jobTitle"],
        "Engineer",
        "nothing written"
    );

    // zeeg.yaml may raise the limit.
    std::fs::write(
        project.path().join("zeeg.yaml"),
        "apply:\n  maxUpdatePercent: 60\n",
    )
    .unwrap();
    project.write(20, |i| {
        if i % 2 == 0 {
            "Lead".into()
        } else {
            "Engineer".into()
        }
    });
    let within = plan(&sandbox, &project, &["--format", "json"]);
    let within: Value = serde_json::from_str(&within.stdout).unwrap();
    assert_eq!(within["warnings"], json!([]), "50% is within a 60% limit");
    let raised = apply(&sandbox, &project, &["--auto-approve"]);
    assert_eq!(raised.code, 0, "{}\n{}", raised.stdout, raised.stderr);
    assert_eq!(api.person("p0@example.com")["jobTitle"], "Lead");
    std::fs::remove_file(project.path().join("zeeg.yaml")).unwrap();

    // Lead → Manager for the even ten, past the default limit with --force.
    project.write(20, |i| {
        if i % 2 == 0 {
            "Manager".into()
        } else {
            "Engineer".into()
        }
    });
    let forced = apply(&sandbox, &project, &["--auto-approve", "--force"]);
    assert_eq!(forced.code, 0, "{}\n{}", forced.stdout, forced.stderr);
    assert!(
        !forced.stdout.contains("Warning:"),
        "--force answers the warning: {}",
        forced.stdout
    );
    assert_eq!(
        last_line(&forced.stdout),
        "Apply complete: 0 created, 10 updated, 0 failed."
    );
    assert_eq!(api.person("p0@example.com")["jobTitle"], "Manager");
}

#[test]
fn a_stale_saved_plan_applies_only_what_still_matches() {
    let sandbox = Sandbox::start(&[]);
    let project = Project::new(4, engineer);
    assert_eq!(apply(&sandbox, &project, &["--auto-approve"]).code, 0);
    project.write(4, |i| format!("Title{i}"));
    let saved = project.path().join("zeeg.plan");
    let planned = plan(&sandbox, &project, &["--out", saved.to_str().unwrap()]);
    assert_eq!(planned.code, 0, "{}", planned.stderr);

    // Someone changes p2 in the CRM after the plan was saved.
    let api = Api::new(&sandbox);
    api.upsert(json!({"emails": ["p2@example.com"], "jobTitle": "Changed live"}));

    let applied = run(sandbox
        .zeeg()
        .args(["apply", "--plan"])
        .arg(&saved)
        .arg(project.path())
        .current_dir(project.path()));
    assert_eq!(applied.code, 4, "{}\n{}", applied.stdout, applied.stderr);
    let all = format!("{}{}", applied.stdout, applied.stderr);
    assert!(
        all.contains(&format!("people.yaml:{}", line_of(2))),
        "{all}"
    );
    assert_eq!(api.person("p2@example.com")["jobTitle"], "Changed live");
    for i in [0, 1, 3] {
        assert_eq!(
            api.person(&format!("p{i}@example.com"))["jobTitle"],
            format!("Title{i}")
        );
    }
}

#[test]
fn sigint_mid_apply_stops_prints_the_summary_and_a_rerun_converges() {
    let sandbox = Sandbox::start(&["--latency", "20"]);
    let project = Project::new(2_000, engineer);
    let mut child = sandbox
        .zeeg()
        .args(["apply", "--auto-approve"])
        .arg(project.path())
        .current_dir(project.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Drained as it comes: the plan of 2,000 creates is more than a pipe holds.
    let stdout_reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).unwrap();
        text
    });
    let (progress_tx, progress_rx) = std::sync::mpsc::channel::<usize>();
    let reader = std::thread::spawn(move || {
        let mut created = 0;
        let mut text = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if line.starts_with("created ") {
                created += 1;
                let _ = progress_tx.send(created);
            }
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    // Interrupt once some entries are done, long before all are.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match progress_rx.recv_timeout(Duration::from_secs(1)) {
            Ok(done) if done >= 50 => break,
            _ => assert!(Instant::now() < deadline, "apply made no progress"),
        }
    }
    let pid = child.id() as libc::pid_t;
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    let stderr = reader.join().unwrap();
    let stdout = stdout_reader.join().unwrap();
    assert_eq!(status.code(), Some(130), "{stdout}\n{stderr}");
    let summary = last_line(&stdout);
    assert!(summary.starts_with("Apply interrupted: "), "{stdout}");
    assert!(stdout.contains("entries were not sent"), "{stdout}");
    let created: u64 = summary
        .trim_start_matches("Apply interrupted: ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((50..2_000).contains(&created), "{summary}");
    // Requests in flight were let finish: what the summary counts is what the CRM holds.
    assert_eq!(Api::new(&sandbox).total(), created);

    let rerun = apply(
        &sandbox,
        &project,
        &["--auto-approve", "--parallelism", "32"],
    );
    assert_eq!(rerun.code, 0, "{}\n{}", rerun.stdout, rerun.stderr);
    assert_eq!(
        last_line(&rerun.stdout),
        format!(
            "Apply complete: {} created, 0 updated, 0 failed.",
            2_000 - created
        )
    );
    assert_converged(&sandbox, &project, 2_000);
}
