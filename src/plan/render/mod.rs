//! Printing a [`Plan`]: Terraform-like text, stable JSON, and markdown for a
//! pull-request comment. Each renderer takes a plan already computed and
//! [`RenderOptions`]: a plan that fails prints nothing. Text and JSON are
//! written change by change ([`write_text`], [`write_json`]), each change's
//! fields derived from its entry and live person only as it is written;
//! markdown is bounded by its limit and returned whole.

mod json;
mod markdown;
#[cfg(test)]
mod snapshot_tests;
mod text;

pub use json::{render_json, write_json};
pub use markdown::{MARKDOWN_LIMIT, render_markdown};
pub use text::{render_text, write_text};

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use super::{Action, Change, CompanyChange, FieldChange, Plan, redact};
use crate::plural::counted;

/// How to render a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colours (text only).
    pub color: bool,
    /// Mask emails, phone numbers and free text (see [`redact`]).
    pub redact: bool,
}

/// What a streaming renderer writes, as one text (small plans, tests).
fn in_memory(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    write(&mut out).unwrap_or_else(|_| unreachable!("writing to memory does not fail"));
    String::from_utf8(out).unwrap_or_else(|_| unreachable!("the renderers write UTF-8 text"))
}

/// The last line of every human-readable plan. Companies are counted only
/// when the files declare or reference some; "up to date" only when they
/// declare some (a referenced live company is never the plan's to update).
pub fn summary_line(plan: &Plan<'_>) -> String {
    let companies = &plan.companies;
    if plan.is_empty() && companies.unchanged == 0 {
        return format!(
            "No changes. {} up to date.",
            counted(plan.unchanged, "person", "people")
        );
    }
    if !companies.involved {
        return format!(
            "Plan: {} to create, {} to update, {} unchanged.",
            plan.creates(),
            plan.updates(),
            plan.unchanged
        );
    }
    if plan.is_empty() {
        return format!(
            "No changes. {} and {} up to date.",
            counted(companies.unchanged, "company", "companies"),
            counted(plan.unchanged, "person", "people"),
        );
    }
    format!(
        "Plan: {} to create, {} to update, {} unchanged; {} to create, {} to update, {} unchanged.",
        counted(companies.creates(), "company", "companies"),
        companies.updates(),
        companies.unchanged,
        counted(plan.creates(), "person", "people"),
        plan.updates(),
        plan.unchanged
    )
}

/// `company acme.com`: how a company change is named in every output.
pub(crate) fn company_label(change: &CompanyChange) -> String {
    crate::terminal::escaped(&format!("company {}", change.domain)).into_owned()
}

/// `email j***@acme.com`, `phone_number +4930…`, `customer_id 42`.
pub(crate) fn identity_label(change: &Change<'_>, redacted: bool) -> String {
    let value = if redacted {
        redact::identity(change.matching_attribute(), change.match_value())
    } else {
        change.match_value().clone()
    };
    let label = format!("{} {}", change.matching_attribute(), plain(&value));
    crate::terminal::escaped(&label).into_owned()
}

/// A value as a reader wants it in a heading: strings unquoted.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// How one field change is shown by the text and markdown renderers.
#[derive(Debug, PartialEq)]
pub(crate) enum FieldView {
    /// A one-line value, with the old one on updates: `"CEO" -> null`.
    Value {
        before: Option<String>,
        after: String,
    },
    /// Multi-line text as a line diff, each line with its sign.
    Lines(Vec<(Sign, String)>),
    /// Redacted free text: only a description of the change.
    Summary(String),
}

/// The sign of a line in a line diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sign {
    Removed,
    Added,
    Context,
    /// Unchanged lines left out between two hunks.
    Gap,
}

/// Lines of unchanged text shown around each changed hunk.
const CONTEXT_LINES: usize = 2;

pub(crate) fn field_view(action: Action, field: &FieldChange, redacted: bool) -> FieldView {
    let FieldChange {
        path,
        before,
        after,
    } = field;
    if redacted && path == "description" {
        let summary = match (action, after) {
            (_, Value::Null) => "cleared".to_string(),
            (Action::Create, Value::String(text)) => redact::characters(text),
            (Action::Update, Value::String(text)) => {
                format!("changed {}", redact::characters(text))
            }
            (_, other) => format!("changed ({} characters)", other.to_string().len()),
        };
        return FieldView::Summary(summary);
    }
    let multi_line = |v: &Value| v.as_str().is_some_and(|s| s.contains('\n'));
    if multi_line(before) || multi_line(after) {
        return FieldView::Lines(line_diff(
            before.as_str().unwrap_or(""),
            after.as_str().unwrap_or(""),
        ));
    }
    // JSON escapes control characters, not bidirectional overrides.
    let shown = |v: &Value| {
        let text = if redacted {
            inline(&redact::value(path, v))
        } else {
            inline(v)
        };
        crate::terminal::escaped(&text).into_owned()
    };
    FieldView::Value {
        before: match action {
            Action::Create => None,
            Action::Update => Some(shown(before)),
        },
        after: shown(after),
    }
}

/// A value on one line: JSON, with a space after each list comma.
fn inline(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

fn line_diff(before: &str, after: &str) -> Vec<(Sign, String)> {
    let diff = TextDiff::from_lines(before, after);
    let mut lines = Vec::new();
    for (i, group) in diff.grouped_ops(CONTEXT_LINES).iter().enumerate() {
        if i > 0 {
            lines.push((Sign::Gap, "…".to_string()));
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let sign = match change.tag() {
                    ChangeTag::Delete => Sign::Removed,
                    ChangeTag::Insert => Sign::Added,
                    ChangeTag::Equal => Sign::Context,
                };
                // Each line alone on the terminal: what is left of control
                // characters (ESC, a lone CR) is escaped, never obeyed.
                let text = change.value().trim_end_matches(['\n', '\r']);
                let text = crate::terminal::escaped(text).into_owned();
                lines.push((sign, text));
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field(path: &str, before: Value, after: Value) -> FieldChange {
        FieldChange {
            path: path.into(),
            before,
            after,
        }
    }

    #[test]
    fn multi_line_text_becomes_a_line_diff_with_context() {
        let before = (1..=10).map(|i| format!("line {i}\n")).collect::<String>();
        let after = before
            .replace("line 2\n", "line two\n")
            .replace("line 9\n", "");
        let view = field_view(
            Action::Update,
            &field("description", json!(before), json!(after)),
            false,
        );
        let FieldView::Lines(lines) = view else {
            panic!("expected a line diff, got {view:?}")
        };
        let signs: String = lines
            .iter()
            .map(|(sign, _)| match sign {
                Sign::Removed => '-',
                Sign::Added => '+',
                Sign::Context => ' ',
                Sign::Gap => '…',
            })
            .collect();
        assert_eq!(signs, " -+  …  - ");
        assert_eq!(lines[1].1, "line 2");
    }

    #[test]
    fn control_characters_in_values_and_line_diffs_are_escaped() {
        let live = "notes\n\x1b[2K\x1b[1Aerased\r\nmore";
        let view = field_view(
            Action::Update,
            &field("description", json!(live), json!("notes\nnew")),
            false,
        );
        let FieldView::Lines(lines) = view else {
            panic!("expected a line diff, got {view:?}")
        };
        assert!(
            lines.iter().all(|(_, text)| !text.contains('\x1b')),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|(_, text)| text == "\\u{1b}[2K\\u{1b}[1Aerased")
        );
        let view = field_view(
            Action::Update,
            &field("jobTitle", json!("a\u{202e}b"), json!("c")),
            false,
        );
        assert_eq!(
            view,
            FieldView::Value {
                before: Some("\"a\\u{202e}b\"".into()),
                after: "\"c\"".into()
            }
        );
    }

    #[test]
    fn redacted_descriptions_show_their_length_only() {
        let change = field("description", json!("secret\nnotes"), json!("new"));
        assert_eq!(
            field_view(Action::Update, &change, true),
            FieldView::Summary("changed (3 characters)".into())
        );
        let phone = field("phoneNumber", json!("+4930123"), json!(null));
        assert_eq!(
            field_view(Action::Update, &phone, true),
            FieldView::Value {
                before: Some("\"+*****23\"".into()),
                after: "null".into()
            }
        );
    }
}
