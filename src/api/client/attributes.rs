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
