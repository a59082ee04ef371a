//! Plans whose live people come on several pages (100 a page): a plan
//! takes each page as it arrives and keeps only the people it changes, so
//! what one page holds must still meet what another held, through the real
//! binary against a real sandbox.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{self, Sandbox, run};

/// People on four pages.
const PEOPLE: usize = 350;

/// The id of the `i`-th person seeded: the API lists oldest first, then by
/// id, so person `i` is on page `i / 100 + 1`.
fn id(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// `P{i}` with `p{i}@live.example` for every `i`, changed by `special`
/// where it says.
fn seed(dir: &Path, special: &[(usize, Value)]) -> String {
    let people: Vec<Value> = (0..PEOPLE)
        .map(|i| {
            let mut person = json!({"id": id(i), "firstName": format!("P{i}"),
                "emails": [format!("p{i}@live.example")]});
            if let Some((_, fields)) = special.iter().find(|(at, _)| *at == i)
                && let (Some(person), Some(fields)) = (person.as_object_mut(), fields.as_object())
            {
                person.extend(fields.clone());
            }
            person
        })
        .collect();
    let path = dir.join("seed.json");
    std::fs::write(&path, Value::from(people).to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

/// A project whose people file holds `people` (YAML items) and entries for
/// P1–P3, unchanged: four entries or more against four pages are listed,
/// not searched.
fn project(people: &str, config: &str) -> tempfile::TempDir {
    let mut file = String::from("people:\n");
    file.push_str(people);
    for i in 1..=3 {
        file.push_str(&format!(
            "  - firstName: P{i}\n    emails: [p{i}@live.example]\n"
        ));
    }
    common::project(&[("zeeg.yaml", config), ("people/team.yaml", &file)])
}

fn zeeg(sandbox: &Sandbox, dir: &Path, args: &[&str]) -> common::Run {
    let mut command = sandbox.zeeg();
    command
        .env_remove("CI")
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .args(args);
    run(&mut command)
}

#[test]
fn a_person_on_page_four_matching_an_entry_unchanged_on_page_one_is_named_with_it() {
    let dir = project("  - firstName: P0\n    emails: [p0@live.example]\n", "{}\n");
    let seed = seed(
        dir.path(),
        &[(
            320,
            json!({"emails": ["x320@live.example", "P0@LIVE.example"]}),
        )],
    );
    let sandbox = Sandbox::start(&["--seed", &seed]);
    let out = zeeg(&sandbox, dir.path(), &["plan", "people"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let text = common::unwrapped(&out.stderr);
    let expected = format!(
        "people/team.yaml:2: the entry matches 2 live people on `email`: {}, {}",
        id(0),
        id(320)
    );
    assert!(text.contains(&expected), "{text}");
    assert_eq!(out.stdout, "", "no partial plan");
}

#[test]
fn an_email_of_a_person_on_a_later_page_is_refused_naming_both() {
    let dir = project(
        "  - firstName: P0\n    emails: [p0@live.example, p299@live.example]\n",
        "{}\n",
    );
    let seed = seed(dir.path(), &[]);
    let sandbox = Sandbox::start(&["--seed", &seed]);
    let out = zeeg(&sandbox, dir.path(), &["plan", "people"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let text = common::unwrapped(&out.stderr);
    let expected = format!(
        "people/team.yaml:2: the entry's email #2 belongs to live person {}, but the entry matches live person {}",
        id(299),
        id(0)
    );
    assert!(text.contains(&expected), "{text}");
}

#[test]
fn two_entries_matching_one_person_on_page_three_are_refused_naming_both() {
    let dir = project(
        "  - firstName: P250\n    emails: [p250@live.example]\n  - matchingAttribute: phone_number\n    phoneNumber: \"+4930250\"\n    firstName: P250\n",
        "{}\n",
    );
    let seed = seed(dir.path(), &[(250, json!({"phoneNumber": "+4930250"}))]);
    let sandbox = Sandbox::start(&["--seed", &seed]);
    let out = zeeg(&sandbox, dir.path(), &["plan", "people"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let expected = format!(
        "entries at people/team.yaml:2, people/team.yaml:4 all match live person {}",
        id(250)
    );
    assert!(
        common::unwrapped(&out.stderr).contains(&expected),
        "{}",
        out.stderr
    );
}

#[test]
fn updates_on_later_pages_show_their_live_values_and_apply_from_the_saved_plan() {
    let dir = project(
        "  - firstName: Changed250\n    emails: [p250@live.example]\n  - firstName: P349\n    emails: [p349@live.example]\n    jobTitle: CTO\n  - firstName: New\n    emails: [new@live.example]\n",
        "{}\n",
    );
    let seed = seed(dir.path(), &[(349, json!({"jobTitle": "CEO"}))]);
    let sandbox = Sandbox::start(&["--seed", &seed]);
    let out = zeeg(
        &sandbox,
        dir.path(),
        &["plan", "people", "--format", "json", "--out", "plan.zeeg"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        plan["summary"],
        json!({"create": 1, "update": 2, "unchanged": 3})
    );
    let fields: Vec<(&Value, &Value)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| (&change["personId"], &change["fields"]))
        .collect();
    assert_eq!(
        fields,
        [
            (
                &json!(id(250)),
                &json!([{"path": "firstName", "before": "P250", "after": "Changed250"}])
            ),
            (
                &json!(id(349)),
                &json!([{"path": "jobTitle", "before": "CEO", "after": "CTO"}])
            ),
            (
                &Value::Null,
                &json!([{"path": "firstName", "before": null, "after": "New"},
                        {"path": "emails", "before": null, "after": ["new@live.example"]}])
            ),
        ]
    );

    let applied = zeeg(
        &sandbox,
        dir.path(),
        &["apply", "--plan", "plan.zeeg", "--auto-approve"],
    );
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    let again = zeeg(&sandbox, dir.path(), &["plan", "people"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.ends_with("No changes. 6 people up to date.\n"),
        "{}",
        again.stdout
    );
}

#[test]
fn the_holders_of_a_removed_option_are_counted_on_every_page() {
    let config =
        "attributes:\n  people:\n    - {key: tier, label: tier, type: select, options: [gold]}\n";
    let dir = project("", config);
    let silver = json!({"customAttributes": {"tier": "silver"}});
    let gold = json!({"customAttributes": {"tier": "gold"}});
    let seed = seed(
        dir.path(),
        &[
            (10, silver.clone()),
            (11, gold),
            (150, silver.clone()),
            (340, silver),
        ],
    );
    let sandbox = Sandbox::start(&[
        "--seed",
        &seed,
        "--custom-attribute",
        "tier:select=gold|silver",
    ]);
    let out = zeeg(
        &sandbox,
        dir.path(),
        &["plan", "people", "--format", "json"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan: Value = serde_json::from_str(&out.stdout).unwrap();
    let change = &plan["attributes"]["changes"][0];
    assert_eq!(
        change["options"],
        json!([{"change": "remove", "value": "silver", "records": 3}]),
        "{change}"
    );
    assert_eq!(plan["summary"]["unchanged"], 3);
}
