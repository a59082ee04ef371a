//! Staleness: which recomputed changes a saved plan still vouches for.

use std::collections::{HashMap, VecDeque};

use super::*;

/// Saved changes' indices by identity, then matching attribute.
type ByIdentity<'a> = HashMap<&'a str, HashMap<&'a str, VecDeque<usize>>>;

/// Which recomputed changes a saved plan still vouches for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SavedPlanCheck {
    /// Indices into the recomputed plan's `changes` that equal a saved change:
    /// these, and only these, may be applied.
    pub current: Vec<usize>,
    /// Indices into the recomputed plan's company changes that equal a saved
    /// one: only these companies may be asserted.
    pub current_companies: Vec<usize>,
    /// Indices into the recomputed plan's attribute changes that equal a
    /// saved one: only these attributes may be created or changed.
    pub current_attributes: Vec<usize>,
    /// Everything that differs from the saved plan.
    pub stale: Vec<StaleChange>,
    /// Source files whose contents changed since the plan was saved (or that
    /// appeared or disappeared). Informative: the per-change check decides.
    pub changed_sources: Vec<PathBuf>,
}

impl SavedPlanCheck {
    /// Whether every saved change still holds and nothing new appeared.
    pub fn is_current(&self) -> bool {
        self.stale.is_empty()
    }
}

/// A change that may not be applied from a saved plan.
#[derive(Debug, Clone, PartialEq)]
pub struct StaleChange {
    /// Why.
    pub reason: StaleReason,
    /// Where the entry is (or was) written.
    pub source: SourceLocation,
    /// The index of the recomputed change, when there is one.
    pub fresh: Option<usize>,
    /// The index of the recomputed company change, when the stale change is
    /// a company's and there is one.
    pub fresh_company: Option<usize>,
    /// Whether the stale change is a company's (also when it is gone, and
    /// `fresh_company` is `None`).
    pub company: bool,
    /// The index of the recomputed attribute change, when the stale change
    /// is an attribute's and there is one.
    pub fresh_attribute: Option<usize>,
}

/// Why a change is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleReason {
    /// The entry or its live person changed since the plan was saved, so the
    /// recomputed change differs from the reviewed one.
    Differs,
    /// The saved change is no longer needed (already applied, or the entry was
    /// removed or now matches the CRM).
    Gone,
    /// The recomputed plan holds a change that was never reviewed.
    NotInSavedPlan,
}

impl std::fmt::Display for StaleReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StaleReason::Differs => "the entry or the live person changed since the plan was saved",
            StaleReason::Gone => "the saved change is no longer needed",
            StaleReason::NotInSavedPlan => "this change is not in the saved plan",
        })
    }
}

impl SavedPlan {
    /// Compares a freshly computed plan with this saved one, change by change.
    /// `key` must be that of the token the plan was made with; with another,
    /// every change is stale.
    /// The saved changes by identity and matching attribute, each key's in
    /// plan order: a fresh change takes the first one not taken, found
    /// without a scan of them all (that was quadratic for a big file).
    fn by_identity(&self) -> ByIdentity<'_> {
        let mut by_identity = ByIdentity::new();
        for (i, saved) in self.changes.iter().enumerate() {
            by_identity
                .entry(saved.identity.as_str())
                .or_default()
                .entry(saved.matching_attribute.as_str())
                .or_default()
                .push_back(i);
        }
        by_identity
    }

    pub fn check(&self, fresh: &Plan<'_>, sources: &[SourceFile], key: &PlanKey) -> SavedPlanCheck {
        let keyed = Keyed::new(key, &self.salt);
        let mut check = SavedPlanCheck::default();
        let mut used = vec![false; self.changes.len()];
        let mut by_identity = self.by_identity();
        for (index, change) in fresh.changes.iter().enumerate() {
            let print = fingerprint(&keyed, change, &fresh.companies);
            let same_identity = by_identity
                .get_mut(print.identity.as_str())
                .and_then(|by_attribute| by_attribute.get_mut(print.matching_attribute.as_str()))
                .and_then(VecDeque::pop_front)
                .map(|i| (i, &self.changes[i]));
            match same_identity {
                Some((i, saved)) => {
                    used[i] = true;
                    if same_fingerprint(saved, &print) {
                        check.current.push(index);
                    } else {
                        let source = change.source().clone();
                        let stale = StaleChange::person(StaleReason::Differs, source, Some(index));
                        check.stale.push(stale);
                    }
                }
                None => {
                    let source = change.source().clone();
                    let stale =
                        StaleChange::person(StaleReason::NotInSavedPlan, source, Some(index));
                    check.stale.push(stale);
                }
            }
        }
        for (saved, _) in self.changes.iter().zip(&used).filter(|(_, used)| !**used) {
            let source = shown_source(&saved.source, sources);
            check
                .stale
                .push(StaleChange::person(StaleReason::Gone, source, None));
        }
        self.check_companies(fresh, sources, &keyed, &mut check);
        self.check_attributes(fresh, sources, &keyed, &mut check);
        for source in &self.sources {
            let now = sources.iter().find(|s| s.path == source.path);
            if now.is_none_or(|now| now.sha256 != source.sha256) {
                check.changed_sources.push(source.path.clone());
            }
        }
        for source in sources {
            if !self.sources.iter().any(|s| s.path == source.path) {
                check.changed_sources.push(source.path.clone());
            }
        }
        check
    }
}

impl StaleChange {
    /// A stale change of a person, `fresh` its index in the recomputed plan.
    fn person(reason: StaleReason, source: SourceLocation, fresh: Option<usize>) -> StaleChange {
        StaleChange {
            reason,
            source,
            fresh,
            fresh_company: None,
            company: false,
            fresh_attribute: None,
        }
    }

    /// A stale change of a declared company (`company`) or attribute: no
    /// person's.
    pub(super) fn declared(
        reason: StaleReason,
        source: SourceLocation,
        fresh_company: Option<usize>,
        company: bool,
    ) -> StaleChange {
        StaleChange {
            reason,
            source,
            fresh: None,
            fresh_company,
            company,
            fresh_attribute: None,
        }
    }
}

impl SavedPlan {
    /// The company half of [`SavedPlan::check`]: a recomputed company change
    /// may be asserted only when a saved one has its fingerprint (all but
    /// the source location).
    pub(super) fn check_companies(
        &self,
        fresh: &Plan<'_>,
        sources: &[SourceFile],
        keyed: &Keyed,
        check: &mut SavedPlanCheck,
    ) {
        let mut used = vec![false; self.companies.len()];
        let same = |a: &SavedCompanyChange, b: &SavedCompanyChange| {
            SavedCompanyChange {
                source: b.source.clone(),
                ..a.clone()
            } == *b
        };
        for (index, change) in fresh.companies.changes.iter().enumerate() {
            let print = company_fingerprint(keyed, change);
            let saved = self
                .companies
                .iter()
                .enumerate()
                .find(|(i, saved)| !used[*i] && saved.identity == print.identity);
            let reason = match saved {
                Some((i, saved)) => {
                    used[i] = true;
                    if same(saved, &print) {
                        check.current_companies.push(index);
                        continue;
                    }
                    StaleReason::Differs
                }
                None => StaleReason::NotInSavedPlan,
            };
            check.stale.push(StaleChange::declared(
                reason,
                change.source.clone(),
                Some(index),
                true,
            ));
        }
        for (saved, _) in self.companies.iter().zip(&used).filter(|(_, used)| !**used) {
            let source = shown_source(&saved.source, sources);
            check
                .stale
                .push(StaleChange::declared(StaleReason::Gone, source, None, true));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::compute;
    use crate::plan::testing::{entry, person};

    fn key() -> PlanKey {
        PlanKey::from_token(&crate::api::Token::new("t"))
    }

    fn file(path: &str, sha256: &str) -> SourceFile {
        SourceFile {
            path: PathBuf::from(path),
            shown: PathBuf::from(path),
            sha256: sha256.into(),
        }
    }

    /// Jane's job title to update against her live record as of `updated_at`.
    fn jane(
        line: usize,
        updated_at: &str,
    ) -> (Vec<crate::manifest::Entry>, Vec<crate::api::Person>) {
        let entries = vec![entry(
            line,
            "email",
            json!({"emails": ["jane@acme.com"], "jobTitle": "CEO"}),
        )];
        let live = vec![person(
            "jane",
            json!({"emails": ["jane@acme.com"], "jobTitle": "CTO", "updatedAt": updated_at}),
        )];
        (entries, live)
    }

    const JAN: &str = "2025-01-15T09:00:00+00:00";

    fn checked(saved_at: (usize, &str), now: (usize, &str)) -> SavedPlanCheck {
        let (entries, live) = jane(saved_at.0, saved_at.1);
        let plan = compute(&entries, &live, &Default::default()).unwrap();
        let saved = SavedPlan::new(&plan, &[file("people.yaml", "d")], &[], &key());
        let (entries, live) = jane(now.0, now.1);
        let fresh = compute(&entries, &live, &Default::default()).unwrap();
        saved.check(&fresh, &[file("people.yaml", "d")], &key())
    }

    #[test]
    fn an_unchanged_updated_at_is_current() {
        let check = checked((1, JAN), (1, JAN));
        assert_eq!(check.current, [0]);
        assert!(check.is_current());
    }

    #[test]
    fn a_moved_updated_at_is_stale() {
        let check = checked((1, JAN), (1, "2025-01-15T09:00:01+00:00"));
        assert!(check.current.is_empty());
        assert_eq!(check.stale.len(), 1);
        let stale = &check.stale[0];
        assert_eq!(
            (stale.reason, stale.fresh, stale.company),
            (StaleReason::Differs, Some(0), false)
        );
    }

    #[test]
    fn an_entry_moved_in_its_file_stays_current() {
        let check = checked((1, JAN), (30, JAN));
        assert_eq!(check.current, [0]);
        assert!(check.is_current());
    }

    #[test]
    fn files_changed_appeared_or_gone_are_named() {
        let (entries, live) = jane(1, JAN);
        let plan = compute(&entries, &live, &Default::default()).unwrap();
        let then = [
            file("a.yaml", "1"),
            file("b.yaml", "2"),
            file("c.yaml", "3"),
        ];
        let saved = SavedPlan::new(&plan, &then, &[], &key());
        let now = [
            file("a.yaml", "1"),
            file("b.yaml", "changed"),
            file("d.yaml", "4"),
        ];
        let check = saved.check(&plan, &now, &key());
        let named: Vec<&str> = check
            .changed_sources
            .iter()
            .filter_map(|p| p.to_str())
            .collect();
        assert_eq!(named, ["b.yaml", "c.yaml", "d.yaml"]);
        assert!(check.is_current(), "changed files alone make nothing stale");
    }

    #[test]
    fn each_reason_says_why_in_words() {
        let said: Vec<String> = [
            StaleReason::Differs,
            StaleReason::Gone,
            StaleReason::NotInSavedPlan,
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            said,
            [
                "the entry or the live person changed since the plan was saved",
                "the saved change is no longer needed",
                "this change is not in the saved plan"
            ]
        );
    }
}
