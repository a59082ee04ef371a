//! Masking contact data in what `--redact` prints (the default for markdown
//! in CI): emails keep their first character and domain (`j***@acme.com`),
//! phone numbers their last two digits (any script's digits), and
//! `description` (free text) only its length. Custom attribute values that
//! look like an email or a phone number — every `phone_number` attribute's
//! do — are masked the same way, in values and in identities. Names, titles
//! and ids stay readable so a reviewer can still tell who changes.
//!
//! Diagnostics of invalid files under `--redact` mask emails and phone
//! numbers in their messages and source snippets with [`mask_text`].

use serde_json::Value;

use crate::person::{MatchField, MatchingAttribute, normalize_email};

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

/// Every digit but the last two becomes `*`; separators stay. Digits of
/// every script count (`٠١٢`, full-width `０１２`), not only ASCII ones.
pub fn mask_phone(phone: &str) -> String {
    let digits = phone.chars().filter(|c| is_digit(*c)).count();
    let mut seen = 0;
    phone
        .chars()
        .map(|c| {
            if is_digit(c) {
                seen += 1;
                if seen + 2 <= digits { '*' } else { c }
            } else {
                c
            }
        })
        .collect()
}

/// A digit of any script (Unicode's numeric characters).
fn is_digit(c: char) -> bool {
    c.is_numeric()
}

/// Whether a value is an email and nothing else: one word, something, `@`,
/// a dotted domain.
fn looks_like_email(text: &str) -> bool {
    let text = text.trim();
    !text.contains(char::is_whitespace)
        && text
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
}

/// Whether a value looks like a phone number: digits (at least
/// [`PHONE_DIGITS`]) with only the usual separators, and not a date.
fn looks_like_phone(text: &str) -> bool {
    let digits = text.chars().filter(|c| is_digit(*c)).count();
    digits >= PHONE_DIGITS
        && text.chars().all(|c| is_digit(c) || is_phone_separator(c))
        && !looks_like_date(text)
}

/// Fewer digits than this is a number (a count, a year), not a phone.
const PHONE_DIGITS: usize = 6;

fn is_phone_separator(c: char) -> bool {
    matches!(c, ' ' | '+' | '-' | '(' | ')' | '.' | '/' | '\u{a0}')
}

/// `2025-01-15`, `2025-01-15T09:00:00+00:00`: dates stay readable.
fn looks_like_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

/// A custom attribute's value under redaction: an email or a phone number
/// masked, and those inside longer text too, in lists as well; anything else
/// as it is.
fn custom_value(value: &Value) -> Value {
    match value {
        Value::String(text) if looks_like_email(text) => Value::String(mask_email(text)),
        Value::String(text) if looks_like_phone(text) => Value::String(mask_phone(text)),
        Value::String(text) => Value::String(mask_text(text)),
        Value::Array(items) => Value::Array(items.iter().map(custom_value).collect()),
        other => other.clone(),
    }
}

/// Free text (a message, a line of a file) with every email and phone number
/// in it masked, character for character: `jane@acme.com` becomes
/// `j***@acme.com`, `+4930123456` becomes `+*******56`. The length in
/// characters stays, so positions into the text stay true.
pub fn mask_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut masked = chars.clone();
    // Emails: the local part around each `@`, all but its first character.
    // (A walk back stops at the previous `@`, so a line of `@`s costs
    // linear time, not quadratic.)
    let in_address = |c: char| !c.is_whitespace() && !"\"'`<>()[]{},;:@".contains(c);
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let start = (0..at)
            .rev()
            .take_while(|&i| in_address(chars[i]))
            .last()
            .unwrap_or(at);
        for slot in masked.iter_mut().take(at).skip(start + 1) {
            *slot = '*';
        }
    }
    // Phone numbers: runs of digits and separators with enough digits.
    let mut i = 0;
    while i < chars.len() {
        if !is_digit(chars[i]) && chars[i] != '+' {
            i += 1;
            continue;
        }
        let end = (i..chars.len())
            .take_while(|&j| is_digit(chars[j]) || is_phone_separator(chars[j]))
            .last()
            .map_or(i + 1, |j| j + 1);
        let run: String = chars[i..end].iter().collect();
        if looks_like_phone(run.trim_end()) {
            let shown: Vec<char> = mask_phone(&run).chars().collect();
            masked[i..end].copy_from_slice(&shown);
        }
        i = end;
    }
    masked.into_iter().collect()
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
        (path, value) if path.starts_with("customAttributes.") => custom_value(value),
        _ => value.clone(),
    }
}

/// An entry's identity (its matching attribute's value) under redaction.
pub fn identity(matching_attribute: &MatchingAttribute, match_value: &Value) -> Value {
    match (matching_attribute.field(), match_value) {
        (MatchField::Email, Value::String(email)) => Value::String(mask_email(email)),
        (MatchField::Standard("phoneNumber"), Value::String(phone)) => {
            Value::String(mask_phone(phone))
        }
        (MatchField::Standard("description"), Value::String(text)) => {
            Value::String(characters(text))
        }
        (MatchField::Custom(_), value) => custom_value(value),
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
            identity(&"phone_number".into(), &json!("+4930123")),
            json!("+*****23")
        );
    }

    #[test]
    fn digits_of_every_script_are_masked() {
        assert_eq!(mask_phone("+٤٩٣٠١٢٣٤"), "+******٣٤");
        assert_eq!(mask_phone("０３０ １２３４"), "*** **３４");
    }

    #[test]
    fn custom_values_that_hold_contact_data_are_masked() {
        assert_eq!(
            value("customAttributes.mobile", &json!("+49 151 2345678")),
            json!("+** *** *****78")
        );
        assert_eq!(
            value("customAttributes.assistant", &json!("Kim <kim@acme.com>")),
            json!("Kim <k**@acme.com>")
        );
        assert_eq!(
            value("customAttributes.backup", &json!(["x@y.io", "gold"])),
            json!(["x***@y.io", "gold"])
        );
        for readable in [
            json!("gold"),
            json!(42),
            json!("2025-01-15"),
            json!("E-1001"),
        ] {
            assert_eq!(value("customAttributes.tier", &readable), readable);
        }
        assert_eq!(
            identity(&"mobile".into(), &json!("+4915112345")),
            json!("+********45")
        );
        assert_eq!(
            identity(&"employee_id".into(), &json!("E-1001")),
            json!("E-1001")
        );
    }

    #[test]
    fn text_keeps_its_length_with_contact_data_masked() {
        let text = "    emails: [jane.doe@acme.com, \"x@y\"] # call +49 30 1234567, 2025-01-15";
        let masked = mask_text(text);
        assert_eq!(
            masked,
            "    emails: [j*******@acme.com, \"x@y\"] # call +** ** *****67, 2025-01-15"
        );
        assert_eq!(masked.chars().count(), text.chars().count());
        assert_eq!(mask_text("seats: 12, year 2025"), "seats: 12, year 2025");
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
