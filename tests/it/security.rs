//! Where the token goes: the host `zeeg.yaml` may name, and the hosts only the
//! person running zeeg may name. Real binary, real sandbox on loopback.

use std::path::Path;

use crate::common::{self, Sandbox};

const PEOPLE: &str = "people:\n  - firstName: Ada\n    emails: [ada@example.com]\n";

/// A project whose zeeg.yaml names `api_url`, with one people file.
fn project(dir: &Path, api_url: &str) {
    std::fs::write(dir.join("zeeg.yaml"), format!("apiUrl: {api_url}\n")).unwrap();
    std::fs::write(dir.join("people.yaml"), PEOPLE).unwrap();
}

#[test]
fn a_zeeg_yaml_naming_another_host_gets_no_token() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), "https://collector.example/v2");
    for args in [
        &["plan"][..],
        &["apply", "--auto-approve"],
        &["import", "--out", "imported"],
    ] {
        let run = common::run(
            common::zeeg()
                .env("ZEEG_API_TOKEN", common::TOKEN)
                .current_dir(tmp.path())
                .args(args),
        );
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(
                "refusing to send the API token to collector.example, named by apiUrl in"
            ),
            "{args:?}: {}",
            run.stderr
        );
        // How to fix it, and never the token itself.
        assert!(run.stderr.contains("ZEEG_API_URL"), "{}", run.stderr);
        assert!(!run.stderr.contains(common::TOKEN), "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
    assert!(!tmp.path().join("imported").exists());
}

#[test]
fn a_zeeg_yaml_may_name_this_machine() {
    let sandbox = Sandbox::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), &sandbox.api_url());
    let run = common::run(
        common::zeeg()
            .env("ZEEG_API_TOKEN", common::TOKEN)
            .current_dir(tmp.path())
            .arg("plan"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Plan: 1 to create"), "{}", run.stdout);
}

#[test]
fn the_person_running_zeeg_may_name_any_host_over_zeeg_yaml() {
    let sandbox = Sandbox::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), "https://collector.example/v2");
    let by_env = common::run(sandbox.zeeg().current_dir(tmp.path()).arg("plan"));
    let by_flag = common::run(
        common::zeeg()
            .env("ZEEG_API_TOKEN", common::TOKEN)
            .current_dir(tmp.path())
            .args(["--api-url", &sandbox.api_url(), "plan"]),
    );
    for run in [by_env, by_flag] {
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains("Plan: 1 to create"), "{}", run.stdout);
    }
}

#[test]
fn a_refused_api_url_does_not_print_its_credentials() {
    let run = common::run(
        common::zeeg()
            .env("ZEEG_API_TOKEN", common::TOKEN)
            .env("ZEEG_API_URL", "https://user:S3CRET@api.zeeg.me/v2")
            .args(["import", "--out"])
            .arg(tempfile::tempdir().unwrap().path().join("out")),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("https://***@api.zeeg.me/v2"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("S3CRET"), "{}", run.stderr);
}

#[test]
fn a_saved_plan_is_keyed_by_the_token_and_never_holds_it() {
    let sandbox = Sandbox::start(&["--token", "second-token"]);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("people.yaml"), PEOPLE).unwrap();
    let planned =
        common::run(
            sandbox
                .zeeg()
                .current_dir(tmp.path())
                .args(["plan", "--out", "zeeg.plan"]),
        );
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    let text = std::fs::read_to_string(tmp.path().join("zeeg.plan")).unwrap();
    assert!(text.contains("\"formatVersion\": 2"), "{text}");
    assert!(
        !text.contains(common::TOKEN) && !text.contains("ada@"),
        "{text}"
    );

    // Another token cannot vouch for this plan: every change is stale.
    let other = common::run(
        sandbox
            .zeeg()
            .current_dir(tmp.path())
            .env("ZEEG_API_TOKEN", "second-token")
            .args(["apply", "--plan", "zeeg.plan"]),
    );
    assert_eq!(other.code, 4, "{}", other.stderr);
    let same =
        common::run(
            sandbox
                .zeeg()
                .current_dir(tmp.path())
                .args(["apply", "--plan", "zeeg.plan"]),
        );
    assert_eq!(same.code, 0, "{}", same.stderr);
}
