//! The CI recipes in `examples/github-actions/` are workflows GitHub accepts:
//! valid YAML with the keys a workflow needs, and the zeeg invocations the
//! README promises.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::common::repo_root;

#[derive(Debug, Deserialize)]
struct Workflow {
    name: String,
    on: serde_json::Value,
    #[serde(default)]
    concurrency: Option<serde_json::Value>,
    jobs: BTreeMap<String, Job>,
}

#[derive(Debug, Deserialize)]
struct Job {
    #[serde(rename = "runs-on")]
    runs_on: String,
    steps: Vec<serde_json::Value>,
}

fn workflow(name: &str) -> (Workflow, String) {
    let path = repo_root().join("examples/github-actions").join(name);
    let text = std::fs::read_to_string(&path).expect("recipe exists");
    let parsed: Workflow = serde_saphyr::from_str(&text).expect("recipe is valid YAML");
    assert!(!parsed.name.is_empty());
    for (id, job) in &parsed.jobs {
        assert_eq!(job.runs_on, "ubuntu-latest", "{name}: job {id}");
        assert!(!job.steps.is_empty(), "{name}: job {id} has no steps");
    }
    (parsed, text)
}

#[test]
fn plan_recipe_runs_on_pull_requests_and_keeps_one_sticky_comment() {
    let (flow, text) = workflow("zeeg-plan.yml");
    assert!(flow.on.get("pull_request").is_some());
    assert!(text.contains("zeeg validate"));
    assert!(text.contains("--format markdown --detailed-exitcode"));
    assert!(text.contains("<!-- zeeg-plan -->"), "finds its own comment");
    // One plan per pull request; a new push cancels the old one.
    let concurrency = flow.concurrency.as_ref().expect("a concurrency group");
    let group = concurrency["group"].as_str().unwrap();
    assert!(
        group.contains("github.event.pull_request.number"),
        "{group}"
    );
    assert_eq!(concurrency["cancel-in-progress"], serde_json::json!(true));
    // The comment is updated after a failed plan too, and found by marker
    // and author.
    let comment = step(&flow, "Post or update the plan comment");
    let condition = comment["if"].as_str().unwrap();
    assert!(condition.contains("!cancelled()"), "{condition}");
    assert!(condition.contains("'skipped'"), "{condition}");
    let script = comment["with"]["script"].as_str().unwrap();
    assert!(script.contains("zeeg plan failed"), "{script}");
    assert!(script.contains("github-actions[bot]") && script.contains("startsWith(marker)"));
}

#[test]
fn every_recipe_installs_a_pinned_zeeg_once_and_caches_it() {
    for name in ["zeeg-plan.yml", "zeeg-apply.yml", "zeeg-drift.yml"] {
        let (flow, text) = workflow(name);
        assert!(text.contains("ZEEG_VERSION: v"), "{name}: pinned to a tag");
        let install = step(&flow, "Install zeeg");
        let run = install["run"].as_str().unwrap();
        assert!(run.contains("--tag \"$ZEEG_VERSION\""), "{name}: {run}");
        assert!(
            install["if"]
                .as_str()
                .unwrap()
                .contains("cache-hit != 'true'")
        );
        let cache = step(&flow, "Cache zeeg");
        assert_eq!(cache["uses"], "actions/cache@v4", "{name}");
        let key = cache["with"]["key"].as_str().unwrap();
        assert!(key.contains("env.ZEEG_VERSION"), "{name}: {key}");
    }
}

/// The step named `name` of the workflow's only job.
fn step<'w>(flow: &'w Workflow, name: &str) -> &'w serde_json::Value {
    let job = flow.jobs.values().next().expect("a job");
    job.steps
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step {name:?}"))
}

/// The plan step's shell script, run as GitHub runs it (`bash -eo pipefail`)
/// with a stand-in `zeeg` on PATH: `validate` succeeds, `plan` prints a
/// comment and exits `code`; `None` leaves zeeg out of PATH altogether.
fn run_plan_step(code: Option<i32>, token: &str) -> (i32, String, String) {
    let (flow, _) = workflow("zeeg-plan.yml");
    let script = step(&flow, "Plan")["run"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    if let Some(code) = code {
        let zeeg = bin.join("zeeg");
        std::fs::write(
            &zeeg,
            format!(
                "#!/bin/sh\nif [ \"$1\" = plan ]; then echo '<!-- zeeg-plan -->'; exit {code}; fi\nexit 0\n"
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&zeeg, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let output_file = dir.path().join("github_output");
    std::fs::write(&output_file, "").unwrap();
    let out = std::process::Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("GITHUB_OUTPUT", &output_file)
        .env("ZEEG_API_TOKEN", token)
        .output()
        .expect("bash runs");
    let outputs = std::fs::read_to_string(&output_file).unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), outputs, log)
}

#[test]
fn the_plan_step_accepts_0_and_2_only() {
    for code in [0, 2] {
        let (status, outputs, log) = run_plan_step(Some(code), "a-token");
        assert_eq!(status, 0, "zeeg exit {code}: {log}");
        assert!(outputs.contains("status=planned"), "{code}: {outputs}");
        assert!(outputs.contains(&format!("exitcode={code}")), "{outputs}");
    }
    for code in [1, 101, 127, 130] {
        let (status, outputs, log) = run_plan_step(Some(code), "a-token");
        assert_eq!(status, 1, "zeeg exit {code} must fail the job: {log}");
        assert!(outputs.contains("status=failed"), "{code}: {outputs}");
        assert!(
            log.contains(&format!(
                "::error title=zeeg plan failed::zeeg plan exited with {code}"
            )),
            "{log}"
        );
    }
    // No zeeg at all: the job fails (at validate), it never posts a plan.
    let (status, outputs, log) = run_plan_step(None, "a-token");
    assert_eq!(status, 1, "{log}");
    assert!(outputs.contains("status=failed"), "{outputs}");
}

#[test]
fn the_plan_step_skips_with_a_notice_without_a_token() {
    let (status, outputs, log) = run_plan_step(Some(2), "");
    assert_eq!(status, 0, "{log}");
    assert!(outputs.contains("status=skipped"), "{outputs}");
    assert!(
        log.contains("::notice title=zeeg plan skipped::No ZEEG_API_TOKEN"),
        "{log}"
    );
    assert!(!log.contains("unbound variable"), "{log}");
}

#[test]
fn apply_recipe_runs_on_push_and_never_overlaps() {
    let (flow, text) = workflow("zeeg-apply.yml");
    assert!(flow.on.get("push").is_some());
    let concurrency = flow.concurrency.expect("a concurrency group");
    assert_eq!(concurrency["cancel-in-progress"], serde_json::json!(false));
    assert!(text.contains("zeeg apply") && text.contains("--auto-approve"));
    assert!(text.contains("secrets.ZEEG_API_TOKEN"));
}

#[test]
fn drift_recipe_runs_nightly_with_detailed_exitcode() {
    let (flow, text) = workflow("zeeg-drift.yml");
    assert!(flow.on.get("schedule").is_some());
    assert!(text.contains("zeeg plan") && text.contains("--detailed-exitcode"));
}
