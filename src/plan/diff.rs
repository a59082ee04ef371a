//! Field-level comparison of one entry with the live person it matched.
//!
//! Only managed fields (present in the entry) are compared; `null` means
//! "empty" and is compared as such. `emails` is an ordered list (the first is
//! the primary, so a reorder is a change); `socials` and `customAttributes`
//! are compared key by key, each key its own [`FieldChange`]; `companyId` is
//! compared with the live `company.id`.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::{Action, Change, CompanyPlan, FieldChange};
use crate::api::Person;
use crate::api::assumed::MERGED_KEY_BY_KEY;
use crate::company;
use crate::manifest::{CompanyLink, Entry};
use crate::person::{SOCIAL_NETWORKS, WRITABLE_FIELDS};

/// The live value of a string field, by JSON name. `companyId` is write-only:
/// the live person shows it as `company.id`.
pub(crate) fn live_scalar<'p>(person: &'p Person, field: &str) -> Option<&'p str> {
    match field {
        "companyId" => person.company.as_ref().map(|c| c.id.as_str()),
        _ => person.scalar(field),
    }
}

/// The change `entry` makes to `live` (a create when `None`), or `None` when
/// every managed field already holds its desired value.
pub(crate) fn diff_entry<'a>(
    entry: &'a Entry,
    live: Option<&'a Person>,
    companies: &CompanyPlan,
) -> Option<Change<'a>> {
    // A create is a change whatever its fields: they are derived only when
    // shown.
    let action = match live {
        None => Action::Create,
        Some(_) if field_changes(entry, live, companies).is_empty() => return None,
        Some(_) => Action::Update,
    };
    Some(Change {
        action,
        entry,
        live,
    })
}

/// The fields (or keys of `socials` / `customAttributes`) that `entry`
/// changes on `live` (a create when `None`), in canonical field order.
pub(crate) fn field_changes(
    entry: &Entry,
    live: Option<&Person>,
    companies: &CompanyPlan,
) -> Vec<FieldChange> {
    let mut fields = Vec::new();
    // Parsed once for all the fields compared.
    let desired = entry.fields.map();
    for &name in WRITABLE_FIELDS {
        if name == company::ID_FIELD
            && let Some(link) = &entry.company
        {
            fields.extend(link_change(link, live, companies));
            continue;
        }
        let Some(after) = desired.get(name) else {
            continue;
        };
        match name {
            "emails" => {
                let before = live.map_or(Value::Null, |p| Value::from(p.emails.clone()));
                push_if_changed(&mut fields, name.to_string(), before, after, emails_equal);
            }
            name if MERGED_KEY_BY_KEY.contains(&name) => {
                keyed_changes(&mut fields, name, after, live);
            }
            "companyId" => {
                let before = live
                    .and_then(|p| live_scalar(p, name))
                    .map_or(Value::Null, Value::from);
                push_if_changed(&mut fields, name.to_string(), before, after, ids_equal);
            }
            _ => {
                let before = live
                    .and_then(|p| live_scalar(p, name))
                    .map_or(Value::Null, Value::from);
                push_if_changed(&mut fields, name.to_string(), before, after, values_equal);
            }
        }
    }
    fields
}

/// The keys of `socials` or `customAttributes` (`name`) that `after`
/// changes on `live`, one field change each.
fn keyed_changes(fields: &mut Vec<FieldChange>, name: &str, after: &Value, live: Option<&Person>) {
    match after {
        Value::Object(keys) => {
            for (key, after) in keys {
                let before = live.map_or(Value::Null, |p| keyed_value(p, name, key));
                push_if_changed(fields, format!("{name}.{key}"), before, after, values_equal);
            }
        }
        // The body spells a whole object's `null` out key by key.
        Value::Null => {
            for key in keys(name, live) {
                let before = live.map_or(Value::Null, |p| keyed_value(p, name, &key));
                let path = format!("{name}.{key}");
                push_if_changed(fields, path, before, &Value::Null, values_equal);
            }
        }
        _ => {}
    }
}

/// The change of a person's link by domain (`company`), shown as domains:
/// the live company's (its id when it has no domain) before, the desired
/// one after. The link is compared by company id: a person linked to a
/// company that apply has yet to create always changes.
fn link_change(
    link: &CompanyLink,
    live: Option<&Person>,
    companies: &CompanyPlan,
) -> Option<FieldChange> {
    let current = live.and_then(|p| p.company.as_ref());
    let desired_id = link
        .domain
        .as_deref()
        .and_then(|domain| companies.live_ids.get(&company::domain_key(domain)));
    let same = match (current, &link.domain) {
        (None, None) => true,
        (Some(current), Some(_)) => {
            desired_id.is_some_and(|id| id.eq_ignore_ascii_case(&current.id))
        }
        _ => false,
    };
    if same {
        return None;
    }
    let before = current.map_or(Value::Null, |c| {
        Value::from(c.domain.clone().unwrap_or_else(|| c.id.clone()))
    });
    Some(FieldChange {
        path: company::LINK_FIELD.to_string(),
        before,
        after: link.domain.clone().map_or(Value::Null, Value::from),
    })
}

/// The entry's managed fields as the upsert body. A whole `socials` or
/// `customAttributes` set to `null` is spelled out key by key, because the API
/// merges those objects key by key and a bare `null` would be ambiguous.
///
/// A link by domain is not in the body: apply puts the company's id there
/// once it knows it. `company: null` is sent as `companyId: null`.
pub(crate) fn request_body(entry: &Entry, live: Option<&Person>) -> Map<String, Value> {
    let mut body = entry.fields.map();
    for &object in MERGED_KEY_BY_KEY {
        if body.get(object).is_some_and(Value::is_null) {
            let cleared = keys(object, live)
                .into_iter()
                .map(|key| (key, Value::Null))
                .collect();
            body.insert(object.into(), Value::Object(cleared));
        }
    }
    if entry
        .company
        .as_ref()
        .is_some_and(|link| link.domain.is_none())
    {
        body.insert(company::ID_FIELD.into(), Value::Null);
    }
    body
}

/// [`request_body`] as JSON text: the entry's own fields, as they are kept,
/// when apply adds nothing to them (most entries), so they are neither
/// parsed nor written again.
pub(crate) fn request_body_json<'e>(entry: &'e Entry, live: Option<&Person>) -> Cow<'e, str> {
    let unlinks = entry
        .company
        .as_ref()
        .is_some_and(|link| link.domain.is_none());
    let clears_merged = MERGED_KEY_BY_KEY
        .iter()
        .any(|object| entry.fields.get(object).is_some_and(|v| v.is_null()));
    if unlinks || clears_merged {
        let body = request_body(entry, live);
        // A map of JSON values always serializes.
        Cow::Owned(serde_json::to_string(&body).unwrap_or_default())
    } else {
        Cow::Borrowed(entry.fields.json())
    }
}

/// The keys of an object merged key by key: every network for `socials`, the
/// live person's attributes for `customAttributes`.
fn keys(object: &str, live: Option<&Person>) -> Vec<String> {
    match object {
        "socials" => SOCIAL_NETWORKS.iter().map(|n| n.to_string()).collect(),
        _ => live
            .map(|p| p.custom_attributes.keys().cloned().collect())
            .unwrap_or_default(),
    }
}

fn keyed_value(person: &Person, object: &str, key: &str) -> Value {
    match object {
        "socials" => person.socials.get(key).map_or(Value::Null, Value::from),
        _ => person
            .custom_attributes
            .get(key)
            .cloned()
            .unwrap_or(Value::Null),
    }
}

/// Records a change unless the values are equal. On create (`before` null)
/// an empty desired value is no change either: a new person starts empty.
fn push_if_changed(
    fields: &mut Vec<FieldChange>,
    path: String,
    before: Value,
    after: &Value,
    equal: fn(&Value, &Value) -> bool,
) {
    if !equal(&before, after) {
        fields.push(FieldChange {
            path,
            before,
            after: after.clone(),
        });
    }
}

/// JSON equality where `1` equals `1.0` (the API may echo numbers either way).
fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| values_equal(x, y))
        }
        _ => a == b,
    }
}

/// Ordered list equality; `null` is the empty list. Exact but for white
/// space around an address, which the API ignores (an import writes
/// `"  ann@x.io "` as `ann@x.io`): changing an address's case is a change
/// the upsert would make.
fn emails_equal(before: &Value, after: &Value) -> bool {
    let empty = |v: &Value| v.is_null() || v.as_array().is_some_and(Vec::is_empty);
    let same = |a: &Value, b: &Value| match (a.as_str(), b.as_str()) {
        (Some(a), Some(b)) => a.trim() == b.trim(),
        _ => a == b,
    };
    let items = |v: &Value| v.as_array().cloned().unwrap_or_default();
    (empty(before) && empty(after))
        || before == after
        || (items(before).len() == items(after).len()
            && items(before)
                .iter()
                .zip(&items(after))
                .all(|(a, b)| same(a, b)))
}

/// UUIDs compare without regard to case.
fn ids_equal(before: &Value, after: &Value) -> bool {
    match (before.as_str(), after.as_str()) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => before == after,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::testing::{entry, person};

    fn paths(change: &Change<'_>) -> Vec<(String, Value, Value)> {
        change
            .fields(&CompanyPlan::default())
            .into_iter()
            .map(|f| (f.path, f.before, f.after))
            .collect()
    }

    /// `paths` of the expected changes, owned.
    fn expected(list: &[(&str, Value, Value)]) -> Vec<(String, Value, Value)> {
        list.iter()
            .map(|(path, before, after)| (path.to_string(), before.clone(), after.clone()))
            .collect()
    }

    #[test]
    fn absent_fields_are_unmanaged_and_equal_ones_unchanged() {
        let e = entry(
            1,
            "email",
            json!({"emails": ["jane@acme.com"], "firstName": "Jane"}),
        );
        let live = person(
            "p",
            json!({"emails": ["jane@acme.com"], "firstName": "Jane", "jobTitle": "CEO",
                   "socials": {"linkedin": "x"}, "customAttributes": {"tier": "gold"}}),
        );
        assert_eq!(diff_entry(&e, Some(&live), &CompanyPlan::default()), None);
    }

    #[test]
    fn scalars_null_clears_and_company_id() {
        let e = entry(
            1,
            "email",
            json!({"emails": ["j@a.com"], "jobTitle": null, "lastName": "Doe",
                   "companyId": "3C90C3CC-0D44-4B50-8888-8DD25736052A", "description": null}),
        );
        let live = person(
            "p",
            json!({"emails": ["j@a.com"], "jobTitle": "CEO", "lastName": "Do",
                   "company": {"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a"}}),
        );
        let change = diff_entry(&e, Some(&live), &CompanyPlan::default()).unwrap();
        assert_eq!(change.action, Action::Update);
        assert_eq!(change.updated_at(), Some("2025-01-15T09:00:00+00:00"));
        assert_eq!(
            paths(&change),
            expected(&[
                ("lastName", json!("Do"), json!("Doe")),
                ("jobTitle", json!("CEO"), json!(null)),
            ])
        );
    }

    #[test]
    fn emails_are_an_ordered_list() {
        let e = entry(
            1,
            "email",
            json!({"emails": ["jane@acme.io", "jane@acme.com"]}),
        );
        let live = person("p", json!({"emails": ["jane@acme.com", "jane@acme.io"]}));
        let change = diff_entry(&e, Some(&live), &CompanyPlan::default()).unwrap();
        assert_eq!(
            paths(&change),
            expected(&[(
                "emails",
                json!(["jane@acme.com", "jane@acme.io"]),
                json!(["jane@acme.io", "jane@acme.com"])
            )])
        );
    }

    #[test]
    fn socials_and_custom_attributes_key_by_key() {
        let e = entry(
            1,
            "email",
            json!({"emails": ["j@a.com"],
                   "socials": {"linkedin": "https://l/new", "twitter": null, "facebook": "f"},
                   "customAttributes": {"tier": "gold", "seats": 10, "tags": ["a", "b"], "old": null}}),
        );
        let live = person(
            "p",
            json!({"emails": ["j@a.com"],
                   "socials": {"linkedin": "https://l/old", "twitter": "t", "facebook": "f", "instagram": "i"},
                   "customAttributes": {"tier": "silver", "seats": 10.0, "tags": ["a", "b"], "old": "x", "other": 1}}),
        );
        let change = diff_entry(&e, Some(&live), &CompanyPlan::default()).unwrap();
        assert_eq!(
            paths(&change),
            expected(&[
                (
                    "socials.linkedin",
                    json!("https://l/old"),
                    json!("https://l/new")
                ),
                ("socials.twitter", json!("t"), json!(null)),
                ("customAttributes.tier", json!("silver"), json!("gold")),
                ("customAttributes.old", json!("x"), json!(null)),
            ])
        );
    }

    #[test]
    fn a_whole_object_set_to_null_clears_each_key() {
        let e = entry(
            1,
            "email",
            json!({"emails": ["j@a.com"], "socials": null, "customAttributes": null}),
        );
        let live = person(
            "p",
            json!({"emails": ["j@a.com"], "socials": {"twitter": "t"}, "customAttributes": {"tier": "gold"}}),
        );
        let change = diff_entry(&e, Some(&live), &CompanyPlan::default()).unwrap();
        assert_eq!(
            paths(&change),
            expected(&[
                ("socials.twitter", json!("t"), json!(null)),
                ("customAttributes.tier", json!("gold"), json!(null)),
            ])
        );
        assert_eq!(change.body()["socials"]["linkedin"], json!(null));
        assert_eq!(change.body()["customAttributes"], json!({"tier": null}));
        let sent: Value = serde_json::from_str(&change.body_json()).unwrap();
        assert_eq!(sent, Value::Object(change.body()));
    }

    #[test]
    fn the_body_as_sent_is_the_fields_text_unless_apply_adds_to_it() {
        let e = entry(
            1,
            "email",
            json!({"emails": ["j@a.com"], "lastName": "Doe"}),
        );
        let change = diff_entry(&e, None, &CompanyPlan::default()).unwrap();
        assert_eq!(
            change.body_json(),
            r#"{"emails":["j@a.com"],"lastName":"Doe"}"#
        );
        let mut unlinked = e.clone();
        unlinked.company = Some(Box::new(CompanyLink {
            domain: None,
            at: e.source.clone(),
        }));
        let change = diff_entry(&unlinked, None, &CompanyPlan::default()).unwrap();
        assert_eq!(
            change.body_json(),
            r#"{"emails":["j@a.com"],"lastName":"Doe","companyId":null}"#
        );
    }

    #[test]
    fn a_create_shows_every_managed_value() {
        let e = entry(
            3,
            "email",
            json!({"firstName": "Jane", "emails": ["j@a.com"], "jobTitle": null,
                   "customAttributes": {"tier": "gold"}}),
        );
        let change = diff_entry(&e, None, &CompanyPlan::default()).unwrap();
        assert_eq!(change.action, Action::Create);
        assert_eq!(change.person_id(), None);
        assert_eq!(
            paths(&change),
            expected(&[
                ("firstName", json!(null), json!("Jane")),
                ("emails", json!(null), json!(["j@a.com"])),
                ("customAttributes.tier", json!(null), json!("gold")),
            ])
        );
        assert_eq!(e.fields, change.body());
    }
}
