//! Why an upsert did not succeed, kept as a value (the API's typed error, the
//! retry cause) until a report or a progress line prints it.

use std::fmt;
use std::sync::Arc;

use miette::Diagnostic;
use serde::{Serialize, Serializer};

use crate::api::{ApiError, Cause, Retry};

/// How a try of an upsert did not succeed: what the executor does next
/// depends on the variant alone.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// This entry failed; the others may still succeed.
    Entry(Reason),
    /// This entry failed and so would every further request (a refused
    /// token, a missing scope): start no more.
    Fatal(Reason),
    /// The API's retry policy says to try again, when and why; the entry
    /// waits without holding a slot.
    Retry(Retry),
}

impl Failure {
    /// This entry failed; the others may still succeed.
    pub fn entry(reason: impl Into<Reason>) -> Failure {
        Failure::Entry(reason.into())
    }

    /// This entry failed and so would every other.
    pub fn fatal(reason: impl Into<Reason>) -> Failure {
        Failure::Fatal(reason.into())
    }

    /// This try failed, and another may succeed after `retry.wait`.
    pub fn retry(retry: Retry) -> Failure {
        Failure::Retry(retry)
    }

    /// An API error as an entry's failure: one that every request with the
    /// same token would share (401, 403) is fatal.
    pub fn api(error: ApiError) -> Failure {
        let fatal = error.is_auth();
        let reason = Reason::Api(Arc::new(error));
        if fatal {
            Failure::Fatal(reason)
        } else {
            Failure::Entry(reason)
        }
    }

    /// Whether no further request should be started.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Failure::Fatal(_))
    }

    /// This failure as `--redact` shows it (see [`Reason::redacted`]).
    pub fn redacted(self) -> Failure {
        match self {
            Failure::Entry(reason) => Failure::Entry(reason.redacted()),
            Failure::Fatal(reason) => Failure::Fatal(reason.redacted()),
            retry @ Failure::Retry(_) => retry,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Entry(reason) | Failure::Fatal(reason) => reason.fmt(f),
            Failure::Retry(retry) => retry.cause.fmt(f),
        }
    }
}

/// Why an entry failed, as it is shown in the report, the progress lines and
/// the JSON results.
///
/// Its `Display` is escaped (see [`crate::terminal`]): a reason may quote the
/// server, and every output that shows it goes through here.
#[derive(Debug, Clone)]
pub enum Reason {
    /// The API refused the entry, or never answered. A refused token or a
    /// missing scope is told with its help: that failure stops the run, and
    /// what to do about it is the point.
    Api(Arc<ApiError>),
    /// The last try asked to be retried, but apply was stopping.
    NotRetried { cause: Cause, stopped: Stopped },
    /// A reason in the send function's own words.
    Said(String),
}

/// Why no further try was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Ctrl-C or SIGTERM.
    Interrupted,
    /// A fatal failure stopped the run.
    Aborted,
}

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stopped::Interrupted => "apply was interrupted",
            Stopped::Aborted => "apply stopped",
        })
    }
}

impl Reason {
    /// The words, before escaping.
    fn raw(&self) -> String {
        match self {
            Reason::Api(error) if error.is_auth() => match error.help() {
                Some(help) => format!("{error}. {help}"),
                None => error.to_string(),
            },
            Reason::Api(error) => error.to_string(),
            Reason::NotRetried { cause, stopped } => format!("{cause} (not retried: {stopped})"),
            Reason::Said(text) => text.clone(),
        }
    }
}

impl Reason {
    /// The reason with the emails and phone numbers in its words masked, as
    /// `--redact` masks every other value: the server text it may quote
    /// echoes the request.
    pub fn redacted(self) -> Reason {
        Reason::Said(crate::redact::mask_text(&self.raw()))
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::terminal::escaped(&self.raw()))
    }
}

/// Two reasons are the same when they tell the user the same: the report
/// says the reason that stopped the run once, not on every entry it failed.
impl PartialEq for Reason {
    fn eq(&self, other: &Reason) -> bool {
        self.raw() == other.raw()
    }
}

impl Eq for Reason {}

impl From<String> for Reason {
    fn from(text: String) -> Reason {
        Reason::Said(text)
    }
}

impl From<&str> for Reason {
    fn from(text: &str) -> Reason {
        Reason::Said(text.to_string())
    }
}

/// As its escaped words, like every output.
impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Scope;

    #[test]
    fn a_forbidden_token_is_fatal_and_told_with_its_help() {
        let failure = Failure::api(ApiError::Forbidden {
            request: "PUT /crm/people".into(),
            scope: Scope::Write,
        });
        assert!(failure.is_fatal());
        assert_eq!(
            failure.to_string(),
            "the token may not PUT /crm/people: it lacks the crm:write scope (403 Forbidden). \
             Create a Zeeg API token with the crm:write scope and use it in ZEEG_API_TOKEN."
        );
    }

    #[test]
    fn a_refused_entry_is_not_fatal_and_told_without_help() {
        let failure = Failure::api(ApiError::Conflict {
            request: "PUT /crm/people".into(),
            message: None,
        });
        assert!(!failure.is_fatal());
        assert_eq!(
            failure.to_string(),
            "the API reported a conflict for PUT /crm/people (409)"
        );
    }

    #[test]
    fn a_reason_is_escaped_when_shown() {
        let reason = Reason::from("the server said \u{1b}[2J");
        assert!(!reason.to_string().contains('\u{1b}'), "{reason}");
        assert!(!serde_json::to_string(&reason).unwrap().contains("u001b"));
    }

    #[test]
    fn a_redacted_reason_masks_what_the_server_echoed() {
        let failure = Failure::api(ApiError::Validation {
            request: "PUT /crm/people".into(),
            message: Some(
                "invalid: {\"emails\":[\"ann@x.io\"],\"phoneNumber\":\"+4930123456\"}".into(),
            ),
            errors: Vec::new(),
        });
        let shown = failure.redacted().to_string();
        assert!(
            shown.contains("a**@x.io") && shown.contains("+********56"),
            "{shown}"
        );
    }

    #[test]
    fn a_retry_cut_short_says_why() {
        let reason = Reason::NotRetried {
            cause: Cause::Server { status: 503 },
            stopped: Stopped::Interrupted,
        };
        assert_eq!(
            reason.to_string(),
            "server error 503 (not retried: apply was interrupted)"
        );
    }
}
