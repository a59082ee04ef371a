//! The executor's send function and throttle probe, made from the API client.

use std::future::Future;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Failure, Sent};
use crate::api::{Client, TryFailure};

/// One `PUT /crm/people?matchingAttribute=…`.
#[derive(Debug, Clone, PartialEq)]
pub struct Upsert {
    pub matching_attribute: String,
    /// Every managed field of the entry, nulls included, as JSON text:
    /// written once, and a tenth of the memory the values took while the
    /// jobs of a big file wait.
    body: Box<[u8]>,
}

impl Upsert {
    pub fn new(matching_attribute: &str, body: &Map<String, Value>) -> Upsert {
        Upsert {
            matching_attribute: matching_attribute.to_string(),
            body: crate::api::client::json_bytes(body).into_boxed_slice(),
        }
    }

    /// The upsert of a body already written as JSON text.
    pub fn from_json(matching_attribute: &str, body: &str) -> Upsert {
        Upsert {
            matching_attribute: matching_attribute.to_string(),
            body: body.as_bytes().into(),
        }
    }

    /// Adds `key: value` to the body. `key` must not be in it already (a
    /// person's `companyId` from its link by domain, which its fields
    /// never hold).
    pub fn add_field(&mut self, key: &str, value: &Value) {
        let mut text = std::mem::take(&mut self.body).into_vec();
        // Compact JSON of an object: its last byte is the closing brace.
        text.pop();
        if text.len() > 1 {
            text.push(b',');
        }
        let member = Map::from_iter([(key.to_string(), value.clone())]);
        // `{"key":value}`: after its opening brace it closes the body too.
        let member = crate::api::client::json_bytes(&member);
        text.extend_from_slice(member.get(1..).unwrap_or_default());
        self.body = text.into_boxed_slice();
    }

    /// The body's JSON text.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

/// One try of an upsert, in flight.
pub type SendFuture = std::pin::Pin<Box<dyn Future<Output = Result<Sent, Failure>> + Send>>;

/// Sends one try of an upsert with `client`, which paces it with the
/// command's shared rate; a transient failure comes back with the retry
/// policy's decision, for the executor to wait out without holding a slot.
pub fn sender(client: Client) -> impl Fn(Arc<Upsert>, u32) -> SendFuture + Send + Sync + 'static {
    move |upsert: Arc<Upsert>, tries: u32| {
        let client = client.clone();
        Box::pin(async move {
            match client
                .upsert_try(&upsert.matching_attribute, upsert.body(), tries)
                .await
            {
                Ok(created) => Ok(Sent { created }),
                Err(TryFailure::Retry(retry)) => Err(Failure::retry(retry)),
                Err(TryFailure::Failed(error)) => Err(Failure::api(error)),
            }
        })
    }
}

/// `send`, whose failures read as `--redact` prints everything else when
/// `redact` is set: a 422 or a 500 may echo the request, emails and phone
/// numbers and all, into the reason.
pub fn redacting<P: Send + Sync + 'static>(
    send: impl Fn(Arc<P>, u32) -> SendFuture + Send + Sync + 'static,
    redact: bool,
) -> impl Fn(Arc<P>, u32) -> SendFuture + Send + Sync + 'static {
    move |payload: Arc<P>, tries: u32| {
        let sent = send(payload, tries);
        if !redact {
            return sent;
        }
        Box::pin(async move { sent.await.map_err(Failure::redacted) })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::put;
    use serde_json::json;

    use super::*;
    use crate::api::{ClientConfig, RetryPolicy, Token};

    /// A one-route mock of `PUT /v2/crm/people` answering `status` and `body`.
    async fn mock(status: u16, body: Value) -> Client {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route(
            "/v2/crm/people",
            put(move || {
                let body = body.clone();
                async move { (StatusCode::from_u16(status).unwrap(), axum::Json(body)) }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let mut config =
            ClientConfig::new(Token::new("t")).with_base_url(format!("http://{addr}/v2"));
        config.retry = RetryPolicy {
            max_tries: 1,
            base_delay: Duration::from_millis(1),
            ..RetryPolicy::default()
        };
        Client::new(config).unwrap()
    }

    fn upsert() -> Arc<Upsert> {
        let body = json!({"emails": ["a@x.io"], "firstName": "A"});
        Arc::new(Upsert::new("email", body.as_object().unwrap()))
    }

    #[test]
    fn a_field_added_to_the_text_reads_as_if_it_had_been_in_the_values() {
        let id = json!("3c90c3cc-0d44-4b50-8888-8dd25736052a");
        for body in [
            json!({}),
            json!({"emails": ["a@x.io"], "firstName": "A \"}\" B"}),
        ] {
            let mut upsert = Upsert::new("email", body.as_object().unwrap());
            upsert.add_field("companyId", &id);
            let mut expected = body.as_object().unwrap().clone();
            expected.insert("companyId".into(), id.clone());
            let sent: Map<String, Value> = serde_json::from_slice(upsert.body()).unwrap();
            assert_eq!(sent, expected);
            assert_eq!(upsert.body(), crate::api::client::json_bytes(&expected));
        }
    }

    fn person() -> Value {
        json!({"id": "0190c3cc-0d44-4b50-8888-8dd25736052a", "firstName": "A", "emails": ["a@x.io"],
               "createdAt": "2025-01-15T09:00:00+00:00", "updatedAt": "2025-01-15T09:00:00+00:00"})
    }

    #[tokio::test]
    async fn created_and_updated_come_from_the_status() {
        let send = sender(
            mock(
                201,
                json!({"success": true, "status": 201, "person": person()}),
            )
            .await,
        );
        assert_eq!(send(upsert(), 1).await, Ok(Sent { created: true }));
        let send = sender(
            mock(
                200,
                json!({"success": true, "status": 200, "person": person()}),
            )
            .await,
        );
        assert_eq!(send(upsert(), 1).await, Ok(Sent { created: false }));
    }

    #[tokio::test]
    async fn a_422_fails_the_entry_with_its_field_errors_in_words() {
        let send = sender(
            mock(
                422,
                json!({"success": false, "status": 422, "message": "the given data was invalid",
                       "errors": {"firstName": ["a person needs a first or last name"]}}),
            )
            .await,
        );
        let failure = send(upsert(), 1).await.unwrap_err();
        assert!(!failure.is_fatal());
        assert!(
            failure
                .to_string()
                .contains("firstName: a person needs a first or last name"),
            "{failure}"
        );
    }

    #[tokio::test]
    async fn a_403_is_fatal_and_says_which_scope_is_missing() {
        let send = sender(
            mock(
                403,
                json!({"success": false, "status": 403, "message": "forbidden"}),
            )
            .await,
        );
        let failure = send(upsert(), 1).await.unwrap_err();
        assert!(failure.is_fatal());
        assert!(failure.to_string().contains("crm:write"), "{failure}");
    }
}
