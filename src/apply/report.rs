//! The results of a run: the failure list, the summary line, JSON, and the
//! exit status.

use std::fmt::Write as _;
use std::io;

use serde::{Serialize, Serializer};

use super::names::{Names, Phase};
use super::results::Results;
use super::{Execution, Outcome, Reason};
use crate::exit::ExitStatus;
use crate::manifest::SourceLocation;
use crate::plural::counted;

/// A change of a saved plan that no longer matches and was not applied, as
/// the report names it (the plan's [`crate::plan::StaleChange`], labelled).
#[derive(Debug, Clone, Serialize)]
pub struct StaleEntry {
    #[serde(serialize_with = "serialize_source")]
    pub source: SourceLocation,
    pub label: String,
    /// Why it no longer matches, in words.
    pub reason: String,
    /// A company's change: counted and listed with the companies, as their
    /// results are.
    #[serde(skip)]
    pub company: bool,
}

/// Figures about the requests of a run, for `--format json` (and the
/// benchmark).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunStats {
    /// HTTP requests sent by the whole command (reads included), every try counted.
    pub requests: u64,
    /// Of those, answered 429.
    pub rate_limited: u64,
    /// Tries that repeated an earlier one.
    pub retries: u64,
    /// Wall time of the upserts alone.
    pub upsert_seconds: f64,
}

/// Everything apply has to say at the end.
pub struct Report<'a> {
    /// Phase 0, the attribute changes; `None` when the plan changes none.
    pub attributes: Option<Execution>,
    /// Phase 1, the company asserts; `None` when the plan involves no
    /// companies (the report then reads as it always did).
    pub companies: Option<Execution>,
    /// Phase 2, the people.
    pub execution: Execution,
    /// Changes of a saved plan refused as stale.
    pub stale: Vec<StaleEntry>,
    /// Request figures, when known.
    pub stats: Option<RunStats>,
    /// Where the entries that succeeded were written and how they are named,
    /// which their results do not keep.
    pub names: Box<dyn Names + 'a>,
}

/// Counts of outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub created: usize,
    pub updated: usize,
    pub failed: usize,
    pub not_sent: usize,
    /// Abandoned in flight after a second Ctrl-C: may have been applied.
    pub abandoned: usize,
    pub stale: usize,
}

impl Summary {
    fn of(execution: &Execution) -> Summary {
        let (created, updated, failed) = execution.results.tally();
        Summary {
            created,
            updated,
            failed,
            not_sent: execution.not_sent,
            abandoned: execution.abandoned,
            stale: 0,
        }
    }
}

impl Report<'_> {
    /// The people's counts (the companies' are [`Report::company_summary`]).
    pub fn summary(&self) -> Summary {
        Summary {
            stale: self.stale_of(false).count(),
            ..Summary::of(&self.execution)
        }
    }

    /// The companies' counts, when the plan involved companies (or a saved
    /// plan's company change is stale).
    pub fn company_summary(&self) -> Option<Summary> {
        let stale = self.stale_of(true).count();
        let counts = match &self.companies {
            Some(execution) => Summary::of(execution),
            None if stale > 0 => Summary::default(),
            None => return None,
        };
        Some(Summary { stale, ..counts })
    }

    /// The stale changes of the companies (`true`) or of the people.
    fn stale_of(&self, company: bool) -> impl Iterator<Item = &StaleEntry> {
        self.stale.iter().filter(move |s| s.company == company)
    }

    /// Every phase, in apply's order.
    fn phases(&self) -> impl Iterator<Item = (Phase, &Execution)> {
        let attributes = self.attributes.iter().map(|e| (Phase::Attributes, e));
        let companies = self.companies.iter().map(|e| (Phase::Companies, e));
        attributes
            .chain(companies)
            .chain([(Phase::People, &self.execution)])
    }

    /// The attributes' counts, when the plan changed attributes.
    pub fn attribute_summary(&self) -> Option<Summary> {
        self.attributes.as_ref().map(Summary::of)
    }

    /// Why the run stopped early on its own, in whichever phase.
    fn aborted(&self) -> Option<&Reason> {
        self.phases().find_map(|(_, e)| e.aborted.as_ref())
    }

    fn interrupted(&self) -> bool {
        self.phases().any(|(_, e)| e.interrupted)
    }

    /// 130 when interrupted, else 1 when stopped by a fatal failure, else 4
    /// when a saved plan was partly stale, else 3 when an entry failed, else 0.
    pub fn exit_status(&self) -> ExitStatus {
        let summary = self.summary();
        let company_failed = self.company_summary().is_some_and(|c| c.failed > 0)
            || self.attribute_summary().is_some_and(|a| a.failed > 0);
        if self.interrupted() {
            ExitStatus::Interrupted
        } else if self.aborted().is_some() {
            ExitStatus::Failure
        } else if !self.stale.is_empty() {
            ExitStatus::Stale
        } else if summary.failed > 0 || company_failed {
            ExitStatus::PartialFailure
        } else {
            ExitStatus::Success
        }
    }

    /// The text after the run: failures, notes and stale changes with their
    /// file:line, then one summary line, always last.
    pub fn render_text(&self) -> String {
        self.render(true)
    }

    /// What `-q` keeps of [`render_text`](Self::render_text): the failures,
    /// the stale changes and why a run stopped early, which are errors; not
    /// the notes nor the summary line.
    pub fn render_errors(&self) -> String {
        self.render(false)
    }

    fn render(&self, full: bool) -> String {
        let mut out = String::new();
        self.write_failures(&mut out);
        if full {
            self.write_notes(&mut out);
        }
        self.write_stale(&mut out);
        self.write_ending(&mut out, full);
        out
    }

    /// `Failed:` and a line per failed entry; the reason that stopped the
    /// run is said once, at the end, rather than on every line.
    fn write_failures(&self, out: &mut String) {
        let failed = self
            .phases()
            .flat_map(|(_, e)| e.results.failures())
            .filter_map(|(_, r)| match &r.outcome {
                Outcome::Failed { reason } => Some((r, reason)),
                _ => None,
            });
        for (i, (result, reason)) in failed.enumerate() {
            if i == 0 {
                let _ = writeln!(out, "Failed:");
            }
            let (source, label) = (&result.source, &result.label);
            if self.aborted() == Some(reason) {
                let _ = writeln!(out, "  {source} {label}: see below");
            } else {
                let _ = writeln!(out, "  {source} {label}: {reason}");
            }
        }
    }

    /// `Notes:` and a line per entry that succeeded with something to know.
    fn write_notes(&self, out: &mut String) {
        let names = &*self.names;
        let noted = self
            .phases()
            .flat_map(|(phase, e)| e.results.noted(names, phase))
            .filter_map(|r| Some((r.note?, r)));
        for (i, (note, result)) in noted.enumerate() {
            if i == 0 {
                let _ = writeln!(out, "Notes:");
            }
            let _ = writeln!(out, "  {} {}: {note}", result.source, result.label);
        }
    }

    /// The changes of a saved plan that were refused, and what to do.
    fn write_stale(&self, out: &mut String) {
        if self.stale.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "Stale: {} change(s) of the saved plan no longer match and were not applied:",
            self.stale.len()
        );
        for stale in &self.stale {
            let _ = writeln!(out, "  {} {}: {}", stale.source, stale.label, stale.reason);
        }
        let _ = writeln!(out, "  Run `zeeg plan` again and review the new plan.");
    }

    /// Why the run ended early, if it did, then (when `full`) the summary line.
    fn write_ending(&self, out: &mut String, full: bool) {
        let summary = self.summary();
        let companies = self.company_summary();
        let attributes = self.attribute_summary();
        let earlier = companies.iter().chain(&attributes);
        let not_sent = summary.not_sent + earlier.clone().map(|c| c.not_sent).sum::<usize>();
        let abandoned = summary.abandoned + earlier.map(|c| c.abandoned).sum::<usize>();
        let ended = self.write_early_end(out, not_sent, abandoned);
        if full {
            write_summary_line(out, ended, &summary, companies, attributes);
        }
    }

    /// Why the run ended early, if it did; and how it ended, for the
    /// summary line: `stopped`, `interrupted` or `complete`.
    fn write_early_end(&self, out: &mut String, not_sent: usize, abandoned: usize) -> &'static str {
        if let Some(reason) = self.aborted() {
            let _ = writeln!(
                out,
                "Stopped early: {reason}\n  {not_sent} entries were not sent: every request would fail the same way."
            );
            "stopped"
        } else if self.interrupted() {
            // Whether an abandoned request reached the API is unknown: it is
            // neither counted as done nor as not sent.
            let in_flight = match abandoned {
                0 => String::new(),
                n => format!(
                    ", and {n} abandoned in flight (may have been applied; run `zeeg plan` to see)"
                ),
            };
            let _ = writeln!(
                out,
                "Interrupted: {not_sent} entries were not sent{in_flight}. Run `zeeg apply` again to finish; it converges."
            );
            "interrupted"
        } else {
            "complete"
        }
    }

    /// `{"formatVersion": 1, "summary": {…}, "interrupted", "results": […],
    /// "stale": […]}`, as one text ([`Report::write_json`]).
    pub fn render_json(&self) -> String {
        let mut out = Vec::new();
        // Writing to memory does not fail, and the text is JSON's, UTF-8.
        let _ = self.write_json(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Writes the JSON report, one result at a time: each is put in its JSON
    /// shape (named from the plan) only as it is written. The summary comes
    /// before the results, so the report is written once all are in.
    pub fn write_json(&self, out: &mut dyn io::Write) -> io::Result<()> {
        let listed = |results, phase| Listed {
            results,
            names: &*self.names,
            phase,
        };
        let none = Results::default();
        let json = Json {
            format_version: 1,
            summary: self.summary(),
            interrupted: self.interrupted(),
            aborted: self.aborted(),
            attributes: self.attributes.as_ref().map(|e| Attributes {
                summary: Summary::of(e),
                results: listed(&e.results, Phase::Attributes),
            }),
            companies: self.company_summary().map(|summary| Companies {
                summary,
                results: listed(
                    self.companies.as_ref().map_or(&none, |e| &e.results),
                    Phase::Companies,
                ),
                stale: self.stale_of(true).collect(),
            }),
            results: listed(&self.execution.results, Phase::People),
            stale: self.stale_of(false).collect(),
            stats: self.stats,
        };
        // Plain data with string keys: the only error is the writer's.
        serde_json::to_writer_pretty(&mut *out, &json).map_err(io::Error::from)?;
        writeln!(out)
    }
}

/// The JSON report's document.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Json<'a> {
    format_version: u32,
    summary: Summary,
    interrupted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    aborted: Option<&'a Reason>,
    /// Only when the plan changed attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<Attributes<'a>>,
    /// Only when the plan involved companies.
    #[serde(skip_serializing_if = "Option::is_none")]
    companies: Option<Companies<'a>>,
    results: Listed<'a>,
    stale: Vec<&'a StaleEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stats: Option<RunStats>,
}
#[derive(Serialize)]
struct Attributes<'a> {
    summary: Summary,
    results: Listed<'a>,
}
#[derive(Serialize)]
struct Companies<'a> {
    summary: Summary,
    results: Listed<'a>,
    stale: Vec<&'a StaleEntry>,
}

/// A phase's results, each put in its JSON shape only as it is written.
struct Listed<'a> {
    results: &'a Results,
    names: &'a dyn Names,
    phase: Phase,
}

impl Serialize for Listed<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.results.shown(self.names, self.phase))
    }
}

/// A source location as `{"file", "line"}`, like the plan's JSON.
pub fn serialize_source<S: Serializer>(
    source: &SourceLocation,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Source<'a> {
        file: String,
        line: usize,
        #[serde(skip)]
        _marker: std::marker::PhantomData<&'a ()>,
    }
    Source {
        file: source.file.display().to_string(),
        line: source.line,
        _marker: std::marker::PhantomData,
    }
    .serialize(serializer)
}

/// `Apply complete: …`: what each phase created, updated and failed.
fn write_summary_line(
    out: &mut String,
    ended: &str,
    summary: &Summary,
    companies: Option<Summary>,
    attributes: Option<Summary>,
) {
    let people = format!(
        "created, {} updated, {} failed",
        summary.updated, summary.failed
    );
    let attributes = attributes.map_or(String::new(), |a| {
        let failed = match a.failed {
            0 => String::new(),
            n => format!(", {n} failed"),
        };
        let created = counted(a.created, "attribute", "attributes");
        format!("{created} created, {} updated{failed}; ", a.updated)
    });
    match companies {
        None if attributes.is_empty() => {
            let _ = writeln!(out, "Apply {ended}: {} {people}.", summary.created);
        }
        None => {
            let people = counted(summary.created, "person", "people");
            let _ = writeln!(
                out,
                "Apply {ended}: {attributes}{people} created, {} updated, {} failed.",
                summary.updated, summary.failed
            );
        }
        Some(c) => {
            let failed = match c.failed {
                0 => String::new(),
                n => format!(", {n} failed"),
            };
            let _ = writeln!(
                out,
                "Apply {ended}: {attributes}{} created, {} updated{failed}; {} {people}.",
                counted(c.created, "company", "companies"),
                c.updated,
                counted(summary.created, "person", "people"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::apply::results::tests::Written;
    use crate::apply::{Action, EntryResult, Sent};

    fn at(line: usize) -> SourceLocation {
        SourceLocation {
            file: PathBuf::from("people/team.yaml").into(),
            line,
            column: 3,
        }
    }

    /// A report of the people's `results`, kept as a run keeps them: each
    /// success only as a record, named again when printed.
    fn report(results: Vec<EntryResult>, interrupted: bool, not_sent: usize) -> Report<'static> {
        let names = results
            .iter()
            .map(|r| (r.source.clone(), r.label.clone()))
            .collect();
        let mut kept = Results::default();
        for (entry, result) in results.into_iter().enumerate() {
            kept.push(entry, result);
        }
        Report {
            attributes: None,
            companies: None,
            execution: Execution {
                results: kept,
                not_sent,
                abandoned: 0,
                interrupted,
                aborted: None,
                elapsed: std::time::Duration::from_secs(1),
            },
            stale: Vec::new(),
            stats: None,
            names: Box::new(Written(names)),
        }
    }

    fn sample() -> Vec<EntryResult> {
        vec![
            EntryResult::sent(
                at(2),
                "email a@x.io".into(),
                Action::Create,
                Sent { created: true },
            ),
            EntryResult::sent(
                at(9),
                "email b@x.io".into(),
                Action::Update,
                Sent { created: false },
            ),
            EntryResult::failed(
                at(14),
                "email c@x.io".into(),
                Action::Create,
                "the API rejected the entry (422): firstName: is required".into(),
            ),
            EntryResult::sent(
                at(20),
                "email d@x.io".into(),
                Action::Create,
                Sent { created: false },
            ),
        ]
    }

    #[test]
    fn text_lists_failures_and_notes_and_ends_with_the_summary() {
        let report = report(sample(), false, 0);
        let text = report.render_text();
        insta::assert_snapshot!(text);
        assert_eq!(report.exit_status(), ExitStatus::PartialFailure);
    }

    #[test]
    fn all_good_exits_zero() {
        let mut results = sample();
        results.remove(2);
        let report = report(results, false, 0);
        assert_eq!(report.exit_status(), ExitStatus::Success);
        assert_eq!(
            report.render_text().lines().last(),
            Some("Apply complete: 1 created, 2 updated, 0 failed.")
        );
    }

    #[test]
    fn interrupted_says_what_was_not_sent_and_exits_130() {
        let report = report(sample(), true, 7);
        let text = report.render_text();
        assert!(
            text.contains("Interrupted: 7 entries were not sent."),
            "{text}"
        );
        assert_eq!(
            text.lines().last(),
            Some("Apply interrupted: 1 created, 2 updated, 1 failed.")
        );
        assert_eq!(report.exit_status(), ExitStatus::Interrupted);
    }

    #[test]
    fn entries_abandoned_in_flight_are_not_counted_as_not_sent() {
        let mut report = report(sample(), true, 3);
        report.execution.abandoned = 2;
        let text = report.render_text();
        assert!(
            text.contains(
                "Interrupted: 3 entries were not sent, and 2 abandoned in flight \
                 (may have been applied; run `zeeg plan` to see)."
            ),
            "{text}"
        );
        let json: serde_json::Value = serde_json::from_str(&report.render_json()).unwrap();
        assert_eq!(json["summary"]["notSent"], 3);
        assert_eq!(json["summary"]["abandoned"], 2);
        assert_eq!(report.exit_status(), ExitStatus::Interrupted);
    }

    #[test]
    fn stale_changes_exit_4_even_with_failures() {
        let mut report = report(sample(), false, 0);
        report.stale.push(StaleEntry {
            source: at(30),
            label: "email e@x.io".into(),
            reason: "the live person changed since the plan was saved".into(),
            company: false,
        });
        assert_eq!(report.exit_status(), ExitStatus::Stale);
        assert!(
            report
                .render_text()
                .contains("people/team.yaml:30 email e@x.io: the live person changed")
        );
    }

    #[test]
    fn json_results() {
        let report = report(sample(), false, 0);
        insta::assert_snapshot!(report.render_json());
    }

    #[test]
    fn a_fatal_stop_gives_its_reason_once_and_exits_1() {
        let reason =
            "the token may not PUT /crm/people: it lacks the crm:write scope (403 Forbidden)";
        let results = (0..2)
            .map(|i| {
                EntryResult::failed(
                    at(2 + 3 * i),
                    format!("email p{i}@x.io"),
                    Action::Create,
                    reason.into(),
                )
            })
            .collect();
        let mut report = report(results, false, 10);
        report.execution.aborted = Some(reason.into());
        let text = report.render_text();
        insta::assert_snapshot!(text);
        assert_eq!(text.matches("crm:write").count(), 1);
        assert_eq!(report.exit_status(), ExitStatus::Failure);
    }
}
