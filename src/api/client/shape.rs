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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{Mock, Reply};
    use super::*;

    fn reason(raw: &str) -> String {
        match checked_base_url(raw) {
            Err(ApiError::InvalidUrl { reason, .. }) => reason,
            other => panic!("{raw}: {other:?}"),
        }
    }

    #[test]
    fn a_base_url_is_trimmed_and_kept_as_given() {
        let url = checked_base_url("  https://api.zeeg.me/v2 \n").unwrap();
        assert_eq!(url.as_str(), "https://api.zeeg.me/v2");
    }

    #[test]
    fn a_base_url_with_query_fragment_or_no_host_is_refused_with_why() {
        let no_query = "a base URL has no query or fragment";
        assert_eq!(reason("https://api.zeeg.me/v2?x=1"), no_query);
        assert_eq!(reason("https://api.zeeg.me/v2#top"), no_query);
        assert_eq!(reason("mailto:team@zeeg.me"), "not a base URL");
        assert_eq!(reason("file:///tmp/api"), "it has no host");
        assert!(reason("https://user@api.zeeg.me/v2").contains("ZEEG_API_TOKEN"));
    }

    #[test]
    fn any_field_error_value_becomes_messages_as_text() {
        let Value::Object(errors) = json!({
            "seats": [3, "too many"],
            "tier": {"allowed": ["gold"]},
            "note": null,
        }) else {
            unreachable!()
        };
        let shown: Vec<String> = field_errors(errors)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            [
                "seats: 3, too many",
                r#"tier: {"allowed":["gold"]}"#,
                "note: null"
            ]
        );
    }

    #[test]
    fn an_answer_that_is_not_the_expected_json_names_the_request() {
        let call = company_call("acme.com", None);
        let error = decode::<CompanyEnvelope>(&call, b"{\"success\": true}").unwrap_err();
        let ApiError::InvalidResponse { request, .. } = error else {
            panic!("{error:?}")
        };
        assert_eq!(request, "PUT /crm/companies");
    }

    #[test]
    fn a_lone_surrogate_in_an_answer_is_read_as_a_replacement_character() {
        let call = Call::new(Method::GET, PEOPLE_PATH, Scope::Read);
        let text: String = decode(&call, br#""Jo\ud800""#).unwrap();
        assert_eq!(text, "Jo\u{fffd}");
    }

    fn company(id: &str) -> Value {
        json!({"success": true, "status": 200, "company": {"id": id, "name": "Acme", "domain": "acme.com",
            "createdAt": "2025-01-15T09:00:00+00:00", "updatedAt": "2025-01-15T09:00:00+00:00"}})
    }

    #[tokio::test]
    async fn a_company_is_asserted_by_domain_and_created_only_on_201() {
        let mock = Mock::serve(vec![
            Reply::json(201, company("c-1")),
            Reply::json(200, company("c-1")),
        ])
        .await;
        let client = mock.client();
        let created = client
            .assert_company("acme.com", Some("Acme"))
            .await
            .unwrap();
        let found = client.assert_company("acme.com", None).await.unwrap();
        assert!(created.created && !found.created);
        assert_eq!(found.company.id, "c-1");
        let received = mock.received();
        let line = "PUT /v2/crm/companies?matchingAttribute=domain";
        assert_eq!(received[0].line, line);
        assert_eq!(
            received[0].body,
            json!({"name": "Acme", "domain": "acme.com"})
        );
        assert_eq!(received[1].body, json!({"domain": "acme.com"}));
    }

    #[tokio::test]
    async fn a_person_is_upserted_on_the_matching_attribute_given() {
        let person = json!({"success": true, "status": 200, "person": {"id": "p-1",
            "createdAt": "2025-01-15T09:00:00+00:00", "updatedAt": "2025-01-15T09:00:00+00:00"}});
        let mock = Mock::serve(vec![Reply::json(200, person)]).await;
        let Value::Object(body) = json!({"phoneNumber": "+4930"}) else {
            unreachable!()
        };
        let upserted = mock.client().upsert("phone_number", &body).await.unwrap();
        assert!(!upserted.created);
        assert_eq!(upserted.person.id, "p-1");
        let received = mock.received();
        assert_eq!(
            received[0].line,
            "PUT /v2/crm/people?matchingAttribute=phone_number"
        );
        assert_eq!(received[0].body, json!({"phoneNumber": "+4930"}));
    }
}
