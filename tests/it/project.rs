//! Where things live: one project root (zeeg.yaml's folder, else the git work
//! tree's root, else the current folder) holding `.zeeg/`; paths shown relative
//! to the current folder; saved plans that know their files, relative to the
//! root.

use std::path::Path;

use serde_json::Value;

use crate::common::{Run, Sandbox, project, run, write_files, zeeg};

const TEAM: &str = "people:
  - firstName: Ada
    emails: [ada@acme.example]
    jobTitle: Engineer
  - firstName: Bo
    emails: [bo@acme.example]
    jobTitle: Engineer
";

/// A project with `people/team.yaml`, a YAML file that is no people file
/// (`notes/todo.yaml`: reading it is an error), and `marker` at its top
/// (`zeeg.yaml` or a `.git` folder) when given.
fn marked_project(marker: Option<&str>) -> tempfile::TempDir {
    let dir = project(&[
        ("people/team.yaml", TEAM),
        ("notes/todo.yaml", "todo: [call Ada]\n"),
    ]);
    match marker {
        Some(".git") => std::fs::create_dir(dir.path().join(".git")).unwrap(),
        Some(file) => write_files(dir.path(), &[(file, "{}\n")]),
        None => {}
    }
    dir
}

fn in_dir(mut command: std::process::Command, dir: &Path, args: &[&str]) -> Run {
    run(command.current_dir(dir).args(args))
}

fn retitle(dir: &Path, title: &str) {
    let text = TEAM.replace("Engineer", title);
    std::fs::write(dir.join("people/team.yaml"), text).unwrap();
}

#[test]
fn apply_of_a_saved_plan_reads_the_paths_the_plan_was_made_from() {
    let sandbox = Sandbox::start(&[]);
    let dir = marked_project(Some("zeeg.yaml"));
    let root = dir.path();
    let planned = in_dir(
        sandbox.zeeg(),
        root,
        &["plan", "people", "--out", "plan.json"],
    );
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("plan.json")).unwrap()).unwrap();
    assert_eq!(saved["paths"], serde_json::json!(["people"]));
    assert_eq!(saved["sources"][0]["path"], "people/team.yaml");
    assert_eq!(saved["changes"][0]["source"]["file"], "people/team.yaml");

    // No paths: the plan's own, not every YAML file under the current folder.
    let applied = in_dir(
        sandbox.zeeg(),
        root,
        &["apply", "--auto-approve", "--plan", "plan.json"],
    );
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert!(
        applied
            .stdout
            .ends_with("Apply complete: 2 created, 0 updated, 0 failed.\n"),
        "{}",
        applied.stdout
    );

    // From a subfolder, the same plan means the same files.
    retitle(root, "Lead");
    let planned = in_dir(
        sandbox.zeeg(),
        root,
        &["plan", "people", "--out", "plan.json"],
    );
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    let applied = in_dir(
        sandbox.zeeg(),
        &root.join("notes"),
        &["apply", "--auto-approve", "--plan", "../plan.json"],
    );
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert!(applied.stdout.contains("2 updated"), "{}", applied.stdout);
}

#[test]
fn paths_that_differ_from_the_saved_plans_are_refused() {
    let sandbox = Sandbox::start(&[]);
    let dir = marked_project(Some("zeeg.yaml"));
    let root = dir.path();
    let planned = in_dir(
        sandbox.zeeg(),
        root,
        &["plan", "people", "--out", "plan.json"],
    );
    assert_eq!(planned.code, 0, "{}", planned.stderr);

    // The same paths, written another way, are the same.
    let same = in_dir(
        sandbox.zeeg(),
        &root.join("people"),
        &["apply", "--auto-approve", "--plan", "../plan.json", "."],
    );
    assert_eq!(same.code, 0, "{}\n{}", same.stdout, same.stderr);

    let planned = in_dir(
        sandbox.zeeg(),
        root,
        &["plan", "people", "--out", "plan.json"],
    );
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    crate::zeeg_snapshot!(
        "saved-plan-of-other-paths",
        sandbox.zeeg().current_dir(root).args([
            "apply",
            "--auto-approve",
            "--plan",
            "plan.json",
            "people/team.yaml",
        ])
    );
}

#[test]
fn a_plan_made_in_another_project_is_refused() {
    let sandbox = Sandbox::start(&[]);
    let first = marked_project(Some("zeeg.yaml"));
    let planned = in_dir(
        sandbox.zeeg(),
        first.path(),
        &["plan", "people", "--out", "plan.json"],
    );
    assert_eq!(planned.code, 0, "{}", planned.stderr);

    let second = marked_project(Some("zeeg.yaml"));
    std::fs::rename(
        second.path().join("people/team.yaml"),
        second.path().join("people/staff.yaml"),
    )
    .unwrap();
    // Copied beside the other project's files, as a user might.
    std::fs::copy(
        first.path().join("plan.json"),
        second.path().join("plan.json"),
    )
    .unwrap();
    crate::zeeg_snapshot!(
        "saved-plan-of-another-project",
        sandbox.zeeg().current_dir(second.path()).args([
            "apply",
            "--auto-approve",
            "--plan",
            "plan.json"
        ])
    );
}

#[test]
fn one_project_has_one_sandbox_whichever_folder_a_command_runs_from() {
    for marker in [Some("zeeg.yaml"), Some(".git")] {
        let dir = marked_project(marker);
        let root = dir.path();
        std::fs::remove_file(root.join("notes/todo.yaml")).unwrap();
        let applied = in_dir(
            zeeg(),
            root,
            &["apply", "--sandbox", "--auto-approve", "people/"],
        );
        assert_eq!(applied.code, 0, "{marker:?}: {}", applied.stderr);
        let everything = root.to_str().unwrap();
        for (folder, args) in [
            (root.to_path_buf(), &[][..]),
            (root.join("people"), &[]),
            (root.join("notes"), &[everything]),
        ] {
            let mut all = vec!["plan", "--sandbox"];
            all.extend_from_slice(args);
            let planned = in_dir(zeeg(), &folder, &all);
            assert_eq!(planned.code, 0, "{marker:?}: {}", planned.stderr);
            assert_eq!(
                planned.stdout, "No changes. 2 people up to date.\n",
                "{marker:?} from {folder:?}"
            );
        }
        assert!(root.join(".zeeg").is_dir(), "{marker:?}");
        for folder in ["people", "notes"] {
            assert!(!root.join(folder).join(".zeeg").exists(), "{marker:?}");
        }
    }
}

#[test]
fn paths_are_shown_relative_to_the_current_folder_however_zeeg_is_called() {
    let dir = marked_project(Some(".git"));
    let root = dir.path();
    std::fs::remove_file(root.join("notes/todo.yaml")).unwrap();
    let place = |folder: &Path, args: &[&str]| {
        let mut all = vec!["plan", "--sandbox", "--format", "json"];
        all.extend_from_slice(args);
        let out = in_dir(zeeg(), folder, &all);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        let plan: Value = serde_json::from_str(&out.stdout).unwrap();
        plan["changes"][0]["source"]["file"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for args in [&[][..], &["people"], &["people/"], &["./people/team.yaml"]] {
        assert_eq!(place(root, args), "people/team.yaml", "{args:?}");
    }
    let people = root.join("people");
    for args in [&[][..], &["."], &["team.yaml"], &["../people"]] {
        assert_eq!(place(&people, args), "team.yaml", "{args:?}");
    }
    assert_eq!(
        place(&root.join("notes"), &["../people"]),
        "../people/team.yaml"
    );
    let text = in_dir(zeeg(), root, &["plan", "--sandbox", "people"]);
    assert!(
        text.stdout.contains("(people/team.yaml:2)"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_saved_plan_made_with_only_applies_the_same_selection() {
    let sandbox = Sandbox::start(&[]);
    let dir = marked_project(Some("zeeg.yaml"));
    let root = dir.path();
    let planned = in_dir(
        sandbox.zeeg(),
        root,
        &["plan", "people", "--only", "ada@*", "--out", "plan.json"],
    );
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("plan.json")).unwrap()).unwrap();
    // The globs are kept sealed: an email glob is contact data.
    assert_eq!(saved["only"], Value::Null);
    assert!(saved["targeting"].is_string(), "{saved}");
    assert!(!saved.to_string().contains("ada@"), "{saved}");

    // Another selection would make the rest stale: refused, nothing sent.
    crate::zeeg_snapshot!(
        "saved-plan-of-another-selection",
        sandbox.zeeg().current_dir(root).args([
            "apply",
            "--auto-approve",
            "--plan",
            "plan.json",
            "--only",
            "bo@*",
        ])
    );

    // Without --only, the plan's own selection: only Ada, and nothing stale.
    let applied = in_dir(
        sandbox.zeeg(),
        root,
        &["apply", "--auto-approve", "--plan", "plan.json"],
    );
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert!(
        applied
            .stdout
            .ends_with("Apply complete: 1 created, 0 updated, 0 failed.\n"),
        "{}",
        applied.stdout
    );
}
