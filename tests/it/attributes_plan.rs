//! Attributes as code end to end: the real binary plans and applies
//! declared attributes against a real sandbox over loopback HTTP.

use serde_json::{Value, json};

use crate::common::{self, Api, Sandbox, run};

/// Two attributes to create (one people file uses one of them before it
/// exists); `nickname` is live and undeclared.
const DECLARED: &str = "\
attributes:
  people:
    - key: tier
      label: Tier
      type: select
      options: [gold, silver]
    - {key: region, label: Region, type: text}
";

const PEOPLE: &str = "\
people:
  - firstName: Jane
    emails: [jane@acme.example]
    customAttributes:
      tier: gold
";

struct Setup {
    dir: tempfile::TempDir,
    sandbox: Sandbox,
}

fn setup(declared: &str) -> Setup {
    let dir = common::project(&[("zeeg.yaml", declared), ("people/team.yaml", PEOPLE)]);
    let sandbox = Sandbox::start(&["--custom-attribute", "nickname:text"]);
    Setup { dir, sandbox }
}

impl Setup {
    /// `zeeg ARGS` in the project, against its sandbox, without colour.
    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = self.sandbox.zeeg();
        command
            .env_remove("CI")
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path())
            .args(args);
        command
    }

    fn zeeg(&self, args: &[&str]) -> common::Run {
        run(&mut self.command(args))
    }

    /// `zeeg plan --format json`, which must exit 0, as JSON.
    fn plan_json(&self) -> Value {
        let plan = self.zeeg(&["plan", "--format", "json"]);
        assert_eq!(plan.code, 0, "{}", plan.stderr);
        serde_json::from_str(&plan.stdout).expect("a JSON plan")
    }

    fn declare(&self, declared: &str) {
        common::write_files(self.dir.path(), &[("zeeg.yaml", declared)]);
    }

    fn attribute(&self, key: &str) -> Value {
        let object = Api::new(&self.sandbox).get("/crm/objects/people");
        object["object"]["attributes"]
            .as_array()
            .and_then(|all| all.iter().find(|a| a["key"] == key))
            .cloned()
            .unwrap_or(Value::Null)
    }
}

#[test]
fn a_declared_attribute_is_planned_first_created_by_apply_and_then_up_to_date() {
    let setup = setup(DECLARED);
    let out = setup.zeeg(&["plan", "--detailed-exitcode"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    insta::assert_snapshot!("plan_text", out.stdout);
    let json = setup.zeeg(&["plan", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    insta::assert_snapshot!("plan_json", json.stdout);
    let markdown = setup.zeeg(&["plan", "--format", "markdown"]);
    assert_eq!(markdown.code, 0, "{}", markdown.stderr);
    insta::assert_snapshot!("plan_markdown", markdown.stdout);

    let applied = setup.zeeg(&["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert!(
        applied
            .stdout
            .contains("Apply complete: 2 attributes created, 0 updated; 1 person created"),
        "{}",
        applied.stdout
    );
    assert_eq!(setup.attribute("tier")["type"], "select");
    let jane = Api::new(&setup.sandbox).person("jane@acme.example");
    assert_eq!(jane["customAttributes"]["tier"], "gold");

    let again = setup.zeeg(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again
            .stdout
            .contains("No changes. 2 attributes and 1 person up to date."),
        "{}",
        again.stdout
    );
}

#[test]
fn a_relabel_and_an_added_option_keep_the_live_ids_and_values() {
    let setup = setup(DECLARED);
    assert_eq!(setup.zeeg(&["apply", "--auto-approve"]).code, 0);
    let gold_id = setup.attribute("tier")["options"][0]["id"].clone();
    setup.declare(
        &DECLARED
            .replace("label: Tier", "label: Customer tier")
            .replace(
                "options: [gold, silver]",
                "options: [gold, silver, platinum]",
            ),
    );
    let out = crate::zeeg_snapshot!(
        "relabel-and-added-option",
        &mut setup.command(&["plan", "--detailed-exitcode"]),
        [common::ID_FILTER]
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(setup.zeeg(&["apply", "--auto-approve"]).code, 0);
    let tier = setup.attribute("tier");
    assert_eq!(tier["label"], "Customer tier");
    assert_eq!(tier["options"][0]["id"], gold_id);
    assert_eq!(tier["options"].as_array().map(Vec::len), Some(3));
    let jane = Api::new(&setup.sandbox).person("jane@acme.example");
    assert_eq!(jane["customAttributes"]["tier"], "gold");
}

#[test]
fn an_option_declared_in_another_case_is_renamed_and_its_records_keep_it() {
    let setup = setup(DECLARED);
    assert_eq!(setup.zeeg(&["apply", "--auto-approve"]).code, 0);
    let gold_id = setup.attribute("tier")["options"][0]["id"].clone();
    setup.declare(&DECLARED.replace("options: [gold, silver]", "options: [Gold, silver]"));
    common::write_files(
        setup.dir.path(),
        &[(
            "people/team.yaml",
            &PEOPLE.replace("tier: gold", "tier: Gold"),
        )],
    );
    let plan = setup.plan_json();
    let change = &plan["attributes"]["changes"][0];
    assert_eq!(
        change["options"],
        json!([{"change": "rename", "before": "gold", "after": "Gold"}])
    );
    assert_eq!(change["destructive"], false);
    // Not destructive: no flag needed, and Jane's value follows the option.
    let applied = setup.zeeg(&["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert!(
        applied.stdout.contains("~ option \"gold\" -> \"Gold\""),
        "{}",
        applied.stdout
    );
    assert_eq!(setup.attribute("tier")["options"][0]["id"], gold_id);
    let jane = Api::new(&setup.sandbox).person("jane@acme.example");
    assert_eq!(jane["customAttributes"]["tier"], "Gold");
    let again = setup.zeeg(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}

#[test]
fn removing_a_held_option_is_refused_until_allowed_and_then_clears_it() {
    let setup = setup(DECLARED);
    assert_eq!(setup.zeeg(&["apply", "--auto-approve"]).code, 0);
    // Someone the files do not manage holds `silver`.
    Api::new(&setup.sandbox).upsert(
        json!({"emails": ["max@initech.example"], "firstName": "Max",
        "customAttributes": {"tier": "silver"}}),
    );
    setup.declare(&DECLARED.replace("options: [gold, silver]", "options: [gold]"));

    let plan = setup.plan_json();
    let change = &plan["attributes"]["changes"][0];
    assert_eq!(
        change["options"],
        json!([{"change": "remove", "value": "silver", "records": 1}])
    );
    assert_eq!(change["destructive"], true);
    assert_eq!(plan["warnings"][0]["code"], "destructive");

    // The plan, its warning, then the refusal and how to allow it.
    crate::zeeg_snapshot!(
        "removing-a-held-option-refused",
        &mut setup.command(&["apply", "--auto-approve"]),
        [common::ID_FILTER]
    );
    let max = Api::new(&setup.sandbox).person("max@initech.example");
    assert_eq!(max["customAttributes"]["tier"], "silver", "nothing written");

    let allowed = setup.zeeg(&["apply", "--auto-approve", "--allow-destructive"]);
    assert_eq!(allowed.code, 0, "{}\n{}", allowed.stdout, allowed.stderr);
    assert!(!allowed.stdout.contains("Warning:"), "{}", allowed.stdout);
    let max = Api::new(&setup.sandbox).person("max@initech.example");
    assert_eq!(max["customAttributes"].get("tier"), None, "{max}");
}

#[test]
fn a_type_change_and_a_taken_key_are_refused_at_plan_time() {
    let setup = setup(DECLARED);
    assert_eq!(setup.zeeg(&["apply", "--auto-approve"]).code, 0);
    setup.declare(&DECLARED.replace(
        "{key: region, label: Region, type: text}",
        "{key: region, label: Region, type: number}\n    - {key: nick, label: Nickname, type: text}",
    ));
    let out = setup.zeeg(&["plan"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    insta::assert_snapshot!("refused", out.stderr);
}

#[test]
fn a_saved_plan_whose_attribute_moved_is_stale() {
    let setup = setup(DECLARED);
    assert_eq!(setup.zeeg(&["apply", "--auto-approve"]).code, 0);
    setup.declare(&DECLARED.replace("label: Tier", "label: Customer tier"));
    let saved = setup.zeeg(&["plan", "--out", "plan.json"]);
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    // Someone relabels it in the dashboard meanwhile.
    let (status, _) = Api::new(&setup.sandbox).patch(
        "/crm/objects/people/attributes/tier",
        json!({"label": "Level"}),
    );
    assert_eq!(status, 200);
    let stale = setup.zeeg(&["apply", "--plan", "plan.json", "--auto-approve"]);
    assert_eq!(stale.code, 4, "{}\n{}", stale.stdout, stale.stderr);
    // Named as the plan names it, with why.
    let all = format!("{}{}", stale.stdout, stale.stderr);
    assert!(
        all.contains("people attribute tier: the declaration or the live attribute changed since the plan was saved"),
        "{all}"
    );
    assert_eq!(setup.attribute("tier")["label"], "Level");
}

#[test]
fn import_writes_the_attributes_as_declarations_and_then_plans_clean() {
    let setup = setup(DECLARED);
    assert_eq!(setup.zeeg(&["apply", "--auto-approve"]).code, 0);
    let (status, _) = Api::new(&setup.sandbox).patch(
        "/crm/objects/people/attributes/nickname",
        json!({"isArchived": true}),
    );
    assert_eq!(status, 200);
    let elsewhere = tempfile::tempdir().unwrap();
    let imported = run(setup
        .sandbox
        .zeeg()
        .current_dir(elsewhere.path())
        .args(["import", "--out", "crm"]));
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    let declarations =
        std::fs::read_to_string(elsewhere.path().join("crm/attributes.yaml")).unwrap();
    insta::assert_snapshot!("imported_declarations", declarations);
    let plan = run(setup
        .sandbox
        .zeeg()
        .env("NO_COLOR", "1")
        .current_dir(elsewhere.path())
        .args(["plan", "crm", "--detailed-exitcode"]));
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout
            .contains("No changes. 3 attributes and 1 person up to date."),
        "{}",
        plan.stdout
    );
}

#[test]
fn a_refused_attribute_phase_sends_no_company_and_no_person_and_counts_each() {
    let setup = setup(DECLARED);
    common::write_files(
        setup.dir.path(),
        &[(
            "people/companies.yaml",
            "companies:\n  - {domain: acme.example, name: Acme}\n",
        )],
    );
    let refused = run(setup
        .command(&["apply", "--auto-approve", "--format", "json"])
        .env("ZEEG_API_TOKEN", common::READ_TOKEN));
    assert_eq!(refused.code, 1, "{}\n{}", refused.stdout, refused.stderr);
    let report: Value = serde_json::from_str(&refused.stdout).expect("a JSON report");
    // The stop is the attributes': the companies and the people each count
    // their own, unsent.
    assert_eq!(report["attributes"]["summary"]["failed"], 1, "{report}");
    assert_eq!(report["attributes"]["summary"]["notSent"], 1, "{report}");
    assert_eq!(report["companies"]["summary"]["notSent"], 1, "{report}");
    assert_eq!(report["summary"]["notSent"], 1, "{report}");
    assert_eq!(Api::new(&setup.sandbox).total(), 0);
}
