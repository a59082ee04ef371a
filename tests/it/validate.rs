//! `zeeg validate` and the manifest loader: every invalid fixture gives a
//! diagnostic that says where, what and how to fix it; valid fixtures load to
//! the entries they describe; anything the model can hold survives a trip
//! through YAML.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{Value, json};
use zeeg::manifest::model::{CustomScalar, CustomValue, DeclaredPerson, DeclaredSocials};
use zeeg::manifest::{Entry, load};

use crate::common::{repo_root, run, zeeg};

fn fixture(path: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(path)
}

/// Runs `zeeg validate` from the repository root, as a user would.
fn validate(args: &[&str]) -> crate::common::Run {
    run(zeeg()
        .current_dir(repo_root())
        .args(["--color", "never", "validate"])
        .args(args))
}

#[test]
fn every_invalid_fixture_gets_its_diagnostic() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture("invalid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "only {} invalid fixtures", files.len());
    for file in files {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let relative = file.strip_prefix(repo_root()).unwrap();
        let out = validate(&[relative.to_str().unwrap()]);
        assert_eq!(out.code, 1, "{name} should be invalid:\n{}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{name}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{name} printed to stdout");
        insta::assert_snapshot!(format!("invalid-{name}"), out.stderr);
    }
}

#[test]
fn a_person_in_two_files_names_both_places() {
    let out = validate(&["tests/fixtures/invalid-dirs/cross-file-duplicate"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("cross-file-duplicate/a.yaml:"));
    assert!(out.stderr.contains("cross-file-duplicate/b.yaml:"));
    insta::assert_snapshot!(out.stderr);
}

#[test]
fn every_problem_of_every_file_is_reported_in_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("b.yaml"),
        "people:\n  - firstName: Max\n    jobtitle: CEO\n    emails: [max@acme.com]\n  - lastName: Doe\n    emails: [nope]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("a.yaml"), "people: {}\n").unwrap();
    let out = run(zeeg()
        .current_dir(dir.path())
        .args(["validate", "--format", "json"]));
    assert_eq!(out.code, 1);
    let records: Value = serde_json::from_str(&out.stdout).unwrap();
    let places: Vec<(String, u64, u64, String)> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_string(),
                r["line"].as_u64().unwrap(),
                r["column"].as_u64().unwrap(),
                r["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        places,
        vec![
            ("a.yaml".into(), 1, 1, "zeeg::schema::wrong_type".into()),
            ("b.yaml".into(), 3, 5, "zeeg::schema::unknown_key".into()),
            ("b.yaml".into(), 6, 14, "zeeg::schema::format".into()),
        ]
    );
    assert_eq!(records[1]["help"], "did you mean `jobTitle`?");
    assert_eq!(records[1]["message"], "unknown key `jobtitle` in a person");
}

#[test]
fn each_valid_fixture_exits_zero_and_prints_a_summary() {
    // One at a time: the fixtures reuse the same people on purpose.
    for name in ["bom", "defaults", "every-field", "matching", "nulls"] {
        let path = format!("tests/fixtures/valid/{name}.yaml");
        let out = validate(&[&path]);
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        assert!(out.stderr.contains(" in 1 file: valid"), "{}", out.stderr);
        let json = validate(&["--format", "json", &path]);
        assert_eq!((json.code, json.stdout.as_str()), (0, "[]\n"));
    }
}

#[test]
fn the_example_project_is_valid() {
    let out = validate(&["examples/acme"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_yaml_file_that_is_not_people_is_skipped_when_excluded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("people")).unwrap();
    std::fs::create_dir_all(dir.path().join(".github")).unwrap();
    std::fs::write(
        dir.path().join("people/team.yaml"),
        "people:\n  - firstName: Jane\n    emails: [jane@acme.com]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join(".github/ci.yaml"), "on: push\n").unwrap();
    std::fs::write(dir.path().join("compose.yml"), "services: {}\n").unwrap();

    // compose.yml is not a people file; what to put in zeeg.yaml.
    let out = crate::zeeg_snapshot!(
        "a-yaml-file-that-is-not-people",
        zeeg().current_dir(dir.path()).arg("validate")
    );
    assert!(
        !out.stderr.contains("ci.yaml"),
        "hidden folders are skipped"
    );

    std::fs::write(dir.path().join("zeeg.yaml"), "exclude: [compose.yml]\n").unwrap();
    let out = run(zeeg()
        .current_dir(dir.path().join("people"))
        .arg("validate"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(zeeg().current_dir(dir.path()).arg("validate"));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn zeeg_yaml_defaults_apply_after_file_defaults() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("zeeg.yaml"),
        "apply:\n  parallelism: 8\ndefaults:\n  matchingAttribute: employee_id\n  jobTitle: Staff\n  customAttributes:\n    source: zeeg\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("team.yaml"),
        "defaults:\n  jobTitle: Engineer\npeople:\n  - firstName: Ada\n    customAttributes:\n      employee_id: E-1\n",
    )
    .unwrap();
    let manifest = load(&[dir.path().to_path_buf()]).unwrap();
    assert_eq!(manifest.config.apply.parallelism, 8);
    assert_eq!(manifest.config.apply.max_update_percent, 30);
    assert_eq!(manifest.root, dir.path().canonicalize().unwrap());
    let [entry] = &manifest.entries[..] else {
        panic!("one entry")
    };
    assert_eq!(entry.matching_attribute, "employee_id");
    assert_eq!(entry.match_value, json!("E-1"));
    assert_eq!(
        Value::Object(entry.fields.map()),
        json!({
            "firstName": "Ada",
            "jobTitle": "Engineer",
            "customAttributes": {"employee_id": "E-1", "source": "zeeg"}
        })
    );
    assert_eq!(*entry.project_path, *Path::new("team.yaml"));
    assert!(
        entry.source.file.ends_with("team.yaml"),
        "shown from the current folder"
    );
    assert_eq!((entry.source.line, entry.source.column), (4, 5));
}

#[test]
fn an_invalid_zeeg_yaml_is_reported_with_the_people_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("zeeg.yaml"),
        "apply:\n  maxUpdatePercent: 300\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("team.yaml"),
        "people:\n  - emails: [a@b.co]\n",
    )
    .unwrap();
    crate::zeeg_snapshot!(
        "zeeg-yaml-and-people-file-problems",
        zeeg()
            .current_dir(dir.path())
            .args(["--color", "never", "validate"])
    );
}

#[test]
fn a_missing_path_is_an_error() {
    crate::zeeg_snapshot!(
        "a-missing-path",
        zeeg()
            .current_dir(repo_root())
            .args(["--color", "never", "validate", "does/not/exist"])
    );
}

fn load_one(path: &str) -> Vec<Entry> {
    load(&[fixture(path)])
        .unwrap_or_else(|d| panic!("{path} is valid: {:?}", miette::Report::new(d)))
        .entries
}

fn fields(entry: &Entry) -> Value {
    Value::Object(entry.fields.map())
}

#[test]
fn every_field_loads_as_api_json() {
    let entries = load_one("valid/every-field.yaml");
    let [jane] = &entries[..] else { panic!() };
    assert_eq!(jane.matching_attribute, "email");
    assert_eq!(jane.match_value, json!("jane.doe@acme.example"));
    assert_eq!(
        fields(jane),
        json!({
            "firstName": "Jane",
            "lastName": "Doe",
            "salutation": "Dr",
            "emails": ["jane.doe@acme.example", "jane@acme.io"],
            "jobTitle": "Head of Product",
            "description": "Runs product for the scheduling suite.\nAsk her before changing the roadmap page.\n",
            "phoneNumber": "+4930123456789",
            "primaryLocation": "Berlin, Germany",
            "avatarUrl": "https://avatars.acme.example/jane-doe.png",
            "companyId": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "socials": {
                "linkedin": "https://www.linkedin.com/in/janedoe",
                "twitter": "https://twitter.com/janedoe",
                "facebook": "https://www.facebook.com/jane.doe",
                "instagram": "https://www.instagram.com/jane.doe"
            },
            "customAttributes": {
                "churn_reason": null,
                "customer_tier": "gold",
                "discount_rate": 0.15,
                "newsletter": true,
                "products": ["scheduling", "payments"],
                "seats": 120
            }
        })
    );
    // The repository (its .git) is the project root of a fixture.
    assert_eq!(
        *jane.project_path,
        *Path::new("tests/fixtures/valid/every-field.yaml")
    );
    assert_eq!(jane.source.line, 4);
}

#[test]
fn explicit_nulls_are_kept_and_absent_fields_stay_absent() {
    let entries = load_one("valid/nulls.yaml");
    let [max, mustermann] = &entries[..] else {
        panic!()
    };
    assert_eq!(
        fields(max),
        json!({
            "firstName": "Max",
            "lastName": null,
            "salutation": null,
            "emails": ["max@acme.example"],
            "jobTitle": null,
            "description": null,
            "phoneNumber": null,
            "primaryLocation": null,
            "avatarUrl": null,
            "socials": {"linkedin": null, "twitter": null, "facebook": null, "instagram": null},
            "customAttributes": {"customer_tier": null}
        })
    );
    assert_eq!(
        fields(mustermann),
        json!({
            "firstName": null,
            "lastName": "Mustermann",
            "emails": ["mustermann@acme.example"],
            "jobTitle": null
        })
    );
}

#[test]
fn file_defaults_merge_under_each_entry() {
    let entries = load_one("valid/defaults.yaml");
    let summary: Vec<(&str, Value, Value)> = entries
        .iter()
        .map(|e| {
            (
                e.matching_attribute.slug(),
                e.match_value.to_value(),
                e.fields.map()["companyId"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "phone_number",
                json!("+4915112345678"),
                json!("3c90c3cc-0d44-4b50-8888-8dd25736052a")
            ),
            (
                "email",
                json!("giulia.bianchi@acme.example"),
                json!("3c90c3cc-0d44-4b50-8888-8dd25736052a")
            ),
            (
                "phone_number",
                json!("+351912345678"),
                json!("9e2d4c6a-8b1f-4a3e-b5c7-0d9f2e4a6b81")
            ),
        ]
    );
    assert!(
        entries
            .iter()
            .all(|e| !e.fields.contains_key("matchingAttribute"))
    );
}

#[test]
fn each_kind_of_matching_attribute_finds_its_value() {
    let entries = load_one("valid/matching.yaml");
    let identities: Vec<(&str, Value)> = entries
        .iter()
        .map(|e| (e.matching_attribute.slug(), e.match_value.to_value()))
        .collect();
    assert_eq!(
        identities,
        vec![
            ("email", json!("jane.doe@acme.example")),
            ("emails", json!("max.mustermann@acme.example")),
            ("phone_number", json!("+4915112345678")),
            ("employee_id", json!("C-2003")),
            ("first_name", json!("Zoë")),
        ]
    );
}

#[test]
fn the_bom_fixture_loads_like_any_file() {
    let entries = load_one("valid/bom.yaml");
    assert_eq!(entries[0].fields.map()["firstName"], "Jane");
    assert_eq!((entries[0].source.line, entries[0].source.column), (2, 5));
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.yaml");
    std::fs::write(
        &file,
        "\u{feff}people:\n  - firstName: Jörg\n    emails: [j@acme.de]\n",
    )
    .unwrap();
    let manifest = load(&[file]).unwrap();
    assert_eq!(manifest.entries[0].fields.map()["firstName"], "Jörg");
    assert_eq!(manifest.entries[0].source.line, 2);
}

#[test]
fn an_alias_bomb_is_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..40 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    text.push_str("people: *a39\n");
    std::fs::write(dir.path().join("bomb.yaml"), text).unwrap();
    let started = std::time::Instant::now();
    let out = run(zeeg()
        .current_dir(dir.path())
        .args(["validate", "--format", "json"]));
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("zeeg::yaml::alias"), "{}", out.stdout);
    // Generous: refusing must not mean expanding. (A real expansion would
    // take hours and exhaust memory.)
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

// ---- property test: what the model can hold survives YAML ----

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-zÀ-ÿ' .-]{1,20}",
        // Strings YAML would read as something else unless quoted.
        Just("null".to_string()),
        Just("~".to_string()),
        Just("yes".to_string()),
        Just("true".to_string()),
        Just("0x1F".to_string()),
        Just("1e3".to_string()),
        Just("+4930123456789".to_string()),
        Just("a: b # c".to_string()),
        Just("- item".to_string()),
        Just("line one\nline two\n".to_string()),
        Just("  leading and trailing  ".to_string()),
        Just("\"quoted\" and 'single'".to_string()),
        "\\PC{0,30}",
    ]
}

fn nullable<T: std::fmt::Debug + Clone>(
    inner: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<Option<T>>> {
    prop_oneof![
        Just(None),
        Just(Some(None)),
        inner.prop_map(|v| Some(Some(v)))
    ]
}

fn url() -> impl Strategy<Value = String> {
    "[a-z]{1,10}".prop_map(|s| format!("https://example.com/{s}"))
}

fn custom_scalar() -> impl Strategy<Value = CustomScalar> {
    prop_oneof![
        Just(CustomScalar::Null(())),
        any::<bool>().prop_map(CustomScalar::Bool),
        // Beyond 2^53 a number would lose digits, and is refused.
        (-(1i64 << 53)..=(1i64 << 53)).prop_map(|n| CustomScalar::Number(n.into())),
        text().prop_map(CustomScalar::Text),
    ]
}

fn custom_value() -> impl Strategy<Value = CustomValue> {
    prop_oneof![
        custom_scalar().prop_map(CustomValue::Scalar),
        proptest::collection::vec(custom_scalar(), 0..4).prop_map(CustomValue::List),
    ]
}

prop_compose! {
    fn socials()(
        linkedin in nullable(url()),
        twitter in nullable(url()),
        facebook in nullable(url()),
        instagram in nullable(url()),
    ) -> DeclaredSocials {
        DeclaredSocials { linkedin, twitter, facebook, instagram }
    }
}

prop_compose! {
    fn person()(
        explicit_email in any::<bool>(),
        first_name in "[A-Za-zÀ-ÿ]{1,20}",
        last_name in nullable(text()),
        salutation in nullable(text()),
        emails in proptest::collection::btree_set("[a-z]{1,8}@[a-z]{1,8}\\.(com|de|io)", 1..4),
        job_title in nullable(text()),
        description in nullable(text()),
        phone_number in nullable(text()),
        primary_location in nullable(text()),
        avatar_url in nullable(url()),
        company_id in nullable(any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).to_string())),
        socials in proptest::option::of(socials()),
        custom_attributes in proptest::option::of(
            proptest::collection::btree_map("[a-z][a-z0-9_]{0,12}", custom_value(), 0..4)
        ),
    ) -> DeclaredPerson {
        DeclaredPerson {
            matching_attribute: explicit_email.then(|| "email".to_string()),
            first_name: Some(Some(first_name)),
            last_name,
            salutation,
            emails: Some(emails.into_iter().collect()),
            job_title,
            description,
            phone_number,
            primary_location,
            avatar_url,
            company: None,
            company_id,
            socials,
            custom_attributes,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_person_written_as_yaml_loads_back_equal(person in person()) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("people.yaml");
        let yaml = serde_saphyr::to_string(&json!({ "people": [&person] })).unwrap();
        std::fs::write(&file, &yaml).unwrap();
        let manifest = load(&[file]).map_err(|d| {
            TestCaseError::fail(format!("{yaml}\n{:?}", miette::Report::new(d)))
        })?;
        let [entry] = &manifest.entries[..] else { panic!("one entry") };
        let mut back = entry.fields.map();
        back.insert("matchingAttribute".into(), json!(entry.matching_attribute));
        let back: DeclaredPerson = serde_json::from_value(Value::Object(back)).unwrap();
        let mut expected = person.clone();
        expected.matching_attribute = Some("email".into());
        prop_assert_eq!(back, expected, "{}", yaml);
    }
}

#[test]
fn json_diagnostics_are_stable_for_editors_and_ci() {
    let out = validate(&[
        "--format",
        "json",
        "tests/fixtures/invalid/11-unknown-field-jobtitle.yaml",
        "tests/fixtures/invalid/29-duplicate-identity.yaml",
    ]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn defaults_written_after_people_merge_the_same() {
    let before = std::fs::read_to_string(fixture("valid/defaults.yaml")).unwrap();
    let (head, people) = before.split_once("people:\n").unwrap();
    let defaults = &head[head.find("defaults:").unwrap()..];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("zeeg.yaml"), "apply:\n  parallelism: 4\n").unwrap();
    let after = dir.path().join("after.yaml");
    std::fs::write(&after, format!("people:\n{people}{defaults}")).unwrap();
    let expected = load_one("valid/defaults.yaml");
    let entries = load(std::slice::from_ref(&after)).unwrap().entries;
    let as_sent = |entries: &[Entry]| -> Vec<(String, Value, Value)> {
        entries
            .iter()
            .map(|e| {
                (
                    e.matching_attribute.to_string(),
                    e.match_value.to_value(),
                    fields(e),
                )
            })
            .collect()
    };
    assert_eq!(as_sent(&entries), as_sent(&expected));
    assert_eq!(
        entries[0].source.line, 3,
        "the first person's line, below its comment"
    );
}

/// A people file of `n` people, the one at `bad` with an email that is not one.
fn big_file(n: usize, bad: usize) -> String {
    let mut text = String::from("defaults:\n  jobTitle: Engineer\npeople:\n");
    for i in 0..n {
        let email = if i == bad {
            "not-an-email".to_string()
        } else {
            format!("p{i}@acme.example")
        };
        text.push_str(&format!(
            "  - firstName: Person{i}\n    lastName: Big\n    emails: [{email}]\n"
        ));
    }
    text
}

#[test]
fn a_big_file_loads_person_by_person_with_every_problem_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("zeeg.yaml"), "apply:\n  parallelism: 4\n").unwrap();
    let path = dir.path().join("big.yaml");
    // Over a MiB: scanned on a thread of its own, each person checked as it
    // is parsed.
    let n = 16_000;
    let text = big_file(n, usize::MAX);
    assert!(text.len() > 1 << 20);
    std::fs::write(&path, &text).unwrap();
    let manifest = load(std::slice::from_ref(&path)).unwrap();
    assert_eq!(manifest.entries.len(), n);
    let last = &manifest.entries[n - 1];
    assert_eq!(last.source.line, 4 + 3 * (n - 1));
    assert_eq!(last.fields.map()["jobTitle"], json!("Engineer"));

    std::fs::write(&path, big_file(n, 12_345)).unwrap();
    let out = run(zeeg().current_dir(dir.path()).args([
        "--color", "never", "validate", "--format", "json", "big.yaml",
    ]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let lines: Vec<&Value> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["line"])
        .collect();
    assert_eq!(lines, [&json!(4 + 3 * 12_345 + 2)], "{}", out.stdout);

    // A syntax error near the end is found by the scanning thread.
    let mut broken = big_file(n, usize::MAX);
    broken.push_str("  - firstName: [unclosed\n");
    std::fs::write(&path, &broken).unwrap();
    let out = run(zeeg()
        .current_dir(dir.path())
        .args(["--color", "never", "validate", "big.yaml"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("big.yaml:"), "{}", out.stderr);
}

#[test]
fn checking_finds_what_loading_finds() {
    // `validate` keeps less of each person than `plan` does; it must not
    // find less.
    let dirs = [fixture("invalid"), fixture("valid")];
    for dir in dirs {
        for file in std::fs::read_dir(dir).unwrap() {
            let path = file.unwrap().path();
            let paths = [path.clone()];
            let records = |d: zeeg::manifest::Diagnostics| -> Vec<String> {
                d.problems
                    .iter()
                    .map(|p| serde_json::to_string(&p.to_record()).unwrap())
                    .collect()
            };
            match (load(&paths), zeeg::manifest::check(&paths)) {
                (Ok(manifest), Ok(checked)) => {
                    assert_eq!(checked.people, manifest.entries.len(), "{path:?}");
                    assert_eq!(checked.files, manifest.files.len(), "{path:?}");
                }
                (Err(loaded), Err(checked)) => {
                    assert_eq!(records(checked), records(loaded), "{path:?}")
                }
                _ => panic!("{path:?}: load and check disagree"),
            }
        }
    }
}

#[test]
fn a_declared_value_refused_in_defaults_is_reported_once_naming_the_defaults() {
    let dir = crate::common::project(&[
        (
            "zeeg.yaml",
            "defaults:\n  customAttributes:\n    tier: platinum\nattributes:\n  people:\n    - {key: tier, label: Tier, type: select, options: [gold]}\n",
        ),
        (
            "people/team.yaml",
            "people:\n  - firstName: Ada\n    emails: [ada@example.com]\n  - firstName: Grace\n    emails: [grace@example.com]\n",
        ),
    ]);
    let out = crate::common::run(
        crate::common::zeeg()
            .env("NO_COLOR", "1")
            .current_dir(dir.path())
            .arg("validate"),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        out.stderr.matches("zeeg::person::declared_value").count(),
        1,
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("its `tier` comes from the defaults at zeeg.yaml:3"),
        "{}",
        out.stderr
    );
}
