//! `zeeg doctor --write`: checks that write, none of which changes data when
//! the API behaves as zeeg assumes. One listed person is re-asserted with
//! exactly its current values, then with one field left out; an empty body
//! shows the shape of a 422.

use serde_json::{Map, Value};

use crate::api::{ApiError, Client};
use crate::person::WRITABLE_FIELDS;

use super::access::TOKEN_WRITE;
use super::attributes;
use super::listed::{id_of, omittable, primary_email};
use super::{Check, Outcome, Reliance, Section, Spec, differs, not_checked, ok, printable};
use crate::plural::counted;

pub const SAME_VALUES: Spec = Spec {
    id: "upsert.same-values",
    section: Section::Upsert,
    expected: "re-asserting a person with its current values (matching on email) answers 200 with the same id and every field unchanged",
    reliance: Reliance::Relied,
};

pub const OMITTED_KEPT: Spec = Spec {
    id: "upsert.omitted-kept",
    section: Section::Upsert,
    expected: "re-asserting a person with one field left out answers 200 and keeps that field",
    reliance: Reliance::Relied,
};

/// zeeg never sends an upsert without its matching value; a refusal of
/// another shape is still reported at its entry, only without the field's name.
pub const VALIDATION: Spec = Spec {
    id: "errors.validation",
    section: Section::Errors,
    expected: "an upsert without the matching value answers 422 with errors: {field: [message…]}",
    reliance: Reliance::Copes,
};

/// The checks of this module, token.write included (those of
/// [`attributes`] run after them).
pub const SPECS: &[&Spec] = &[&TOKEN_WRITE, &SAME_VALUES, &OMITTED_KEPT, &VALIDATION];

/// The matching attribute of every write check. [doc]
const MATCH_ON: &str = "email";

/// What `--write` will send, shown before it is sent.
#[derive(Debug, Clone)]
pub struct WritePlan {
    /// The person re-asserted.
    pub person_id: String,
    /// Their current values, as the list shows them.
    listed: Map<String, Value>,
    /// The body of the re-assert: every writable field with its current value.
    body: Map<String, Value>,
    /// The field left out by the second re-assert, if the person has one.
    omitted: Option<&'static str>,
}

/// The requests `--write` would send for `person` (a listed person with an
/// email), or why there are none.
pub fn plan(person: &Value) -> Result<WritePlan, String> {
    let Some(listed) = person.as_object() else {
        return Err("the listed person is not an object".into());
    };
    if primary_email(person).is_none() {
        return Err("no listed person has an email to match on".into());
    }
    let mut body = Map::new();
    for field in WRITABLE_FIELDS {
        if *field == "companyId" {
            // Sent only to keep an existing link: `null` would unlink.
            if let Some(id) = person.pointer("/company/id").and_then(Value::as_str) {
                body.insert("companyId".into(), Value::String(id.to_string()));
            }
        } else if let Some(value) = listed.get(*field) {
            body.insert(field.to_string(), value.clone());
        }
    }
    Ok(WritePlan {
        person_id: id_of(person),
        listed: listed.clone(),
        body,
        omitted: omittable(person),
    })
}

impl WritePlan {
    /// What will be sent, one request a line, naming only ids and fields.
    pub fn describe(&self) -> Vec<String> {
        let fields: Vec<&str> = self.body.keys().map(String::as_str).collect();
        let mut lines = vec![format!(
            "PUT /crm/people?matchingAttribute={MATCH_ON}: person {} with its current {} ({})",
            self.person_id,
            counted(fields.len(), "field", "fields"),
            fields.join(", ")
        )];
        if let Some(omitted) = self.omitted {
            lines.push(format!(
                "PUT /crm/people?matchingAttribute={MATCH_ON}: the same, without {omitted}"
            ));
        }
        lines.push(format!(
            "PUT /crm/people?matchingAttribute={MATCH_ON}: an empty body (to see the 422)"
        ));
        lines.extend(attributes::describe());
        lines
    }

    fn without_omitted(&self) -> Option<(&'static str, Map<String, Value>)> {
        let omitted = self.omitted?;
        let mut body = self.body.clone();
        body.remove(omitted);
        Some((omitted, body))
    }
}

/// Whether `spec` is one of the checks `--write` sends, which
/// [`skip`] or [`run`] report.
pub(crate) fn is_write_check(spec: &Spec) -> bool {
    SPECS.contains(&spec) || attributes::SPECS.contains(&spec)
}

/// Marks every write check not checked, for `reason`.
pub(crate) fn skip(reason: &str, checks: &mut Vec<Check>) {
    for spec in SPECS.iter().chain(attributes::SPECS) {
        checks.push(spec.with(not_checked(reason)));
    }
}

/// Sends the planned requests and judges them.
pub(crate) async fn run(client: &Client, plan: &WritePlan, redact: bool, checks: &mut Vec<Check>) {
    let first = client.upsert(MATCH_ON, &plan.body).await;
    if let Err(error) = &first
        && error.is_auth()
    {
        checks.push(TOKEN_WRITE.with(differs(
            format!("PUT /crm/people answered {}", status_of(error)),
            "apply stops at its first write; plan and import only read, so they work",
        )));
        let blocked = [&SAME_VALUES, &OMITTED_KEPT, &VALIDATION];
        for spec in blocked.into_iter().chain(attributes::SPECS.iter().copied()) {
            checks.push(spec.with(not_checked("the token may not write (see token.write)")));
        }
        return;
    }
    checks.push(TOKEN_WRITE.with(ok("PUT /crm/people was not refused")));
    checks.push(SAME_VALUES.with(judge_same(plan, first, redact)));

    checks.push(OMITTED_KEPT.with(match plan.without_omitted() {
        None => not_checked("the person has no field with a value to leave out"),
        Some((field, body)) => judge_omitted(client, plan, field, &body, redact).await,
    }));

    checks.push(VALIDATION.with(judge_validation(client.upsert(MATCH_ON, &Map::new()).await)));
    attributes::run(client, checks).await;
}

/// An error as `observed` may name it: the server's words can hold contact
/// data, so under redaction only the status.
fn failure(error: &ApiError, redact: bool) -> String {
    if redact {
        format!("answered {}", status_of(error))
    } else {
        printable(&error.to_string())
    }
}

pub(super) fn status_of(error: &ApiError) -> String {
    error
        .status()
        .map_or_else(|| "no answer".to_string(), |s| s.to_string())
}

/// The writable fields whose values differ between the listed person and an
/// answer, by name (with values unless redacted).
fn changed_fields(listed: &Map<String, Value>, answered: &Value, redact: bool) -> Vec<String> {
    WRITABLE_FIELDS
        .iter()
        .filter_map(|field| {
            let (before, after) = if *field == "companyId" {
                (
                    listed.get("company").and_then(|c| c.get("id")),
                    answered.get("company").and_then(|c| c.get("id")),
                )
            } else {
                (listed.get(*field), answered.get(*field))
            };
            let null = Value::Null;
            let (before, after) = (before.unwrap_or(&null), after.unwrap_or(&null));
            (before != after).then(|| {
                if redact {
                    field.to_string()
                } else {
                    printable(&format!("{field} {before} → {after}"))
                }
            })
        })
        .collect()
}

fn judge_same(
    plan: &WritePlan,
    answer: Result<crate::api::Upserted, ApiError>,
    redact: bool,
) -> Outcome {
    let upserted = match answer {
        Ok(upserted) => upserted,
        Err(error) => {
            return differs(
                format!("the re-assert failed: {}", failure(&error, redact)),
                "apply reports this error for every entry it sends",
            );
        }
    };
    let answered = serde_json::to_value(&upserted.person).unwrap_or(Value::Null);
    let id = id_of(&answered);
    if upserted.created || id != plan.person_id {
        return differs(
            format!(
                "answered {} with person {id}, not person {}",
                if upserted.created { 201 } else { 200 },
                plan.person_id
            ),
            "the API did not find the person by their email: apply would create a second person for every entry it updates; do not apply until this is resolved",
        );
    }
    let changed = changed_fields(&plan.listed, &answered, redact);
    let updated_at = if plan.listed.get("updatedAt") == answered.get("updatedAt") {
        "updatedAt kept"
    } else {
        "updatedAt moved"
    };
    if changed.is_empty() {
        ok(format!(
            "200, person {id}, every field unchanged ({updated_at})"
        ))
    } else {
        differs(
            format!("200, person {id}, but changed: {}", changed.join(", ")),
            "the API rewrites values it is sent: plan shows these fields as changes on every run, and apply sends them again",
        )
    }
}

async fn judge_omitted(
    client: &Client,
    plan: &WritePlan,
    field: &'static str,
    body: &Map<String, Value>,
    redact: bool,
) -> Outcome {
    let upserted = match client.upsert(MATCH_ON, body).await {
        Ok(upserted) => upserted,
        Err(error) => {
            return differs(
                format!(
                    "the re-assert without {field} failed: {}",
                    failure(&error, redact)
                ),
                "apply sends only the fields the files manage, so it fails the same way for entries that leave fields out",
            );
        }
    };
    let answered = serde_json::to_value(&upserted.person).unwrap_or(Value::Null);
    let kept = answered.get(field) == plan.listed.get(field);
    if kept {
        let others = changed_fields(&plan.listed, &answered, redact);
        if others.is_empty() {
            return ok(format!("200, person {}, {field} kept", id_of(&answered)));
        }
        return differs(
            format!("200, {field} kept, but changed: {}", others.join(", ")),
            "the API rewrites values it is not sent: plan cannot tell what apply would change",
        );
    }
    // Put the value back at once: the user agreed to checks that change nothing.
    let restored = match client.upsert(MATCH_ON, &plan.body).await {
        Ok(again)
            if serde_json::to_value(&again.person)
                .ok()
                .and_then(|p| p.get(field).cloned())
                .as_ref()
                == plan.listed.get(field) =>
        {
            format!("doctor sent {field} again and it is back")
        }
        _ => format!(
            "doctor sent {field} again but could not restore it: set it by hand for person {}",
            plan.person_id
        ),
    };
    differs(
        format!("200, but {field} was cleared; {restored}"),
        "apply sends only the fields the files manage: on this workspace every field an entry leaves out would be cleared; do not apply until this is resolved",
    )
}

fn judge_validation(answer: Result<crate::api::Upserted, ApiError>) -> Outcome {
    match answer {
        Err(ApiError::Validation { errors, .. }) if !errors.is_empty() => {
            let fields: Vec<String> = errors.iter().map(|e| printable(&e.field)).collect();
            ok(format!("422 with errors for {}", fields.join(", ")))
        }
        Err(ApiError::Validation { .. }) => differs(
            "422 without `errors`",
            "apply reports the refusal with the server's message, but cannot name the field",
        ),
        Err(error) => differs(
            format!("answered {}", status_of(&error)),
            "apply reports such refusals as this status, without naming the field",
        ),
        Ok(upserted) => differs(
            format!(
                "answered {} for an empty body (person {})",
                if upserted.created { 201 } else { 200 },
                printable(&upserted.person.id)
            ),
            "the API accepts entries without their matching value; zeeg never sends one (validate refuses them)",
        ),
    }
}
