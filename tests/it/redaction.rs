//! What `--redact` promises: no email or phone number in clear, wherever it
//! sits (custom attributes, identities, snippets of invalid files).

use crate::common::{self, Sandbox};

const PEOPLE: &str = r#"people:
  - matchingAttribute: mobile
    firstName: Ada
    customAttributes:
      mobile: "+4915112345678"
      assistant: kim.lee@acme.example
      tier: gold
  - firstName: Bo
    emails: [bo@acme.example]
    phoneNumber: "+٤٩٣٠١٢٣٤٥٦٧"
"#;

#[test]
fn custom_attributes_and_identities_with_contact_data_are_masked() {
    let sandbox = Sandbox::start(&[
        "--custom-attribute",
        "mobile:phone_number",
        "--custom-attribute",
        "assistant:text",
        "--custom-attribute",
        "tier:text",
    ]);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("people.yaml"), PEOPLE).unwrap();
    for format in ["text", "json", "markdown"] {
        let run = common::run(
            sandbox
                .zeeg()
                .current_dir(tmp.path())
                .args(["plan", "--redact", "--format", format]),
        );
        assert_eq!(run.code, 0, "{format}: {}", run.stderr);
        for secret in ["15112345678", "kim.lee", "٤٩٣٠١٢٣٤٥", "bo@"] {
            assert!(
                !run.stdout.contains(secret),
                "{format}: {secret} in\n{}",
                run.stdout
            );
        }
        assert!(
            run.stdout.contains("+***********78"),
            "{format}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("k***@acme.example"),
            "{format}: {}",
            run.stdout
        );
        assert!(run.stdout.contains("gold"), "{format}: {}", run.stdout);
    }
}

#[test]
fn snippets_and_messages_of_invalid_files_are_masked() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("people.yaml"),
        "people:\n  - firstName: Ada\n    emails: [ada.secret@acme.example]\n    phoneNumber: \"+4930987654\"\n  - firstName: Bo\n    emails: [ada.secret@acme.example]\n",
    )
    .unwrap();
    let plan = |args: &[&str], ci: &str| {
        common::run(
            common::zeeg()
                .current_dir(tmp.path())
                .env("ZEEG_API_TOKEN", common::TOKEN)
                .env("CI", ci)
                .args(["plan"])
                .args(args),
        )
    };
    // `--redact`, and markdown in CI, which is redacted by default.
    for run in [
        plan(&["--redact"], "false"),
        plan(&["--format", "markdown"], "true"),
    ] {
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr.contains("two people share the email"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("ada.secret"), "{}", run.stderr);
        assert!(!run.stderr.contains("30987654"), "{}", run.stderr);
        assert!(
            run.stderr.contains("a*********@acme.example"),
            "{}",
            run.stderr
        );
    }
    // Without redaction the user sees their own file as it is.
    let clear = plan(&[], "false");
    assert!(
        clear.stderr.contains("ada.secret@acme.example"),
        "{}",
        clear.stderr
    );
}

#[test]
fn a_server_error_echoing_the_request_is_masked_in_failure_reasons() {
    let api = common::mock_api(serde_json::json!([]), Some(422));
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("people.yaml"),
        "people:\n  - firstName: Ann\n    emails: [ann.lee@x.io]\n    phoneNumber: \"+4930123456\"\n",
    )
    .unwrap();
    for format in ["text", "json"] {
        let run = common::run(
            common::zeeg()
                .current_dir(tmp.path())
                .env("ZEEG_API_URL", &api)
                .env("ZEEG_API_TOKEN", common::TOKEN)
                .args(["apply", "--auto-approve", "--redact", "--format", format]),
        );
        assert_eq!(run.code, 3, "{format}: {}{}", run.stdout, run.stderr);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(!all.contains("ann.lee@"), "{format}: {all}");
        assert!(!all.contains("4930123456"), "{format}: {all}");
        // The reason is still there, masked.
        assert!(all.contains("taken:"), "{format}: {all}");
        assert!(all.contains("a******@x.io"), "{format}: {all}");
    }
}

#[test]
fn an_only_email_is_neither_saved_in_clear_nor_echoed_under_redact() {
    let sandbox = Sandbox::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("people.yaml"),
        "people:\n  - firstName: Ann\n    emails: [ann@x.io]\n  - firstName: Bo\n    emails: [bo@x.io]\n",
    )
    .unwrap();
    let zeeg = |args: &[&str]| common::run(sandbox.zeeg().current_dir(tmp.path()).args(args));
    let planned = zeeg(&["plan", "--only", "ann@x.io", "--out", "plan.json"]);
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    let saved = std::fs::read_to_string(tmp.path().join("plan.json")).unwrap();
    assert!(
        !saved.contains("ann@") && !saved.contains("x.io"),
        "{saved}"
    );
    // apply --plan still selects what the plan was made for, and only that.
    let applied = zeeg(&["apply", "--plan", "plan.json"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert!(
        applied
            .stderr
            .contains("1 entry left out by --only/--exclude; 1 selected."),
        "{}",
        applied.stderr
    );
    assert_eq!(common::Api::new(&sandbox).total(), 1);
    let other = zeeg(&["apply", "--plan", "plan.json", "--only", "bo@x.io"]);
    assert_eq!(other.code, 1, "{}", other.stderr);

    // A glob that selects nothing is named, masked under --redact.
    for args in [
        &["plan", "--redact", "--only", "nobody@x.io"][..],
        &["apply", "--redact", "--only", "nobody@x.io"],
    ] {
        let run = zeeg(args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("nobody@"), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("n*****@x.io"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn a_token_in_the_api_url_is_not_printed() {
    let secret = "rw-token-9d3e1b55";
    let sandbox = Sandbox::start(&["--token", secret]);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("people.yaml"),
        "people:\n  - firstName: Ann\n    emails: [ann@x.io]\n",
    )
    .unwrap();
    for base in [
        // Answers 404, naming the URL.
        format!("{}/{secret}", sandbox.api_url()),
        // Refuses, naming it too.
        format!("http://127.0.0.1:9/v2/{secret}/"),
    ] {
        let run = common::run(
            common::zeeg()
                .current_dir(tmp.path())
                .env("ZEEG_API_URL", &base)
                .env("ZEEG_API_TOKEN", secret)
                .args(["-q", "plan"]),
        );
        assert_eq!(run.code, 1, "{base}: {}", run.stderr);
        assert!(!run.stderr.contains(secret), "{base}: {}", run.stderr);
        assert!(run.stderr.contains("[token]"), "{base}: {}", run.stderr);
    }
}
