//! The objects' schemas and their attributes: `GET /crm/objects/{slug}`,
//! `POST …/attributes` and `PATCH …/attributes/{key}`.

use reqwest::Method;
use serde::Deserialize;

use super::{Call, Client, TryFailure, decode};
use crate::api::assumed::{self, OBJECTS_PATH};
use crate::api::error::{ApiError, Scope};
use crate::api::model::{Attribute, ObjectEnvelope, ObjectSchema};
use crate::api::object::{AttributePatch, NewAttribute, ObjectSlug};

/// `{"success": true, "status": 200|201, "attribute": {…}}`.
#[derive(Deserialize)]
struct AttributeEnvelope {
    attribute: Attribute,
}

impl Client {
    /// `GET /crm/objects/{slug}`: the object's schema, its attributes with
    /// their options.
    pub async fn object_schema_of(&self, object: ObjectSlug) -> Result<ObjectSchema, ApiError> {
        let call = object_call(Method::GET, object, Scope::Read);
        let (_, answer) = self.execute(&call).await?;
        let envelope: ObjectEnvelope = decode(&call, &answer)?;
        Ok(envelope.object)
    }

    /// `POST /crm/objects/{slug}/attributes`: creates an attribute; the
    /// server derives its key from the label. Retried after transient
    /// failures, each retry first looking for the answer a lost try created
    /// ([`assumed::is_lost_create`]).
    pub async fn create_attribute(
        &self,
        object: ObjectSlug,
        new: &NewAttribute,
    ) -> Result<Attribute, ApiError> {
        let mut tries = 1;
        loop {
            match self.create_attribute_try(object, new, tries).await {
                Ok(attribute) => return Ok(attribute),
                Err(TryFailure::Failed(error)) => return Err(error),
                Err(TryFailure::Retry(retry)) => {
                    let call = create_call(object, new);
                    self.notify(&retry.line(&call.describe()));
                    tokio::time::sleep(retry.wait).await;
                    tries = retry.next_try;
                }
            }
        }
    }

    /// One try of [`Client::create_attribute`], number `tries` (from 1), for
    /// a caller that waits between tries itself, as [`Client::upsert_try`].
    /// A try after the first reads the object first and answers the
    /// attribute a lost try created, if there is one, without creating
    /// another.
    pub async fn create_attribute_try(
        &self,
        object: ObjectSlug,
        new: &NewAttribute,
        tries: u32,
    ) -> Result<Attribute, TryFailure> {
        if tries > 1 {
            let schema = self
                .object_schema_of(object)
                .await
                .map_err(TryFailure::Failed)?;
            let lost = schema
                .attributes
                .into_iter()
                .find(|live| assumed::is_lost_create(new, live));
            if let Some(attribute) = lost {
                return Ok(attribute);
            }
        }
        let call = create_call(object, new);
        let (_, answer) = self.try_call(&call, tries.max(1)).await?;
        attribute_answer(&call, &answer).map_err(TryFailure::Failed)
    }

    /// `PATCH /crm/objects/{slug}/attributes/{key}`: changes what `patch`
    /// holds; `options`, when sent, replace the whole list.
    pub async fn patch_attribute(
        &self,
        object: ObjectSlug,
        key: &str,
        patch: &AttributePatch,
    ) -> Result<Attribute, ApiError> {
        let call = patch_call(object, key, patch);
        let (_, answer) = self.execute(&call).await?;
        attribute_answer(&call, &answer)
    }

    /// One try of [`Client::patch_attribute`], number `tries` (from 1), as
    /// [`Client::upsert_try`].
    pub async fn patch_attribute_try(
        &self,
        object: ObjectSlug,
        key: &str,
        patch: &AttributePatch,
        tries: u32,
    ) -> Result<Attribute, TryFailure> {
        let call = patch_call(object, key, patch);
        let (_, answer) = self.try_call(&call, tries.max(1)).await?;
        attribute_answer(&call, &answer).map_err(TryFailure::Failed)
    }
}

fn object_call(method: Method, object: ObjectSlug, scope: Scope) -> Call {
    Call::new(method, OBJECTS_PATH, scope).segment(object.as_str())
}

fn create_call(object: ObjectSlug, new: &NewAttribute) -> Call {
    object_call(Method::POST, object, Scope::Write)
        .segment("attributes")
        .body(body_of(new))
}

fn patch_call(object: ObjectSlug, key: &str, patch: &AttributePatch) -> Call {
    object_call(Method::PATCH, object, Scope::Write)
        .segment("attributes")
        .segment(key)
        .body(body_of(patch))
}

fn attribute_answer(call: &Call, answer: &[u8]) -> Result<Attribute, ApiError> {
    let envelope: AttributeEnvelope = decode(call, answer)?;
    Ok(envelope.attribute)
}

/// A body of plain fields with string keys always serializes; an empty body
/// in its place (which the server refuses) only keeps this free of a panic.
fn body_of(body: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testing::{Mock, Received, Reply};
    use super::*;

    fn tier(key: &str) -> Value {
        json!({"key": key, "label": "Tier", "type": "text"})
    }

    fn schema(attributes: Vec<Value>) -> Reply {
        let object = json!({"slug": "people", "attributes": attributes});
        Reply::json(
            200,
            json!({"success": true, "status": 200, "object": object}),
        )
    }

    fn created(attribute: Value) -> Reply {
        Reply::json(
            201,
            json!({"success": true, "status": 201, "attribute": attribute}),
        )
    }

    /// A new text attribute `Tier`, as its request body writes it.
    fn new_tier() -> NewAttribute {
        let body =
            json!({"label": "Tier", "type": "text", "isRequired": false, "isArchived": false});
        serde_json::from_value(body).unwrap()
    }

    #[tokio::test]
    async fn an_objects_schema_is_read_at_its_slug() {
        let mock = Mock::serve(vec![schema(vec![tier("tier")])]).await;
        let schema = mock
            .client()
            .object_schema_of(ObjectSlug::Companies)
            .await
            .unwrap();
        assert_eq!(schema.attributes[0].key, "tier");
        assert_eq!(
            lines_of(&mock.received()),
            ["GET /v2/crm/objects/companies"]
        );
    }

    /// Try number `tries` of creating `tier` against an API answering
    /// `replies`: the attribute answered, and the requests sent.
    async fn create_on_try(replies: Vec<Reply>, tries: u32) -> (Attribute, Vec<Received>) {
        let mock = Mock::serve(replies).await;
        let attribute = mock
            .client()
            .create_attribute_try(ObjectSlug::People, &new_tier(), tries)
            .await
            .unwrap();
        (attribute, mock.received())
    }

    fn lines_of(received: &[Received]) -> Vec<&str> {
        received.iter().map(|r| r.line.as_str()).collect()
    }

    #[tokio::test]
    async fn a_first_try_creates_without_reading_the_schema() {
        let (attribute, received) = create_on_try(vec![created(tier("tier"))], 1).await;
        assert_eq!(attribute.key, "tier");
        assert_eq!(
            lines_of(&received),
            ["POST /v2/crm/objects/people/attributes"]
        );
        assert_eq!(received[0].body["label"], "Tier");
        assert_eq!(received[0].body["type"], "text");
    }

    #[tokio::test]
    async fn a_retry_answers_what_a_lost_try_created_without_creating_again() {
        let (attribute, received) = create_on_try(vec![schema(vec![tier("tier_2")])], 2).await;
        assert_eq!(attribute.key, "tier_2");
        assert_eq!(lines_of(&received), ["GET /v2/crm/objects/people"]);
    }

    #[tokio::test]
    async fn a_retry_creates_when_no_lost_try_did() {
        let other = json!({"key": "tier", "label": "Tier", "type": "number"});
        let replies = vec![schema(vec![other]), created(tier("tier_2"))];
        let (attribute, received) = create_on_try(replies, 2).await;
        assert_eq!(attribute.key, "tier_2");
        assert_eq!(
            lines_of(&received),
            [
                "GET /v2/crm/objects/people",
                "POST /v2/crm/objects/people/attributes"
            ]
        );
    }

    #[tokio::test]
    async fn a_patch_goes_to_the_attributes_key_with_only_what_changes() {
        let renamed = json!({"key": "tier", "label": "Level", "type": "text"});
        let mock = Mock::serve(vec![Reply::json(200, json!({"attribute": renamed}))]).await;
        let patch = AttributePatch {
            label: Some("Level".into()),
            ..AttributePatch::default()
        };
        let attribute = mock
            .client()
            .patch_attribute(ObjectSlug::People, "tier", &patch)
            .await
            .unwrap();
        assert_eq!(attribute.label, "Level");
        let received = mock.received();
        assert_eq!(
            received[0].line,
            "PATCH /v2/crm/objects/people/attributes/tier"
        );
        assert_eq!(received[0].body, json!({"label": "Level"}));
    }
}
