//! Reading a person from JSON — an upsert body or a seed entry — into a
//! [`PersonPatch`], collecting every field error the way a 422 reports them.

use jiff::Timestamp;
use serde_json::{Map, Value};

use super::attributes::CustomAttributes;
use crate::api::model::{CompanyRef, Person, Socials};
use crate::person::{FieldKind, SOCIAL_NETWORKS, writable_field};

/// Field errors of a 422, in the order found: JSON path → messages.
#[derive(Debug, Default)]
pub(crate) struct FieldErrors(Map<String, Value>);

impl FieldErrors {
    pub(crate) fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let entry = self
            .0
            .entry(field.into())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(messages) = entry {
            messages.push(Value::String(message.into()));
        }
    }

    /// Adds every error of `other`, after those already here.
    pub(crate) fn extend(&mut self, other: FieldErrors) {
        for (field, messages) in other.0 {
            for message in messages.as_array().into_iter().flatten() {
                self.add(field.clone(), message.as_str().unwrap_or_default());
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn contains(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub(crate) fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// The first error as `field: message`, for seed diagnostics.
    pub(crate) fn first(&self) -> Option<(String, String)> {
        let (field, messages) = self.0.iter().next()?;
        let message = messages.get(0).and_then(Value::as_str).unwrap_or_default();
        Some((field.clone(), message.to_string()))
    }
}

/// What a body changes: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Default, Clone)]
pub(crate) struct PersonPatch {
    pub scalars: Vec<(&'static str, Option<String>)>,
    pub emails: Option<Vec<String>>,
    pub company_id: Option<Option<String>>,
    pub socials: Option<MapPatch<Option<String>>>,
    pub custom: Option<MapPatch<Value>>,
}

/// A change to an object merged key by key; `Clear` is the object sent as null.
#[derive(Debug, Clone)]
pub(crate) enum MapPatch<T> {
    Clear,
    Merge(Vec<(String, T)>),
}

/// Where a person being read comes from: a request may not set read-only
/// fields, a seed (the API's read shape) may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Request,
    Seed,
}

/// A person read from JSON.
#[derive(Debug, Default)]
pub(crate) struct PersonInput {
    pub patch: PersonPatch,
    /// Seeds only.
    pub id: Option<String>,
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
    pub company: Option<CompanyRef>,
}

/// Reads a JSON object into a patch, or every field error found.
pub(crate) fn parse_person(
    object: &Map<String, Value>,
    attributes: &CustomAttributes,
    origin: Origin,
) -> Result<PersonInput, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut input = PersonInput::default();
    for (key, value) in object {
        match writable_field(key) {
            Some((field, kind)) => parse_field(
                field,
                kind,
                value,
                attributes,
                &mut input.patch,
                &mut errors,
            ),
            None => parse_other(key, value, origin, &mut input, &mut errors),
        }
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(errors)
    }
}

/// A writable field into the patch, by what the person's field table says
/// it holds.
fn parse_field(
    field: &'static str,
    kind: FieldKind,
    value: &Value,
    attributes: &CustomAttributes,
    patch: &mut PersonPatch,
    errors: &mut FieldErrors,
) {
    match kind {
        FieldKind::Text => match value {
            Value::Null => patch.scalars.push((field, None)),
            Value::String(s) => patch.scalars.push((field, Some(s.clone()))),
            _ => errors.add(field, "must be a string or null"),
        },
        FieldKind::Emails => patch.emails = parse_emails(value, errors),
        FieldKind::CompanyId => match value {
            Value::Null => patch.company_id = Some(None),
            Value::String(s) => patch.company_id = Some(Some(s.clone())),
            _ => errors.add(field, "must be a string or null"),
        },
        FieldKind::Socials => patch.socials = parse_socials(value, errors),
        FieldKind::CustomAttributes => patch.custom = parse_custom(value, attributes, errors),
    }
}

/// Any other key: the read-only fields a seed may set and a request may not,
/// or no field at all.
fn parse_other(
    key: &str,
    value: &Value,
    origin: Origin,
    input: &mut PersonInput,
    errors: &mut FieldErrors,
) {
    match (key, origin) {
        ("id", Origin::Seed) => match value {
            Value::String(s) if !s.trim().is_empty() => input.id = Some(s.clone()),
            _ => errors.add(key, "must be a non-empty string"),
        },
        ("createdAt", Origin::Seed) => input.created_at = parse_timestamp(key, value, errors),
        ("updatedAt", Origin::Seed) => input.updated_at = parse_timestamp(key, value, errors),
        ("company", Origin::Seed) => match serde_json::from_value::<Option<CompanyRef>>(value.clone()) {
            Ok(company) => input.company = company,
            Err(_) => errors.add(key, "must be null or an object with a string `id`, and `name` and `domain` (string or null)"),
        },
        ("id" | "createdAt" | "updatedAt", Origin::Request) => {
            errors.add(key, "is read-only and cannot be sent")
        }
        ("company", Origin::Request) => {
            errors.add(key, "is read-only; send `companyId` to link a company")
        }
        _ => errors.add(key, "is not a field of a person"),
    }
}

fn parse_emails(value: &Value, errors: &mut FieldErrors) -> Option<Vec<String>> {
    match value {
        // An explicit null clears the list, like any other field.
        Value::Null => Some(Vec::new()),
        Value::Array(items) => {
            let mut emails = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) if !s.trim().is_empty() => emails.push(s.clone()),
                    Value::String(_) => errors.add(format!("emails.{i}"), "must not be empty"),
                    _ => errors.add(format!("emails.{i}"), "must be a string"),
                }
            }
            Some(emails)
        }
        _ => {
            errors.add("emails", "must be a list of strings");
            None
        }
    }
}

fn parse_socials(value: &Value, errors: &mut FieldErrors) -> Option<MapPatch<Option<String>>> {
    match value {
        Value::Null => Some(MapPatch::Clear),
        Value::Object(networks) => {
            let mut merge = Vec::with_capacity(networks.len());
            for (network, value) in networks {
                let path = format!("socials.{network}");
                if !SOCIAL_NETWORKS.contains(&network.as_str()) {
                    let networks = SOCIAL_NETWORKS.join(", ");
                    errors.add(path, format!("is not a social network ({networks})"));
                    continue;
                }
                match value {
                    Value::Null => merge.push((network.clone(), None)),
                    Value::String(s) => merge.push((network.clone(), Some(s.clone()))),
                    _ => errors.add(path, "must be a string or null"),
                }
            }
            Some(MapPatch::Merge(merge))
        }
        _ => {
            errors.add("socials", "must be an object or null");
            None
        }
    }
}

/// Merges custom attribute values key by key into `values`: a key sent as
/// null is cleared, the whole object sent as null clears them all.
pub(crate) fn merge_custom(patch: Option<&MapPatch<Value>>, values: &mut Map<String, Value>) {
    match patch {
        None => {}
        Some(MapPatch::Clear) => values.clear(),
        Some(MapPatch::Merge(sent)) => {
            for (slug, value) in sent {
                if value.is_null() {
                    values.remove(slug);
                } else {
                    values.insert(slug.clone(), value.clone());
                }
            }
        }
    }
}

pub(crate) fn parse_custom(
    value: &Value,
    attributes: &CustomAttributes,
    errors: &mut FieldErrors,
) -> Option<MapPatch<Value>> {
    match value {
        Value::Null => Some(MapPatch::Clear),
        Value::Object(values) => {
            let mut merge = Vec::with_capacity(values.len());
            for (slug, value) in values {
                let path = format!("customAttributes.{slug}");
                match attributes.check_value(slug, value) {
                    Ok(()) => merge.push((slug.clone(), value.clone())),
                    Err(message) => errors.add(path, message),
                }
            }
            Some(MapPatch::Merge(merge))
        }
        _ => {
            errors.add("customAttributes", "must be an object or null");
            None
        }
    }
}

pub(crate) fn parse_timestamp(
    key: &str,
    value: &Value,
    errors: &mut FieldErrors,
) -> Option<Timestamp> {
    match value.as_str().map(str::parse::<Timestamp>) {
        Some(Ok(ts)) => Some(ts),
        _ => {
            errors.add(
                key,
                "must be an ISO 8601 timestamp with an offset, e.g. 2025-01-15T09:00:00+00:00",
            );
            None
        }
    }
}

impl PersonPatch {
    /// Applies the patch: sent fields replace (null clears), `emails` replaces
    /// the list, `socials` and `customAttributes` merge key by key.
    pub(crate) fn apply(&self, person: &mut Person) {
        for (field, value) in &self.scalars {
            if let Some(slot) = person.scalar_mut(field) {
                slot.clone_from(value);
            }
        }
        if let Some(emails) = &self.emails {
            person.emails.clone_from(emails);
        }
        if let Some(company_id) = &self.company_id {
            person.company = company_id.as_ref().map(|id| CompanyRef {
                id: id.clone(),
                name: None,
                domain: None,
            });
        }
        match &self.socials {
            None => {}
            Some(MapPatch::Clear) => person.socials = Socials::default(),
            Some(MapPatch::Merge(networks)) => {
                for (network, value) in networks {
                    if let Some(slot) = person.socials.get_mut(network) {
                        slot.clone_from(value);
                    }
                }
            }
        }
        merge_custom(self.custom.as_ref(), &mut person.custom_attributes);
    }

    /// The value the body sends for a scalar field, if it sends one.
    pub(crate) fn scalar(&self, field: &str) -> Option<&Option<String>> {
        self.scalars
            .iter()
            .rev()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v)
    }

    /// The value the body sends for a custom attribute, if it sends one.
    pub(crate) fn custom_value(&self, slug: &str) -> Option<&Value> {
        match &self.custom {
            Some(MapPatch::Merge(values)) => values.iter().find(|(s, _)| s == slug).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// The API's timestamp format: ISO 8601, UTC offset, no fraction.
pub(crate) fn format_timestamp(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn empty_person() -> Person {
        serde_json::from_value(json!({"id": "x", "createdAt": "", "updatedAt": ""})).unwrap()
    }

    #[test]
    fn every_field_of_the_table_is_a_field_of_a_person() {
        for (field, _) in crate::person::FIELDS {
            let body = object(json!({ *field: null }));
            let parsed = parse_person(&body, &CustomAttributes::default(), Origin::Request);
            assert!(parsed.is_ok(), "{field} is read as a field");
        }
        let unknown = parse_person(
            &object(json!({"nickname": null})),
            &CustomAttributes::default(),
            Origin::Request,
        );
        assert!(unknown.is_err_and(|errors| errors.contains("nickname")));
    }

    #[test]
    fn omitted_fields_stay_null_clears_and_maps_merge() {
        let mut attrs = CustomAttributes::default();
        attrs
            .declare(super::super::CustomAttribute::parse("tier:text").unwrap())
            .unwrap();
        attrs
            .declare(super::super::CustomAttribute::parse("score:number").unwrap())
            .unwrap();
        let mut person = empty_person();
        let first = json!({"firstName": "Jane", "jobTitle": "CTO", "emails": ["a@x.com", "b@x.com"],
            "socials": {"linkedin": "l", "twitter": "t"}, "customAttributes": {"tier": "gold", "score": 3}});
        parse_person(&object(first), &attrs, Origin::Request)
            .unwrap()
            .patch
            .apply(&mut person);
        let second = json!({"jobTitle": null, "emails": ["c@x.com"],
            "socials": {"twitter": null}, "customAttributes": {"score": null}});
        parse_person(&object(second), &attrs, Origin::Request)
            .unwrap()
            .patch
            .apply(&mut person);
        assert_eq!(person.first_name.as_deref(), Some("Jane"));
        assert_eq!(person.job_title, None);
        assert_eq!(person.emails, vec!["c@x.com"]);
        assert_eq!(person.socials.linkedin.as_deref(), Some("l"));
        assert_eq!(person.socials.twitter, None);
        assert_eq!(person.custom_attributes, object(json!({"tier": "gold"})));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let mut attrs = CustomAttributes::default();
        attrs
            .declare(super::super::CustomAttribute::parse("vip:checkbox").unwrap())
            .unwrap();
        let body = json!({"firstName": 3, "emails": "a@x.com", "nickname": "J", "id": "1",
            "socials": {"myspace": "m"}, "customAttributes": {"vip": "yes", "nope": 1}});
        let errors = parse_person(&object(body), &attrs, Origin::Request).unwrap_err();
        let fields: Vec<_> = errors.into_map().keys().cloned().collect();
        assert_eq!(
            fields,
            [
                "firstName",
                "emails",
                "nickname",
                "id",
                "socials.myspace",
                "customAttributes.vip",
                "customAttributes.nope"
            ]
        );
    }

    #[test]
    fn timestamps_have_an_offset_and_no_fraction() {
        let ts: Timestamp = "2025-01-15T10:00:00.75+01:00".parse().unwrap();
        assert_eq!(format_timestamp(ts), "2025-01-15T09:00:00+00:00");
    }
}
