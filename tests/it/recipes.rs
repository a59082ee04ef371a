//! The CI recipes in `examples/github-actions/`: workflows GitHub accepts
//! (release.rs runs a validator on them), each using this repository's
//! action pinned to this release, and each run here by the stand-in runner
//! against a stand-in zeeg, so what the README promises of them holds.

use serde_json::{Value, json};

use crate::action::{Releases, TOKEN, calls, runner};
use crate::common::repo_root;
use crate::runner::{JobRun, Outcome, Runner, yaml};

fn recipe(name: &str) -> std::path::PathBuf {
    repo_root().join("examples/github-actions").join(name)
}

/// The step that uses the zeeg action, in the workflow's only job.
fn zeeg_step(flow: &Value) -> &Value {
    let (_, job) = flow["jobs"].as_object().unwrap().iter().next().unwrap();
    assert_eq!(job["runs-on"], "ubuntu-latest");
    job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "zeeg")
        .expect("a step with id zeeg")
}

/// `name` run on a runner with the fake releases, the API token as a
/// secret, and a zeeg that exits `code`.
fn run(name: &str, code: i32, setup: impl FnOnce(&mut Runner)) -> (Runner, JobRun) {
    let releases = Releases::new();
    let mut runner = runner(&releases);
    runner.secrets.insert("ZEEG_API_TOKEN".into(), TOKEN.into());
    runner.env.insert("FAKE_ZEEG_EXIT".into(), code.to_string());
    setup(&mut runner);
    let job = runner.workflow(&recipe(name));
    (runner, job)
}

#[test]
fn every_recipe_uses_the_action_pinned_to_this_release() {
    for name in ["zeeg-plan.yml", "zeeg-apply.yml", "zeeg-drift.yml"] {
        let flow = yaml(&recipe(name));
        let step = zeeg_step(&flow);
        assert_eq!(
            step["uses"],
            format!("OWNER/zeeg@v{}", env!("CARGO_PKG_VERSION")),
            "{name}"
        );
        assert_eq!(
            step["with"]["token"], "${{ secrets.ZEEG_API_TOKEN }}",
            "{name}"
        );
        assert_eq!(step["with"]["paths"], "people/", "{name}");
    }
}

#[test]
fn plan_recipe_runs_on_pull_requests_and_keeps_one_sticky_comment() {
    let flow = yaml(&recipe("zeeg-plan.yml"));
    assert!(flow["on"].get("pull_request").is_some());
    assert_eq!(flow["permissions"]["pull-requests"], "write");
    // One plan per pull request; a new push cancels the old one.
    let concurrency = &flow["concurrency"];
    let group = concurrency["group"].as_str().unwrap();
    assert!(
        group.contains("github.event.pull_request.number"),
        "{group}"
    );
    assert_eq!(concurrency["cancel-in-progress"], json!(true));
    let step = zeeg_step(&flow);
    assert_eq!(step["with"]["command"], "plan");
    assert_eq!(step["with"]["comment"], json!(true));

    // Changes pass, and become the comment.
    let (runner, job) = run("zeeg-plan.yml", 2, |r| r.on_pull_request(3));
    assert!(!job.failed(), "{}", job.log());
    assert!(calls(&runner).contains("--format markdown"));
    assert_eq!(job.api_calls[1]["create"]["issue_number"], 3);
    // Any other failure fails the job and says so in the comment.
    let (_, job) = run("zeeg-plan.yml", 1, |r| r.on_pull_request(3));
    assert!(job.failed());
    let body = job.api_calls[1]["create"]["body"].as_str().unwrap();
    assert!(body.contains("zeeg plan failed"), "{body}");
    // A fork's pull request: no secret, validated only, with a notice.
    let (runner, job) = run("zeeg-plan.yml", 0, |r| {
        r.on_pull_request(3);
        r.secrets.clear();
    });
    assert!(!job.failed(), "{}", job.log());
    assert_eq!(calls(&runner), "validate people/\n");
    assert!(job.log().contains("::notice title=zeeg plan skipped::"));
    assert!(job.api_calls.is_empty());
}

#[test]
fn apply_recipe_runs_on_push_never_overlaps_and_fails_when_entries_fail() {
    let flow = yaml(&recipe("zeeg-apply.yml"));
    assert!(flow["on"].get("push").is_some());
    assert_eq!(flow["concurrency"]["cancel-in-progress"], json!(false));
    let (runner, job) = run("zeeg-apply.yml", 0, |_| {});
    assert!(!job.failed(), "{}", job.log());
    assert_eq!(
        calls(&runner),
        "apply people/ --redact --auto-approve\ntoken: right\n"
    );
    let (_, job) = run("zeeg-apply.yml", 3, |_| {});
    assert!(job.failed());
    assert!(
        job.log()
            .contains("zeeg apply exited with 3 (some entries failed")
    );
}

#[test]
fn drift_recipe_runs_nightly_and_fails_on_changes() {
    let flow = yaml(&recipe("zeeg-drift.yml"));
    assert!(flow["on"].get("schedule").is_some());
    let (_, job) = run("zeeg-drift.yml", 0, |_| {});
    assert!(!job.failed(), "{}", job.log());
    assert_eq!(job.step("drift").outcome, Outcome::Skipped);
    let (runner, job) = run("zeeg-drift.yml", 2, |_| {});
    assert!(calls(&runner).contains("--detailed-exitcode"));
    let drift = job.step("drift");
    assert_eq!(drift.outcome, Outcome::Failure);
    assert!(
        drift.log.contains(
            "::error title=zeeg drift::The CRM differs from people/ (companies: 0 create, 1 update, 4 unchanged; people: 1 create, 2 update, 3 unchanged)"
        ),
        "{}",
        drift.log
    );
}

/// The README's CI quick start is six lines, and the plan recipe's own step.
#[test]
fn the_readme_quick_start_is_six_lines_of_the_plan_recipe() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let start = readme
        .find("```yaml\n- uses: actions/checkout")
        .expect("the quick start");
    let block = &readme[start + "```yaml\n".len()..];
    let block = &block[..block.find("```").unwrap()];
    assert_eq!(block.lines().count(), 6, "{block}");
    let steps: Value = serde_saphyr::from_str(block).unwrap();
    let flow = yaml(&recipe("zeeg-plan.yml"));
    let recipe_step = zeeg_step(&flow);
    assert_eq!(steps[1]["uses"], recipe_step["uses"]);
    for (key, value) in steps[1]["with"].as_object().unwrap() {
        assert_eq!(&recipe_step["with"][key], value, "{key}");
    }
}
