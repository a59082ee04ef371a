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
