//! The results of one phase, summarised as they arrive: a record of eight
//! bytes per answered entry (which entry, what the plan expected, what the
//! API did) and each failure whole. What the report prints of an entry that
//! succeeded, its place, its label and any note, is derived from its record
//! when printed ([`super::names`]): a result per entry of a big file, kept
//! whole, was the report's share of apply's memory.

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::names::{Names, Phase};
use super::{Action, EntryResult, Outcome};
use crate::manifest::SourceLocation;

/// What became of the entries of one phase that got a result, in the jobs'
/// order.
#[derive(Debug, Clone, Default)]
pub struct Results {
    records: Vec<Record>,
    /// The failed entries, whole, by their index.
    failures: FxHashMap<u32, EntryResult>,
}

/// One entry's result in a few bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    /// The entry's index in its phase's list of the plan. A plan holds fewer
    /// than 2³² changes: it would need terabytes of memory first.
    entry: u32,
    /// What the plan expected.
    action: Action,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Created,
    Updated,
    /// Kept whole among the failures.
    Failed,
}

/// One entry's result as read back.
#[derive(Debug, Clone, Copy)]
pub struct Settled<'a> {
    /// Its index in its phase's list of the plan.
    pub entry: usize,
    pub outcome: &'a Outcome,
    /// Something to know although it succeeded.
    pub note: Option<&'static str>,
    action: Action,
    failure: Option<&'a EntryResult>,
}

/// One entry's result as every output shows it: the JSON report's item,
/// and the report's lines.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shown<'a> {
    #[serde(serialize_with = "super::report::serialize_source")]
    pub source: &'a SourceLocation,
    pub label: Cow<'a, str>,
    /// What the plan expected.
    pub action: Action,
    #[serde(flatten)]
    pub outcome: &'a Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'a str>,
}

impl<'a> From<&'a EntryResult> for Shown<'a> {
    fn from(result: &'a EntryResult) -> Shown<'a> {
        Shown {
            source: &result.source,
            label: Cow::Borrowed(&result.label),
            action: result.action,
            outcome: &result.outcome,
            note: result.note,
        }
    }
}

impl Results {
    /// Adds the result of `entry` after those already in.
    pub fn push(&mut self, entry: usize, result: EntryResult) {
        let record = Record::keep(entry, result, &mut self.failures);
        self.records.push(record);
    }

    /// How many entries got a result.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// How many were created, updated and failed.
    pub fn tally(&self) -> (usize, usize, usize) {
        self.records
            .iter()
            .fold((0, 0, 0), |(created, updated, failed), r| match r.kind {
                Kind::Created => (created + 1, updated, failed),
                Kind::Updated => (created, updated + 1, failed),
                Kind::Failed => (created, updated, failed + 1),
            })
    }

    /// Every result, in order.
    pub fn iter(&self) -> impl Iterator<Item = Settled<'_>> {
        self.records.iter().filter_map(|record| {
            let failure = match record.kind {
                Kind::Failed => Some(self.failures.get(&record.entry)?),
                Kind::Created | Kind::Updated => None,
            };
            let created = record.kind == Kind::Created;
            Some(Settled {
                entry: record.entry as usize,
                outcome: failure.map_or(if created { &CREATED } else { &UPDATED }, |f| &f.outcome),
                note: failure.map_or_else(|| super::note(record.action, created), |f| f.note),
                action: record.action,
                failure,
            })
        })
    }

    /// The failed entries, whole, in order.
    pub fn failures(&self) -> impl Iterator<Item = (usize, &EntryResult)> {
        self.iter().filter_map(|s| Some((s.entry, s.failure?)))
    }

    /// What became of `entry`, if it got a result.
    pub fn outcome(&self, entry: usize) -> Option<&Outcome> {
        self.iter().find(|s| s.entry == entry).map(|s| s.outcome)
    }

    /// Every result as shown, in order, named by `names` as `phase`'s.
    pub fn shown<'a>(
        &'a self,
        names: &'a dyn Names,
        phase: Phase,
    ) -> impl Iterator<Item = Shown<'a>> {
        self.iter().filter_map(move |s| s.shown(names, phase))
    }

    /// The results with a note, as shown; the others are not named at all.
    pub fn noted<'a>(
        &'a self,
        names: &'a dyn Names,
        phase: Phase,
    ) -> impl Iterator<Item = Shown<'a>> {
        self.iter()
            .filter(|s| s.note.is_some())
            .filter_map(move |s| s.shown(names, phase))
    }

    /// Puts the results in the order of their entries' places in the files.
    pub fn sort_by_source(&mut self, names: &dyn Names, phase: Phase) {
        let failures = &self.failures;
        let source = |record: &Record| match record.kind {
            Kind::Failed => failures.get(&record.entry).map(|f| &f.source),
            Kind::Created | Kind::Updated => names.source(phase, record.entry as usize),
        };
        self.records.sort_by(|a, b| source(a).cmp(&source(b)));
    }
}

impl Record {
    /// The record of `entry`'s `result`; a failure is kept whole in `failures`.
    fn keep(
        entry: usize,
        result: EntryResult,
        failures: &mut FxHashMap<u32, EntryResult>,
    ) -> Record {
        let entry = u32::try_from(entry).unwrap_or(u32::MAX);
        let kind = match result.outcome {
            Outcome::Created => Kind::Created,
            Outcome::Updated => Kind::Updated,
            Outcome::Failed { .. } => Kind::Failed,
        };
        let action = result.action;
        if kind == Kind::Failed {
            failures.insert(entry, result);
        }
        Record {
            entry,
            action,
            kind,
        }
    }
}

const CREATED: Outcome = Outcome::Created;
const UPDATED: Outcome = Outcome::Updated;

impl<'a> Settled<'a> {
    pub fn is_failed(&self) -> bool {
        self.failure.is_some()
    }

    /// As shown: a failure as it was kept, a success named by `names`.
    fn shown(self, names: &'a dyn Names, phase: Phase) -> Option<Shown<'a>> {
        if let Some(failure) = self.failure {
            return Some(Shown::from(failure));
        }
        Some(Shown {
            source: names.source(phase, self.entry)?,
            label: Cow::Owned(names.label(phase, self.entry)?),
            action: self.action,
            outcome: self.outcome,
            note: self.note,
        })
    }
}

/// Results as they arrive, out of the jobs' order: each is put in its job's
/// place, and [`Arriving::finish`] lines them up.
#[derive(Debug)]
pub struct Arriving {
    slots: Vec<Option<Record>>,
    failures: FxHashMap<u32, EntryResult>,
}

impl Arriving {
    /// Room for `jobs` results.
    pub fn new(jobs: usize) -> Arriving {
        Arriving {
            slots: vec![None; jobs],
            failures: FxHashMap::default(),
        }
    }

    /// How many results there is room for.
    pub fn room(&self) -> usize {
        self.slots.len()
    }

    /// The result of the job at `index`, which sent `entry`.
    pub fn set(&mut self, index: usize, entry: usize, result: EntryResult) {
        let Some(slot) = self.slots.get_mut(index) else {
            return;
        };
        *slot = Some(Record::keep(entry, result, &mut self.failures));
    }

    /// The results in the jobs' order.
    pub fn finish(self) -> Results {
        Results {
            records: self.slots.into_iter().flatten().collect(),
            failures: self.failures,
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::apply::Sent;

    /// The entries of a test by index, each its place and label: what the
    /// plan is to a run.
    pub(in crate::apply) struct Written(pub Vec<(SourceLocation, String)>);

    impl Names for Written {
        fn source(&self, _: Phase, entry: usize) -> Option<&SourceLocation> {
            self.0.get(entry).map(|(source, _)| source)
        }

        fn label(&self, _: Phase, entry: usize) -> Option<String> {
            self.0.get(entry).map(|(_, label)| label.clone())
        }
    }

    fn at(line: usize) -> SourceLocation {
        SourceLocation {
            file: PathBuf::from("people/team.yaml").into(),
            line,
            column: 3,
        }
    }

    fn sent(line: usize, action: Action, created: bool) -> EntryResult {
        let label = format!("as sent {line}");
        EntryResult::sent(at(line), label, action, Sent { created })
    }

    #[test]
    fn a_record_is_eight_bytes() {
        assert_eq!(std::mem::size_of::<Option<Record>>(), 8);
    }

    #[test]
    fn a_success_is_named_from_the_plan_and_a_failure_as_it_was_kept() {
        let mut results = Results::default();
        results.push(0, sent(2, Action::Create, true));
        let failed = EntryResult::failed(at(5), "as sent 5".into(), Action::Update, "boom".into());
        results.push(1, failed);
        results.push(2, sent(9, Action::Create, false));
        let names = Written(
            (1..=3)
                .map(|i| (at(i * 10), format!("named {i}")))
                .collect(),
        );
        let shown: Vec<_> = results.shown(&names, Phase::People).collect();
        let lines: Vec<_> = shown.iter().map(|s| (s.source.line, &*s.label)).collect();
        assert_eq!(lines, [(10, "named 1"), (5, "as sent 5"), (30, "named 3")]);
        assert_eq!(*shown[2].outcome, Outcome::Updated);
        assert!(
            shown[2]
                .note
                .is_some_and(|n| n.starts_with("planned as a create"))
        );
        let noted: Vec<_> = results
            .noted(&names, Phase::People)
            .map(|s| s.source.line)
            .collect();
        assert_eq!(noted, [30]);
        assert_eq!(results.tally(), (1, 1, 1));
        assert_eq!(
            results
                .failures()
                .map(|(entry, _)| entry)
                .collect::<Vec<_>>(),
            [1]
        );
    }

    #[test]
    fn results_arriving_out_of_order_line_up_in_the_jobs_order() {
        let mut arriving = Arriving::new(4);
        for (index, entry) in [(2, 7), (0, 5), (3, 8)] {
            arriving.set(index, entry, sent(entry, Action::Create, true));
        }
        let results = arriving.finish();
        let entries: Vec<_> = results.iter().map(|s| s.entry).collect();
        assert_eq!(entries, [5, 7, 8], "the job never answered has no result");
    }

    #[test]
    fn sorted_by_source_failures_and_successes_interleave_by_line() {
        let mut results = Results::default();
        results.push(0, sent(1, Action::Create, true));
        results.push(2, sent(1, Action::Create, true));
        let failed = EntryResult::failed(at(15), "held".into(), Action::Create, "held".into());
        results.push(1, failed);
        let names = Written((0..3).map(|i| (at(10 * i + 10), String::new())).collect());
        results.sort_by_source(&names, Phase::People);
        let lines: Vec<_> = results
            .shown(&names, Phase::People)
            .map(|s| s.source.line)
            .collect();
        assert_eq!(lines, [10, 15, 30]);
    }
}
