//! Executing a plan: sending its creates and updates with bounded
//! concurrency at the API's pace, showing progress, and reporting what
//! happened to each entry.
//!
//! The executor works on plain [`Job`]s and a send function, so it knows
//! nothing of plans or HTTP; [`phases`] turns a plan into jobs and the API
//! client into the send functions, phase after phase.
//!
//! - [`phases`]: attributes, then companies, then people.
//! - [`executor`]: running the jobs, honouring interrupts.
//! - [`Failure`] and [`Reason`]: why a try or an entry failed, kept typed
//!   (the API's error, the retry cause) until a report or a line prints it.
//! - [`progress`]: the progress bar or plain lines.
//! - [`results`]: each phase's results, a few bytes per entry, failures
//!   whole; [`names`]: an entry's place and label, from the plan.
//! - [`report`]: the failures, the summary, JSON, the exit status.
//! - the safety limit is the plan's ([`crate::plan::safety`]): a plan says
//!   when apply will refuse it.
//! - Ctrl-C and SIGTERM reach the executor as a [`crate::interrupt::Stop`].

pub mod attributes;
pub mod companies;
mod error;
pub mod executor;
mod failure;
pub mod names;
#[cfg(test)]
mod pacing_tests;
pub mod phases;
pub mod progress;
pub mod report;
pub mod results;
pub mod selection;
pub mod send;

use serde::Serialize;

use crate::manifest::SourceLocation;

/// What the plan intends for an entry: create or update.
pub use crate::plan::Action;

pub use error::ApplyError;
pub use executor::{Execution, ExecutorConfig, execute};
pub use failure::{Failure, Reason, Stopped};
pub use progress::Progress;

/// One upsert to send: where the entry was written, how to name it to the
/// user, what the plan expects, and what the send function needs.
#[derive(Debug, Clone)]
pub struct Job<T> {
    /// The entry's index in its phase's list of the plan: how the report
    /// names it once the job is gone ([`names`]).
    pub entry: usize,
    pub source: SourceLocation,
    /// How the entry is named in output, e.g. `email jane@acme.com` (already
    /// redacted when the user asked for that).
    pub label: String,
    pub action: Action,
    pub payload: T,
}

/// A successful upsert as the API answered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// 201: a person was created; 200: an existing one was updated.
    pub created: bool,
}

/// What became of one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    Created,
    Updated,
    Failed { reason: Reason },
}

/// The result of one entry, whole: while the executor hands it to the
/// progress display, and kept so for a failure ([`results`]).
#[derive(Debug, Clone)]
pub struct EntryResult {
    pub source: SourceLocation,
    pub label: String,
    /// What the plan expected.
    pub action: Action,
    pub outcome: Outcome,
    /// Something the user should know although the entry succeeded, e.g. a
    /// planned create that the API answered as an update.
    pub note: Option<&'static str>,
}

impl EntryResult {
    /// Builds the result of an answered upsert, noting when the API did
    /// something other than what the plan expected.
    pub fn sent(source: SourceLocation, label: String, action: Action, sent: Sent) -> EntryResult {
        EntryResult {
            source,
            label,
            action,
            outcome: if sent.created {
                Outcome::Created
            } else {
                Outcome::Updated
            },
            note: note(action, sent.created),
        }
    }

    pub fn failed(
        source: SourceLocation,
        label: String,
        action: Action,
        reason: Reason,
    ) -> EntryResult {
        EntryResult {
            source,
            label,
            action,
            outcome: Outcome::Failed { reason },
            note: None,
        }
    }

    pub fn is_failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed { .. })
    }
}

/// What to say of an entry the API answered otherwise than the plan
/// expected. It says "it": the entry is a person or a company, named by its
/// label.
fn note(action: Action, created: bool) -> Option<&'static str> {
    match (action, created) {
        (Action::Create, true) | (Action::Update, false) => None,
        (Action::Create, false) => Some(
            "planned as a create, but the API answered 200 (updated): it was \
             created since the plan was made, by someone else or by an earlier \
             try of this request whose answer was lost",
        ),
        (Action::Update, true) => Some(
            "planned as an update, but the API created it anew (what the plan \
             matched changed or disappeared since the plan was made)",
        ),
    }
}
