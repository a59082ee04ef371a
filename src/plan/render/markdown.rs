//! `--format markdown`: a pull-request comment.
//!
//! The first line is the marker `<!-- zeeg-plan -->` so a CI job can find and
//! update its previous comment. A summary table follows, then the changes
//! grouped by file, each in a `diff` block (GitHub colours `+`/`-` lines),
//! collapsed in `<details>` when long. GitHub rejects comments over 65,536
//! characters; the output stays under [`MARKDOWN_LIMIT`] and counts what it
//! had to leave out.

use std::fmt::Write;

use super::{
    FieldView, RenderOptions, Sign, company_label, field_view, identity_label, summary_line,
};
use crate::plan::{Action, Change, CompanyChange, CompanyPlan, FieldChange, Plan};

/// The most characters a markdown plan may hold.
pub const MARKDOWN_LIMIT: usize = 60_000;

/// Lines of a change's diff block beyond which it is collapsed.
const COLLAPSE_AFTER_LINES: usize = 15;

/// Room kept for the notice of left-out changes and the summary line.
const FOOTER_ROOM: usize = 400;

/// Renders the plan as a markdown comment under [`MARKDOWN_LIMIT`] characters.
pub fn render_markdown(plan: &Plan, options: &RenderOptions) -> String {
    let Plan {
        companies,
        changes,
        unchanged: _,
        warnings,
    } = plan;
    let mut out = String::new();
    out.push_str("<!-- zeeg-plan -->\n");
    out.push_str("### zeeg plan\n\n");
    out.push_str(&summary_table(plan));
    out.push('\n');
    // Right under the table: a reviewer must see it before approving.
    for warning in warnings {
        let _ = writeln!(out, "> [!WARNING]\n> {}\n", warning.message);
    }
    // Companies first, as apply asserts them first; they share the one
    // budget with the people (a plan may create a thousand companies).
    let mut used = chars(&out);
    let companies_shown = push_within(&mut out, &mut used, company_sections(companies, options));
    let people_shown = if companies_shown < companies.changes.len() {
        0
    } else {
        push_within(&mut out, &mut used, people_sections(changes, options))
    };
    let left_out = LeftOut {
        companies: &companies.changes[companies_shown..],
        people: &changes[people_shown..],
    };
    if let Some(notice) = left_out.notice() {
        let _ = writeln!(out, "{notice}\n");
    }
    let _ = writeln!(out, "**{}**", summary_line(plan));
    out
}

/// Appends `sections` in order while they fit under the limit (with room for
/// the footer), and says how many did.
fn push_within(
    out: &mut String,
    used: &mut usize,
    sections: impl Iterator<Item = String>,
) -> usize {
    let mut shown = 0;
    for section in sections {
        let size = chars(&section);
        if *used + size + FOOTER_ROOM > MARKDOWN_LIMIT {
            break;
        }
        *used += size;
        out.push_str(&section);
        shown += 1;
    }
    shown
}

/// One section per company change, the first under a `Companies` heading.
fn company_sections<'a>(
    companies: &'a CompanyPlan,
    options: &'a RenderOptions,
) -> impl Iterator<Item = String> + 'a {
    companies.changes.iter().enumerate().map(|(i, change)| {
        let heading = if i == 0 { "#### Companies\n\n" } else { "" };
        let title = match &change.company_id {
            Some(id) => format!(
                "{} {} · {} · company {id}",
                change.action.as_str(),
                company_label(change),
                change.source
            ),
            None => format!(
                "{} {} · {}",
                change.action.as_str(),
                company_label(change),
                change.source
            ),
        };
        let block = diff_block(&title, change.action, &change.fields, options);
        format!("{heading}{block}")
    })
}

/// One section per person's change, headed by its file when that changes.
fn people_sections<'a>(
    changes: &'a [Change],
    options: &'a RenderOptions,
) -> impl Iterator<Item = String> + 'a {
    changes.iter().enumerate().map(|(i, change)| {
        let mut section = String::new();
        let previous = i.checked_sub(1).and_then(|i| changes.get(i));
        if previous.is_none_or(|p| p.source.file != change.source.file) {
            let file = change.source.file.display().to_string();
            let _ = writeln!(section, "#### `{}`\n", crate::terminal::escaped(&file));
        }
        section.push_str(&change_block(change, options));
        section
    })
}

/// The changes that did not fit.
struct LeftOut<'a> {
    companies: &'a [CompanyChange],
    people: &'a [Change],
}

impl LeftOut<'_> {
    /// `_…and N more change(s) not shown (C to create, U to update) …_`, with
    /// the companies counted apart when some of them are left out too.
    fn notice(&self) -> Option<String> {
        let company_creates = self
            .companies
            .iter()
            .filter(|c| c.action == Action::Create)
            .count();
        let people_creates = self
            .people
            .iter()
            .filter(|c| c.action == Action::Create)
            .count();
        let counts =
            |n: usize, creates: usize| format!("({creates} to create, {} to update)", n - creates);
        let (companies, people) = (self.companies.len(), self.people.len());
        let what = match (companies, people) {
            (0, 0) => return None,
            (0, n) => format!("{n} more change(s) not shown {}", counts(n, people_creates)),
            (c, n) => format!(
                "{c} more company change(s) {} and {n} more change(s) of people {} not shown",
                counts(c, company_creates),
                counts(n, people_creates)
            ),
        };
        Some(format!(
            "_…and {what} to keep this comment under {MARKDOWN_LIMIT} characters. \
             Run `zeeg plan` to see them all._"
        ))
    }
}

/// The counts, with a companies column when the files involve companies.
fn summary_table(plan: &Plan) -> String {
    let people = [plan.creates(), plan.updates(), plan.unchanged];
    let companies = &plan.companies;
    let rows = ["to create", "to update", "unchanged"];
    let mut out = String::new();
    if companies.involved {
        let counts = [
            companies.creates(),
            companies.updates(),
            companies.unchanged,
        ];
        out.push_str("| | companies | people |\n|---|---:|---:|\n");
        for ((row, c), p) in rows.iter().zip(counts).zip(people) {
            let _ = writeln!(out, "| {row} | {c} | {p} |");
        }
    } else {
        out.push_str("| | people |\n|---|---:|\n");
        for (row, p) in rows.iter().zip(people) {
            let _ = writeln!(out, "| {row} | {p} |");
        }
    }
    out
}

fn change_block(change: &Change, options: &RenderOptions) -> String {
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
    let title = match person_id {
        Some(id) => format!(
            "{} {} · line {} · person {}",
            action.as_str(),
            identity_label(change, options.redact),
            source.line,
            id
        ),
        None => format!(
            "{} {} · line {}",
            action.as_str(),
            identity_label(change, options.redact),
            source.line
        ),
    };

    diff_block(&title, *action, fields, options)
}

/// One change as a `diff` block headed by `title`, collapsed when long.
fn diff_block(
    title: &str,
    action: Action,
    fields: &[FieldChange],
    options: &RenderOptions,
) -> String {
    let mut lines = Vec::new();
    for field in fields {
        let path = &field.path;
        match field_view(action, field, options.redact) {
            FieldView::Value {
                before: Some(before),
                after,
            } => {
                lines.push(format!("- {path}: {before}"));
                lines.push(format!("+ {path}: {after}"));
            }
            FieldView::Value {
                before: None,
                after,
            } => lines.push(format!("+ {path}: {after}")),
            FieldView::Summary(summary) => {
                // `!` reads as "changed" in GitHub's diff colouring.
                let sign = if action == Action::Create { '+' } else { '!' };
                lines.push(format!("{sign} {path}: {summary}"));
            }
            FieldView::Lines(diff) => {
                lines.push(format!("  {path}:"));
                for (sign, text) in diff {
                    let sign = match sign {
                        Sign::Removed => '-',
                        Sign::Added => '+',
                        Sign::Context | Sign::Gap => ' ',
                    };
                    lines.push(format!("{sign}     {text}").trim_end().to_string());
                }
            }
        }
    }

    let body = lines.join("\n");
    let fence = fence_for(&body);
    let code = format!("{fence}diff\n@@ {title} @@\n{body}\n{fence}\n");
    if lines.len() > COLLAPSE_AFTER_LINES {
        format!(
            "<details><summary>{} ({} fields)</summary>\n\n{code}\n</details>\n\n",
            escape_html(title),
            fields.len()
        )
    } else {
        format!("{code}\n")
    }
}

/// A code fence longer than any run of backticks inside the block.
fn fence_for(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::{Map, json};

    use super::*;
    use crate::manifest::SourceLocation;
    use crate::plan::FieldChange;

    fn update(line: usize, fields: usize) -> Change {
        Change {
            action: Action::Update,
            source: SourceLocation {
                file: PathBuf::from("people/acme.yaml"),
                line,
                column: 3,
            },
            matching_attribute: "email".into(),
            match_value: json!(format!("person{line}@acme.com")),
            person_id: Some(format!("id-{line}")),
            updated_at: Some("2025-01-15T09:00:00+00:00".into()),
            fields: (0..fields)
                .map(|i| FieldChange {
                    path: format!("customAttributes.attr_{i}"),
                    before: json!("x".repeat(40)),
                    after: json!("y".repeat(40)),
                })
                .collect(),
            body: Map::new(),
            company: None,
        }
    }

    #[test]
    fn a_huge_plan_stays_under_the_limit_and_counts_the_rest() {
        let plan = Plan {
            changes: (1..=2000).map(|i| update(i, 3)).collect(),
            unchanged: 5,
            ..Plan::default()
        };
        let text = render_markdown(&plan, &RenderOptions::default());
        assert!(chars(&text) < MARKDOWN_LIMIT, "{}", chars(&text));
        assert!(text.starts_with("<!-- zeeg-plan -->\n"));
        let shown = text.matches("@@ update").count();
        assert!(shown > 100 && shown < 2000, "{shown}");
        assert!(
            text.contains(&format!("…and {} more change(s)", 2000 - shown)),
            "{text}"
        );
        assert!(text.ends_with("**Plan: 0 to create, 2000 to update, 5 unchanged.**\n"));
    }

    #[test]
    fn thousands_of_companies_share_the_limit_with_the_people() {
        let company = |i: usize| CompanyChange {
            action: Action::Create,
            source: SourceLocation {
                file: PathBuf::from("people/companies.yaml"),
                line: 2 * i + 2,
                column: 5,
            },
            domain: format!("company{i}.example"),
            company_id: None,
            updated_at: None,
            fields: vec![FieldChange {
                path: "name".into(),
                before: json!(null),
                after: json!(format!("Company number {i}")),
            }],
            name: Some(format!("Company number {i}")),
        };
        let plan = Plan {
            companies: CompanyPlan {
                involved: true,
                changes: (0..3000).map(company).collect(),
                ..CompanyPlan::default()
            },
            changes: (1..=20).map(|i| update(i, 1)).collect(),
            ..Plan::default()
        };
        let text = render_markdown(&plan, &RenderOptions::default());
        assert!(chars(&text) < MARKDOWN_LIMIT, "{}", chars(&text));
        let shown = text.matches("@@ create company").count();
        assert!(shown > 100 && shown < 3000, "{shown}");
        assert_eq!(text.matches("@@ update email").count(), 0);
        assert!(
            text.contains(&format!(
                "…and {} more company change(s) ({} to create, 0 to update) and 20 more \
                 change(s) of people (0 to create, 20 to update) not shown",
                3000 - shown,
                3000 - shown
            )),
            "{}",
            &text[text.len() - 600..]
        );
    }

    #[test]
    fn a_long_change_is_collapsed() {
        let plan = Plan {
            changes: vec![update(1, 2), update(9, 10)],
            unchanged: 0,
            ..Plan::default()
        };
        let text = render_markdown(&plan, &RenderOptions::default());
        assert_eq!(text.matches("<details>").count(), 1);
        assert_eq!(text.matches("#### `people/acme.yaml`").count(), 1);
    }

    #[test]
    fn fences_outgrow_backticks_in_values() {
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }
}
