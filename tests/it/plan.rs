//! `zeeg plan` against a real sandbox over loopback HTTP.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{self, Run, Sandbox, run};

/// The live side of the scenario: fixed ids so the snapshots are stable.
fn seed() -> Value {
    let id = |n: u32| format!("00000000-0000-4000-8000-{n:012}");
    let description = (1..=12)
        .map(|i| format!("Line {i} of Zoë's notes."))
        .collect::<Vec<_>>()
        .join("\n");
    json!([
        {"id": id(1), "firstName": "Jane", "lastName": "Doe", "salutation": "Ms",
         "emails": ["jane@acme.example"], "jobTitle": "Head of Product",
         "primaryLocation": "Berlin, Germany", "avatarUrl": "https://img.example/jane.png"},
        {"id": id(2), "firstName": "Max", "emails": ["maxi@acme.example", "max@acme.example"]},
        {"id": id(3), "firstName": "Ann", "lastName": "Lee",
         "emails": ["ann@home.example", "ann@work.example"], "jobTitle": "Buyer"},
        {"id": id(4), "firstName": "Priya", "emails": ["priya@acme.example"],
         "socials": {"linkedin": "https://www.linkedin.com/in/priya-old", "twitter": "https://x.com/priya"},
         "customAttributes": {"customer_tier": "silver", "seats": 10}},
        {"id": id(5), "firstName": "Tomas", "phoneNumber": "+4930123456789"},
        {"id": id(6), "firstName": "Kwame", "jobTitle": "Sales",
         "customAttributes": {"employee_id": "E-1001"},
         "company": {"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "name": "Acme", "domain": "acme.example"}},
        {"id": id(7), "firstName": "Zoë", "emails": ["zoe@acme.example"], "description": description},
        {"id": id(8), "firstName": "Kim", "emails": ["kim@acme.example"], "jobTitle": "CFO"},
        {"id": id(9), "firstName": "Nobody", "emails": ["nobody@elsewhere.example"]},
        // Works at the company Kwame moves to, so that the CRM holds it.
        {"id": id(10), "firstName": "Gil", "emails": ["gil@globex.example"],
         "company": {"id": "5b1e8a52-3f8e-4c1a-9d7e-2a4b6c8d0e1f", "name": "Globex", "domain": "globex.example"}},
    ])
}

/// The desired side: one entry per kind of change, and one unchanged.
const PEOPLE: &str = r#"people:
  - firstName: Nora
    lastName: New
    emails: [nora@acme.example, n.new@acme.example]
    jobTitle: Engineer
    phoneNumber: "+4915112345678"
    description: |
      Joined in March.
      Works on billing.
    socials:
      linkedin: https://www.linkedin.com/in/nora-new
    customAttributes:
      customer_tier: gold
  - firstName: Jane
    lastName: Doe
    salutation: Dr
    emails: [jane@acme.example]
    jobTitle: Chief Product Officer
    primaryLocation: null
  - firstName: Max
    emails: [max@acme.example, maxi@acme.example]
  - firstName: Ann
    emails: [ann@work.example]
    jobTitle: Head of Buying
  - firstName: Priya
    emails: [priya@acme.example]
    socials:
      linkedin: https://www.linkedin.com/in/priya
      twitter: null
    customAttributes:
      customer_tier: gold
  - matchingAttribute: phone_number
    firstName: Tomás
    phoneNumber: "+4930123456789"
  - matchingAttribute: employee_id
    firstName: Kwame
    jobTitle: Sales Lead
    companyId: 5b1e8a52-3f8e-4c1a-9d7e-2a4b6c8d0e1f
    customAttributes:
      employee_id: E-1001
  - firstName: Zoë
    emails: [zoe@acme.example]
    description: |-
      Line 1 of Zoë's notes.
      Line 2 of Zoë's notes.
      Line 3 of Zoë's notes.
      Line 4 of Zoë's notes.
      Line 5 of Zoë's notes.
      Line 6 of Zoë's notes, now longer.
      Line 7 of Zoë's notes.
      Line 8 of Zoë's notes.
      Line 9 of Zoë's notes.
      Line 10 of Zoë's notes.
      Line 11 of Zoë's notes.
      Line 12 of Zoë's notes.
  - firstName: Kim
    emails: [kim@acme.example]
    jobTitle: CFO
"#;

/// A project folder with `zeeg.yaml` and `people/team.yaml`.
/// A project with a `zeeg.yaml` and one people file, `people/team.yaml`.
fn team_project(people: &str) -> tempfile::TempDir {
    common::project(&[("zeeg.yaml", "{}\n"), ("people/team.yaml", people)])
}

fn write_seed(dir: &Path, seed: &Value) -> String {
    let path = dir.join("seed.json");
    std::fs::write(&path, seed.to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

fn scenario_sandbox(dir: &Path) -> Sandbox {
    let seed = write_seed(dir, &seed());
    Sandbox::start(&[
        "--seed",
        &seed,
        "--custom-attribute",
        "customer_tier:select=gold|silver",
        "--custom-attribute",
        "employee_id:text",
        "--custom-attribute",
        "seats:number",
    ])
}

/// `zeeg plan people ARGS` in `dir`, against `sandbox`.
fn plan_command(sandbox: &Sandbox, dir: &Path, args: &[&str]) -> std::process::Command {
    let mut command = sandbox.zeeg();
    command
        .current_dir(dir)
        .arg("plan")
        .arg("people")
        .args(args);
    command
}

fn plan(sandbox: &Sandbox, dir: &Path, args: &[&str]) -> Run {
    run(&mut plan_command(sandbox, dir, args))
}

#[test]
fn every_kind_of_change_as_text() {
    let dir = team_project(PEOPLE);
    let sandbox = scenario_sandbox(dir.path());
    let out = plan(&sandbox, dir.path(), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .ends_with("Plan: 1 to create, 7 to update, 1 unchanged.\n")
    );
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn every_kind_of_change_as_json() {
    let dir = team_project(PEOPLE);
    let sandbox = scenario_sandbox(dir.path());
    let out = plan(&sandbox, dir.path(), &["--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let parsed: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        parsed["summary"],
        json!({"create": 1, "update": 7, "unchanged": 1})
    );
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn every_kind_of_change_as_markdown_redacted_in_ci() {
    let dir = team_project(PEOPLE);
    let sandbox = scenario_sandbox(dir.path());
    let out = run(sandbox
        .zeeg()
        .current_dir(dir.path())
        .env("CI", "true")
        .args(["plan", "people", "--format", "markdown"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("<!-- zeeg-plan -->\n"));
    for secret in ["nora@acme.example", "+4915112345678", "Works on billing"] {
        assert!(!out.stdout.contains(secret), "{secret} leaked");
    }
    insta::assert_snapshot!(out.stdout);
}

/// Every email and phone number of the scenario, live side and desired side.
fn contact_data() -> Vec<String> {
    let mut secrets = Vec::new();
    let mut collect = |value: &Value| {
        if let Some(emails) = value["emails"].as_array() {
            secrets.extend(emails.iter().filter_map(Value::as_str).map(String::from));
        }
        if let Some(phone) = value["phoneNumber"].as_str() {
            secrets.push(phone.to_string());
        }
    };
    for person in seed().as_array().unwrap() {
        collect(person);
    }
    let desired: Value = serde_saphyr::from_str(PEOPLE).unwrap();
    for person in desired["people"].as_array().unwrap() {
        collect(person);
    }
    assert!(secrets.len() > 10, "the scenario has contact data to hide");
    secrets
}

#[test]
fn redacted_output_in_every_format_shows_no_email_or_phone() {
    let dir = team_project(PEOPLE);
    let sandbox = scenario_sandbox(dir.path());
    let secrets = contact_data();
    for format in ["text", "json", "markdown"] {
        let out = plan(&sandbox, dir.path(), &["--redact", "--format", format]);
        assert_eq!(out.code, 0, "{format}: {}", out.stderr);
        for secret in &secrets {
            assert!(
                !out.stdout.contains(secret.as_str()) && !out.stderr.contains(secret.as_str()),
                "{format} output shows {secret} in clear"
            );
        }
        assert!(
            out.stdout.contains("n***@acme.example"),
            "{format}: a masked email still shows its domain"
        );
        if format != "markdown" {
            // The markdown form is snapshotted by the CI test above.
            insta::assert_snapshot!(format!("redacted-{format}"), out.stdout);
        }
    }
}

#[test]
fn no_redact_overrides_ci() {
    let dir = team_project(PEOPLE);
    let sandbox = scenario_sandbox(dir.path());
    let out = run(sandbox.zeeg().current_dir(dir.path()).env("CI", "1").args([
        "plan",
        "people",
        "--format",
        "markdown",
        "--no-redact",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("nora@acme.example"));
}

#[test]
fn detailed_exitcode_tells_changes_from_none() {
    let dir = team_project(PEOPLE);
    let sandbox = scenario_sandbox(dir.path());
    let out = plan(&sandbox, dir.path(), &["--detailed-exitcode"]);
    assert_eq!(out.code, 2, "{}", out.stderr);

    let calm = team_project("people:\n  - firstName: Kim\n    emails: [kim@acme.example]\n");
    let out = run(sandbox.zeeg().current_dir(calm.path()).args([
        "plan",
        "people",
        "--detailed-exitcode",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "No changes. 1 person up to date.\n");
}

#[test]
fn a_saved_plan_holds_no_contact_data() {
    let dir = team_project(PEOPLE);
    let sandbox = scenario_sandbox(dir.path());
    let saved = dir.path().join("zeeg.plan");
    let out = plan(
        &sandbox,
        dir.path(),
        &["--out", saved.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(&saved).unwrap();
    for secret in [
        "@acme.example",
        "+49",
        "Zoë's notes",
        "Chief Product",
        "E-1001",
    ] {
        assert!(!text.contains(secret), "{secret} in the saved plan");
    }
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["changes"].as_array().unwrap().len(), 8);
    assert_eq!(parsed["sources"][0]["path"], json!("people/team.yaml"));
}

#[test]
fn an_entry_matching_two_live_people_is_refused_naming_both() {
    let dir = team_project("people:\n  - firstName: Jo\n    emails: [jo@acme.example]\n");
    let seed = write_seed(
        dir.path(),
        &json!([
            {"id": "00000000-0000-4000-8000-000000000001", "firstName": "Jo", "emails": ["jo@acme.example"]},
            {"id": "00000000-0000-4000-8000-000000000002", "firstName": "Joe", "emails": ["joe@x.example", "JO@acme.example"]},
        ]),
    );
    let sandbox = Sandbox::start(&["--seed", &seed]);
    // Both people by id, no partial plan, and never the email they share.
    let out = crate::zeeg_snapshot!(
        "two-live-people-one-entry",
        &mut plan_command(&sandbox, dir.path(), &[])
    );
    assert!(
        !out.stderr.to_lowercase().contains("jo@acme"),
        "{}",
        out.stderr
    );
}

#[test]
fn two_entries_matching_one_live_person_are_refused_naming_both() {
    let dir = team_project(
        "people:\n  - firstName: Jo\n    emails: [jo@acme.example]\n  - matchingAttribute: phone_number\n    phoneNumber: \"+4930\"\n    firstName: Jo\n",
    );
    let seed = write_seed(
        dir.path(),
        &json!([{"id": "00000000-0000-4000-8000-000000000001", "firstName": "Jo",
                 "emails": ["jo@acme.example"], "phoneNumber": "+4930"}]),
    );
    let sandbox = Sandbox::start(&["--seed", &seed]);
    crate::zeeg_snapshot!(
        "two-entries-one-live-person",
        &mut plan_command(&sandbox, dir.path(), &[])
    );
}

#[test]
fn a_custom_attribute_the_workspace_lacks_is_named_with_its_place() {
    let dir = team_project(
        "people:\n  - firstName: Jo\n    emails: [jo@acme.example]\n    customAttributes:\n      custmer_tier: gold\n",
    );
    let sandbox = Sandbox::start(&["--custom-attribute", "customer_tier:select=gold|silver"]);
    crate::zeeg_snapshot!(
        "a-custom-attribute-the-workspace-lacks",
        &mut plan_command(&sandbox, dir.path(), &[])
    );
}

/// Custom attributes of every type whose values the plan checks.
const TYPED_ATTRIBUTES: &[&str] = &[
    "employee_id:text",
    "seats:number",
    "newsletter:checkbox",
    "birthday:date",
    "tier:select=gold|silver",
    "products:multiselect=scheduling|payments",
];

/// One wrong value per type, and one from the file's defaults shared by two
/// entries (reported once).
const WRONG_VALUES: &str = "defaults:
  customAttributes:
    tier: platinum
people:
  - firstName: Jo
    emails: [jo@acme.example]
    customAttributes:
      employee_id: 12
      seats: \"12\"
      newsletter: \"yes\"
  - firstName: Al
    emails: [al@acme.example]
    customAttributes:
      birthday: 31.01.1990
      products: [scheduling, routing]
      tier: gold
  - firstName: Bo
    emails: [bo@acme.example]
";

fn typed_sandbox() -> Sandbox {
    let args: Vec<&str> = TYPED_ATTRIBUTES
        .iter()
        .flat_map(|a| ["--custom-attribute", a])
        .collect();
    Sandbox::start(&args)
}

#[test]
fn custom_attribute_values_are_checked_at_plan_time_where_they_are_written() {
    let dir = team_project(WRONG_VALUES);
    let sandbox = typed_sandbox();
    let out = plan(&sandbox, dir.path(), &[]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(out.stdout, "");
    insta::assert_snapshot!(out.stderr);
    // Apply refuses the same way, before anything is written.
    let applied =
        run(sandbox
            .zeeg()
            .current_dir(dir.path())
            .args(["apply", "--auto-approve", "people"]));
    assert_eq!(applied.code, 1, "{}", applied.stdout);
    assert!(
        applied
            .stderr
            .contains("people/team.yaml:8:20: `employee_id` is a text attribute")
    );
    let listed = sandbox_get(&sandbox, "/crm/people?page=1&count=1");
    assert_eq!(listed["pagination"]["total"], 0, "nothing was written");
}

#[test]
fn the_sandbox_refuses_on_write_exactly_what_the_plan_refuses() {
    let sandbox = typed_sandbox();
    let cases = [
        (
            json!({"employee_id": 12}),
            Some("`employee_id` is a text attribute"),
        ),
        (
            json!({"employee_id": "x".repeat(256)}),
            Some("not 256 characters"),
        ),
        (json!({"employee_id": "x".repeat(255)}), None),
        (
            json!({"seats": "12"}),
            Some("`seats` is a number attribute"),
        ),
        (
            json!({"newsletter": "yes"}),
            Some("`newsletter` is a checkbox attribute"),
        ),
        (
            json!({"birthday": "31.01.1990"}),
            Some("`birthday` is a date attribute"),
        ),
        (json!({"birthday": "1990-01-31"}), None),
        (
            json!({"tier": "platinum"}),
            Some("`platinum` is not one of them"),
        ),
        (
            json!({"tier": "gold", "seats": 3, "newsletter": true}),
            None,
        ),
        (
            json!({"products": ["scheduling", "routing"]}),
            Some("`routing` is not one of them"),
        ),
        (json!({"products": ["payments"], "tier": null}), None),
    ];
    for (i, (values, refused)) in cases.into_iter().enumerate() {
        let body = json!({"firstName": "T", "emails": [format!("t{i}@acme.example")],
                          "customAttributes": values});
        let (status, answer) = sandbox_put(&sandbox, &body);
        match refused {
            Some(message) => {
                assert_eq!(status, 422, "{values}: {answer}");
                let errors = answer["errors"].as_object().unwrap();
                let text = errors.values().next().unwrap()[0].as_str().unwrap();
                assert!(text.contains(message), "{values}: {text}");
                assert!(errors.keys().all(|k| k.starts_with("customAttributes.")));
            }
            None => assert!(status == 201, "{values}: {status} {answer}"),
        }
        // The plan of the same value says the same.
        let dir = team_project(&format!(
            "people:\n  - firstName: T\n    emails: [p{i}@acme.example]\n    customAttributes: {values}\n"
        ));
        let planned = plan(&sandbox, dir.path(), &[]);
        match refused {
            Some(message) => {
                assert_eq!(planned.code, 1, "{values}: {}", planned.stdout);
                assert!(
                    common::unwrapped(&planned.stderr).contains(message),
                    "{values}: {}",
                    planned.stderr
                );
            }
            None => assert_eq!(planned.code, 0, "{values}: {}", planned.stderr),
        }
    }
}

#[test]
fn the_object_schema_lists_select_options() {
    let sandbox = typed_sandbox();
    let schema = sandbox_get(&sandbox, "/crm/objects/people");
    let attributes = schema["object"]["attributes"].as_array().unwrap();
    let tier = attributes.iter().find(|a| a["key"] == "tier").unwrap();
    let options = tier["options"].as_array().unwrap();
    let values: Vec<&str> = options
        .iter()
        .map(|o| o["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["gold", "silver"]);
    for option in options {
        assert!(
            option["id"].as_str().is_some_and(|id| id.len() == 36),
            "{option}"
        );
        assert!(option["color"].is_string(), "{option}");
    }
}

fn sandbox_http(
    sandbox: &Sandbox,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", sandbox.api_url()))
            .bearer_auth(common::TOKEN);
        if let Some(body) = body {
            request = request.json(body);
        }
        let answer = request.send().await.unwrap();
        let status = answer.status().as_u16();
        (status, answer.json::<Value>().await.unwrap_or(Value::Null))
    })
}

fn sandbox_get(sandbox: &Sandbox, path: &str) -> Value {
    sandbox_http(sandbox, reqwest::Method::GET, path, None).1
}

fn sandbox_put(sandbox: &Sandbox, body: &Value) -> (u16, Value) {
    sandbox_http(
        sandbox,
        reqwest::Method::PUT,
        "/crm/people?matchingAttribute=email",
        Some(body),
    )
}

/// `count` people `p{i}@live.example`, as a seed.
fn many_people(count: usize) -> Value {
    Value::Array(
        (0..count)
            .map(
                |i| json!({"firstName": format!("P{i}"), "emails": [format!("p{i}@live.example")]}),
            )
            .collect(),
    )
}

/// `count` entries, every other one already live.
fn many_entries(count: usize) -> String {
    let mut yaml = String::from("people:\n");
    for i in 0..count {
        let (name, domain) = if i % 2 == 0 {
            (format!("P{i}"), "live")
        } else {
            (format!("New{i}"), "new")
        };
        yaml.push_str(&format!(
            "  - firstName: {name}\n    emails: [p{i}@{domain}.example]\n"
        ));
    }
    yaml
}

#[test]
fn few_entries_against_many_people_are_searched() {
    let dir = team_project(&many_entries(50));
    let seed = write_seed(dir.path(), &many_people(5_000));
    let sandbox = Sandbox::start(&["--seed", &seed]);
    let out = plan(&sandbox, dir.path(), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .ends_with("Plan: 25 to create, 0 to update, 25 unchanged.\n")
    );

    let dir = team_project(&many_entries(20));
    let out = plan(&sandbox, dir.path(), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .ends_with("Plan: 10 to create, 0 to update, 10 unchanged.\n")
    );
}

#[test]
fn as_many_entries_as_people_are_listed() {
    let dir = team_project(&many_entries(2_000));
    let seed = write_seed(dir.path(), &many_people(2_000));
    let sandbox = Sandbox::start(&["--seed", &seed]);
    let out = plan(&sandbox, dir.path(), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .ends_with("Plan: 1000 to create, 0 to update, 1000 unchanged.\n")
    );
}

#[test]
fn no_token_names_the_variable() {
    let dir = team_project(PEOPLE);
    let sandbox = scenario_sandbox(dir.path());
    crate::zeeg_snapshot!(
        "no-token",
        plan_command(&sandbox, dir.path(), &[]).env_remove("ZEEG_API_TOKEN")
    );
}

/// plan reads the people and their object at once: whichever refusal comes
/// back first is the one named.
const EITHER_READ: (&str, &str) = (
    r"GET /crm/(objects/)?people\b",
    "GET [/crm/people or /crm/objects/people]",
);

#[test]
fn a_wrong_token_is_a_401_with_a_hint_and_is_never_printed() {
    let dir = team_project(PEOPLE);
    let sandbox = scenario_sandbox(dir.path());
    let out = crate::zeeg_snapshot!(
        "wrong-token",
        plan_command(&sandbox, dir.path(), &[]).env("ZEEG_API_TOKEN", "wrong-secret-token"),
        [EITHER_READ]
    );
    assert!(!out.stderr.contains("wrong-secret-token"));
}

#[test]
fn a_token_without_read_scope_is_a_403() {
    let dir = team_project(PEOPLE);
    let sandbox = Sandbox::start(&["--token", "write-only:crm:write"]);
    crate::zeeg_snapshot!(
        "token-without-read-scope",
        plan_command(&sandbox, dir.path(), &[]).env("ZEEG_API_TOKEN", "write-only"),
        [EITHER_READ]
    );
}

#[test]
fn an_unreachable_api_names_the_url() {
    let dir = team_project(PEOPLE);
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/v2");
    let out = run(common::zeeg()
        .env("ZEEG_API_URL", &url)
        .env("ZEEG_API_TOKEN", common::TOKEN)
        .current_dir(dir.path())
        .args(["plan", "people"]));
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        out.stderr
    );
}

#[test]
fn plain_http_to_another_host_is_refused() {
    let dir = team_project(PEOPLE);
    crate::zeeg_snapshot!(
        "plain-http-to-another-host",
        common::zeeg()
            .env("ZEEG_API_TOKEN", common::TOKEN)
            .current_dir(dir.path())
            .args(["plan", "people", "--api-url", "http://api.zeeg.me/v2"])
    );
}

#[test]
fn the_example_plans_against_its_own_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let example = common::repo_root().join("examples/acme");
    copy_dir(&example, dir.path());
    let out = run(common::zeeg()
        .current_dir(dir.path())
        .args(["plan", "--sandbox", "."]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let last = out.stdout.lines().last().unwrap_or_default();
    // What the README's quick start promises.
    assert_eq!(
        last,
        "Plan: 1 attribute to create, 2 to update, 3 unchanged; 1 company to create, 1 to update, 2 unchanged; 8 people to create, 9 to update, 11 unchanged.",
        "{}",
        out.stdout
    );
    assert!(dir.path().join(".zeeg").is_dir());
    // The state persists: a second run shows the same plan (nothing applied).
    let again = run(common::zeeg()
        .current_dir(dir.path())
        .args(["plan", "--sandbox", "."]));
    assert_eq!(again.stdout, out.stdout);
}

#[test]
fn one_apply_makes_an_empty_workspace_the_example() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&common::repo_root().join("examples/acme"), dir.path());
    // Without its seed, the project's sandbox starts empty.
    std::fs::remove_file(dir.path().join("sandbox-seed.yaml")).unwrap();
    let zeeg = |args: &[&str]| {
        run(common::zeeg()
            .env("NO_COLOR", "1")
            .current_dir(dir.path())
            .args(args))
    };
    let plan = zeeg(&["plan", "--sandbox", "--detailed-exitcode", "."]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    assert!(
        plan.stdout.ends_with(
            "Plan: 6 attributes to create, 0 to update, 0 unchanged; 4 companies to create, 0 to update, 0 unchanged; 28 people to create, 0 to update, 0 unchanged.\n"
        ),
        "{}",
        plan.stdout
    );
    let apply = zeeg(&["apply", "--sandbox", "--auto-approve", "."]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains(
            "Apply complete: 6 attributes created, 0 updated; 4 companies created, 0 updated; 28 people created, 0 updated, 0 failed."
        ),
        "{}",
        apply.stdout
    );
    let again = zeeg(&["plan", "--sandbox", "--detailed-exitcode", "."]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_eq!(
        again.stdout.lines().last(),
        Some("No changes. 6 attributes, 4 companies and 28 people up to date.")
    );
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() == ".zeeg" {
                continue;
            }
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn phone_and_email_identities_are_found_by_search() {
    let dir = team_project(
        "people:\n  - firstName: P7\n    emails: [P7@live.example]\n    jobTitle: CEO\n  - matchingAttribute: phone_number\n    phoneNumber: \"+4930100042\"\n    firstName: Renamed\n",
    );
    let live = Value::Array(
        (0..1_000)
            .map(|i| {
                json!({"firstName": format!("P{i}"), "emails": [format!("p{i}@live.example")],
                       "phoneNumber": format!("+4930100{i:03}")})
            })
            .collect(),
    );
    let seed = write_seed(dir.path(), &live);
    let sandbox = Sandbox::start(&["--seed", &seed]);
    let out = plan(&sandbox, dir.path(), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("~ firstName: \"P42\" -> \"Renamed\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("~ jobTitle: null -> \"CEO\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .ends_with("Plan: 0 to create, 2 to update, 0 unchanged.\n")
    );
}

#[test]
fn only_and_exclude_narrow_the_plan() {
    let dir = team_project(PEOPLE);
    let sandbox = scenario_sandbox(dir.path());
    let out = plan(&sandbox, dir.path(), &["--only", "*@acme.example"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .ends_with("Plan: 1 to create, 4 to update, 1 unchanged.\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("entries left out by --only/--exclude; 6 selected."),
        "the plan says how many entries it left out: {}",
        out.stderr
    );
    let out = plan(
        &sandbox,
        dir.path(),
        &["--only", "*@acme.example", "--exclude", "nora@*"],
    );
    assert!(
        out.stdout
            .ends_with("Plan: 0 to create, 4 to update, 1 unchanged.\n"),
        "{}",
        out.stdout
    );
    // A typo selects nothing: an error, never "No changes".
    let out = plan(&sandbox, dir.path(), &["--only", "people/tema.yaml"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(out.stdout, "");
    insta::assert_snapshot!("only-selects-nothing", out.stderr);
    crate::zeeg_snapshot!(
        "only-and-exclude-select-nothing",
        &mut plan_command(
            &sandbox,
            dir.path(),
            &["--only", "*@acme.example", "--exclude", "people/**"],
        )
    );
    let applied = run(sandbox.zeeg().current_dir(dir.path()).args([
        "apply",
        "--auto-approve",
        "people",
        "--only",
        "nobody@*",
    ]));
    assert_eq!(applied.code, 1, "{}", applied.stdout);
    assert!(applied.stderr.contains("selected none of the 9 entries"));

    crate::zeeg_snapshot!(
        "only-not-a-glob",
        &mut plan_command(&sandbox, dir.path(), &["--only", "[oops"])
    );
}

#[test]
fn colour_only_when_asked_for_or_on_a_terminal() {
    let dir = team_project(PEOPLE);
    let sandbox = scenario_sandbox(dir.path());
    let coloured = plan(&sandbox, dir.path(), &["--color", "always"]);
    assert_eq!(coloured.code, 0, "{}", coloured.stderr);
    assert!(coloured.stdout.contains("\x1b["), "--color always paints");
    // Not a terminal here: `auto` (the default) and `never` print plain text.
    for args in [&[][..], &["--color", "never"]] {
        let plain = plan(&sandbox, dir.path(), args);
        assert!(
            !plain.stdout.contains('\x1b'),
            "{args:?} printed ANSI codes"
        );
        assert!(
            !plain.stderr.contains('\x1b'),
            "{args:?} printed ANSI codes"
        );
    }
    let invalid = run(sandbox
        .zeeg()
        .current_dir(dir.path())
        .args(["--color", "always", "plan", "people"])
        .env("ZEEG_API_TOKEN", "wrong"));
    assert_eq!(invalid.code, 1);
    assert!(
        invalid.stderr.contains('\x1b'),
        "errors follow --color always too"
    );
}

#[test]
fn a_wrong_default_matching_attribute_is_one_error_in_zeeg_yaml() {
    let mut people = String::from("people:\n");
    for i in 0..30 {
        people.push_str(&format!(
            "  - firstName: P{i}\n    phoneNumber: \"+49301234{i:02}\"\n"
        ));
    }
    let dir = team_project(&people);
    std::fs::write(
        dir.path().join("zeeg.yaml"),
        "apply:\n  parallelism: 2\ndefaults:\n  matchingAttribute: phone\n",
    )
    .unwrap();
    let sandbox = Sandbox::start(&[]);
    let out = plan(&sandbox, dir.path(), &[]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(out.stdout, "");
    insta::assert_snapshot!("default-matching-attribute-in-zeeg-yaml", out.stderr);

    // The same default in the file's own `defaults` points there.
    std::fs::write(dir.path().join("zeeg.yaml"), "{}\n").unwrap();
    let people = people.replacen(
        "people:\n",
        "defaults:\n  matchingAttribute: phone\npeople:\n",
        1,
    );
    std::fs::write(dir.path().join("people/team.yaml"), people).unwrap();
    let out = plan(&sandbox, dir.path(), &[]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let stderr = common::unwrapped(&out.stderr);
    assert_eq!(
        stderr.matches("match on `phone` by default").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("[people/team.yaml:2:22]"), "{stderr}");
    assert!(
        stderr.ends_with("Nothing was planned or applied: fix the people files and run again.\n"),
        "{stderr}"
    );
}

#[test]
fn the_closing_hint_names_what_to_fix() {
    let dir = team_project("people:\n  - firstName: Jo\n    emails: [jo@acme.example]\n");
    let sandbox = Sandbox::start(&[]);
    let out = plan(&sandbox, dir.path(), &["no-such-folder"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .ends_with("Nothing was planned or applied: fix the paths given and run again.\n"),
        "{}",
        out.stderr
    );
    std::fs::write(
        dir.path().join("zeeg.yaml"),
        "apply:\n  parallelism: many\n",
    )
    .unwrap();
    let out = plan(&sandbox, dir.path(), &[]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .ends_with("Nothing was planned or applied: fix zeeg.yaml and run again.\n"),
        "{}",
        out.stderr
    );
}
