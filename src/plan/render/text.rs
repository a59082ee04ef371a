//! The default output: Terraform-like, one block per change.
//!
//! ```text
//! + email jane@acme.com  (people/acme.yaml:3)
//!     + firstName: "Jane"
//!
//! ~ phone_number +4930123456789  (people/acme.yaml:12, person 3c90…)
//!     ~ jobTitle: "CTO" -> null
//!     ~ description:
//!         - old line
//!         + new line
//!
//! Plan: 1 to create, 1 to update, 4 unchanged.
//! ```
//!
//! Warnings (what apply would refuse) come just before the last line.

use std::fmt::Write;

use super::{
    FieldView, RenderOptions, Sign, company_label, field_view, identity_label, summary_line,
};
use crate::plan::{Action, Change, CompanyChange, FieldChange, Plan};

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Renders the plan as text for a terminal or a CI log.
pub fn render_text(plan: &Plan, options: &RenderOptions) -> String {
    let Plan {
        companies,
        changes,
        unchanged: _,
        warnings,
    } = plan;
    let paint = Paint(options.color);
    let mut out = String::new();
    // Companies first: apply asserts them before the people who link to them.
    for change in &companies.changes {
        write_company(&mut out, change, options, paint);
        out.push('\n');
    }
    for change in changes {
        write_change(&mut out, change, options, paint);
        out.push('\n');
    }
    // Just above the summary, where a reader of a CI log looks last.
    for warning in warnings {
        let _ = writeln!(
            out,
            "{} {}\n",
            paint.wrap(YELLOW, "Warning:"),
            warning.message
        );
    }
    let _ = writeln!(out, "{}", paint.wrap(BOLD, &summary_line(plan)));
    out
}

fn write_change(out: &mut String, change: &Change, options: &RenderOptions, paint: Paint) {
    let Change {
        action,
        source,
        matching_attribute: _,
        match_value: _,
        person_id,
        updated_at: _,
        fields,
        body: _,
        company: _,
    } = change;
    let place = match person_id {
        Some(id) => format!("({source}, person {id})"),
        None => format!("({source})"),
    };
    let label = identity_label(change, options.redact);
    write_fields(out, *action, &label, &place, fields, options, paint);
}

fn write_company(out: &mut String, change: &CompanyChange, options: &RenderOptions, paint: Paint) {
    let CompanyChange {
        action,
        source,
        domain: _,
        company_id,
        updated_at: _,
        fields,
        name: _,
    } = change;
    let place = match company_id {
        Some(id) => format!("({source}, company {id})"),
        None => format!("({source})"),
    };
    let label = company_label(change);
    write_fields(out, *action, &label, &place, fields, options, paint);
}

/// A change's heading, then each changed field.
fn write_fields(
    out: &mut String,
    action: Action,
    label: &str,
    place: &str,
    fields: &[FieldChange],
    options: &RenderOptions,
    paint: Paint,
) {
    let (marker, colour) = marker(action);
    let _ = writeln!(
        out,
        "{} {}  {}",
        paint.wrap(colour, marker),
        paint.wrap(BOLD, label),
        paint.wrap(DIM, place)
    );
    for field in fields {
        let head = format!("    {} {}:", paint.wrap(colour, marker), field.path);
        match field_view(action, field, options.redact) {
            FieldView::Value { before, after } => match before {
                Some(before) => {
                    let _ = writeln!(out, "{head} {before} -> {after}");
                }
                None => {
                    let _ = writeln!(out, "{head} {after}");
                }
            },
            FieldView::Summary(summary) => {
                let _ = writeln!(out, "{head} {summary}");
            }
            FieldView::Lines(lines) => {
                let _ = writeln!(out, "{head}");
                for (sign, text) in lines {
                    let line = match sign {
                        Sign::Removed => paint.wrap(RED, &format!("- {text}")),
                        Sign::Added => paint.wrap(GREEN, &format!("+ {text}")),
                        Sign::Context => format!("  {text}"),
                        Sign::Gap => paint.wrap(DIM, &format!("  {text}")),
                    };
                    let _ = writeln!(out, "        {}", line.trim_end());
                }
            }
        }
    }
}

fn marker(action: Action) -> (&'static str, &'static str) {
    match action {
        Action::Create => ("+", GREEN),
        Action::Update => ("~", YELLOW),
    }
}

/// Wraps text in an ANSI style when colour is on.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, style: &str, text: &str) -> String {
        if self.0 {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}
