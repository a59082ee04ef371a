//! People files and live data written to hurt: whatever they hold, zeeg
//! answers with a diagnostic (exit 1) or a plan, never a panic, and prints
//! them as data.

use serde_json::{Value, json};

use crate::common::{self, Sandbox, repo_root};

fn invalid(name: &str) -> String {
    format!("tests/fixtures/invalid/{name}")
}

#[test]
fn an_error_past_column_65535_is_reported_by_plan_without_a_panic() {
    // At its column, the 70,000-character line cut to a readable excerpt.
    let run = crate::zeeg_snapshot!(
        "an-error-past-column-65535",
        common::zeeg()
            .current_dir(repo_root())
            .env("ZEEG_API_TOKEN", common::TOKEN)
            .env("ZEEG_API_URL", "http://127.0.0.1:9/v2")
            .args(["plan", &invalid("49-error-past-column-65535.yaml")])
    );
    assert!(run.stderr.len() < 2_000, "{} bytes", run.stderr.len());
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
    // The escapes and the carriage return shown as text, `\u{1b}[2K`.
    let run = crate::zeeg_snapshot!(
        "a-live-description-with-escapes",
        sandbox.zeeg().current_dir(tmp.path()).arg("plan"),
        [common::ID_FILTER]
    );
    assert!(!run.stdout.contains('\x1b'), "{:?}", run.stdout);
    assert!(!run.stdout.contains('\r'), "{:?}", run.stdout);
}

fn mock_api(people: Value) -> String {
    common::mock_api(people, None)
}

#[test]
fn a_live_person_with_null_lists_and_objects_is_read_as_empty() {
    let api = mock_api(json!([{"id": "00000000-0000-4000-8000-000000000001",
        "firstName": "Ada", "emails": null, "phoneNumber": "+4930123456",
        "socials": null, "customAttributes": null, "company": null,
        "createdAt": "2025-01-15T09:00:00+00:00", "updatedAt": "2025-01-15T09:00:00+00:00"}]));
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("people.yaml"),
        "people:\n  - matchingAttribute: phone_number\n    firstName: Ada\n    phoneNumber: \"+4930123456\"\n    emails: [ada@example.com]\n",
    )
    .unwrap();
    let zeeg = || {
        let mut command = common::zeeg();
        command
            .current_dir(tmp.path())
            .env("ZEEG_API_URL", &api)
            .env("ZEEG_API_TOKEN", common::TOKEN);
        command
    };
    // `emails: null` is an empty list to update, not an error.
    crate::zeeg_snapshot!("a-live-person-with-nulls", zeeg().arg("plan"));

    let import = common::run(zeeg().args(["import", "--out", "imported"]));
    assert_eq!(import.code, 0, "{}", import.stderr);
    let written = std::fs::read_dir(tmp.path().join("imported"))
        .unwrap()
        .count();
    assert!(written >= 1);
}

#[test]
fn symlinked_people_files_are_read_and_a_link_loop_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    // Inside the project: a link leading out of it is refused (see security).
    let shared = project.join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::create_dir_all(project.join("people")).unwrap();
    std::fs::write(
        shared.join("team.yaml"),
        "people:\n  - firstName: Ada\n    emails: [ada@example.com]\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(shared.join("team.yaml"), project.join("people/team.yaml")).unwrap();
    let run = common::run(common::zeeg().current_dir(&project).arg("validate"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("1 person in 1 file: valid"),
        "{}",
        run.stderr
    );

    std::os::unix::fs::symlink(&project, project.join("people/loop")).unwrap();
    crate::zeeg_snapshot!(
        "a-link-loop",
        common::zeeg().current_dir(&project).arg("validate")
    );
}

#[test]
fn deep_nesting_is_an_error_at_its_place_in_moments() {
    let tmp = tempfile::tempdir().unwrap();
    let inside = format!(
        "people:\n  - firstName: Ada\n    customAttributes:\n      x:\n        {}a\n",
        "- ".repeat(40_000)
    );
    let top = format!("{}a\n", "- ".repeat(100_000));
    let flow = format!(
        "people:\n  - firstName: Ada\n    customAttributes:\n      x: {}{}\n",
        "[".repeat(300),
        "]".repeat(300)
    );
    // One level a line: the builder's own limit.
    let lines: String = (0..300).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
    let cases = [
        ("lines.yaml", lines, "lines.yaml:256:"),
        ("inside.yaml", inside, "inside.yaml:5:"),
        ("top.yaml", top, "top.yaml:1:"),
        ("flow.yaml", flow, "flow.yaml:4:"),
    ];
    for (name, text, at) in cases {
        std::fs::write(tmp.path().join(name), text).unwrap();
        for command in ["validate", "plan"] {
            let started = std::time::Instant::now();
            let run = common::run(
                common::zeeg()
                    .current_dir(tmp.path())
                    .env("ZEEG_API_TOKEN", common::TOKEN)
                    .env("ZEEG_API_URL", "http://127.0.0.1:9/v2")
                    .args([command, name]),
            );
            let took = started.elapsed();
            assert_eq!(run.code, 1, "{name} {command}: {}", run.stderr);
            assert!(run.stderr.contains(at), "{name} {command}: {}", run.stderr);
            assert!(
                run.stderr.contains("nest more than 255 levels deep")
                    || run.stderr.contains("recursion limit exceeded"),
                "{name} {command}: {}",
                run.stderr
            );
            // A debug build, on a busy machine: a release build takes milliseconds.
            assert!(took < std::time::Duration::from_secs(3), "{name}: {took:?}");
        }
    }
}

#[test]
fn plan_refuses_what_apply_would_have_the_api_refuse() {
    let sandbox = Sandbox::start(&["--custom-attribute", "tier:text"]);
    let tmp = tempfile::tempdir().unwrap();
    let standard = "people:\n  - firstName: Ann\n    emails: [ann@x.io]\n    customAttributes:\n      tier: gold\n      first_name: Ann\n";
    let long = format!(
        "people:\n  - firstName: Bo\n    emails: [bo@x.io]\n    description: {}\n",
        "x".repeat(2 << 20)
    );
    let cases = [("standard", standard.to_string()), ("long", long)];
    for (name, text) in cases {
        let file = format!("{name}.yaml");
        std::fs::write(tmp.path().join(&file), text).unwrap();
        for (command, args) in [
            ("plan", &["plan"][..]),
            ("apply", &["apply", "--auto-approve"]),
        ] {
            crate::zeeg_snapshot!(
                format!("refused-before-the-api-{name}-{command}"),
                sandbox.zeeg().current_dir(tmp.path()).args(args).arg(&file)
            );
        }
    }
    assert_eq!(common::Api::new(&sandbox).total(), 0, "nothing was sent");
}

/// Runs `zeeg validate .` in a project holding `people/a.yaml` = `yaml`.
fn validate_file(yaml: &str) -> common::Run {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("people")).unwrap();
    std::fs::write(tmp.path().join("people/a.yaml"), yaml).unwrap();
    common::run(
        common::zeeg()
            .current_dir(tmp.path())
            .args(["validate", "."]),
    )
}

#[test]
fn yaml_a_reader_would_take_another_way_is_refused_where_it_is_written() {
    let cases = [
        // The escape itself is pointed at, not the opening quote.
        (
            "unknown-escape",
            "people:\n  - firstName: \"Ann \\n then \\q\"\n    emails: [a@b.example]\n",
        ),
        // Another reader's tag is refused, not dropped.
        (
            "foreign-tag",
            "people:\n  - firstName: !!python/object:os.system x\n    emails: [a@b.example]\n",
        ),
        // Every number that would not be sent as written, not only the first.
        (
            "three-numbers",
            "people:\n  - firstName: A\n    emails: [a@b.example]\n    customAttributes:\n      seats: +5\n      score: -1e-400\n      zip: 01234\n",
        ),
        ("misspelt-people", "peple:\n  - emails: [a@b.example]\n"),
    ];
    for (name, yaml) in cases {
        let run = validate_file(yaml);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        insta::assert_snapshot!(format!("hostile-yaml-{name}"), run.stderr);
    }
}

/// A project folder and a sandbox seeded with `live` people (plus `extra`
/// arguments).
fn seeded(live: Value, extra: &[&str]) -> (tempfile::TempDir, Sandbox) {
    let tmp = tempfile::tempdir().unwrap();
    let seed = tmp.path().join("seed.json");
    std::fs::write(&seed, live.to_string()).unwrap();
    let mut args = vec!["--seed", seed.to_str().unwrap()];
    args.extend_from_slice(extra);
    let sandbox = Sandbox::start(&args);
    (tmp, sandbox)
}

#[test]
fn tagged_nulls_and_exact_numbers_are_planned_as_written() {
    let live = json!([{"firstName": "Ann", "emails": ["a@b.example"], "jobTitle": "CTO"}]);
    let (tmp, sandbox) = seeded(live, &["--custom-attribute", "seats:number"]);
    std::fs::write(
        tmp.path().join("people.yaml"),
        "people:\n  - firstName: Ann\n    emails: [a@b.example]\n    jobTitle: !!null \"\"\n    customAttributes: {seats: 1.0}\n",
    )
    .unwrap();
    let run = common::run(
        sandbox
            .zeeg()
            .current_dir(tmp.path())
            .args(["plan", "--format", "json"]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    let fields = &plan["changes"][0]["fields"];
    assert_eq!(
        fields,
        &json!([
            {"path": "jobTitle", "before": "CTO", "after": null},
            {"path": "customAttributes.seats", "before": null, "after": 1.0},
        ]),
        "{}",
        run.stdout
    );
    // The JSON holds the number as written, `1.0`, not `1`.
    assert!(run.stdout.contains("\"after\": 1.0"), "{}", run.stdout);
}

#[test]
fn invisible_characters_are_shown_and_names_with_backticks_stay_code() {
    let (tmp, sandbox) = seeded(
        json!([{"firstName": "Bo", "emails": ["bo@b.example"]}]),
        &[],
    );
    std::fs::write(
        tmp.path().join("we`ird.yaml"),
        "people:\n  - firstName: \"Ann\\u200b\\u2028X\"\n    jobTitle: \"a\\u061cb\\ufeff\\u2029\"\n    emails: [a@b.example]\n",
    )
    .unwrap();
    // Each invisible character shown as its escape, `\u{200b}`.
    let run = crate::zeeg_snapshot!(
        "invisible-characters",
        sandbox.zeeg().current_dir(tmp.path()).arg("plan")
    );
    for c in ['\u{200b}', '\u{2028}', '\u{2029}', '\u{61c}', '\u{feff}'] {
        assert!(!run.stdout.contains(c), "{c:?} raw in {:?}", run.stdout);
    }
    // The file name stays code: ``we`ird.yaml``.
    crate::zeeg_snapshot!(
        "a-backtick-in-a-file-name-markdown",
        sandbox.zeeg().current_dir(tmp.path()).args([
            "plan",
            "--format",
            "markdown",
            "--no-redact",
        ])
    );
}

#[test]
fn one_person_is_counted_as_one_person() {
    let (tmp, sandbox) = seeded(
        json!([{"firstName": "Bo", "emails": ["bo@b.example"]}]),
        &[],
    );
    std::fs::write(
        tmp.path().join("people.yaml"),
        "people:\n  - firstName: Bo\n    emails: [bo@b.example]\n",
    )
    .unwrap();
    let run = common::run(sandbox.zeeg().current_dir(tmp.path()).arg("plan"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "No changes. 1 person up to date.");
    let run = common::run(sandbox.zeeg().current_dir(tmp.path()).arg("validate"));
    assert_eq!(
        run.stderr.trim(),
        "1 person in 1 file: valid",
        "{}",
        run.stdout
    );
}
