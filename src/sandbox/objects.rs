//! The objects' schemas and attributes: `GET /crm/objects/{slug}`,
//! `POST …/attributes` (the key derived from the label, `_2` when taken) and
//! `PATCH …/attributes/{key}` (options replaced whole: an option's value that
//! goes, or changes, goes or changes on every record holding it).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, patch, post};
use serde::Serialize;
use serde_json::{Map, Value};

use super::attributes::{CustomAttribute, CustomAttributes, next_color};
use super::body::{FieldErrors, MapPatch, PersonPatch};
use super::http::{App, Need, Refusal, authorize, body_object, durably, json};
use super::store::Store;
use crate::api::attribute::AttributeType;
use crate::api::model::{Attribute, Company, ObjectEnvelope, Person};
use crate::api::object::{AttributeOption, ObjectSlug, derive_key_among};

pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v2/crm/objects/{slug}", get(object_schema))
        .route("/v2/crm/objects/{slug}/attributes", post(create_attribute))
        .route(
            "/v2/crm/objects/{slug}/attributes/{key}",
            patch(patch_attribute),
        )
}

fn object_of(slug: &str) -> Result<ObjectSlug, Refusal> {
    ObjectSlug::parse(slug).ok_or(Refusal::NotFound(
        "no such object: the sandbox serves `people` and `companies`",
    ))
}

async fn object_schema(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, Refusal> {
    authorize(&app, &headers, Need::Read)?;
    let object = object_of(&slug)?;
    let objects = app.attributes.read().unwrap_or_else(|p| p.into_inner());
    Ok(json(
        StatusCode::OK,
        &ObjectEnvelope {
            success: true,
            status: 200,
            object: objects.of(object).schema(),
        },
    ))
}

/// `{"success": true, "status", "attribute"}`.
#[derive(Serialize)]
struct AttributeAnswer {
    success: bool,
    status: u16,
    attribute: Attribute,
}

fn answer(status: StatusCode, attribute: &CustomAttribute) -> Response {
    json(
        status,
        &AttributeAnswer {
            success: true,
            status: status.as_u16(),
            attribute: attribute.to_api(),
        },
    )
}

async fn create_attribute(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Refusal> {
    authorize(&app, &headers, Need::Write)?;
    let object = object_of(&slug)?;
    let body = body_object(body, "an attribute")?;
    let mut objects = app.attributes.write().unwrap_or_else(|p| p.into_inner());
    let attributes = objects.of_mut(object);
    let attribute = new_attribute(&body, attributes).map_err(Refusal::Validation)?;
    if let Some(durable) = &app.durable {
        durably(durable.save_attribute(object, &attribute, &[], &[]))?;
    }
    let created = answer(StatusCode::CREATED, &attribute);
    attributes.push(attribute);
    Ok(created)
}

/// The fields a create takes.
const CREATE_FIELDS: &[&str] = &[
    "label",
    "type",
    "isRequired",
    "isArchived",
    "isUnique",
    "options",
    "validation",
];

/// Reads a create's body into the attribute it makes, keyed by its label;
/// or every field error found.
fn new_attribute(
    body: &Map<String, Value>,
    attributes: &CustomAttributes,
) -> Result<CustomAttribute, FieldErrors> {
    let mut errors = FieldErrors::default();
    check_create_fields(body, &mut errors);
    let label = text_field(body, "label", &mut errors);
    let kind = attribute_type(body, &mut errors);
    let is_required = flag(body, "isRequired", &mut errors);
    let is_archived = flag(body, "isArchived", &mut errors);
    let is_unique = flag(body, "isUnique", &mut errors);
    let (Some(label), Some(kind)) = (label, kind) else {
        return Err(errors);
    };
    if body.contains_key("isUnique") && !kind.takes_unique() {
        errors.add(
            "isUnique",
            "only text, number and phone_number attributes can be unique",
        );
    }
    check_validation(body, kind, &mut errors);
    let key = derive_key_among(&label, |k| attributes.is_taken(k));
    let mut attribute = CustomAttribute {
        slug: key,
        kind,
        label,
        options: Vec::new(),
        is_required,
        is_archived,
        is_unique,
    };
    add_options(body, &mut attribute, &mut errors);
    if errors.is_empty() {
        Ok(attribute)
    } else {
        Err(errors)
    }
}

/// A field a create does not take is an error of its own.
fn check_create_fields(body: &Map<String, Value>, errors: &mut FieldErrors) {
    for key in body.keys().filter(|k| !CREATE_FIELDS.contains(&k.as_str())) {
        let message = if key == "key" {
            "cannot be sent: the server derives the key from the label".to_string()
        } else {
            format!(
                "is not a field of an attribute ({})",
                CREATE_FIELDS.join(", ")
            )
        };
        errors.add(key.as_str(), message);
    }
}

/// `type`: required, and one the sandbox can make.
fn attribute_type(body: &Map<String, Value>, errors: &mut FieldErrors) -> Option<AttributeType> {
    match body.get("type").and_then(Value::as_str) {
        None => {
            errors.add("type", "is required: one of the attribute types");
            None
        }
        Some(name) => match name.parse::<AttributeType>() {
            Ok(AttributeType::Relation | AttributeType::Currency) => {
                errors.add(
                    "type",
                    "needs fields of its own that the sandbox does not take",
                );
                None
            }
            Ok(kind) => Some(kind),
            Err(message) => {
                errors.add("type", message);
                None
            }
        },
    }
}

/// `options`: required for the types that have options, refused for the
/// others.
fn add_options(
    body: &Map<String, Value>,
    attribute: &mut CustomAttribute,
    errors: &mut FieldErrors,
) {
    let kind = attribute.kind;
    match (body.get("options"), kind.has_options()) {
        (None | Some(Value::Null), true) => {
            errors.add("options", format!("is required for a {kind} attribute"))
        }
        (None | Some(Value::Null), false) => {}
        (Some(_), false) => errors.add("options", format!("a {kind} attribute has no options")),
        (Some(options), true) => {
            for (value, color, _) in sent_options(options, "options", errors) {
                if let Err(message) = attribute.push_option(&value, color) {
                    errors.add("options", message);
                }
            }
        }
    }
}

/// `validation`: a list of `email` and `url`, for text attributes only.
fn check_validation(body: &Map<String, Value>, kind: AttributeType, errors: &mut FieldErrors) {
    let Some(validation) = body.get("validation") else {
        return;
    };
    let known = |v: &Value| matches!(v.as_str(), Some("email" | "url"));
    match validation {
        Value::Array(items) if kind != AttributeType::Text && !items.is_empty() => {
            errors.add("validation", "only text attributes take a validation")
        }
        Value::Array(items) if items.iter().all(known) => {}
        _ => errors.add("validation", "must be a list of `email` and `url`"),
    }
}

/// A non-empty string field, or `None` with the error said.
fn text_field(body: &Map<String, Value>, field: &str, errors: &mut FieldErrors) -> Option<String> {
    match body.get(field) {
        Some(Value::String(text)) if !text.trim().is_empty() => Some(text.clone()),
        Some(_) => {
            errors.add(field, "must be a non-empty string");
            None
        }
        None => {
            errors.add(field, "is required");
            None
        }
    }
}

fn flag(body: &Map<String, Value>, field: &str, errors: &mut FieldErrors) -> bool {
    match body.get(field) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.add(field, "must be true or false");
            false
        }
    }
}

/// The options a body sends, as (value, colour, id); what is not an option
/// is an error at `field`.
fn sent_options(
    options: &Value,
    field: &str,
    errors: &mut FieldErrors,
) -> Vec<(String, Option<String>, Option<String>)> {
    let Value::Array(items) = options else {
        errors.add(field, "must be a list of {value, color}");
        return Vec::new();
    };
    if items.is_empty() {
        errors.add(field, "must hold at least one option");
    }
    let mut sent = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{field}.{i}");
        let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
        match (item, text("value")) {
            (Value::Object(_), Some(value)) if !value.trim().is_empty() => {
                sent.push((value, text("color"), text("id")))
            }
            _ => errors.add(at, "must be {value, color} with a non-empty value"),
        }
    }
    sent
}

async fn patch_attribute(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path((slug, key)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Refusal> {
    authorize(&app, &headers, Need::Write)?;
    let object = object_of(&slug)?;
    let body = body_object(body, "an attribute's changes")?;
    let mut objects = app.attributes.write().unwrap_or_else(|p| p.into_inner());
    let attributes = objects.of_mut(object);
    if attributes.is_standard(&key) {
        return Err(Refusal::BadRequest(format!(
            "`{key}` is a standard attribute: standard attributes cannot be changed"
        )));
    }
    let live = attributes.get(&key).ok_or(Refusal::NotFound(
        "no attribute of this object has this key",
    ))?;
    let (changed, renamed) = patched(&body, live)?;
    let mut store = app.store.write().unwrap_or_else(|p| p.into_inner());
    let (people, companies) = rewritten(&store, object, &key, &renamed);
    if let Some(durable) = &app.durable {
        durably(durable.save_attribute(object, &changed, &people, &companies))?;
    }
    let patched_answer = answer(StatusCode::OK, &changed);
    if let Some(slot) = attributes.get_mut(&key) {
        *slot = changed;
    }
    for person in people {
        store.replace(person);
    }
    for company in companies {
        store.companies.replace(company);
    }
    Ok(patched_answer)
}

/// The fields a patch takes.
const PATCH_FIELDS: &[&str] = &["label", "isRequired", "isArchived", "options"];

/// What a value on records becomes: the new value, or `None` when its
/// option is gone.
type Renamed = HashMap<String, Option<String>>;

/// The attribute as a patch leaves it, and what each changed option value
/// becomes on records; a change of type or key is a 400, a bad field a 422.
fn patched(
    body: &Map<String, Value>,
    live: &CustomAttribute,
) -> Result<(CustomAttribute, Renamed), Refusal> {
    for (field, now) in [("type", live.kind.as_str()), ("key", live.slug.as_str())] {
        if body
            .get(field)
            .is_some_and(|sent| sent.as_str() != Some(now))
        {
            return Err(Refusal::BadRequest(format!(
                "an attribute's `{field}` cannot change: archive it and create another"
            )));
        }
    }
    let mut errors = FieldErrors::default();
    for field in body.keys() {
        if !PATCH_FIELDS.contains(&field.as_str()) && field != "type" && field != "key" {
            errors.add(
                field.as_str(),
                format!("cannot be changed ({} can)", PATCH_FIELDS.join(", ")),
            );
        }
    }
    let mut changed = live.clone();
    if body.contains_key("label")
        && let Some(label) = text_field(body, "label", &mut errors)
    {
        changed.label = label;
    }
    if body.contains_key("isRequired") {
        changed.is_required = flag(body, "isRequired", &mut errors);
    }
    if body.contains_key("isArchived") {
        changed.is_archived = flag(body, "isArchived", &mut errors);
    }
    let mut renamed = Renamed::new();
    if let Some(options) = body.get("options") {
        if live.kind.has_options() {
            changed.options = replaced_options(live, options, &mut renamed, &mut errors);
        } else {
            errors.add(
                "options",
                format!("a {} attribute has no options", live.kind),
            );
        }
    }
    if errors.is_empty() {
        Ok((changed, renamed))
    } else {
        Err(Refusal::Validation(errors))
    }
}

/// The whole new list of options: one sent with a live id keeps it (value
/// and colour may change), one without is added, a live one left out goes.
fn replaced_options(
    live: &CustomAttribute,
    options: &Value,
    renamed: &mut Renamed,
    errors: &mut FieldErrors,
) -> Vec<AttributeOption> {
    let mut list: Vec<AttributeOption> = Vec::new();
    for (value, color, id) in sent_options(options, "options", errors) {
        if list.iter().any(|o| o.value == value) {
            errors.add("options", format!("the option `{value}` is listed twice"));
            continue;
        }
        let option = match id {
            Some(id) => match live.options.iter().find(|o| o.id == id) {
                _ if list.iter().any(|o| o.id == id) => {
                    errors.add("options", format!("the option id `{id}` is listed twice"));
                    continue;
                }
                Some(kept) => AttributeOption {
                    id,
                    value,
                    color: color.or_else(|| kept.color.clone()),
                },
                None => {
                    errors.add(
                        "options",
                        format!("`{id}` is not an option of this attribute"),
                    );
                    continue;
                }
            },
            None => AttributeOption {
                id: uuid::Uuid::now_v7().to_string(),
                value,
                color: Some(color.unwrap_or_else(|| next_color(list.len()))),
            },
        };
        list.push(option);
    }
    for old in &live.options {
        match list.iter().find(|o| o.id == old.id) {
            Some(kept) if kept.value == old.value => {}
            Some(kept) => {
                renamed.insert(old.value.clone(), Some(kept.value.clone()));
            }
            None => {
                renamed.insert(old.value.clone(), None);
            }
        }
    }
    list
}

/// The people and companies whose value of `key` a change of options
/// rewrites, as they are after it.
fn rewritten(
    store: &Store,
    object: ObjectSlug,
    key: &str,
    renamed: &Renamed,
) -> (Vec<Person>, Vec<Company>) {
    if renamed.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let now = jiff::Timestamp::now();
    match object {
        ObjectSlug::People => {
            let people = store
                .iter()
                .filter_map(|person| {
                    let value = remap(person.custom_attributes.get(key)?, renamed)?;
                    let patch = PersonPatch {
                        custom: Some(MapPatch::Merge(vec![(key.to_string(), value)])),
                        ..PersonPatch::default()
                    };
                    Some(
                        store
                            .prepare(Some(&person.id), &patch, String::new, now)
                            .person,
                    )
                })
                .collect();
            (people, Vec::new())
        }
        ObjectSlug::Companies => {
            let now = super::body::format_timestamp(now);
            let companies = store
                .companies
                .iter()
                .filter_map(|company| {
                    let value = remap(company.custom_attributes.get(key)?, renamed)?;
                    let mut company = company.clone();
                    match value {
                        Value::Null => company.custom_attributes.remove(key),
                        value => company.custom_attributes.insert(key.to_string(), value),
                    };
                    company.updated_at.clone_from(&now);
                    Some(company)
                })
                .collect();
            (Vec::new(), companies)
        }
    }
}

/// A record's value after its options changed, when it changes: a select's
/// value renamed or cleared (null), a multiselect's list without the gone
/// values (null once empty).
fn remap(value: &Value, renamed: &Renamed) -> Option<Value> {
    let becomes = |v: &str| renamed.get(v).cloned();
    match value {
        Value::String(v) => becomes(v).map(|new| new.map_or(Value::Null, Value::String)),
        Value::Array(items) => {
            let mut changed = false;
            let kept: Vec<Value> = items
                .iter()
                .filter_map(|item| match item.as_str().and_then(becomes) {
                    None => Some(item.clone()),
                    Some(new) => {
                        changed = true;
                        new.map(Value::String)
                    }
                })
                .collect();
            match (changed, kept.is_empty()) {
                (false, _) => None,
                (true, true) => Some(Value::Null),
                (true, false) => Some(Value::Array(kept)),
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_on_records_follow_their_options() {
        let renamed: Renamed = [
            ("gold".to_string(), None),
            ("silver".to_string(), Some("argent".to_string())),
        ]
        .into_iter()
        .collect();
        assert_eq!(remap(&json!("gold"), &renamed), Some(Value::Null));
        assert_eq!(remap(&json!("silver"), &renamed), Some(json!("argent")));
        assert_eq!(remap(&json!("bronze"), &renamed), None);
        assert_eq!(
            remap(&json!(["gold", "bronze", "silver"]), &renamed),
            Some(json!(["bronze", "argent"]))
        );
        assert_eq!(remap(&json!(["gold"]), &renamed), Some(Value::Null));
        assert_eq!(remap(&json!(["bronze"]), &renamed), None);
    }
}
