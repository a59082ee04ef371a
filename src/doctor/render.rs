//! The report as a table (text) and as JSON (`--format json`).
//!
//! ```json
//! {"formatVersion": 1, "apiUrl": "https://api.zeeg.me/v2", "write": false,
//!  "summary": {"ok": 16, "differs": 1, "note": 1, "notChecked": 4},
//!  "checks": [{"id": "people.search.narrows", "verdict": "differs",
//!              "expected": "…", "observed": "…", "assumption": "Reads",
//!              "zeegDoes": "…", "reason": null}]}
//! ```
//!
//! `verdict` is `ok`, `differs`, `note` or `not checked`; `zeegDoes` is set
//! when a check differs or is a note, `reason` when it was not checked.
//! Within one `formatVersion` keys and values may be added (as `note` was),
//! never removed or changed in meaning.

use serde::Serialize;

use super::{Check, Outcome, Report, Verdict};

/// The version of the JSON report format: changed only when a key or value
/// is removed or changes its meaning.
pub const FORMAT_VERSION: u32 = 1;

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// The table: one line per check (id, verdict, what was observed), and
/// under a check that differs or is a note what was expected and what zeeg
/// does.
pub fn render_text(report: &Report, color: bool) -> String {
    let table = Table::new(report, color);
    let mut out = format!(
        "zeeg doctor: {} ({})\n\n",
        report.api_url,
        if report.write {
            "with write checks"
        } else {
            "read-only"
        }
    );
    let (id_width, verdict_width) = (table.id_width, table.verdict_width);
    out.push_str(&table.paint(
        BOLD,
        &format!(
            "{:id_width$}  {:verdict_width$}  OBSERVED",
            "CHECK", "VERDICT"
        ),
    ));
    out.push('\n');
    for check in &report.checks {
        table.write_check(&mut out, check);
    }
    write_totals(&mut out, report);
    out
}

/// The columns of the text table.
struct Table {
    color: bool,
    id_width: usize,
    verdict_width: usize,
}

impl Table {
    fn new(report: &Report, color: bool) -> Table {
        let id_width = report
            .checks
            .iter()
            .map(|c| c.spec.id.len())
            .max()
            .unwrap_or(5)
            .max("CHECK".len());
        Table {
            color,
            id_width,
            verdict_width: "not checked".len(),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    /// One check's line, and what zeeg expected and does when it differs.
    fn write_check(&self, out: &mut String, check: &Check) {
        let (id_width, verdict_width) = (self.id_width, self.verdict_width);
        let verdict = check.verdict();
        let padded = format!("{:verdict_width$}", verdict.as_str());
        let painted = match verdict {
            Verdict::Ok => self.paint(GREEN, &padded),
            Verdict::Differs => self.paint(RED, &padded),
            Verdict::Note => self.paint(YELLOW, &padded),
            Verdict::NotChecked => self.paint(DIM, &padded),
        };
        let line = match &check.outcome {
            Outcome::Ok { observed } | Outcome::Differs { observed, .. } => observed.clone(),
            Outcome::NotChecked { reason, observed } => match observed {
                Some(observed) => format!("{reason}; {observed}"),
                None => reason.clone(),
            },
        };
        out.push_str(&format!("{:id_width$}  {painted}  {line}\n", check.spec.id));
        if let Outcome::Differs { zeeg_does, .. } = &check.outcome {
            let indent = " ".repeat(id_width + verdict_width + 4);
            out.push_str(&format!("{indent}expected: {}\n", check.spec.expected));
            out.push_str(&format!("{indent}zeeg does: {zeeg_does}\n"));
            out.push_str(&format!(
                "{indent}assumption: {}\n",
                check.spec.section.heading()
            ));
        }
    }
}

/// The counts of verdicts, and what to do next.
fn write_totals(out: &mut String, report: &Report) {
    let (differ, notes) = (report.count(Verdict::Differs), report.count(Verdict::Note));
    out.push_str(&format!(
        "\n{} checks: {} ok, {} {}, {}, {} not checked ({} requests).\n",
        report.checks.len(),
        report.count(Verdict::Ok),
        differ,
        crate::plural::agreeing(differ, "differs", "differ"),
        crate::plural::counted(notes, "note", "notes"),
        report.count(Verdict::NotChecked),
        report.requests
    ));
    if report.differs() {
        out.push_str(
            "Some of zeeg's assumptions do not hold here. Please open an issue with the output of \
             `zeeg doctor --format json`.\n",
        );
    } else if notes > 0 {
        out.push_str(
            "A note is a difference zeeg copes with, as its `zeeg does` line says: nothing to mend \
             before apply.\n",
        );
    }
    if !report.differs() && !report.write {
        out.push_str("Run `zeeg doctor --write` once to check writes too.\n");
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport<'r> {
    format_version: u32,
    api_url: &'r str,
    write: bool,
    summary: Summary,
    checks: Vec<JsonCheck<'r>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    ok: usize,
    differs: usize,
    note: usize,
    not_checked: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonCheck<'r> {
    id: &'static str,
    verdict: Verdict,
    expected: &'static str,
    observed: Option<&'r str>,
    assumption: &'static str,
    zeeg_does: Option<&'r str>,
    reason: Option<&'r str>,
}

impl<'r> JsonCheck<'r> {
    fn new(check: &'r Check) -> JsonCheck<'r> {
        let (observed, zeeg_does, reason) = match &check.outcome {
            Outcome::Ok { observed } => (Some(observed.as_str()), None, None),
            Outcome::Differs {
                observed,
                zeeg_does,
                ..
            } => (Some(observed.as_str()), Some(zeeg_does.as_str()), None),
            Outcome::NotChecked { reason, observed } => {
                (observed.as_deref(), None, Some(reason.as_str()))
            }
        };
        JsonCheck {
            id: check.spec.id,
            verdict: check.verdict(),
            expected: check.spec.expected,
            observed,
            assumption: check.spec.section.heading(),
            zeeg_does,
            reason,
        }
    }
}

/// `--format json`, pretty-printed, with a final newline.
pub fn render_json(report: &Report) -> String {
    let json = JsonReport {
        format_version: FORMAT_VERSION,
        api_url: &report.api_url,
        write: report.write,
        summary: Summary {
            ok: report.count(Verdict::Ok),
            differs: report.count(Verdict::Differs),
            note: report.count(Verdict::Note),
            not_checked: report.count(Verdict::NotChecked),
        },
        checks: report.checks.iter().map(JsonCheck::new).collect(),
    };
    // Serialising plain strings and numbers cannot fail.
    let mut text = serde_json::to_string_pretty(&json).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::{access, differs, list, lookup, ok};

    fn report() -> Report {
        Report {
            api_url: "https://api.zeeg.me/v2".to_string(),
            write: false,
            checks: vec![
                access::TOKEN_READ.with(ok("GET /crm/people answered 200")),
                lookup::SEARCH_NARROWS.with(differs("23 of 23 listed", "plan lists every page")),
                lookup::SEARCH_FINDS.with(differs("not that one", "the plan is wrong")),
            ],
            requests: 3,
        }
    }

    #[test]
    fn colour_only_when_asked_and_the_verdicts_say_so() {
        let plain = render_text(&report(), false);
        assert!(!plain.contains('\x1b'), "{plain}");
        assert!(
            plain.contains("3 checks: 1 ok, 1 differs, 1 note, 0 not checked (3 requests)."),
            "{plain}"
        );
        assert!(plain.contains("zeeg does: plan lists every page"));
        let coloured = render_text(&report(), true);
        assert!(coloured.contains("\x1b[32mok "), "{coloured}");
        assert!(coloured.contains("\x1b[31mdiffers"), "{coloured}");
        assert!(coloured.contains("\x1b[33mnote "), "{coloured}");
    }

    #[test]
    fn notes_alone_say_there_is_nothing_to_mend() {
        let mut report = report();
        report.checks.pop();
        let text = render_text(&report, false);
        assert!(!report.differs());
        assert!(text.contains("2 checks: 1 ok, 0 differ, 1 note"), "{text}");
        assert!(text.contains("nothing to mend before apply"), "{text}");
        assert!(!text.contains("open an issue"), "{text}");
    }

    #[test]
    fn a_finding_zeeg_copes_with_is_a_note_in_a_check_it_partly_relies_on() {
        let coped = list::ORDER.with(crate::doctor::copes("not oldest first", "nothing"));
        let relied = list::ORDER.with(differs("another order", "people missed"));
        assert_eq!(coped.verdict(), Verdict::Note);
        assert_eq!(relied.verdict(), Verdict::Differs);
    }

    #[test]
    fn json_names_the_verdict_and_the_assumption() {
        let json: serde_json::Value = serde_json::from_str(&render_json(&report())).expect("JSON");
        assert_eq!(json["formatVersion"], 1);
        assert_eq!(json["summary"]["differs"], 1);
        assert_eq!(json["summary"]["note"], 1);
        assert_eq!(json["checks"][1]["verdict"], "note");
        assert_eq!(json["checks"][1]["assumption"], "Reads");
        assert_eq!(json["checks"][1]["zeegDoes"], "plan lists every page");
        assert_eq!(json["checks"][2]["verdict"], "differs");
        assert_eq!(json["checks"][0]["zeegDoes"], serde_json::Value::Null);
    }
}
