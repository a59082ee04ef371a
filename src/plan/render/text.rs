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

use std::io::{self, Write};

use super::{
    FieldView, OptionSign, RenderOptions, Sign, attribute_label, company_label, field_view,
    identity_label, option_lines, summary_line, unmanaged_line,
};
use crate::plan::{Action, AttributeChange, Change, CompanyChange, CompanyPlan, FieldChange, Plan};

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Renders the plan as text for a terminal or a CI log.
pub fn render_text(plan: &Plan<'_>, options: &RenderOptions) -> String {
    super::in_memory(|out| write_text(out, plan, options))
}

/// Writes the plan as [`render_text`] renders it, change by change: a plan
/// of a big file is never held as one text.
pub fn write_text(out: &mut dyn Write, plan: &Plan<'_>, options: &RenderOptions) -> io::Result<()> {
    let Plan {
        attributes,
        companies,
        changes,
        unchanged: _,
        warnings,
        options: _,
    } = plan;
    let paint = Paint(options.color);
    // Attributes first, then companies: apply makes them before the people
    // who use them and link to them.
    for change in &attributes.changes {
        write_attribute(out, change, options, paint)?;
        writeln!(out)?;
    }
    if let Some(line) = unmanaged_line(attributes) {
        writeln!(out, "{}\n", paint.wrap(DIM, &line))?;
    }
    for change in &companies.changes {
        write_company(out, change, options, paint)?;
        writeln!(out)?;
    }
    for change in changes {
        write_change(out, change, companies, options, paint)?;
        writeln!(out)?;
    }
    // Just above the summary, where a reader of a CI log looks last.
    for warning in warnings {
        writeln!(
            out,
            "{} {}\n",
            paint.wrap(YELLOW, "Warning:"),
            warning.message
        )?;
    }
    writeln!(out, "{}", paint.wrap(BOLD, &summary_line(plan)))
}

fn write_change(
    out: &mut dyn Write,
    change: &Change<'_>,
    companies: &CompanyPlan,
    options: &RenderOptions,
    paint: Paint,
) -> io::Result<()> {
    let source = change.source();
    let place = match change.person_id() {
        Some(id) => format!("({source}, person {id})"),
        None => format!("({source})"),
    };
    let label = identity_label(change, options.redact);
    let fields = change.fields(companies);
    write_fields(out, change.action, &label, &place, &fields, options, paint)
}

fn write_company(
    out: &mut dyn Write,
    change: &CompanyChange,
    options: &RenderOptions,
    paint: Paint,
) -> io::Result<()> {
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
    write_fields(out, *action, &label, &place, fields, options, paint)
}

fn write_attribute(
    out: &mut dyn Write,
    change: &AttributeChange,
    options: &RenderOptions,
    paint: Paint,
) -> io::Result<()> {
    let place = format!("({})", change.source);
    let label = attribute_label(change);
    let action = change.action();
    write_fields(out, action, &label, &place, &change.fields, options, paint)?;
    for (sign, text) in option_lines(change) {
        let (marker, colour) = match sign {
            OptionSign::Added => ("+", GREEN),
            OptionSign::Removed => ("-", RED),
            OptionSign::Changed => marker(Action::Update),
        };
        writeln!(out, "    {} {text}", paint.wrap(colour, marker))?;
    }
    Ok(())
}

/// A change's heading, then each changed field.
fn write_fields(
    out: &mut dyn Write,
    action: Action,
    label: &str,
    place: &str,
    fields: &[FieldChange],
    options: &RenderOptions,
    paint: Paint,
) -> io::Result<()> {
    let (marker, colour) = marker(action);
    writeln!(
        out,
        "{} {}  {}",
        paint.wrap(colour, marker),
        paint.wrap(BOLD, label),
        paint.wrap(DIM, place)
    )?;
    for field in fields {
        let head = format!("    {} {}:", paint.wrap(colour, marker), field.path);
        match field_view(action, field, options.redact) {
            FieldView::Value { before, after } => match before {
                Some(before) => writeln!(out, "{head} {before} -> {after}")?,
                None => writeln!(out, "{head} {after}")?,
            },
            FieldView::Summary(summary) => writeln!(out, "{head} {summary}")?,
            FieldView::Lines(lines) => {
                writeln!(out, "{head}")?;
                for (sign, text) in lines {
                    let line = match sign {
                        Sign::Removed => paint.wrap(RED, &format!("- {text}")),
                        Sign::Added => paint.wrap(GREEN, &format!("+ {text}")),
                        Sign::Context => format!("  {text}"),
                        Sign::Gap => paint.wrap(DIM, &format!("  {text}")),
                    };
                    writeln!(out, "        {}", line.trim_end())?;
                }
            }
        }
    }
    Ok(())
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
