//! `zeeg doctor`: probes a real workspace and says, assumption by assumption
//! (those marked `[assumed]` in `zeeg-api.md`, kept in [`crate::api::assumed`]),
//! whether it holds there, and what zeeg does when it does not.
//!
//! Read-only unless asked: the checks of [`write`] re-assert one existing
//! person with its own values, which changes nothing when the API behaves as
//! zeeg assumes.
//!
//! Every check has a stable id (listed in [`CHECKS`]) and ends `ok`,
//! `differs` (with what zeeg does about it), `note` (a difference zeeg copes
//! with, see [`Reliance`]) or `not checked` (with why). Only `differs` makes
//! the command exit 1: a note is worth knowing, but nothing to mend.
//! What a check observed names only counts, ids and field names unless the
//! user turned redaction off.

mod access;
mod attributes;
mod companies;
mod error;
mod limits;
mod list;
mod listed;
mod lookup;
mod probe;
mod render;
mod schema;
pub mod write;

use serde::Serialize;
use serde_json::Value;

use crate::api::{ApiError, Client};

pub use error::DoctorError;
pub use render::{FORMAT_VERSION, render_json, render_text};
pub use write::WritePlan;

use probe::Probe;

/// Every check, in the order the report lists them. Ids are stable: scripts
/// and issues refer to them.
pub const CHECKS: &[&Spec] = &[
    &access::TOKEN_READ,
    &access::TOKEN_WRITE,
    &schema::SCHEMA,
    &schema::SLUGS,
    &list::PERSON_SHAPE,
    &list::CUSTOM_VALUES,
    &list::COMPANY_LINK,
    &list::ENVELOPE,
    &list::COUNT,
    &list::PAGES,
    &list::ORDER,
    &lookup::SEARCH_FINDS,
    &lookup::SEARCH_NARROWS,
    &lookup::SEARCH_CASE,
    &lookup::GET,
    &lookup::NOT_FOUND,
    &companies::LIST,
    &companies::GET,
    &companies::SEARCH,
    &companies::CURRENT,
    &limits::RATE_LIMITS,
    &write::SAME_VALUES,
    &write::OMITTED_KEPT,
    &write::VALIDATION,
    &attributes::KEY_DERIVED,
    &attributes::ARCHIVED,
];

/// What a check is: its id, the assumption it tests, what zeeg expects.
#[derive(Debug, PartialEq, Eq)]
pub struct Spec {
    /// The stable id.
    pub id: &'static str,
    /// The section of `zeeg-api.md` that states the assumption.
    pub section: Section,
    /// What zeeg expects, in a line.
    pub expected: &'static str,
    /// Whether zeeg depends on the assumption holding.
    pub reliance: Reliance,
}

/// Whether zeeg depends on what a check tests. zeeg depends on an assumption
/// when a difference changes what a command does or shows: it stops, writes
/// what the files do not say, or plans what apply would not do. It copes
/// with a difference that leaves every command's result as it is, costing at
/// most requests or the server's own words in a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reliance {
    /// Every difference is `differs`.
    Relied,
    /// Every difference is a `note`.
    Copes,
    /// The check says of each difference whether zeeg copes with it
    /// ([`copes`]); the others are `differs`.
    Partly,
}

impl Spec {
    /// This check, ended with `outcome`.
    pub fn with(&'static self, outcome: Outcome) -> Check {
        Check {
            spec: self,
            outcome,
        }
    }
}

/// The section of `zeeg-api.md` a check tests, by its heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Basics,
    PersonResource,
    Upsert,
    Reads,
    Companies,
    Errors,
    RateLimits,
    Attributes,
}

impl Section {
    /// The heading in `zeeg-api.md`, without its `[doc]`/`[assumed]` mark.
    pub fn heading(self) -> &'static str {
        match self {
            Section::Basics => "Basics",
            Section::PersonResource => "The person resource",
            Section::Upsert => "PUT /crm/people?matchingAttribute=SLUG (assert, i.e. upsert)",
            Section::Reads => "Reads",
            Section::Companies => "Companies",
            Section::Errors => "Errors",
            Section::RateLimits => "Rate limits",
            Section::Attributes => "Objects and attributes",
        }
    }
}

/// How a check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The workspace behaves as zeeg assumes.
    Ok { observed: String },
    /// It does not: what came back, and what zeeg does about it; `copes`
    /// when zeeg copes with this difference whatever the check's
    /// [`Reliance`].
    Differs {
        observed: String,
        zeeg_does: String,
        copes: bool,
    },
    /// The check could not be made, and why; `observed` is what a probe saw,
    /// if one was sent.
    NotChecked {
        reason: String,
        observed: Option<String>,
    },
}

/// One check's verdict, as the report prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    #[serde(rename = "ok")]
    Ok,
    #[serde(rename = "differs")]
    Differs,
    /// A difference zeeg copes with: shown, but the command still exits 0.
    #[serde(rename = "note")]
    Note,
    #[serde(rename = "not checked")]
    NotChecked,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Differs => "differs",
            Verdict::Note => "note",
            Verdict::NotChecked => "not checked",
        }
    }
}

/// One assumption, checked against the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub spec: &'static Spec,
    pub outcome: Outcome,
}

impl Check {
    pub fn verdict(&self) -> Verdict {
        match self.outcome {
            Outcome::Ok { .. } => Verdict::Ok,
            Outcome::Differs { copes, .. } if copes || self.spec.reliance == Reliance::Copes => {
                Verdict::Note
            }
            Outcome::Differs { .. } => Verdict::Differs,
            Outcome::NotChecked { .. } => Verdict::NotChecked,
        }
    }
}

/// The outcome helpers every check module uses.
pub(crate) fn ok(observed: impl Into<String>) -> Outcome {
    Outcome::Ok {
        observed: observed.into(),
    }
}

/// A difference: `differs` unless the check's [`Reliance`] is `Copes`.
pub(crate) fn differs(observed: impl Into<String>, zeeg_does: impl Into<String>) -> Outcome {
    Outcome::Differs {
        observed: observed.into(),
        zeeg_does: zeeg_does.into(),
        copes: false,
    }
}

/// A difference zeeg copes with: a `note`. For the checks it depends on only
/// in part ([`Reliance::Partly`]).
pub(crate) fn copes(observed: impl Into<String>, zeeg_does: impl Into<String>) -> Outcome {
    Outcome::Differs {
        observed: observed.into(),
        zeeg_does: zeeg_does.into(),
        copes: true,
    }
}

pub(crate) fn not_checked(reason: impl Into<String>) -> Outcome {
    Outcome::NotChecked {
        reason: reason.into(),
        observed: None,
    }
}

/// What the doctor found.
#[derive(Debug, Clone)]
pub struct Report {
    /// The base URL that was probed.
    pub api_url: String,
    /// Whether the write checks ran.
    pub write: bool,
    /// Every check, in the order of [`CHECKS`].
    pub checks: Vec<Check>,
    /// Requests sent.
    pub requests: u64,
}

impl Report {
    /// Whether any check differs: the command then exits 1.
    pub fn differs(&self) -> bool {
        self.checks.iter().any(|c| c.verdict() == Verdict::Differs)
    }

    pub fn count(&self, verdict: Verdict) -> usize {
        self.checks
            .iter()
            .filter(|c| c.verdict() == verdict)
            .count()
    }
}

/// How the doctor runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Print contact data in `observed` (`--no-redact`).
    pub redact: bool,
}

/// What the read checks learned that the write checks need.
pub struct Findings {
    checks: Vec<Check>,
    probe: Probe,
    /// A person with an email, from the list, in the API's JSON.
    sample: Option<Value>,
    /// The token could read.
    can_read: bool,
}

impl Findings {
    /// The write checks [`write::plan`] would send, if any person allows them.
    pub fn write_plan(&self) -> Result<WritePlan, String> {
        if !self.can_read {
            return Err("the token cannot read, so there is no person to re-assert".into());
        }
        match &self.sample {
            Some(person) => write::plan(person),
            None => Err("the workspace holds no person with an email to re-assert".into()),
        }
    }
}

/// Runs every read-only check. Errors only when the API cannot be reached
/// at all; any answer, however odd, becomes a verdict.
pub async fn read_checks(client: &Client, options: Options) -> Result<Findings, ApiError> {
    let mut probe = Probe::new(client.clone(), options.redact);
    let mut checks = Vec::new();
    let first = probe
        .get(crate::api::assumed::PEOPLE_PATH, &list::first_query())
        .await?;
    let can_read = access::token_read(&first, &mut checks);
    let mut sample = None;
    if can_read {
        let attributes = schema::run(&mut probe, &mut checks).await?;
        let listed = list::run(&mut probe, &first, attributes.as_deref(), &mut checks).await?;
        lookup::run(&mut probe, listed.as_ref(), &mut checks).await?;
        companies::run(&mut probe, listed.as_ref(), &mut checks).await?;
        sample = listed.and_then(|l| l.sample);
    } else {
        let reason = "the first read failed (see token.read)";
        for spec in CHECKS {
            let skip = ![
                &access::TOKEN_READ,
                &limits::RATE_LIMITS,
                &access::TOKEN_WRITE,
            ]
            .contains(spec)
                && !write::is_write_check(spec);
            if skip {
                checks.push(spec.with(not_checked(reason)));
            }
        }
    }
    Ok(Findings {
        checks,
        probe,
        sample,
        can_read,
    })
}

/// Finishes the report: the write checks (when `plan` is given, after the
/// user agreed), else `not checked`, then the rate limits seen.
pub async fn finish(
    client: &Client,
    mut findings: Findings,
    write: Option<Result<WritePlan, String>>,
) -> Report {
    let wrote = write.is_some();
    match write {
        Some(Ok(plan)) => {
            write::run(client, &plan, findings.probe.redact(), &mut findings.checks).await
        }
        Some(Err(reason)) => write::skip(&reason, &mut findings.checks),
        None => write::skip(
            "read-only: run `zeeg doctor --write` to check writes",
            &mut findings.checks,
        ),
    }
    findings.checks.push(limits::check(findings.probe.seen()));
    let mut checks = findings.checks;
    checks.sort_by_key(|c| CHECKS.iter().position(|spec| *spec == c.spec));
    Report {
        api_url: client.base_url().to_string(),
        write: wrote,
        checks,
        requests: client.stats().requests,
    }
}

/// A name the server sent (a field, a header), made safe to print: control
/// characters escaped, and cut at 60 characters.
pub(crate) fn printable(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(60)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if text.chars().count() > 60 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_are_unique_and_dotted_lower_case() {
        let mut ids: Vec<&str> = CHECKS.iter().map(|spec| spec.id).collect();
        for id in &ids {
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '-'),
                "{id}"
            );
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), CHECKS.len(), "an id is listed twice");
    }
}
