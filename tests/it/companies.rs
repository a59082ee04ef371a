//! Companies by domain end to end: the real binary against a real sandbox
//! over loopback HTTP (and, for a company the API refuses, a proxy in front
//! of it that refuses one assert).

use serde_json::{Value, json};

use crate::common::{self, Api, Sandbox, run};

/// Live before the plan: Acme (declared, to be renamed), Initech (live only,
/// never declared); Jane at Acme, Max at Initech, Solo at Acme.
const SEED: &str = r#"{
  "companies": [
    {"id": "5f3b8a2e-1c4d-4e6f-9a7b-2d8c0e1f3a45", "name": "Acme", "domain": "acme.example"},
    {"id": "9e2d4c6a-8b1f-4a3e-b5c7-0d9f2e4a6b81", "name": "Initech", "domain": "initech.example"}
  ],
  "people": [
    {"firstName": "Jane", "emails": ["jane@acme.example"], "companyId": "5f3b8a2e-1c4d-4e6f-9a7b-2d8c0e1f3a45"},
    {"firstName": "Max", "emails": ["max@initech.example"], "companyId": "9e2d4c6a-8b1f-4a3e-b5c7-0d9f2e4a6b81"},
    {"firstName": "Solo", "emails": ["solo@example.org"], "companyId": "5f3b8a2e-1c4d-4e6f-9a7b-2d8c0e1f3a45"}
  ]
}"#;

/// Declares a rename (Acme) and a create (Globex); moves Jane to Globex,
/// keeps Max at the undeclared Initech, unlinks Solo, and creates Nia at
/// Globex (written in another case).
const COMPANIES: &str = "\
companies:
  - domain: acme.example
    name: Acme Corp
  - domain: globex.example
    name: Globex
";

const PEOPLE: &str = "\
people:
  - firstName: Jane
    emails: [jane@acme.example]
    company: globex.example
  - firstName: Max
    emails: [max@initech.example]
    company: initech.example
  - firstName: Solo
    emails: [solo@example.org]
    company: null
  - firstName: Nia
    emails: [nia@globex.example]
    company: GLOBEX.example
";

struct Setup {
    dir: tempfile::TempDir,
    sandbox: Sandbox,
}

fn setup(people: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    std::fs::write(&seed, SEED).unwrap();
    let people_dir = dir.path().join("people");
    std::fs::create_dir(&people_dir).unwrap();
    std::fs::write(people_dir.join("companies.yaml"), COMPANIES).unwrap();
    std::fs::write(people_dir.join("team.yaml"), people).unwrap();
    let sandbox = Sandbox::start(&["--seed", seed.to_str().unwrap()]);
    Setup { dir, sandbox }
}

impl Setup {
    /// `zeeg ARGS` in the project, against its sandbox.
    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = self.sandbox.zeeg();
        command.current_dir(self.dir.path()).args(args);
        command
    }

    fn zeeg(&self, args: &[&str]) -> common::Run {
        run(&mut self.command(args))
    }

    fn zeeg_via(&self, api_url: &str, args: &[&str]) -> common::Run {
        run(self
            .sandbox
            .zeeg()
            .env("ZEEG_API_URL", api_url)
            .current_dir(self.dir.path())
            .args(args))
    }
}

/// The domain of the company the live person with `email` links to.
fn company_of(sandbox: &Sandbox, email: &str) -> Value {
    let people = Api::new(sandbox).get(&format!("/crm/people?search={email}&count=100"));
    let person = &people["collection"][0];
    assert_eq!(person["emails"][0], json!(email), "{people}");
    person["company"]["domain"].clone()
}

fn field<'a>(change: &'a Value, path: &str) -> &'a Value {
    change["fields"]
        .as_array()
        .and_then(|fields| fields.iter().find(|f| f["path"] == path))
        .unwrap_or(&Value::Null)
}

#[test]
fn the_plan_shows_company_changes_first_and_links_as_domains() {
    let setup = setup(PEOPLE);
    let out = setup.zeeg(&["plan", "people", "--detailed-exitcode"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let first_company = out.stdout.find("company acme.example").unwrap();
    let first_person = out.stdout.find("email jane@acme.example").unwrap();
    assert!(first_company < first_person, "{}", out.stdout);
    assert_eq!(
        out.stdout.lines().last().unwrap(),
        "Plan: 1 company to create, 1 to update, 0 unchanged; 1 person to create, 2 to update, 1 unchanged."
    );

    let out = setup.zeeg(&["plan", "people", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(plan["formatVersion"], 1);
    let companies = &plan["companies"];
    assert_eq!(
        companies["summary"],
        json!({"create": 1, "update": 1, "unchanged": 0})
    );
    let rename = &companies["changes"][0];
    assert_eq!(rename["action"], "update");
    assert_eq!(rename["domain"], "acme.example");
    assert_eq!(rename["companyId"], "5f3b8a2e-1c4d-4e6f-9a7b-2d8c0e1f3a45");
    assert_eq!(
        field(rename, "name"),
        &json!({"path": "name", "before": "Acme", "after": "Acme Corp"})
    );
    assert_eq!(companies["changes"][1]["action"], "create");
    assert_eq!(companies["changes"][1]["companyId"], Value::Null);

    let changes = plan["changes"].as_array().unwrap();
    let jane = &changes[0];
    assert_eq!(jane["matchValue"], "jane@acme.example");
    assert_eq!(
        field(jane, "company"),
        &json!({"path": "company", "before": "acme.example", "after": "globex.example"})
    );
    // Max stays at Initech, which is live but undeclared: no change at all.
    assert!(
        changes
            .iter()
            .all(|c| c["matchValue"] != "max@initech.example")
    );
    let solo = changes
        .iter()
        .find(|c| c["matchValue"] == "solo@example.org")
        .unwrap();
    assert_eq!(field(solo, "company")["after"], Value::Null);
    let nia = changes.last().unwrap();
    assert_eq!(nia["action"], "create");
    assert_eq!(field(nia, "company")["after"], "GLOBEX.example");
}

#[test]
fn apply_asserts_companies_then_links_people_and_a_rerun_has_nothing_to_do() {
    let setup = setup(PEOPLE);
    let out = setup.zeeg(&["apply", "people", "--auto-approve"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout.lines().last().unwrap(),
        "Apply complete: 1 company created, 1 updated; 1 person created, 2 updated, 0 failed."
    );
    let sandbox = &setup.sandbox;
    assert_eq!(company_of(sandbox, "jane@acme.example"), "globex.example");
    assert_eq!(company_of(sandbox, "nia@globex.example"), "globex.example");
    assert_eq!(
        company_of(sandbox, "max@initech.example"),
        "initech.example"
    );
    assert_eq!(company_of(sandbox, "solo@example.org"), Value::Null);
    let acme = Api::new(sandbox).get("/crm/companies?search=acme.example");
    assert_eq!(acme["collection"][0]["name"], "Acme Corp");
    // Initech was referenced, never asserted: its name is the CRM's.
    let initech = Api::new(sandbox).get("/crm/companies?search=initech.example");
    assert_eq!(initech["collection"][0]["name"], "Initech");

    let again = setup.zeeg(&["plan", "people", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert_eq!(
        again.stdout.lines().last().unwrap(),
        "No changes. 2 companies and 4 people up to date."
    );
}

#[test]
fn no_changes_counts_no_companies_when_the_files_only_reference_live_ones() {
    let people = "people:\n  - firstName: Jane\n    emails: [jane@acme.example]\n    company: acme.example\n  - firstName: Max\n    emails: [max@initech.example]\n    company: initech.example\n";
    let setup = setup(people);
    std::fs::remove_file(setup.dir.path().join("people/companies.yaml")).unwrap();
    let out = setup.zeeg(&["plan", "people", "--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout.lines().last().unwrap(),
        "No changes. 2 people up to date."
    );
}

#[test]
fn a_domain_neither_declared_nor_live_is_an_error_at_its_line_but_valid_offline() {
    let people =
        "people:\n  - firstName: Ann\n    emails: [ann@x.example]\n    company: nowhere.example\n";
    let setup = setup(people);
    // At its line, with no partial plan.
    crate::zeeg_snapshot!(
        "a-domain-neither-declared-nor-live",
        &mut setup.command(&["plan", "people"])
    );
    let out = setup.zeeg(&["validate", "people"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("2 companies"), "{}", out.stderr);
}

#[test]
fn a_company_id_that_names_no_company_is_an_error_at_plan_not_a_refusal_at_apply() {
    // Initech's id exists (Max links to it); the other names nothing.
    let people = "people:\n  - firstName: Jane\n    emails: [jane@acme.example]\n    companyId: 9e2d4c6a-8b1f-4a3e-b5c7-0d9f2e4a6b81\n  - firstName: Ann\n    emails: [ann@x.example]\n    companyId: 11111111-2222-4333-8444-555555555555\n";
    let setup = setup(people);
    for (name, args) in [
        ("plan", &["plan", "people"][..]),
        ("plan-json", &["plan", "people", "--format", "json"]),
        ("apply", &["apply", "people", "--auto-approve"]),
    ] {
        // Only the id that names nothing, at its line.
        let out = crate::zeeg_snapshot!(
            format!("a-company-id-of-no-company-{name}"),
            &mut setup.command(args)
        );
        assert!(!out.stderr.contains("9e2d4c6a"), "{}", out.stderr);
    }
    // Nothing was sent: Jane is still at Acme.
    assert_eq!(
        company_of(&setup.sandbox, "jane@acme.example"),
        "acme.example"
    );
    // Offline, nobody can know.
    assert_eq!(setup.zeeg(&["validate", "people"]).code, 0);
}

#[test]
fn an_unknown_company_in_zeeg_yaml_defaults_is_reported_where_it_is() {
    let people = "people:\n  - firstName: Ann\n    emails: [ann@x.example]\n";
    let setup = setup(people);
    std::fs::write(
        setup.dir.path().join("zeeg.yaml"),
        "defaults:\n  company: nowhere.example\n",
    )
    .unwrap();
    let out = setup.zeeg(&["plan", "people"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    insta::assert_snapshot!(out.stderr);
}

#[test]
fn company_and_company_id_on_one_entry_is_an_error_at_its_line() {
    let people = "people:\n  - firstName: Ann\n    emails: [ann@x.example]\n    company: acme.example\n    companyId: 5f3b8a2e-1c4d-4e6f-9a7b-2d8c0e1f3a45\n";
    let setup = setup(people);
    crate::zeeg_snapshot!(
        "company-and-company-id",
        &mut setup.command(&["validate", "people"])
    );
}

#[test]
fn a_company_the_api_refuses_skips_its_people_and_the_rest_goes_on() {
    let setup = setup(PEOPLE);
    let proxy = Proxy::start(
        &setup.sandbox.api_url(),
        Mode::Refuse("globex.example".into()),
    );
    let out = setup.zeeg_via(&proxy.url, &["apply", "people", "--auto-approve"]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    let report = &out.stdout;
    assert!(
        report.contains("companies.yaml:4 company globex.example: ")
            && report.contains("refused by the test"),
        "{report}"
    );
    for line in [
        "team.yaml:2 email jane@acme.example",
        "team.yaml:11 email nia@globex.example",
    ] {
        let failed = report
            .lines()
            .find(|l| l.contains(line))
            .unwrap_or_default();
        // Named as the person's entry writes it (Nia: GLOBEX.example).
        assert!(
            failed
                .to_lowercase()
                .contains("not sent: its company globex.example failed ("),
            "{report}"
        );
    }
    assert_eq!(
        report.lines().last().unwrap(),
        "Apply complete: 0 companies created, 1 updated, 1 failed; 0 people created, 1 updated, 2 failed."
    );
    // Jane was not moved; Solo was unlinked; Acme renamed.
    assert_eq!(
        company_of(&setup.sandbox, "jane@acme.example"),
        "acme.example"
    );
    assert_eq!(company_of(&setup.sandbox, "solo@example.org"), Value::Null);

    // Once the API accepts it, a rerun does the rest.
    let again = setup.zeeg(&["apply", "people", "--auto-approve", "--format", "json"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let report: Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(report["companies"]["summary"]["created"], 1, "{report}");
    assert_eq!(
        report["companies"]["results"][0]["label"],
        "company globex.example"
    );
    assert_eq!(report["summary"]["created"], 1);
    assert_eq!(report["summary"]["updated"], 1);
    assert_eq!(
        company_of(&setup.sandbox, "nia@globex.example"),
        "globex.example"
    );
}

#[test]
fn the_nearest_link_wins_and_zeeg_yaml_may_default_the_company() {
    let setup = setup(PEOPLE);
    std::fs::write(
        setup.dir.path().join("zeeg.yaml"),
        "defaults:\n  company: initech.example\n",
    )
    .unwrap();
    // A file whose defaults link by id: its entries take no domain from zeeg.yaml.
    std::fs::write(
        setup.dir.path().join("people/by-id.yaml"),
        "defaults:\n  companyId: 5f3b8a2e-1c4d-4e6f-9a7b-2d8c0e1f3a45\npeople:\n  - firstName: Ida\n    emails: [ida@acme.example]\n",
    )
    .unwrap();
    std::fs::write(
        setup.dir.path().join("people/plain.yaml"),
        "people:\n  - firstName: Uma\n    emails: [uma@initech.example]\n",
    )
    .unwrap();
    let out = setup.zeeg(&["plan", "people", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan: Value = serde_json::from_str(&out.stdout).unwrap();
    let change = |email: &str| {
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["matchValue"] == email)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        field(&change("uma@initech.example"), "company")["after"],
        "initech.example"
    );
    let ida = change("ida@acme.example");
    assert_eq!(
        field(&ida, "companyId")["after"],
        "5f3b8a2e-1c4d-4e6f-9a7b-2d8c0e1f3a45"
    );
    assert_eq!(field(&ida, "company"), &Value::Null);
    // An entry's own link wins over zeeg.yaml's.
    assert_eq!(
        field(&change("jane@acme.example"), "company")["after"],
        "globex.example"
    );
}

/// `zeeg plan people --out plan.json`; the saved plan's path.
fn save_plan(setup: &Setup) -> std::path::PathBuf {
    let saved = setup.dir.path().join("plan.json");
    let out = setup.zeeg(&["plan", "people", "--out", saved.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    saved
}

/// Someone renames Acme in the CRM (after a plan was saved).
fn rename_acme(sandbox: &Sandbox) {
    Api::new(sandbox).put(
        "/crm/companies?matchingAttribute=domain",
        json!({"domain": "acme.example", "name": "ACME Inc."}),
    );
}

#[test]
fn a_saved_plan_refuses_a_company_renamed_since_and_applies_the_rest() {
    let setup = setup(PEOPLE);
    let saved = save_plan(&setup);
    let text = std::fs::read_to_string(&saved).unwrap();
    // Fingerprints only: no domain or name in clear.
    for clear in ["acme.example", "Acme Corp", "globex.example", "Globex"] {
        assert!(!text.contains(clear), "{clear} in {text}");
    }
    // Someone renames Acme in the CRM after the plan was reviewed.
    rename_acme(&setup.sandbox);
    let out = setup.zeeg(&["apply", "--plan", saved.to_str().unwrap()]);
    assert_eq!(out.code, 4, "{}\n{}", out.stdout, out.stderr);
    let stale = out
        .stdout
        .lines()
        .find(|l| l.contains("company acme.example"))
        .unwrap_or_default();
    assert!(
        stale.contains("changed since the plan was saved"),
        "{}",
        out.stdout
    );
    let acme = Api::new(&setup.sandbox).get("/crm/companies?search=acme.example");
    assert_eq!(acme["collection"][0]["name"], "ACME Inc.", "not asserted");
    // The rest was applied: Globex created first, Jane moved to it.
    assert_eq!(
        company_of(&setup.sandbox, "jane@acme.example"),
        "globex.example"
    );
    assert_eq!(
        out.stdout.lines().last().unwrap(),
        "Apply complete: 1 company created, 0 updated; 1 person created, 2 updated, 0 failed."
    );
}

#[test]
fn apply_json_counts_a_stale_company_change_with_the_companies() {
    let setup = setup(PEOPLE);
    let saved = save_plan(&setup);
    rename_acme(&setup.sandbox);
    let out = setup.zeeg(&[
        "apply",
        "--plan",
        saved.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 4, "{}\n{}", out.stdout, out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    // Split like the results: the companies' under `companies`, the
    // people's at the top.
    assert_eq!(report["companies"]["summary"]["stale"], 1, "{report}");
    assert_eq!(
        report["companies"]["stale"][0]["label"],
        "company acme.example"
    );
    assert_eq!(report["summary"]["stale"], 0, "{report}");
    assert_eq!(report["stale"], json!([]), "{report}");
}

#[test]
fn a_token_that_may_not_write_stops_at_the_first_company_and_sends_no_person() {
    let setup = setup(PEOPLE);
    crate::zeeg_snapshot!(
        "a-token-that-may-not-write",
        setup
            .command(&["apply", "people", "--auto-approve", "--parallelism", "1"])
            .env("ZEEG_API_TOKEN", common::READ_TOKEN),
        [common::ID_FILTER]
    );
    assert_eq!(
        company_of(&setup.sandbox, "jane@acme.example"),
        "acme.example"
    );
}

#[test]
fn a_company_created_by_a_try_whose_answer_was_lost_is_noted_as_created_since() {
    let people = "people:\n  - firstName: Nia\n    emails: [nia@globex.example]\n    company: globex.example\n";
    let setup = setup(people);
    let lose = Mode::LoseFirstAnswer("globex.example".into());
    let proxy = Proxy::start(&setup.sandbox.api_url(), lose);
    let out = setup.zeeg_via(&proxy.url, &["apply", "people", "--auto-approve"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // The first try created Globex; the retry found it: the note says so,
    // of the company (not of a person).
    let note = out
        .stdout
        .lines()
        .find(|l| l.contains("companies.yaml:4 company globex.example: "))
        .unwrap_or_default();
    assert!(
        note.ends_with(
            "planned as a create, but the API answered 200 (updated): it was created since the \
             plan was made, by someone else or by an earlier try of this request whose answer \
             was lost"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(
        out.stdout.lines().last().unwrap(),
        "Apply complete: 0 companies created, 2 updated; 1 person created, 0 updated, 0 failed."
    );
    assert_eq!(
        company_of(&setup.sandbox, "nia@globex.example"),
        "globex.example"
    );
}

#[test]
fn only_a_file_of_companies_applies_its_companies_alone() {
    let setup = setup(PEOPLE);
    let only = ["plan", "people", "--only", "people/companies.yaml"];
    let out = setup.zeeg(&[&only[..], &["--detailed-exitcode"]].concat());
    assert_eq!(out.code, 2, "company changes are changes: {}", out.stderr);
    let out = setup.zeeg(&only);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout.lines().last().unwrap(),
        "Plan: 1 company to create, 1 to update, 0 unchanged; 0 people to create, 0 to update, 0 unchanged."
    );
    // People selected alone bring the companies they link to: Globex.
    let out = setup.zeeg(&[
        "plan",
        "people",
        "--only",
        "nia@globex.example",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan: Value = serde_json::from_str(&out.stdout).unwrap();
    let domains: Vec<&Value> = plan["companies"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["domain"])
        .collect();
    assert_eq!(domains, [&json!("globex.example")]);
}

#[test]
fn a_company_left_out_by_only_is_counted_in_plan_and_apply() {
    let setup = setup(PEOPLE);
    // Nobody in team.yaml links to Acme: its rename is left out; Globex
    // comes with the people who link to it.
    let line = "1 company and 0 people left out by --only/--exclude; \
                1 company and 4 people selected.";
    for args in [
        &["plan", "people", "--only", "people/team.yaml"][..],
        &[
            "apply",
            "people",
            "--only",
            "people/team.yaml",
            "--auto-approve",
        ],
    ] {
        let out = setup.zeeg(args);
        assert_eq!(out.code, 0, "{args:?}: {}\n{}", out.stdout, out.stderr);
        assert!(
            out.stderr.lines().any(|l| l == line),
            "{args:?}: {}",
            out.stderr
        );
    }
    let acme = Api::new(&setup.sandbox).get("/crm/companies?search=acme.example");
    assert_eq!(
        acme["collection"][0]["name"], "Acme",
        "left out: not renamed"
    );
}

/// What the proxy in front of a sandbox does to company asserts.
#[derive(Clone)]
enum Mode {
    /// Answers 422 to the assert of this domain, without forwarding it.
    Refuse(String),
    /// Forwards the first assert of this domain, then answers 503 as if
    /// its answer had been lost on the way back.
    LoseFirstAnswer(String),
}

/// A loopback proxy in front of a sandbox that meddles with company asserts
/// (see [`Mode`]) and forwards everything else.
struct Proxy {
    url: String,
    _runtime: tokio::runtime::Runtime,
}

impl Proxy {
    fn start(api_url: &str, mode: Mode) -> Proxy {
        use axum::body::{Body, to_bytes};
        use axum::extract::Request;
        use axum::http::StatusCode;
        use axum::response::Response;
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};

        let origin = api_url.trim_end_matches("/v2").to_string();
        let lost = Arc::new(AtomicBool::new(false));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}/v2", listener.local_addr().unwrap());
        let http = reqwest::Client::new();
        let forward = move |request: Request| {
            let (origin, mode, http) = (origin.clone(), mode.clone(), http.clone());
            let lost = lost.clone();
            async move {
                let (parts, body) = request.into_parts();
                let body = to_bytes(body, 1 << 20).await.unwrap_or_default();
                let text = String::from_utf8_lossy(&body);
                let assert = parts.method == "PUT" && parts.uri.path() == "/v2/crm/companies";
                if let (true, Mode::Refuse(refused)) = (assert, &mode)
                    && text.contains(refused.as_str())
                {
                    let refusal = json!({"success": false, "status": 422,
                        "message": "the given data was invalid",
                        "errors": {"domain": ["refused by the test"]}});
                    return Response::builder()
                        .status(StatusCode::UNPROCESSABLE_ENTITY)
                        .header("content-type", "application/json")
                        .body(Body::from(refusal.to_string()))
                        .unwrap();
                }
                let target = format!("{origin}{}", parts.uri);
                let mut upstream = http.request(parts.method.clone(), target).body(body);
                for (name, value) in &parts.headers {
                    if name != "host" && name != "content-length" {
                        upstream = upstream.header(name, value);
                    }
                }
                let answer = upstream.send().await.unwrap();
                let status = answer.status();
                let bytes = answer.bytes().await.unwrap_or_default();
                if let (true, Mode::LoseFirstAnswer(domain)) = (assert, &mode)
                    && String::from_utf8_lossy(&bytes).contains(domain.as_str())
                    && !lost.swap(true, Ordering::SeqCst)
                {
                    return Response::builder()
                        .status(StatusCode::SERVICE_UNAVAILABLE)
                        .header("content-type", "application/json")
                        .body(Body::from(r#"{"error": "upstream answer lost"}"#))
                        .unwrap();
                }
                Response::builder()
                    .status(status)
                    .header("content-type", "application/json")
                    .body(Body::from(bytes))
                    .unwrap()
            }
        };
        let app = axum::Router::new().fallback(forward);
        runtime.spawn(async move { axum::serve(listener, app).await });
        Proxy {
            url,
            _runtime: runtime,
        }
    }
}

#[test]
fn ctrl_c_while_companies_are_asserted_sends_no_person_and_a_rerun_converges() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("companies:\n");
    for k in 0..300 {
        text.push_str(&format!(
            "  - domain: c{k}.example\n    name: Company {k}\n"
        ));
    }
    text.push_str("people:\n");
    for i in 0..600 {
        let k = i % 300;
        text.push_str(&format!(
            "  - firstName: P{i}\n    emails: [p{i}@x.example]\n    company: c{k}.example\n"
        ));
    }
    std::fs::write(dir.path().join("people.yaml"), text).unwrap();
    let sandbox = Sandbox::start(&["--latency", "20"]);
    let mut child = sandbox
        .zeeg()
        .args(["apply", "--auto-approve", "people.yaml"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut stdout = child.stdout.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).unwrap();
        text
    });
    // Interrupted once some companies are created, long before all are.
    let mut lines = stderr.lines();
    let mut created = 0;
    for line in lines.by_ref() {
        if line.unwrap().contains(" company c") {
            created += 1;
            if created == 20 {
                break;
            }
        }
    }
    // SAFETY: sending a signal to our own child process.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    let stdout = stdout.join().unwrap();
    assert_eq!(status.code(), Some(130), "{stdout}\n{rest:?}");
    let summary = stdout.lines().last().unwrap();
    assert!(
        summary.starts_with("Apply interrupted: ")
            && summary.ends_with("; 0 people created, 0 updated, 0 failed."),
        "{summary}"
    );
    // Requests in flight were let finish; no person was sent.
    let api = Api::new(&sandbox);
    let companies = api.get("/crm/companies?count=100")["pagination"]["total"].clone();
    let counted: u64 = summary["Apply interrupted: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((20..300).contains(&counted), "{summary}");
    assert_eq!(companies, json!(counted), "{summary}");
    assert_eq!(api.total(), 0);

    let rerun = run(sandbox
        .zeeg()
        .args(["apply", "--auto-approve", "people.yaml"])
        .current_dir(dir.path()));
    assert_eq!(rerun.code, 0, "{}\n{}", rerun.stdout, rerun.stderr);
    assert_eq!(
        rerun.stdout.lines().last().unwrap(),
        format!(
            "Apply complete: {} companies created, 0 updated; 600 people created, 0 updated, 0 failed.",
            300 - counted
        )
    );
}
