//! A stand-in GitHub Actions runner, enough to run `action.yml` and the
//! recipes in `examples/github-actions/` here: `run:` steps go to bash as
//! GitHub runs them (`bash --noprofile --norc -eo pipefail FILE`), with
//! `${{ … }}` filled in, `if:` decided, `GITHUB_OUTPUT` and `GITHUB_PATH`
//! honoured; the few actions they use are played by stand-ins (the cache by
//! a folder, github-script by node with a fake GitHub API, the zeeg action
//! by this repository's `action.yml`). So the tests check the YAML's wiring
//! (step ids, env names, conditions, outputs), not only the scripts.
//!
//! Expressions are only those the files use: context paths (`inputs.x`,
//! `steps.id.outputs.x`, `github.…`, `secrets.X`), `==`/`!=` with a string,
//! `&&`, and the status functions. Anything else panics, so a new kind of
//! expression in the YAML makes the tests say what to teach the stand-in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::common::repo_root;

/// A runner machine: its tool cache, temp folder and the actions cache
/// survive between jobs run on it only if the test reuses them.
pub struct Runner {
    pub root: tempfile::TempDir,
    /// Given to every step, as a workflow's `env` would be.
    pub env: BTreeMap<String, String>,
    /// Folders put before `/usr/bin:/bin` on PATH (stand-in tools).
    pub path: Vec<PathBuf>,
    /// The `github` context (`event`, `event_name`, …).
    pub github: Value,
    pub secrets: BTreeMap<String, String>,
    /// Existing pull request comments the fake GitHub API lists.
    pub comments: Value,
    /// Where the actions cache keeps its entries, one folder per key.
    pub cache: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Skipped,
}

/// One step as it ran.
#[derive(Debug)]
pub struct StepRun {
    pub id: String,
    pub name: String,
    pub outcome: Outcome,
    /// The exit code of a `run:` step.
    pub code: Option<i32>,
    pub outputs: BTreeMap<String, String>,
    pub log: String,
}

/// A job (or a composite action) as it ran.
#[derive(Debug, Default)]
pub struct JobRun {
    pub steps: Vec<StepRun>,
    /// The action's outputs, for a composite action.
    pub outputs: BTreeMap<String, String>,
    /// What the fake GitHub API was asked, in order.
    pub api_calls: Vec<Value>,
    /// Every line of `GITHUB_PATH`, in order.
    pub added_paths: Vec<PathBuf>,
}

impl JobRun {
    pub fn failed(&self) -> bool {
        self.steps.iter().any(|s| s.outcome == Outcome::Failure)
    }

    /// Every step's log, under its name.
    pub fn log(&self) -> String {
        self.steps
            .iter()
            .map(|s| format!("## {}\n{}", s.name, s.log))
            .collect()
    }

    pub fn step(&self, id: &str) -> &StepRun {
        self.steps
            .iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("no step {id:?} in {:?}", self.steps))
    }
}

/// What the steps of one job (or action) see.
struct Scope {
    inputs: BTreeMap<String, String>,
    steps: BTreeMap<String, BTreeMap<String, String>>,
    env: BTreeMap<String, String>,
    failed: bool,
}

impl Runner {
    pub fn new() -> Runner {
        let root = tempfile::tempdir().expect("a temp dir");
        for dir in ["tool-cache", "temp", "cache", "workspace", "home"] {
            std::fs::create_dir(root.path().join(dir)).expect("runner folders");
        }
        let cache = root.path().join("cache");
        Runner {
            root,
            env: BTreeMap::new(),
            path: Vec::new(),
            github: json!({"event_name": "push", "event": {}}),
            secrets: BTreeMap::new(),
            comments: json!([]),
            cache,
        }
    }

    pub fn tool_cache(&self) -> PathBuf {
        self.root.path().join("tool-cache")
    }

    pub fn workspace(&self) -> PathBuf {
        self.root.path().join("workspace")
    }

    /// A pull request event, as `on: pull_request` gives it.
    pub fn on_pull_request(&mut self, number: u64) {
        self.github =
            json!({"event_name": "pull_request", "event": {"pull_request": {"number": number}}});
    }

    /// Runs this repository's action with `inputs` (the `with:` of a step).
    pub fn action(&self, inputs: &[(&str, &str)]) -> JobRun {
        let inputs = inputs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut job = JobRun::default();
        let mut path = Vec::new();
        self.run_action(&inputs, &self.env, &mut job, &mut path);
        job.added_paths = path;
        job
    }

    /// Runs the only job of a workflow file.
    pub fn workflow(&self, file: &Path) -> JobRun {
        let flow = yaml(file);
        let jobs = flow["jobs"].as_object().expect("jobs");
        assert_eq!(jobs.len(), 1, "{}: one job", file.display());
        let (_, only) = jobs.iter().next().expect("a job");
        let mut scope = Scope {
            inputs: BTreeMap::new(),
            steps: BTreeMap::new(),
            env: self.env.clone(),
            failed: false,
        };
        for (k, v) in flow["env"].as_object().into_iter().flatten() {
            scope.env.insert(k.clone(), text(v));
        }
        let mut job = JobRun::default();
        let mut path = Vec::new();
        self.run_steps(steps_of(only), &mut scope, &mut job, &mut path);
        job.added_paths = path;
        job
    }

    /// A `run:` step of the same job after `job`: PATH has what `job` added.
    pub fn run_after(&self, job: &JobRun, script: &str) -> (i32, String) {
        let mut path = job.added_paths.clone();
        let (code, _, log) = self.bash(script, &self.env, &mut path);
        (code.unwrap_or(-1), log)
    }

    fn run_action(
        &self,
        given: &BTreeMap<String, String>,
        env: &BTreeMap<String, String>,
        job: &mut JobRun,
        path: &mut Vec<PathBuf>,
    ) -> (bool, BTreeMap<String, String>) {
        let action = yaml(&repo_root().join("action.yml"));
        let mut inputs = BTreeMap::new();
        for (name, spec) in action["inputs"].as_object().expect("inputs") {
            let default = spec.get("default").map(text).unwrap_or_default();
            inputs.insert(name.clone(), default);
        }
        for (name, value) in given {
            assert!(
                inputs.contains_key(name),
                "action.yml has no input {name:?}"
            );
            inputs.insert(name.clone(), value.clone());
        }
        let mut scope = Scope {
            inputs,
            steps: BTreeMap::new(),
            env: env.clone(),
            failed: false,
        };
        // Defaults may be expressions (`${{ github.token }}`).
        let defaults: Vec<_> = scope.inputs.clone().into_iter().collect();
        for (name, value) in defaults {
            let value = self.fill(&value, &scope);
            scope.inputs.insert(name, value);
        }
        assert_eq!(action["runs"]["using"], "composite");
        self.run_steps(
            action["runs"]["steps"].as_array().expect("steps"),
            &mut scope,
            job,
            path,
        );
        let mut outputs = BTreeMap::new();
        for (name, spec) in action["outputs"].as_object().expect("outputs") {
            let value = self.fill(spec["value"].as_str().expect("an output value"), &scope);
            outputs.insert(name.clone(), value);
        }
        job.outputs = outputs.clone();
        (scope.failed, outputs)
    }

    fn run_steps(
        &self,
        steps: &[Value],
        scope: &mut Scope,
        job: &mut JobRun,
        path: &mut Vec<PathBuf>,
    ) {
        for (index, step) in steps.iter().enumerate() {
            let id = step["id"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("#{index}"));
            let name = step["name"]
                .as_str()
                .map(|n| self.fill(n, scope))
                .or_else(|| step["uses"].as_str().map(str::to_string))
                .unwrap_or_default();
            let condition = step["if"].as_str().unwrap_or("");
            if !self.decide(condition, scope) {
                job.steps.push(StepRun {
                    id,
                    name,
                    outcome: Outcome::Skipped,
                    code: None,
                    outputs: BTreeMap::new(),
                    log: String::new(),
                });
                continue;
            }
            let mut env = scope.env.clone();
            for (k, v) in step["env"].as_object().into_iter().flatten() {
                env.insert(k.clone(), self.fill(&text(v), scope));
            }
            let with: BTreeMap<String, String> = step["with"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), self.fill(&text(v), scope)))
                .collect();
            let (code, outputs, log) = if let Some(script) = step["run"].as_str() {
                self.bash(&self.fill(script, scope), &env, path)
            } else {
                let uses = step["uses"].as_str().expect("a step runs or uses");
                let (ok, outputs, log) = self.uses(uses, &with, &env, job, path);
                (if ok { None } else { Some(1) }, outputs, log)
            };
            let ok = code.is_none_or(|c| c == 0);
            scope.failed |= !ok;
            scope.steps.insert(id.clone(), outputs.clone());
            job.steps.push(StepRun {
                id,
                name,
                outcome: if ok {
                    Outcome::Success
                } else {
                    Outcome::Failure
                },
                code,
                outputs,
                log,
            });
        }
    }

    /// A `run:` step: (exit code, outputs, stdout and stderr).
    fn bash(
        &self,
        script: &str,
        env: &BTreeMap<String, String>,
        path: &mut Vec<PathBuf>,
    ) -> (Option<i32>, BTreeMap<String, String>, String) {
        let temp = self.root.path().join("temp");
        let file = tempfile::NamedTempFile::new_in(&temp).expect("a script file");
        std::fs::write(file.path(), script).expect("the script is written");
        let output_file = tempfile::NamedTempFile::new_in(&temp).expect("GITHUB_OUTPUT");
        let path_file = tempfile::NamedTempFile::new_in(&temp).expect("GITHUB_PATH");
        let mut dirs: Vec<String> = path.iter().rev().map(|p| p.display().to_string()).collect();
        dirs.extend(self.path.iter().map(|p| p.display().to_string()));
        dirs.extend(["/usr/bin".to_string(), "/bin".to_string()]);
        // One file for stdout and stderr, so the log keeps their order.
        let log_file = tempfile::NamedTempFile::new_in(&temp).expect("a log file");
        // Duplicates share one offset, so neither overwrites the other.
        let stdout = log_file.as_file().try_clone().expect("the log for stdout");
        let stderr = log_file.as_file().try_clone().expect("the log for stderr");
        let status = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(file.path())
            .current_dir(self.workspace())
            .env_clear()
            .envs(env)
            .env("PATH", dirs.join(":"))
            .env("HOME", self.root.path().join("home"))
            .env("RUNNER_OS", env.get("RUNNER_OS").map_or("Linux", |s| s))
            .env("RUNNER_ARCH", env.get("RUNNER_ARCH").map_or("X64", |s| s))
            .env("RUNNER_TOOL_CACHE", self.tool_cache())
            .env("RUNNER_TEMP", &temp)
            .env("GITHUB_ACTIONS", "true")
            .env("CI", "true")
            .env("GITHUB_OUTPUT", output_file.path())
            .env("GITHUB_PATH", path_file.path())
            .stdin(std::process::Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .status()
            .expect("bash runs");
        let log = String::from_utf8_lossy(&std::fs::read(log_file.path()).unwrap_or_default())
            .into_owned();
        let written = std::fs::read_to_string(output_file.path()).unwrap_or_default();
        let outputs = written
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let added = std::fs::read_to_string(path_file.path()).unwrap_or_default();
        path.extend(added.lines().map(PathBuf::from));
        (Some(status.code().unwrap_or(-1)), outputs, log)
    }

    /// A `uses:` step, played by a stand-in.
    fn uses(
        &self,
        uses: &str,
        with: &BTreeMap<String, String>,
        env: &BTreeMap<String, String>,
        job: &mut JobRun,
        path: &mut Vec<PathBuf>,
    ) -> (bool, BTreeMap<String, String>, String) {
        let (action, _version) = uses.split_once('@').unwrap_or((uses, ""));
        match action {
            "actions/checkout" => (true, BTreeMap::new(), String::new()),
            "actions/cache/restore" => {
                let entry = self.cache.join(&with["key"]);
                let hit = entry.is_dir();
                if hit {
                    copy_dir(&entry, Path::new(&with["path"]));
                }
                let outputs = BTreeMap::from([("cache-hit".to_string(), hit.to_string())]);
                (true, outputs, format!("cache {}: {hit}\n", with["key"]))
            }
            "actions/cache/save" => {
                let entry = self.cache.join(&with["key"]);
                copy_dir(Path::new(&with["path"]), &entry);
                (
                    true,
                    BTreeMap::new(),
                    format!("cache saved: {}\n", with["key"]),
                )
            }
            "actions/github-script" => self.github_script(with, env, job),
            "OWNER/zeeg" | "./" => {
                let (failed, outputs) = self.run_action(with, env, job, path);
                (!failed, outputs, String::new())
            }
            other => panic!("the stand-in runner does not know the action {other}"),
        }
    }

    /// github-script: the script run by node, as the action runs it (an
    /// async function of `require`, `github`, `context`, `core`), against a
    /// GitHub API that lists `self.comments` and records every call.
    fn github_script(
        &self,
        with: &BTreeMap<String, String>,
        env: &BTreeMap<String, String>,
        job: &mut JobRun,
    ) -> (bool, BTreeMap<String, String>, String) {
        const HARNESS: &str = r#"
const fs = require('fs');
const calls = [];
const record = (kind) => async (params) => { calls.push({ [kind]: params }); return { data: { id: 99, html_url: 'https://example.invalid/c/99' } }; };
const github = {
  paginate: async (method, params) => { calls.push({ paginate: method.name, params }); return JSON.parse(process.env.FAKE_COMMENTS); },
  rest: { issues: {
    listComments: async function listComments() { throw new Error('listed without paginate'); },
    updateComment: record('update'), createComment: record('create'),
  } },
};
const core = { notice: (m) => calls.push({ notice: m }), info: () => {}, warning: (m) => calls.push({ warning: m }) };
const event = JSON.parse(process.env.FAKE_EVENT);
const context = {
  eventName: process.env.FAKE_EVENT_NAME, payload: event, serverUrl: 'https://github.com',
  repo: { owner: 'acme', repo: 'crm' }, runId: 7, issue: { number: (event.pull_request || {}).number },
};
const script = fs.readFileSync(process.env.FAKE_SCRIPT, 'utf8');
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('require', 'github', 'context', 'core', script)(require, github, context, core)
  .then(() => fs.writeFileSync(process.env.FAKE_CALLS, JSON.stringify(calls)))
  .catch((e) => { console.error(e); process.exit(1); });
"#;
        assert!(
            with.get("github-token").is_some_and(|t| !t.is_empty()),
            "github-script gets a token"
        );
        let temp = self.root.path().join("temp");
        let script = tempfile::NamedTempFile::new_in(&temp).expect("a script file");
        std::fs::write(script.path(), &with["script"]).expect("the script is written");
        let calls = tempfile::NamedTempFile::new_in(&temp).expect("a calls file");
        let out = Command::new("node")
            .args(["-e", HARNESS])
            .current_dir(self.workspace())
            .env_clear()
            .envs(env)
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("FAKE_SCRIPT", script.path())
            .env("FAKE_CALLS", calls.path())
            .env("FAKE_COMMENTS", self.comments.to_string())
            .env("FAKE_EVENT", self.github["event"].to_string())
            .env("FAKE_EVENT_NAME", text(&self.github["event_name"]))
            .output()
            .expect("node runs");
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() {
            let recorded = std::fs::read_to_string(calls.path()).expect("the calls");
            let recorded: Vec<Value> = serde_json::from_str(&recorded).expect("calls as JSON");
            job.api_calls.extend(recorded);
        }
        (out.status.success(), BTreeMap::new(), log)
    }

    /// A string with each `${{ path }}` replaced by its value.
    fn fill(&self, template: &str, scope: &Scope) -> String {
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("a closed expression") + start;
            out.push_str(&self.value(rest[start + 3..end].trim(), scope));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// Whether a step with this `if:` runs.
    fn decide(&self, condition: &str, scope: &Scope) -> bool {
        let condition = condition.trim();
        let condition = condition
            .strip_prefix("${{")
            .and_then(|c| c.strip_suffix("}}"))
            .unwrap_or(condition)
            .trim();
        assert!(
            !condition.contains("||"),
            "the stand-in runner decides only && of simple terms: {condition}"
        );
        let mut status_checked = false;
        let mut yes = true;
        for term in condition
            .split("&&")
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let holds = match term {
                "!cancelled()" | "always()" => {
                    status_checked = true;
                    true
                }
                "success()" => {
                    status_checked = true;
                    !scope.failed
                }
                "failure()" => {
                    status_checked = true;
                    scope.failed
                }
                _ => {
                    if let Some((left, right)) = term.split_once("!=") {
                        self.value(left.trim(), scope) != literal(right)
                    } else if let Some((left, right)) = term.split_once("==") {
                        self.value(left.trim(), scope) == literal(right)
                    } else {
                        !self.value(term, scope).is_empty()
                    }
                }
            };
            yes &= holds;
        }
        yes && (status_checked || !scope.failed)
    }

    /// The value of a context path.
    fn value(&self, path: &str, scope: &Scope) -> String {
        let parts: Vec<&str> = path.split('.').collect();
        match parts.as_slice() {
            ["inputs", name] => scope.inputs.get(*name).cloned().unwrap_or_default(),
            ["steps", id, "outputs", name] => scope
                .steps
                .get(*id)
                .and_then(|o| o.get(*name))
                .cloned()
                .unwrap_or_default(),
            ["secrets", name] => self.secrets.get(*name).cloned().unwrap_or_default(),
            ["github", "action_path"] => repo_root().display().to_string(),
            ["github", "token"] => "ghs_workflow_token".to_string(),
            ["github", rest @ ..] => {
                let mut value = &self.github;
                for part in rest {
                    value = &value[*part];
                }
                text(value)
            }
            _ => panic!("the stand-in runner cannot evaluate {path:?}"),
        }
    }
}

/// A `'quoted'` literal of an expression.
fn literal(text: &str) -> String {
    let text = text.trim();
    text.strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .unwrap_or_else(|| panic!("the stand-in runner compares only with 'strings': {text}"))
        .to_string()
}

/// A YAML scalar as the runner sees it: a string.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub fn yaml(file: &Path) -> Value {
    let source = std::fs::read_to_string(file).expect("the YAML file exists");
    serde_saphyr::from_str(&source).expect("valid YAML")
}

fn steps_of(job: &Value) -> &[Value] {
    job["steps"].as_array().expect("steps")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("the target folder");
    let status = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", from.display()))
        .arg(to)
        .status()
        .expect("cp runs");
    assert!(
        status.success(),
        "copy {} to {}",
        from.display(),
        to.display()
    );
}
