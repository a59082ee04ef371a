//! `zeeg --version` names the commit a binary was built from, whichever way
//! the build learnt it (build.rs, `build/provenance.rs`).

#[path = "../../build/provenance.rs"]
mod provenance;

use std::process::Command;

use provenance::{Commit, from_cargo_vcs_info, from_git_log, from_override, long_version};

use crate::common::{repo_root, run, zeeg};

/// The commit of this checkout as git tells it, when this is one.
fn checked_out() -> Option<String> {
    let out = Command::new("git")
        .args(["log", "-1", "--format=%h %cs", "--abbrev=7"])
        .current_dir(repo_root())
        .output()
        .ok()?;
    let top = Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .current_dir(repo_root())
        .output()
        .ok()?;
    let top = String::from_utf8(top.stdout).ok()?;
    let ours =
        std::fs::canonicalize(top.trim()).ok()? == std::fs::canonicalize(repo_root()).ok()?;
    (out.status.success() && ours).then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let out = run(zeeg().arg("--version"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let version = env!("CARGO_PKG_VERSION");
    match checked_out() {
        Some(commit) => assert_eq!(out.stdout, format!("zeeg {version} ({commit})\n")),
        // Built from a tarball: the version, and the commit only if
        // .cargo_vcs_info.json named it.
        None => assert!(
            out.stdout.starts_with(&format!("zeeg {version}")),
            "{}",
            out.stdout
        ),
    }
    // Subcommands say the same.
    let plan = run(zeeg().args(["plan", "--version"]));
    assert_eq!(plan.stdout, out.stdout.replacen("zeeg", "zeeg-plan", 1));
}

#[test]
fn the_long_version_has_what_is_known() {
    let commit = Commit {
        hash: "1bb506b".into(),
        date: Some("2026-12-02".into()),
    };
    assert_eq!(
        long_version("0.1.0", Some(&commit)),
        "0.1.0 (1bb506b 2026-12-02)"
    );
    let undated = Commit {
        date: None,
        ..commit
    };
    assert_eq!(long_version("0.1.0", Some(&undated)), "0.1.0 (1bb506b)");
    assert_eq!(long_version("0.1.0", None), "0.1.0");
}

#[test]
fn a_release_build_may_name_its_commit() {
    let named = from_override(Some(" 1bb506b\n"), Some("2026-12-02")).unwrap();
    assert_eq!(named.hash, "1bb506b");
    assert_eq!(named.date.as_deref(), Some("2026-12-02"));
    assert_eq!(from_override(Some("1bb506b"), None).unwrap().date, None);
    // Unset, empty, or not one word: as if unset, so git is asked instead.
    assert_eq!(from_override(None, Some("2026-12-02")), None);
    assert_eq!(from_override(Some(""), None), None);
    assert_eq!(from_override(Some("abc def"), None), None);
    assert_eq!(from_override(Some("abc\ncargo:rustc-env=X=1"), None), None);
}

#[test]
fn git_log_gives_hash_and_date() {
    let commit = from_git_log("1bb506b 2026-12-01\n").unwrap();
    assert_eq!(commit.hash, "1bb506b");
    assert_eq!(commit.date.as_deref(), Some("2026-12-01"));
    assert_eq!(from_git_log(""), None);
    assert_eq!(from_git_log("fatal: not a git repository"), None);
}

#[test]
fn a_crates_io_tarball_gives_the_commit_without_a_date() {
    // What `cargo package` writes.
    let json = r#"{
  "git": {
    "sha1": "1bb506b2c1e7f0a9d8b3c4e5f6a7b8c9d0e1f2a3"
  },
  "path_in_vcs": ""
}"#;
    let commit = from_cargo_vcs_info(json).unwrap();
    assert_eq!(commit.hash, "1bb506b");
    assert_eq!(commit.date, None);
    for broken in [
        "",
        "{}",
        r#"{"git": {"sha1": 12}}"#,
        r#"{"git": {"sha1": "xyz"}}"#,
        r#"{"sha1": "#,
    ] {
        assert_eq!(from_cargo_vcs_info(broken), None, "{broken}");
    }
}
