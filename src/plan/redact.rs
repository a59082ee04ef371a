//! Masking contact data in printed plans (`--redact`, the default for
//! markdown in CI): emails keep their first character and domain
//! (`j***@acme.com`), phone numbers their last two digits, and `description`
//! (free text) only its length. Names, titles and ids stay readable so a
//! reviewer can still tell who changes.

use serde_json::Value;

use crate::person::{MatchField, normalize_email};

/// `jane.doe@acme.com` → `j***@acme.com`; a value without `@` → `***`.
pub fn mask_email(email: &str) -> String {
    let email = normalize_email(email);
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// Every digit but the last two becomes `*`; separators stay.
pub fn mask_phone(phone: &str) -> String {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    phone
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen + 2 <= digits { '*' } else { c }
            } else {
                c
            }
        })
        .collect()
}

/// How a redacted `description` reads: its length only.
pub fn characters(text: &str) -> String {
    format!("({} characters)", text.chars().count())
}

/// The value of field `path` as it may be printed under redaction.
pub fn value(path: &str, value: &Value) -> Value {
    match (path, value) {
        ("emails", Value::Array(emails)) => Value::Array(
            emails
                .iter()
                .map(|email| match email {
                    Value::String(email) => Value::String(mask_email(email)),
                    other => other.clone(),
                })
                .collect(),
        ),
        ("phoneNumber", Value::String(phone)) => Value::String(mask_phone(phone)),
        ("description", Value::String(text)) => Value::String(characters(text)),
        _ => value.clone(),
    }
}

/// An entry's identity (its matching attribute's value) under redaction.
pub fn identity(matching_attribute: &str, match_value: &Value) -> Value {
    match (MatchField::for_slug(matching_attribute), match_value) {
        (MatchField::Email, Value::String(email)) => Value::String(mask_email(email)),
        (MatchField::Standard("phoneNumber"), Value::String(phone)) => {
            Value::String(mask_phone(phone))
        }
        (MatchField::Standard("description"), Value::String(text)) => {
            Value::String(characters(text))
        }
        _ => match_value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn emails_keep_first_character_and_domain() {
        assert_eq!(mask_email("Jane.Doe@Acme.com"), "j***@acme.com");
        assert_eq!(mask_email("nonsense"), "***");
        assert_eq!(
            value("emails", &json!(["jane@acme.com", "x@y.io"])),
            json!(["j***@acme.com", "x***@y.io"])
        );
    }

    #[test]
    fn phones_keep_the_last_two_digits() {
        assert_eq!(mask_phone("+49 30 1234567"), "+** ** *****67");
        assert_eq!(mask_phone("7"), "7");
        assert_eq!(
            identity("phone_number", &json!("+4930123")),
            json!("+*****23")
        );
    }

    #[test]
    fn descriptions_show_only_their_length_and_names_stay() {
        assert_eq!(
            value("description", &json!("Likes tea.\nHates mornings.")),
            json!("(26 characters)")
        );
        assert_eq!(value("firstName", &json!("Jane")), json!("Jane"));
        assert_eq!(value("description", &json!(null)), json!(null));
    }
}
