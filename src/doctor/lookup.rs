//! Finding one person: `search` by an email taken from the list (in its case
//! and in another), a read by id, and the error of a deliberate 404.

use serde_json::Value;

use crate::api::assumed::{COUNT_PARAM, MAX_PAGE_SIZE, PAGE_PARAM, PEOPLE_PATH, SEARCH_PARAM};
use crate::api::{ApiError, ErrorBody, PersonEnvelope};

use super::list::{Listed, ids};
use super::listed::{id_of, primary_email};
use super::probe::{Answer, Probe};
use super::{Check, Outcome, Reliance, Section, Spec, differs, not_checked, ok, printable};
use crate::plural::counted;

pub const SEARCH_FINDS: Spec = Spec {
    id: "people.search.finds",
    section: Section::Reads,
    expected: "search=EMAIL finds the person who has that email",
    reliance: Reliance::Relied,
};

/// Plan notices a search that lists everybody and takes it for the whole
/// list: an ignored search costs requests, not a wrong plan.
pub const SEARCH_NARROWS: Spec = Spec {
    id: "people.search.narrows",
    section: Section::Reads,
    expected: "search narrows the list: search=EMAIL lists fewer people than the whole list",
    reliance: Reliance::Copes,
};

/// Plan searches with the files' emails in lower case: a case-sensitive
/// search misses people whose email is stored otherwise, and plan shows them
/// as new.
pub const SEARCH_CASE: Spec = Spec {
    id: "people.search.case",
    section: Section::Reads,
    expected: "search ignores case: the same email in another case finds the same person",
    reliance: Reliance::Relied,
};

/// No command reads a person by id.
pub const GET: Spec = Spec {
    id: "people.get",
    section: Section::Reads,
    expected: "GET /crm/people/{id} answers {success, status, person} with the person the list shows",
    reliance: Reliance::Copes,
};

/// No command reads a person by id, and zeeg branches on the status, not on
/// the body's shape.
pub const NOT_FOUND: Spec = Spec {
    id: "errors.not-found",
    section: Section::Errors,
    expected: "an unknown id answers 404 with {success: false, message, status} or {error}",
    reliance: Reliance::Copes,
};

/// An id no workspace holds: a version-4 UUID of zeros.
const UNKNOWN_ID: &str = "00000000-0000-4000-8000-000000000000";

pub(crate) async fn run(
    probe: &mut Probe,
    listed: Option<&Listed>,
    checks: &mut Vec<Check>,
) -> Result<(), ApiError> {
    match listed.and_then(|l| l.sample.as_ref().map(|s| (l, s))) {
        Some((listed, sample)) => search(probe, listed, sample, checks).await?,
        None => {
            let reason = match listed {
                None => "the list could not be read (see people.list.envelope)",
                Some(listed) if listed.people.is_empty() => "the workspace holds no people",
                Some(_) => "no listed person has an email to search for",
            };
            for spec in [&SEARCH_FINDS, &SEARCH_NARROWS, &SEARCH_CASE] {
                checks.push(spec.with(not_checked(reason)));
            }
        }
    }
    let first = listed.and_then(|l| l.people.first());
    checks.push(GET.with(match first {
        Some(person) => judge_get(probe, person).await?,
        None => not_checked("the workspace holds no people"),
    }));
    let answer = probe
        .get(&format!("{PEOPLE_PATH}/{UNKNOWN_ID}"), &[])
        .await?;
    checks.push(NOT_FOUND.with(judge_not_found(&answer)));
    Ok(())
}

async fn search(
    probe: &mut Probe,
    listed: &Listed,
    sample: &Value,
    checks: &mut Vec<Check>,
) -> Result<(), ApiError> {
    let id = id_of(sample);
    let Some(email) = primary_email(sample).map(str::to_owned) else {
        return Ok(());
    };
    // Under redaction the email is named by whose it is, never shown.
    let what = if probe.redact() {
        format!("the primary email of person {id}")
    } else {
        format!("{email:?}")
    };
    let answer = search_for(probe, &email).await?;
    let found = ids(&answer);
    let whole = listed.total.unwrap_or(listed.people.len() as u64);
    let total = answer
        .json()
        .and_then(|b| b.pointer("/pagination/total").and_then(Value::as_u64))
        .or(found.as_ref().map(|f| f.len() as u64));

    let Some(found) = found else {
        let outcome = differs(
            format!("search by {what} answered {}", answer.status),
            "plan stops when it searches (it does so when the files hold fewer entries than pages of people)",
        );
        checks.push(SEARCH_FINDS.with(outcome));
        for spec in [&SEARCH_NARROWS, &SEARCH_CASE] {
            checks.push(spec.with(not_checked("the search failed (see people.search.finds)")));
        }
        return Ok(());
    };
    checks.push(SEARCH_FINDS.with(judge_finds(&what, &found, &id, total)));
    checks.push(SEARCH_NARROWS.with(judge_narrows(total, whole)));
    checks.push(SEARCH_CASE.with(judge_case(probe, &email, &id).await?));
    Ok(())
}

/// Whether a search by a person's email (`what`) lists that person.
fn judge_finds(what: &str, found: &[String], id: &str, total: Option<u64>) -> Outcome {
    let listed_found = counted(total.unwrap_or(0) as usize, "person", "people");
    if found.iter().any(|f| f == id) {
        ok(format!(
            "search by {what}: {listed_found} listed, that one among them"
        ))
    } else {
        differs(
            format!("search by {what}: {listed_found} listed, not that one"),
            "when plan searches (fewer entries than pages of people), people it does not find show as new; apply's upsert still matches them by email, so nothing is duplicated, but the plan is wrong",
        )
    }
}

/// Whether the search listed fewer than the `whole` workspace.
fn judge_narrows(total: Option<u64>, whole: u64) -> Outcome {
    match total {
        _ if whole < 2 => not_checked(format!(
            "needs at least 2 people; the workspace holds {whole}"
        )),
        Some(total) if total < whole => ok(format!(
            "search by the same email: {total} of {whole} people listed"
        )),
        Some(total) => differs(
            format!(
                "search by the same email: {total} of {whole} people listed; it is not applied"
            ),
            format!(
                "search is ignored by this workspace: plan notices that its first search lists everybody and uses that answer as the whole list, reading every page ({} of 100) instead of searching",
                counted(whole.div_ceil(100) as usize, "request", "requests")
            ),
        ),
        None => not_checked("the search answer gave no total"),
    }
}

/// Whether a search by the email in another case finds person `id`.
async fn judge_case(probe: &mut Probe, email: &str, id: &str) -> Result<Outcome, ApiError> {
    let other_case = swap_case(email);
    if other_case == email {
        return Ok(not_checked(
            "the email has no letters to change the case of",
        ));
    }
    let answer = search_for(probe, &other_case).await?;
    let what = if probe.redact() {
        "the same email in another case".to_string()
    } else {
        format!("{other_case:?}")
    };
    Ok(match ids(&answer) {
        Some(ids) if ids.iter().any(|f| f == id) => {
            ok(format!("search by {what}: person {id} found"))
        }
        Some(ids) => differs(
            format!(
                "search by {what}: {} listed, not person {id}",
                counted(ids.len(), "person", "people")
            ),
            "plan searches with the files' emails in lower case; people whose email is stored in another case are not found there and show as new (apply's upsert matches them regardless, so nothing is duplicated)",
        ),
        None => differs(
            format!("search by {what} answered {}", answer.status),
            "plan stops when it searches",
        ),
    })
}

async fn search_for(probe: &mut Probe, text: &str) -> Result<Answer, ApiError> {
    probe
        .get(
            PEOPLE_PATH,
            &[
                (PAGE_PARAM, "1".to_string()),
                (COUNT_PARAM, MAX_PAGE_SIZE.to_string()),
                (SEARCH_PARAM, text.to_string()),
            ],
        )
        .await
}

/// The text with its letters in upper case (or lower, if already upper).
pub(crate) fn swap_case(email: &str) -> String {
    let upper = email.to_ascii_uppercase();
    if upper == email {
        email.to_ascii_lowercase()
    } else {
        upper
    }
}

async fn judge_get(probe: &mut Probe, listed: &Value) -> Result<Outcome, ApiError> {
    let id = id_of(listed);
    let answer = probe.get(&format!("{PEOPLE_PATH}/{id}"), &[]).await?;
    let no_consequence = "nothing today: zeeg reads people from the list, never by id";
    if !(200..300).contains(&answer.status) {
        return Ok(differs(
            format!("GET /crm/people/{id} answered {}", answer.status),
            no_consequence,
        ));
    }
    let body = answer.json();
    let person = body.as_ref().and_then(|b| b.get("person"));
    let readable = answer.decode::<PersonEnvelope>().is_ok();
    let Some(Value::Object(person)) = person else {
        return Ok(differs(
            "the answer holds no `person` object",
            no_consequence,
        ));
    };
    let Some(Value::Object(from_list)) = Some(listed) else {
        return Ok(not_checked("the listed person is not an object"));
    };
    let mut fields: Vec<String> = from_list
        .iter()
        .filter(|(k, v)| person.get(*k) != Some(v))
        .map(|(k, _)| printable(k))
        .collect();
    fields.extend(
        person
            .keys()
            .filter(|k| !from_list.contains_key(*k))
            .map(|k| printable(k)),
    );
    match (fields.is_empty(), readable) {
        (true, true) => Ok(ok(format!(
            "person {id}: the same {} as in the list",
            counted(person.len(), "field", "fields")
        ))),
        (true, false) => Ok(differs(
            format!(
                "person {id}: the same person, but the envelope is not {{success, status, person}}"
            ),
            no_consequence,
        )),
        (false, _) => Ok(differs(
            format!("person {id} differs from the list in {}", fields.join(", ")),
            no_consequence,
        )),
    }
}

fn judge_not_found(answer: &Answer) -> Outcome {
    let request = "GET /crm/people/<unknown id>";
    if answer.status != 404 {
        return differs(
            format!("{request} answered {}", answer.status),
            "a person that is not there is reported as this status rather than as not found; zeeg reads no person by id today, so nothing it does changes",
        );
    }
    let body: Option<ErrorBody> = answer.decode().ok();
    let shape = match &body {
        Some(body) if body.message.is_some() => Some("{success, message, status}"),
        Some(body) if body.error.is_some() => Some("{error}"),
        _ => None,
    };
    match shape {
        Some(shape) => ok(format!("{request} answered 404 with {shape}")),
        None => differs(
            format!("{request} answered 404 with a body of neither shape"),
            "zeeg branches on the status, so errors keep their meaning; only the server's own words are missing from its messages",
        ),
    }
}
