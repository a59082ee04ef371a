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

use super::attributes::OptionChange;
use super::{Action, AttributeChange, AttributePlan, Change, CompanyChange, FieldChange, Plan};
use crate::plural::counted;
use crate::redact;

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

/// The last line of every human-readable plan. Attributes and companies
/// are counted only when the files declare them (companies: or reference
/// some); "up to date" names them only when some are.
pub fn summary_line(plan: &Plan<'_>) -> String {
    let attributes = &plan.attributes;
    let companies = &plan.companies;
    // (singular, plural, to create, to update, unchanged), in apply's order.
    let mut kinds = Vec::new();
    if attributes.involved {
        kinds.push((
            "attribute",
            "attributes",
            attributes.creates(),
            attributes.updates(),
            attributes.unchanged,
        ));
    }
    if companies.involved {
        kinds.push((
            "company",
            "companies",
            companies.creates(),
            companies.updates(),
            companies.unchanged,
        ));
    }
    let people = (
        "person",
        "people",
        plan.creates(),
        plan.updates(),
        plan.unchanged,
    );
    if plan.is_empty() {
        let up_to_date: Vec<String> = kinds
            .iter()
            .filter(|kind| kind.4 > 0)
            .chain([&people])
            .map(|&(one, many, _, _, unchanged)| counted(unchanged, one, many))
            .collect();
        return format!(
            "No changes. {} up to date.",
            crate::plural::and_joined(&up_to_date)
        );
    }
    if kinds.is_empty() {
        let (_, _, creates, updates, unchanged) = people;
        return format!("Plan: {creates} to create, {updates} to update, {unchanged} unchanged.");
    }
    kinds.push(people);
    let parts: Vec<String> = kinds
        .iter()
        .map(|&(one, many, creates, updates, unchanged)| {
            let creates = counted(creates, one, many);
            format!("{creates} to create, {updates} to update, {unchanged} unchanged")
        })
        .collect();
    format!("Plan: {}.", parts.join("; "))
}

/// `people attribute tier`: how an attribute change is named in every
/// output.
pub(crate) fn attribute_label(change: &AttributeChange) -> String {
    let label = format!("{} attribute {}", change.object, change.key);
    crate::terminal::escaped(&label).into_owned()
}

/// How an option change is marked: added, removed, or changed in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OptionSign {
    Added,
    Removed,
    Changed,
}

/// One line per option an attribute change adds, removes, renames or
/// recolours:
/// `option "bronze" (held by 2 records, cleared)`.
pub(crate) fn option_lines(change: &AttributeChange) -> Vec<(OptionSign, String)> {
    let quoted = |text: &str| crate::terminal::escaped(&Value::from(text).to_string()).into_owned();
    let colour = |c: &Option<String>| c.as_deref().map_or("none".to_string(), quoted);
    change
        .options
        .iter()
        .map(|option| match option {
            OptionChange::Added { value } => {
                (OptionSign::Added, format!("option {}", quoted(value)))
            }
            OptionChange::Removed { value, records: 0 } => {
                (OptionSign::Removed, format!("option {}", quoted(value)))
            }
            OptionChange::Removed { value, records } => (
                OptionSign::Removed,
                format!(
                    "option {} (held by {}: cleared)",
                    quoted(value),
                    counted(*records as usize, "record", "records")
                ),
            ),
            OptionChange::Renamed { before, after } => (
                OptionSign::Changed,
                format!("option {} -> {}", quoted(before), quoted(after)),
            ),
            OptionChange::Recolored {
                value,
                before,
                after,
            } => (
                OptionSign::Changed,
                format!(
                    "option {}: color {} -> {}",
                    quoted(value),
                    colour(before),
                    colour(after)
                ),
            ),
        })
        .collect()
}

/// `2 live attributes are not declared and left alone: people.nickname,
/// companies.size.`, when the files declare attributes and some live ones
/// are not.
pub(crate) fn unmanaged_line(attributes: &AttributePlan) -> Option<String> {
    const NAMED: usize = 10;
    let unmanaged = &attributes.unmanaged;
    if !attributes.involved || unmanaged.is_empty() {
        return None;
    }
    let mut names: Vec<String> = unmanaged
        .iter()
        .take(NAMED)
        .map(|(object, key)| format!("{object}.{key}"))
        .collect();
    if unmanaged.len() > NAMED {
        names.push(format!("and {} more", unmanaged.len() - NAMED));
    }
    let line = format!(
        "{} not declared and left alone: {}.",
        counted(unmanaged.len(), "live attribute is", "live attributes are"),
        names.join(", ")
    );
    Some(crate::terminal::escaped(&line).into_owned())
}

/// `company acme.com`: how a company change is named in every output.
pub(crate) fn company_label(change: &CompanyChange) -> String {
    crate::terminal::escaped(&format!("company {}", change.domain)).into_owned()
}

/// `email j***@acme.com`, `phone_number +4930…`, `customer_id 42`.
pub(crate) fn identity_label(change: &Change<'_>, redacted: bool) -> String {
    let value = if redacted {
        redact::identity(
            change.matching_attribute(),
            &change.match_value().to_value(),
        )
    } else {
        change.match_value().to_value()
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
