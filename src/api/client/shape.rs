//! The calls endpoints build, and what their answers decode into: bodies,
//! field errors, server text, and the checked base URL.

use super::*;

/// `PUT /crm/people?matchingAttribute=SLUG` with `body`, JSON text.
pub(super) fn upsert_call(matching_attribute: &str, body: Vec<u8>) -> Call {
    Call::new(Method::PUT, PEOPLE_PATH, Scope::Write)
        .query(MATCHING_ATTRIBUTE_PARAM, matching_attribute)
        .body(body)
}

/// `PUT /crm/companies?matchingAttribute=domain` with `{name?, domain}`.
pub(super) fn company_call(domain: &str, name: Option<&str>) -> Call {
    let mut body = Map::new();
    if let Some(name) = name {
        body.insert("name".into(), Value::from(name));
    }
    body.insert("domain".into(), Value::from(domain));
    Call::new(Method::PUT, COMPANIES_PATH, Scope::Write)
        .query(MATCHING_ATTRIBUTE_PARAM, COMPANY_MATCHING_ATTRIBUTE)
        .body(json_bytes(&body))
}

/// A request body as JSON text, written straight from the map: going
/// through `Value`'s `Display` cloned every field of every upsert first.
pub(crate) fn json_bytes(body: &Map<String, Value>) -> Vec<u8> {
    // A map of JSON values with string keys always serializes; the
    // fallback only keeps this free of a panic.
    serde_json::to_vec(body)
        .unwrap_or_else(|_| Value::Object(body.clone()).to_string().into_bytes())
}

pub(super) fn asserted(
    call: &Call,
    status: StatusCode,
    answer: &[u8],
) -> Result<AssertedCompany, ApiError> {
    let envelope: CompanyEnvelope = decode(call, answer)?;
    Ok(AssertedCompany {
        created: status == StatusCode::CREATED,
        company: envelope.company,
    })
}

pub(super) fn upserted(
    call: &Call,
    status: StatusCode,
    answer: &[u8],
) -> Result<Upserted, ApiError> {
    let envelope: PersonEnvelope = decode(call, answer)?;
    Ok(Upserted {
        created: status == StatusCode::CREATED,
        person: envelope.person,
    })
}

pub(super) fn decode<T: DeserializeOwned>(call: &Call, answer: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(&surrogate::repaired(answer)).map_err(|source| {
        ApiError::InvalidResponse {
            request: call.describe(),
            source,
        }
    })
}

/// `{"field": ["message", …]}` as a list; a lone string or any other value
/// becomes one message, so nothing the API said is lost.
pub(super) fn field_errors(errors: Map<String, Value>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|(field, value)| {
            let messages = match value {
                Value::Array(items) => items.into_iter().map(message_text).collect(),
                other => vec![message_text(other)],
            };
            FieldError { field, messages }
        })
        .collect()
}

pub(super) fn message_text(value: Value) -> String {
    match value {
        Value::String(text) => text,
        other => other.to_string(),
    }
}

pub(super) fn checked_base_url(raw: &str) -> Result<Url, ApiError> {
    let invalid = |reason: &str| ApiError::InvalidUrl {
        url: raw.to_string(),
        reason: reason.to_string(),
    };
    let url = Url::parse(raw.trim()).map_err(|e| invalid(&e.to_string()))?;
    if url.cannot_be_a_base() {
        return Err(invalid("not a base URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "it holds credentials; give the token with ZEEG_API_TOKEN or --token-file",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("a base URL has no query or fragment"));
    }
    let host = url.host().ok_or_else(|| invalid("it has no host"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&host) => Ok(url),
        "http" => Err(ApiError::InsecureUrl {
            host: host.to_string(),
        }),
        other => Err(invalid(&format!("scheme {other}: is not http(s)"))),
    }
}
