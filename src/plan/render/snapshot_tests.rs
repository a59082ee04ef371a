//! Snapshots of every renderer on one plan holding every kind of change.

use serde_json::json;

use super::*;
use crate::plan::compute;
use crate::plan::testing::{entry, person};

fn scenario() -> Plan {
    let notes = |changed: &str| {
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
    };
    let entries = [
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
    ];
    let live = [
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
    ];
    compute(&entries, &live).unwrap()
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
    };
    assert_eq!(
        render_text(&plan, &PLAIN),
        "No changes. 3 people up to date.\n"
    );
    assert!(render_markdown(&plan, &PLAIN).ends_with("**No changes. 3 people up to date.**\n"));
    assert_eq!(
        render_json(&plan, &PLAIN),
        "{\n  \"formatVersion\": 1,\n  \"summary\": {\n    \"create\": 0,\n    \"update\": 0,\n    \"unchanged\": 3\n  },\n  \"changes\": []\n}\n"
    );
}
