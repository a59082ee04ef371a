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
