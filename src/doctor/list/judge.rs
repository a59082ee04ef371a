//! Judging what the list holds: its envelope, the people and their fields,
//! custom values and company links.

use super::*;

pub(super) const PAGINATION_FIELDS: &[(&str, Kind)] = &[
    ("total", Kind::Number),
    ("count", Kind::Number),
    ("totalPages", Kind::Number),
    ("previousPage", Kind::Link),
    ("currentPage", Kind::Number),
    ("nextPage", Kind::Link),
];

#[derive(Clone, Copy)]
pub(super) enum Kind {
    Number,
    Link,
}

pub(super) fn judge_envelope(page: &Answer) -> Outcome {
    if !(200..300).contains(&page.status) {
        return differs(
            format!("GET /crm/people?page=1&count=100 answered {}", page.status),
            "plan, apply and import stop at their first list request",
        );
    }
    let Some(body) = page.json() else {
        return differs("the body is not JSON", cannot_read());
    };
    let mut problems = Vec::new();
    if !body.get("collection").is_some_and(Value::is_array) {
        problems.push("no `collection` list".to_string());
    }
    let extra = check_pagination(&body, &mut problems);
    let extra_note = if extra.is_empty() {
        String::new()
    } else {
        format!("; pagination also has {}", extra.join(", "))
    };
    if problems.is_empty() {
        let total = body.pointer("/pagination/total").and_then(Value::as_u64);
        let pages = body
            .pointer("/pagination/totalPages")
            .and_then(Value::as_u64);
        return ok(format!(
            "collection and the six pagination fields (total {}, totalPages {}){extra_note}",
            total.unwrap_or(0),
            pages.unwrap_or(0)
        ));
    }
    let observed = format!("{}{extra_note}", problems.join("; "));
    match page.decode::<ListResponse<Person>>() {
        Ok(_) => copes(
            observed,
            "zeeg reads this list anyway: it pages by totalPages and does not need the links",
        ),
        Err(_) => differs(observed, cannot_read()),
    }
}

/// Adds what is wrong with the `pagination` object of a list answer to
/// `problems`; gives the keys it holds beside the documented ones.
fn check_pagination(body: &Value, problems: &mut Vec<String>) -> Vec<String> {
    let Some(pagination) = body.get("pagination").and_then(Value::as_object) else {
        problems.push("no `pagination` object".to_string());
        return Vec::new();
    };
    let missing: Vec<&str> = PAGINATION_FIELDS
        .iter()
        .filter(|(name, kind)| !fits(pagination.get(*name), *kind))
        .map(|(name, _)| *name)
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "pagination lacks (or mistypes) {}",
            missing.join(", ")
        ));
    }
    pagination
        .keys()
        .filter(|k| !PAGINATION_FIELDS.iter().any(|(name, _)| name == k))
        .map(|k| printable(k))
        .collect()
}

pub(super) fn cannot_read() -> String {
    "zeeg cannot read this list: plan, apply and import stop with \"the API answered GET /crm/people with a body zeeg cannot read\"".to_string()
}

pub(super) fn fits(value: Option<&Value>, kind: Kind) -> bool {
    match (value, kind) {
        (Some(v), Kind::Number) => v.is_u64(),
        (Some(v), Kind::Link) => v.is_null() || v.is_string(),
        (None, _) => false,
    }
}

/// The documented fields of a person and what each must hold.
pub(super) fn field_problem(person: &Map<String, Value>, field: &str) -> Option<&'static str> {
    let value = person.get(field);
    let text_or_null = |v: Option<&Value>| v.is_some_and(|v| v.is_null() || v.is_string());
    match field {
        "id" => match value.and_then(Value::as_str) {
            Some(id) if uuid::Uuid::parse_str(id).is_ok() => None,
            Some(_) => Some("not a UUID"),
            None => Some("missing"),
        },
        "createdAt" | "updatedAt" => match value.and_then(Value::as_str) {
            Some(at) if at.parse::<jiff::Timestamp>().is_ok() => None,
            Some(_) => Some("not ISO 8601 with an offset"),
            None => Some("missing"),
        },
        "emails" => match value.and_then(Value::as_array) {
            Some(emails) if emails.iter().all(Value::is_string) => None,
            _ => Some("not a list of strings"),
        },
        "socials" => match value.and_then(Value::as_object) {
            Some(socials)
                if SOCIAL_NETWORKS
                    .iter()
                    .all(|n| text_or_null(socials.get(*n))) =>
            {
                None
            }
            _ => Some("not an object of the four networks"),
        },
        "customAttributes" => match value {
            Some(Value::Object(_)) => None,
            _ => Some("not an object"),
        },
        "company" => match value {
            Some(Value::Null) | Some(Value::Object(_)) => None,
            _ => Some("not an object or null"),
        },
        _ => (!text_or_null(value)).then_some("missing or not a string"),
    }
}

/// The fields of a person as the API returns it: the writable ones, with the
/// read-only `company` view where `companyId` is written, the `id` and the
/// timestamps.
pub(super) fn person_fields() -> impl Iterator<Item = &'static str> {
    std::iter::once("id")
        .chain(crate::person::WRITABLE_FIELDS.iter().map(|&field| {
            if field == "companyId" {
                "company"
            } else {
                field
            }
        }))
        .chain(["createdAt", "updatedAt"])
}

pub(super) fn judge_people(people: &[Value]) -> Outcome {
    if people.is_empty() {
        return not_checked("the workspace holds no people");
    }
    let mut problems: Vec<(String, &str, usize)> = Vec::new();
    let mut extra: Vec<String> = Vec::new();
    let mut unreadable = 0;
    for person in people {
        let Some(object) = person.as_object() else {
            unreadable += 1;
            continue;
        };
        tally_fields(object, &mut problems, &mut extra);
        if serde_json::from_value::<Person>(person.clone()).is_err() {
            unreadable += 1;
        }
    }
    let extra_note = if extra.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = extra.iter().map(|k| printable(k)).collect();
        format!("; also {} (zeeg ignores them)", names.join(", "))
    };
    let listed = counted(people.len(), "listed person", "listed people");
    if problems.is_empty() && unreadable == 0 {
        return ok(format!(
            "{listed}, every documented field present{extra_note}"
        ));
    }
    let described: Vec<String> = problems
        .iter()
        .map(|(field, problem, n)| format!("{field} {problem} in {n}"))
        .collect();
    let observed = format!("{listed}: {}{extra_note}", described.join(", "));
    if unreadable > 0 {
        differs(
            format!("{observed}; zeeg cannot read {unreadable} of them"),
            "plan, apply and import stop with \"a body zeeg cannot read\" when they list these people",
        )
    } else {
        differs(
            observed,
            "zeeg reads missing fields as empty: a plan shows fields it manages as changes to make, and apply sends them again each time",
        )
    }
}

/// Counts each field problem of `person` in `problems`, and adds the keys
/// it holds beside the documented fields to `extra`.
fn tally_fields(
    person: &Map<String, Value>,
    problems: &mut Vec<(String, &'static str, usize)>,
    extra: &mut Vec<String>,
) {
    for field in person_fields() {
        if let Some(problem) = field_problem(person, field) {
            match problems
                .iter_mut()
                .find(|(f, p, _)| f == field && *p == problem)
            {
                Some((_, _, n)) => *n += 1,
                None => problems.push((field.to_string(), problem, 1)),
            }
        }
    }
    for key in person.keys() {
        if !person_fields().any(|f| f == key) && !extra.contains(key) {
            extra.push(key.clone());
        }
    }
}

pub(super) fn judge_custom_values(people: &[Value], attributes: &[Attribute]) -> Outcome {
    if people.is_empty() {
        return not_checked("the workspace holds no people");
    }
    let mut values = 0;
    let mut unknown: Vec<String> = Vec::new();
    let mut mistyped: Vec<String> = Vec::new();
    for custom in people
        .iter()
        .filter_map(|p| p.get("customAttributes"))
        .filter_map(Value::as_object)
    {
        for (slug, value) in custom {
            if value.is_null() {
                continue;
            }
            values += 1;
            let attribute = attributes.iter().find(|a| !a.is_standard && &a.key == slug);
            let Some(attribute) = attribute else {
                if !unknown.contains(slug) {
                    unknown.push(slug.clone());
                }
                continue;
            };
            // The rule the plan checks values with, so doctor and plan agree.
            let fits = attribute.check_value(value).is_ok();
            let label = format!("{} ({})", printable(slug), printable(&attribute.kind));
            if !fits && !mistyped.contains(&label) {
                mistyped.push(label);
            }
        }
    }
    let observed = format!(
        "{} in {}",
        counted(values, "value", "values"),
        counted(people.len(), "listed person", "listed people")
    );
    if unknown.is_empty() && mistyped.is_empty() {
        return ok(observed);
    }
    let mut problems = Vec::new();
    if !unknown.is_empty() {
        let names: Vec<String> = unknown.iter().map(|s| printable(s)).collect();
        problems.push(format!("slugs not in the schema: {}", names.join(", ")));
    }
    if !mistyped.is_empty() {
        problems.push(format!(
            "values their attribute refuses (type, options or length): {}",
            mistyped.join(", ")
        ));
    }
    differs(
        format!("{observed}; {}", problems.join("; ")),
        "plan compares the files' values with these as JSON: a value written another way shows as a change on every plan, and apply sends it again",
    )
}

pub(super) fn judge_companies(people: &[Value]) -> Outcome {
    if people.is_empty() {
        return not_checked("the workspace holds no people");
    }
    let mut linked = 0;
    let mut bad = 0;
    for company in people.iter().filter_map(|p| p.get("company")) {
        match company {
            Value::Null => {}
            Value::Object(object) => {
                let id_ok = object.get("id").is_some_and(Value::is_string);
                let text = |k: &str| object.get(k).is_some_and(|v| v.is_null() || v.is_string());
                if id_ok && text("name") && text("domain") {
                    linked += 1;
                } else {
                    bad += 1;
                }
            }
            _ => bad += 1,
        }
    }
    let observed = format!(
        "{} of {} linked to a company (compared with GET /crm/companies in people.company.current)",
        linked,
        counted(people.len(), "listed person", "listed people")
    );
    if bad == 0 {
        ok(observed)
    } else {
        differs(
            format!("{observed}; {bad} with a company of another shape"),
            "zeeg cannot read these people: plan, apply and import stop with \"a body zeeg cannot read\"",
        )
    }
}
