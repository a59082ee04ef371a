//! Snapshots of every renderer on one plan holding every kind of change.

use serde_json::json;

use super::*;
use crate::plan::testing::{entry, leaked, person};
use crate::plan::{Entry, Person, compute};

fn scenario() -> Plan<'static> {
    compute(
        leaked(declared()),
        leaked(live()),
        &crate::plan::PlanOptions::default(),
    )
    .unwrap()
}

/// Ten lines of notes, the sixth `changed`.
fn notes(changed: &str) -> String {
    (1..=10)
        .map(|i| {
            if i == 6 {
                changed.to_string()
            } else {
                format!("Line {i} of the notes.")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The entries of the scenario's files.
fn declared() -> Vec<Entry> {
    vec![
        entry(
            2,
            "email",
            json!({"firstName": "Nora", "emails": ["nora@acme.example", "n.new@acme.example"],
                   "phoneNumber": "+4915112345678", "description": "Joined in March.\nWorks on billing.\n",
                   "socials": {"linkedin": "https://www.linkedin.com/in/nora"},
                   "customAttributes": {"customer_tier": "gold"}}),
        ),
        entry(
            14,
            "email",
            json!({"firstName": "Jane", "salutation": "Dr", "emails": ["jane@acme.example"],
                   "jobTitle": "Chief Product Officer", "primaryLocation": null}),
        ),
        entry(
            20,
            "email",
            json!({"emails": ["max@acme.example", "maxi@acme.example"]}),
        ),
        entry(
            23,
            "phone_number",
            json!({"firstName": "Tomás", "phoneNumber": "+4930123456789",
                   "socials": {"linkedin": "https://www.linkedin.com/in/tomas", "twitter": null},
                   "customAttributes": {"customer_tier": "gold", "seats": 12}}),
        ),
        entry(
            30,
            "employee_id",
            json!({"jobTitle": "Sales Lead", "companyId": "5b1e8a52-3f8e-4c1a-9d7e-2a4b6c8d0e1f",
                   "customAttributes": {"employee_id": "E-1001"}}),
        ),
        entry(
            36,
            "email",
            json!({"emails": ["zoe@acme.example"], "description": notes("Line 6, now rewritten.")}),
        ),
        entry(
            50,
            "email",
            json!({"emails": ["kim@acme.example"], "jobTitle": "CFO"}),
        ),
    ]
}

/// The scenario's live people.
fn live() -> Vec<Person> {
    vec![
        person(
            "id-jane",
            json!({"firstName": "Jane", "salutation": "Ms", "emails": ["jane@acme.example"],
                   "jobTitle": "Head of Product", "primaryLocation": "Berlin"}),
        ),
        person(
            "id-max",
            json!({"emails": ["maxi@acme.example", "max@acme.example"]}),
        ),
        person(
            "id-tomas",
            json!({"firstName": "Tomas", "phoneNumber": "+4930123456789",
                   "socials": {"linkedin": "https://www.linkedin.com/in/tomas-old", "twitter": "https://x.com/t"},
                   "customAttributes": {"customer_tier": "silver", "seats": 12}}),
        ),
        person(
            "id-kwame",
            json!({"jobTitle": "Sales", "customAttributes": {"employee_id": "E-1001"},
                   "company": {"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a"}}),
        ),
        person(
            "id-zoe",
            json!({"emails": ["zoe@acme.example"], "description": notes("Line 6 of the notes.")}),
        ),
        person(
            "id-kim",
            json!({"emails": ["kim@acme.example"], "jobTitle": "CFO"}),
        ),
    ]
}

const PLAIN: RenderOptions = RenderOptions {
    color: false,
    redact: false,
};
const REDACTED: RenderOptions = RenderOptions {
    color: false,
    redact: true,
};

#[test]
fn text() {
    insta::assert_snapshot!(render_text(&scenario(), &PLAIN));
}

#[test]
fn text_redacted() {
    insta::assert_snapshot!(render_text(&scenario(), &REDACTED));
}

#[test]
fn text_in_colour_marks_every_line_kind() {
    let text = render_text(
        &scenario(),
        &RenderOptions {
            color: true,
            redact: false,
        },
    );
    assert!(text.contains("\x1b[32m+\x1b[0m \x1b[1memail nora@acme.example"));
    assert!(text.contains("\x1b[33m~\x1b[0m"));
    assert!(text.contains("\x1b[31m- Line 6 of the notes.\x1b[0m"));
}

#[test]
fn json() {
    insta::assert_snapshot!(render_json(&scenario(), &PLAIN));
}

#[test]
fn markdown() {
    insta::assert_snapshot!(render_markdown(&scenario(), &PLAIN));
}

#[test]
fn markdown_redacted() {
    insta::assert_snapshot!(render_markdown(&scenario(), &REDACTED));
}

#[test]
fn no_changes() {
    let plan = Plan {
        changes: Vec::new(),
        unchanged: 3,
        ..Plan::default()
    };
    assert_eq!(
        render_text(&plan, &PLAIN),
        "No changes. 3 people up to date.\n"
    );
    assert!(render_markdown(&plan, &PLAIN).ends_with("**No changes. 3 people up to date.**\n"));
    assert_eq!(
        render_json(&plan, &PLAIN),
        "{\n  \"formatVersion\": 1,\n  \"summary\": {\n    \"create\": 0,\n    \"update\": 0,\n    \"unchanged\": 3\n  },\n  \"warnings\": [],\n  \"changes\": []\n}\n"
    );
}

/// 10 of 15 managed entries updated: over the default 30 % safety limit.
fn over_the_safety_limit() -> Plan<'static> {
    let entries: Vec<_> = (0..15)
        .map(|i| {
            entry(
                2 + 3 * i,
                "email",
                json!({"emails": [format!("p{i}@acme.example")], "jobTitle": "Manager"}),
            )
        })
        .collect();
    let live: Vec<_> = (0..15)
        .map(|i| {
            let title = if i < 10 { "Engineer" } else { "Manager" };
            person(
                &format!("id-{i}"),
                json!({"emails": [format!("p{i}@acme.example")], "jobTitle": title}),
            )
        })
        .collect();
    compute(
        leaked(entries),
        leaked(live),
        &crate::plan::PlanOptions::default(),
    )
    .unwrap()
}

#[test]
fn the_safety_limit_warning_in_every_format() {
    let plan = over_the_safety_limit();
    assert_eq!(plan.warnings.len(), 1);
    insta::assert_snapshot!("safety_limit_text", render_text(&plan, &PLAIN));
    insta::assert_snapshot!("safety_limit_markdown", render_markdown(&plan, &PLAIN));
    insta::assert_snapshot!("safety_limit_json", render_json(&plan, &PLAIN));
}

#[test]
fn within_the_limit_there_is_no_warning() {
    let entries = [entry(2, "email", json!({"emails": ["a@acme.example"]}))];
    let plan = compute(&entries, &[], &crate::plan::PlanOptions::default()).unwrap();
    assert!(plan.warnings.is_empty());
    assert!(render_json(&plan, &PLAIN).contains("\"warnings\": []"));
    assert!(!render_text(&plan, &PLAIN).contains("Warning"));
}

/// A plan with every kind of company change: a create, a rename, an
/// unchanged one, a person moved between companies, one linked to a company
/// created in the same apply, one linked to a live company nobody declared,
/// and one unlinked.
fn companies_scenario() -> Plan<'static> {
    use crate::manifest::{CompanyDeclaration, CompanyLink, SourceLocation};
    let at = |file: &str, line| SourceLocation {
        file: std::path::Path::new(file).into(),
        line,
        column: 5,
    };
    let declared = |line, domain: &str, name: &str| CompanyDeclaration {
        source: at("companies.yaml", line),
        domain: domain.into(),
        name: Some(name.into()),
        project_path: std::path::Path::new("companies.yaml").into(),
    };
    let companies = [
        declared(2, "acme.example", "Acme Corp"),
        declared(4, "globex.example", "Globex"),
        declared(6, "nordwind.example", "Nordwind Logistics AB"),
    ];
    let linked = |line, emails: Value, domain: Option<&str>| {
        let mut e = entry(line, "email", json!({"firstName": "P", "emails": emails}));
        e.company = Some(Box::new(CompanyLink {
            domain: domain.map(str::to_string),
            at: at("people.yaml", line + 2),
        }));
        e
    };
    let entries = vec![
        linked(2, json!(["jane@acme.example"]), Some("globex.example")),
        linked(6, json!(["nia@globex.example"]), Some("globex.example")),
        linked(10, json!(["ravi@initech.example"]), Some("initech.example")),
        linked(14, json!(["solo@example.org"]), None),
        linked(
            18,
            json!(["bjorn@nordwind.example"]),
            Some("nordwind.example"),
        ),
    ];
    let live_company = |id: &str, domain: &str, name: &str| -> crate::api::Company {
        serde_json::from_value(json!({"id": id, "name": name, "domain": domain,
            "createdAt": "2025-01-15T09:00:00+00:00", "updatedAt": "2025-01-15T09:00:00+00:00"}))
        .unwrap()
    };
    let live_companies = [
        live_company("c-acme", "acme.example", "Acme"),
        live_company("c-initech", "initech.example", "Initech"),
        live_company("c-nordwind", "nordwind.example", "Nordwind Logistics AB"),
    ];
    let link = |id: &str, domain: &str| json!({"id": id, "name": "x", "domain": domain});
    let live = vec![
        person(
            "id-jane",
            json!({"firstName": "P", "emails": ["jane@acme.example"], "company": link("c-acme", "acme.example")}),
        ),
        person(
            "id-ravi",
            json!({"firstName": "P", "emails": ["ravi@initech.example"]}),
        ),
        person(
            "id-solo",
            json!({"firstName": "P", "emails": ["solo@example.org"], "company": link("c-acme", "acme.example")}),
        ),
        person(
            "id-bjorn",
            json!({"firstName": "P", "emails": ["bjorn@nordwind.example"], "company": link("c-nordwind", "nordwind.example")}),
        ),
    ];
    crate::plan::compute_with_companies(
        leaked(entries),
        &companies,
        leaked(live),
        &live_companies,
        &crate::plan::PlanOptions::default(),
    )
    .unwrap()
}

#[test]
fn companies_text() {
    insta::assert_snapshot!(render_text(&companies_scenario(), &PLAIN));
}

#[test]
fn companies_json() {
    insta::assert_snapshot!(render_json(&companies_scenario(), &PLAIN));
}

#[test]
fn companies_markdown() {
    insta::assert_snapshot!(render_markdown(&companies_scenario(), &REDACTED));
}

#[test]
fn no_changes_with_companies_counts_them() {
    let mut plan = Plan {
        unchanged: 3,
        ..Plan::default()
    };
    plan.companies.involved = true;
    plan.companies.unchanged = 1;
    assert_eq!(
        render_text(&plan, &PLAIN),
        "No changes. 1 company and 3 people up to date.\n"
    );
    assert!(
        render_json(&plan, &PLAIN)
            .contains("\"companies\": {\n    \"summary\": {\n      \"create\": 0,")
    );
    // Without companies in the files, the JSON has no `companies` key at all.
    assert!(!render_json(&scenario(), &PLAIN).contains("\"companies\""));
}
