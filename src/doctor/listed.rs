//! What the checks read off a person as the API lists it (raw JSON, since
//! checking the shape is the point): its id, its first email, and the field
//! the omit check of `--write` may leave out.

use serde_json::Value;

use super::printable;

/// A person's first email, if it looks like one.
pub(crate) fn primary_email(person: &Value) -> Option<&str> {
    person
        .pointer("/emails/0")
        .and_then(Value::as_str)
        .filter(|email| email.contains('@'))
}

pub(crate) fn id_of(person: &Value) -> String {
    person
        .get("id")
        .and_then(Value::as_str)
        .map(printable)
        .unwrap_or_else(|| "(no id)".to_string())
}

/// The fields the omit check prefers to leave out: ones a person is least
/// hurt to lose for a moment, should the API clear it after all.
const OMIT_PREFERENCE: &[&str] = &[
    "jobTitle",
    "primaryLocation",
    "salutation",
    "description",
    "avatarUrl",
    "phoneNumber",
    "lastName",
    "firstName",
];

/// The field of `person` that the omit check would leave out.
pub(crate) fn omittable(person: &Value) -> Option<&'static str> {
    OMIT_PREFERENCE
        .iter()
        .copied()
        .find(|field| person.get(*field).is_some_and(Value::is_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preference_orders_every_scalar_field() {
        let mut preferred = OMIT_PREFERENCE.to_vec();
        let mut scalar = crate::person::SCALAR_FIELDS.to_vec();
        preferred.sort_unstable();
        scalar.sort_unstable();
        assert_eq!(preferred, scalar);
    }
}
