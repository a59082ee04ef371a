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
    FieldView, OptionSign, RenderOptions, Sign, attribute_label, company_label, field_view,
    identity_label, option_lines, summary_line, unmanaged_line,
};
use crate::plan::{
    Action, AttributeChange, AttributePlan, Change, CompanyChange, CompanyPlan, FieldChange, Plan,
};

/// The most characters a markdown plan may hold.
pub const MARKDOWN_LIMIT: usize = 60_000;

/// Lines of a change's diff block beyond which it is collapsed.
const COLLAPSE_AFTER_LINES: usize = 15;

/// Room kept for the notice of left-out changes and the summary line.
const FOOTER_ROOM: usize = 400;

/// Renders the plan as a markdown comment under [`MARKDOWN_LIMIT`] characters.
pub fn render_markdown(plan: &Plan<'_>, options: &RenderOptions) -> String {
    let Plan {
        attributes,
        companies,
        changes,
        unchanged: _,
        warnings,
        options: _,
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
    if let Some(line) = unmanaged_line(attributes) {
        let _ = writeln!(out, "{line}\n");
    }
    // Attributes, then companies, as apply makes them first; they share
    // the one budget with the people (a plan may create a thousand
    // companies).
    let mut used = chars(&out);
    let attributes_shown =
        push_within(&mut out, &mut used, attribute_sections(attributes, options));
    let companies_shown = if attributes_shown < attributes.changes.len() {
        0
    } else {
        push_within(&mut out, &mut used, company_sections(companies, options))
    };
    let people_shown = if attributes_shown < attributes.changes.len()
        || companies_shown < companies.changes.len()
    {
        0
    } else {
        push_within(
            &mut out,
            &mut used,
            people_sections(changes, companies, options),
        )
    };
    let left_out = LeftOut {
        attributes: &attributes.changes[attributes_shown..],
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

/// One section per attribute change, the first under an `Attributes`
/// heading.
fn attribute_sections<'a>(
    attributes: &'a AttributePlan,
    options: &'a RenderOptions,
) -> impl Iterator<Item = String> + 'a {
    attributes.changes.iter().enumerate().map(|(i, change)| {
        let heading = if i == 0 { "#### Attributes\n\n" } else { "" };
        let action = change.action();
        let title = format!(
            "{} {} · {}",
            action.as_str(),
            attribute_label(change),
            change.source
        );
        let options_lines = option_lines(change).into_iter().map(|(sign, text)| {
            let sign = match sign {
                OptionSign::Added => '+',
                OptionSign::Removed => '-',
                OptionSign::Changed => '!',
            };
            format!("{sign} {text}")
        });
        let block = diff_block(&title, action, &change.fields, options_lines, options);
        format!("{heading}{block}")
    })
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
        let block = diff_block(&title, change.action, &change.fields, [], options);
        format!("{heading}{block}")
    })
}

/// One section per person's change, headed by its file when that changes.
fn people_sections<'a>(
    changes: &'a [Change<'a>],
    companies: &'a CompanyPlan,
    options: &'a RenderOptions,
) -> impl Iterator<Item = String> + 'a {
    changes.iter().enumerate().map(move |(i, change)| {
        let mut section = String::new();
        let previous = i.checked_sub(1).and_then(|i| changes.get(i));
        let file = &change.source().file;
        if previous.is_none_or(|p| p.source().file != *file) {
            let file = file.display().to_string();
            let file = crate::terminal::escaped(&file);
            let _ = writeln!(section, "#### {}\n", code_span(&file));
        }
        section.push_str(&change_block(change, companies, options));
        section
    })
}

/// The changes that did not fit.
struct LeftOut<'a> {
    attributes: &'a [AttributeChange],
    companies: &'a [CompanyChange],
    people: &'a [Change<'a>],
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
        let attributes = self.attributes.len();
        let what = match (companies, people) {
            _ if attributes > 0 => format!(
                "{attributes} more attribute change(s), {companies} more company change(s) and {people} more change(s) of people not shown"
            ),
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
fn summary_table(plan: &Plan<'_>) -> String {
    let people = [plan.creates(), plan.updates(), plan.unchanged];
    let companies = &plan.companies;
    let rows = ["to create", "to update", "unchanged"];
    let mut out = String::new();
    let attributes = &plan.attributes;
    if attributes.involved {
        let columns = [
            [
                attributes.creates(),
                attributes.updates(),
                attributes.unchanged,
            ],
            [
                companies.creates(),
                companies.updates(),
                companies.unchanged,
            ],
            people,
        ];
        let (head, rule) = if companies.involved {
            (
                "| | attributes | companies | people |",
                "|---|---:|---:|---:|",
            )
        } else {
            ("| | attributes | people |", "|---|---:|---:|")
        };
        let _ = writeln!(out, "{head}\n{rule}");
        for (r, row) in rows.iter().enumerate() {
            let cells: Vec<String> = columns
                .iter()
                .enumerate()
                .filter(|(c, _)| *c != 1 || companies.involved)
                .map(|(_, column)| column[r].to_string())
                .collect();
            let _ = writeln!(out, "| {row} | {} |", cells.join(" | "));
        }
    } else if companies.involved {
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

fn change_block(change: &Change<'_>, companies: &CompanyPlan, options: &RenderOptions) -> String {
    let (action, line) = (change.action, change.source().line);
    let label = identity_label(change, options.redact);
    let title = match change.person_id() {
        Some(id) => format!("{} {label} · line {line} · person {id}", action.as_str()),
        None => format!("{} {label} · line {line}", action.as_str()),
    };
    diff_block(&title, action, &change.fields(companies), [], options)
}

/// One change as a `diff` block headed by `title`, collapsed when long.
fn diff_block(
    title: &str,
    action: Action,
    fields: &[FieldChange],
    more: impl IntoIterator<Item = String>,
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

    lines.extend(more);
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

/// `text` as a markdown code span that no backtick in it can close: the
/// fence is one backtick longer than the longest run inside (CommonMark), and
/// padded when the text starts or ends with one.
fn code_span(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_file_name_with_backticks_stays_one_code_span() {
        assert_eq!(super::code_span("people.yaml"), "`people.yaml`");
        assert_eq!(
            super::code_span("we`ird/x``y.yaml"),
            "```we`ird/x``y.yaml```"
        );
        assert_eq!(super::code_span("`a"), "`` `a ``");
    }

    use std::path::PathBuf;

    use serde_json::{Map, Value, json};

    use super::*;
    use crate::api::Person;
    use crate::manifest::{Entry, SourceLocation};
    use crate::plan::testing::{entry, person};
    use crate::plan::{FieldChange, PlanOptions, compute};

    /// An entry of `people/acme.yaml` at `line` changing `fields` custom
    /// values of 40 characters, and the live person it updates.
    fn update(line: usize, fields: usize) -> (Entry, Person) {
        let email = format!("person{line}@acme.com");
        let values = |c: &str| -> Map<String, Value> {
            (0..fields)
                .map(|i| (format!("attr_{i}"), json!(c.repeat(40))))
                .collect()
        };
        let mut desired = entry(
            line,
            "email",
            json!({"emails": [email], "customAttributes": values("y")}),
        );
        desired.source.file = PathBuf::from("people/acme.yaml").into();
        let live = person(
            &format!("id-{line}"),
            json!({"emails": [email], "customAttributes": values("x")}),
        );
        (desired, live)
    }

    /// The plan of `people`, without the safety limit's warning.
    fn updating<'a>(entries: &'a [Entry], live: &'a [Person]) -> Plan<'a> {
        let mut plan = compute(entries, live, &PlanOptions::default()).unwrap();
        plan.warnings.clear();
        plan
    }

    #[test]
    fn a_huge_plan_stays_under_the_limit_and_counts_the_rest() {
        let (entries, live): (Vec<_>, Vec<_>) = (1..=2000).map(|i| update(i, 3)).unzip();
        let mut plan = updating(&entries, &live);
        plan.unchanged = 5;
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
                file: PathBuf::from("people/companies.yaml").into(),
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
        let (entries, live): (Vec<_>, Vec<_>) = (1..=20).map(|i| update(i, 1)).unzip();
        let mut plan = updating(&entries, &live);
        plan.companies = CompanyPlan {
            involved: true,
            changes: (0..3000).map(company).collect(),
            ..CompanyPlan::default()
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
        let (entries, live): (Vec<_>, Vec<_>) = [update(1, 2), update(9, 10)].into_iter().unzip();
        let plan = updating(&entries, &live);
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
