//! Rate limits: the headers the answers carried, and the `Retry-After` of
//! any 429 met on the way.

use super::probe::{Seen, read_retry_after};
use super::{Check, Reliance, Section, Spec, differs, ok, printable};
use crate::plural::counted;

/// A `Retry-After` zeeg cannot read is a 429 without one: it backs off
/// exponentially instead.
pub const RATE_LIMITS: Spec = Spec {
    id: "rate-limits",
    section: Section::RateLimits,
    expected: "a 429 carries Retry-After in seconds or as an HTTP date, or none (zeeg then backs off from 1 s); rate-limit headers are optional (zeeg learns the rate from 429s)",
    reliance: Reliance::Copes,
};

pub(crate) fn check(seen: &Seen) -> Check {
    let headers = if seen.headers.is_empty() {
        "no rate-limit headers".to_string()
    } else {
        let listed: Vec<String> = seen
            .headers
            .iter()
            .map(|(name, value)| format!("{}: {}", printable(name), printable(value)))
            .collect();
        format!("headers {}", listed.join(", "))
    };
    let limited = if seen.limited.is_empty() {
        "no 429 during these checks".to_string()
    } else {
        let afters: Vec<String> = seen
            .limited
            .iter()
            .map(|after| match after {
                Some(value) => format!("Retry-After {}", printable(value)),
                None => "no Retry-After".to_string(),
            })
            .collect();
        format!(
            "{} answered 429 ({})",
            counted(seen.limited.len(), "request", "requests"),
            afters.join(", ")
        )
    };
    let observed = format!("{headers}; {limited}");
    let unreadable = seen
        .limited
        .iter()
        .flatten()
        .any(|value| read_retry_after(value).is_none());
    RATE_LIMITS.with(if unreadable {
        differs(
            observed,
            "zeeg cannot read this Retry-After: it backs off exponentially from 1 s instead, as for a 429 without one",
        )
    } else {
        ok(observed)
    })
}
