//! People files and live data written to hurt: whatever they hold, zeeg
//! answers with a diagnostic (exit 1) or a plan, never a panic, and prints
//! them as data.

use serde_json::json;

use crate::common::{self, Sandbox, repo_root};

fn invalid(name: &str) -> String {
    format!("tests/fixtures/invalid/{name}")
}

#[test]
fn an_error_past_column_65535_is_reported_by_plan_without_a_panic() {
    let run = common::run(
        common::zeeg()
            .current_dir(repo_root())
            .env("ZEEG_API_TOKEN", common::TOKEN)
            .env("ZEEG_API_URL", "http://127.0.0.1:9/v2")
            .args(["plan", &invalid("49-error-past-column-65535.yaml")]),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("49-error-past-column-65535.yaml:3:70045]"),
        "{}",
        run.stderr
    );
    // The 70,000-character line is cut to a readable excerpt.
    assert!(run.stderr.len() < 2_000, "{} bytes", run.stderr.len());
    assert!(run.stderr.contains("Nothing was planned"), "{}", run.stderr);
}

#[test]
fn escape_sequences_in_a_file_never_reach_the_terminal() {
    for args in [
        &["validate"][..],
        &["plan"],
        &["--color", "always", "validate"],
    ] {
        let run = common::run(
            common::zeeg()
                .current_dir(repo_root())
                .env("ZEEG_API_TOKEN", common::TOKEN)
                .args(args)
                .arg(invalid("50-escape-sequences.yaml")),
        );
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        // Colour codes of zeeg's own are `ESC[` followed by digits and `m`;
        // the file's `ESC[2K` (erase line) must not appear.
        assert!(
            !run.stderr.contains("\x1b[2K"),
            "{args:?}: {:?}",
            run.stderr
        );
        assert!(
            run.stderr.contains("\\u{1b}[2K"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn a_live_description_cannot_erase_lines_of_the_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = tmp.path().join("seed.json");
    let live = json!([{"firstName": "Ada", "emails": ["ada@example.com"],
        "description": "Notes.\n\u{1b}[2K\u{1b}[1AApproved by legal.\rsecond"}]);
    std::fs::write(&seed, live.to_string()).unwrap();
    let sandbox = Sandbox::start(&["--seed", seed.to_str().unwrap()]);
    std::fs::write(
        tmp.path().join("people.yaml"),
        "people:\n  - firstName: Ada\n    emails: [ada@example.com]\n    description: |\n      Notes.\n      Reviewed.\n",
    )
    .unwrap();
    let run = common::run(sandbox.zeeg().current_dir(tmp.path()).arg("plan"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains('\x1b'), "{:?}", run.stdout);
    assert!(!run.stdout.contains('\r'), "{:?}", run.stdout);
    assert!(
        run.stdout
            .contains("- \\u{1b}[2K\\u{1b}[1AApproved by legal.\n"),
        "{}",
        run.stdout
    );
}
