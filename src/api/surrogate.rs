//! Lone surrogates in a server's JSON. `"\ud800"` is JSON by its grammar
//! but holds no Unicode text, and serde_json refuses the whole body for it:
//! one such name in the CRM made every plan fail with "a body zeeg cannot
//! read". Each such escape is read as U+FFFD (�) instead, and the items
//! that held one are named, so the user can mend them and the rest plans.

use std::borrow::Cow;

use serde_json::Value;

/// The replacement, as a JSON escape of the same length as the one it
/// replaces.
const REPLACEMENT: &[u8; 6] = b"\\ufffd";

/// `body` with every escaped lone surrogate replaced by `\ufffd`; borrowed
/// when it held none.
pub(crate) fn repaired(body: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < body.len() {
        if body[i] != b'\\' {
            i += 1;
            continue;
        }
        let Some(unit) = escaped_unit(body, i) else {
            // Another escape (`\\`, `\"`, …): its character is no backslash.
            i += 2;
            continue;
        };
        let paired = (0xD800..=0xDBFF).contains(&unit)
            && escaped_unit(body, i + 6).is_some_and(|low| (0xDC00..=0xDFFF).contains(&low));
        if paired {
            i += 12;
        } else if (0xD800..=0xDFFF).contains(&unit) {
            out.get_or_insert_with(|| body.to_vec())[i..i + 6].copy_from_slice(REPLACEMENT);
            i += 6;
        } else {
            i += 6;
        }
    }
    match out {
        Some(out) => Cow::Owned(out),
        None => Cow::Borrowed(body),
    }
}

/// The UTF-16 unit of a `\uXXXX` escape starting at `at`.
fn escaped_unit(body: &[u8], at: usize) -> Option<u32> {
    let escape = body.get(at..at + 6)?;
    if escape[0] != b'\\' || escape[1] != b'u' {
        return None;
    }
    let hex = std::str::from_utf8(&escape[2..]).ok()?;
    u32::from_str_radix(hex, 16).ok()
}

/// For a repaired list page: each item (by id) that holds U+FFFD, and in
/// which fields, as `ID (firstName, customAttributes.note)`.
pub(crate) fn items_repaired(page: &[u8]) -> Vec<String> {
    let Ok(page) = serde_json::from_slice::<Value>(page) else {
        return Vec::new();
    };
    let items = page.get("collection").and_then(Value::as_array);
    items
        .into_iter()
        .flatten()
        .filter_map(|item| {
            let mut fields = Vec::new();
            paths_with_replacement(item, "", &mut fields);
            if fields.is_empty() {
                return None;
            }
            let id = item.get("id").and_then(Value::as_str).unwrap_or("(no id)");
            Some(format!(
                "{} ({})",
                crate::terminal::escaped(id),
                fields.join(", ")
            ))
        })
        .collect()
}

fn paths_with_replacement(value: &Value, path: &str, found: &mut Vec<String>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(text) if text.contains('\u{fffd}') => found.push(path.to_string()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                paths_with_replacement(item, &join(&i.to_string()), found);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                paths_with_replacement(item, &join(key), found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_become_replacement_characters_and_pairs_stay() {
        let body = br#"{"a": "x\ud800y", "b": "\udc00", "c": "\ud83d\ude00", "d": "\\ud800"}"#;
        let fixed = repaired(body);
        let value: Value = serde_json::from_slice(&fixed).unwrap();
        assert_eq!(value["a"], "x\u{fffd}y");
        assert_eq!(value["b"], "\u{fffd}");
        assert_eq!(value["c"], "😀");
        assert_eq!(value["d"], "\\ud800", "an escaped backslash is text");
        assert!(matches!(repaired(br#"{"a": "plain"}"#), Cow::Borrowed(_)));
    }

    #[test]
    fn repaired_items_are_named_by_id_and_field() {
        let page = repaired(
            br#"{"collection": [{"id": "p1", "firstName": "Su\ud800"}, {"id": "p2", "firstName": "Bo"}]}"#,
        );
        assert_eq!(items_repaired(&page), vec!["p1 (firstName)".to_string()]);
    }
}
