//! The token: accepted, and with the scopes zeeg needs.

use super::probe::Answer;
use super::{Check, Reliance, Section, Spec, differs, ok};

pub const TOKEN_READ: Spec = Spec {
    id: "token.read",
    section: Section::Basics,
    expected: "the token is accepted and has crm:read: GET /crm/people answers 200",
    reliance: Reliance::Relied,
};

pub const TOKEN_WRITE: Spec = Spec {
    id: "token.write",
    section: Section::Basics,
    expected: "the token has crm:write: a re-assert (PUT /crm/people) is not refused with 401 or 403",
    reliance: Reliance::Relied,
};

/// Judges the first read; returns whether the token can read.
pub(crate) fn token_read(first: &Answer, checks: &mut Vec<Check>) -> bool {
    let outcome = match first.status {
        200..=299 => ok(format!("GET /crm/people answered {}", first.status)),
        401 => differs(
            "GET /crm/people answered 401: the token was refused",
            "plan, apply and import stop at their first request; check ZEEG_API_TOKEN or --token-file and --api-url",
        ),
        403 => differs(
            "GET /crm/people answered 403: the token lacks crm:read",
            "plan, apply and import stop at their first request; give the token the crm:read and crm:write scopes",
        ),
        status => differs(
            format!("GET /crm/people answered {status}"),
            "plan, apply and import stop at their first request with this status",
        ),
    };
    let can_read = matches!(outcome, super::Outcome::Ok { .. });
    checks.push(TOKEN_READ.with(outcome));
    can_read
}
