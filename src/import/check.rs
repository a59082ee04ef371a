//! Values the CRM holds but a people file may not: an email without `@`, a
//! URL without a scheme, a company id that is not a UUID. The API does not
//! promise to refuse them, so an import checks every entry against the same
//! schema `zeeg plan` will, and names the people and fields (never the
//! values) so the user can correct them before planning.

use serde_json::json;

use super::companies::Companies;
use super::document::entry_document;
use crate::api::Person;
use crate::manifest::Schema;

/// A person whose entry holds values the people-file schema refuses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Refused {
    /// The person's id in the CRM.
    pub id: String,
    /// The refused fields, as dotted paths (`emails.1`, `socials.linkedin`).
    pub fields: Vec<String>,
}

/// Checks the entries of `people`, in order, naming their companies as
/// `companies` says.
pub fn refused(people: &[&Person], companies: &Companies) -> Vec<Refused> {
    let schema = Schema::people();
    let mut refused = Vec::new();
    for person in people {
        let entry = entry_document(person, companies.link(person));
        let document = json!({ "people": [entry.to_json()] });
        let mut fields: Vec<String> = schema
            .refused_pointers(&document)
            .iter()
            .map(|pointer| field_path(pointer))
            .collect();
        if !fields.is_empty() {
            fields.sort();
            fields.dedup();
            refused.push(Refused {
                id: person.id.clone(),
                fields,
            });
        }
    }
    refused
}

/// `/people/0/socials/linkedin` → `socials.linkedin`.
fn field_path(pointer: &str) -> String {
    let inside = pointer.strip_prefix("/people/0").unwrap_or(pointer);
    let path: Vec<String> = inside
        .split('/')
        .filter(|part| !part.is_empty())
        .map(|part| part.replace("~1", "/").replace("~0", "~"))
        .collect();
    if path.is_empty() {
        "(the entry)".to_string()
    } else {
        path.join(".")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn person(value: Value) -> Person {
        let mut value = value;
        value["id"] = json!("id-1");
        value["createdAt"] = json!("");
        value["updatedAt"] = json!("");
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_valid_person_passes() {
        let ok = person(json!({
            "firstName": "Ada", "emails": ["ada@example.com"],
            "avatarUrl": "https://example.com/a.png",
            "company": {"id": "5f3b8a2e-1c4d-4e6f-9a7b-2d8c0e1f3a45"},
            "socials": {"linkedin": "https://www.linkedin.com/in/ada"}
        }));
        assert_eq!(refused(&[&ok], &Companies::default()), []);
    }

    #[test]
    fn refused_values_are_named_by_field_only() {
        let bad = person(json!({
            "firstName": "Ada", "emails": ["ada@example.com", "no-at-sign"],
            "avatarUrl": "not a url",
            "company": {"id": "acme"},
            "socials": {"linkedin": "www.linkedin.com/in/ada"}
        }));
        let found = refused(&[&bad], &Companies::default());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "id-1");
        assert_eq!(
            found[0].fields,
            ["avatarUrl", "companyId", "emails.1", "socials.linkedin"]
        );
    }
}
