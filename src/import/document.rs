//! One person as the entry that describes it: the fields it has a value for,
//! in the schema's order.

use super::companies::CompanyLink;
use super::node::Node;
use super::select::has_email;
use crate::api::Person;
use crate::company::{ID_FIELD, LINK_FIELD};
use crate::person::{SOCIAL_NETWORKS, WRITABLE_FIELDS};

/// The entry for `person`, as a YAML mapping node.
///
/// Only fields with a value are written: a field the live person has no value
/// for stays unmanaged, so the entry neither shows nor causes a change.
/// `matchingAttribute` comes first, and only when it is not the file's default
/// (people without an email are matched on `phone_number`). The company is
/// named as `link` says, where `companyId` would go.
pub fn entry_document(person: &Person, link: CompanyLink<'_>) -> Node {
    let mut fields = Vec::new();
    if !has_email(person) {
        fields.push(("matchingAttribute".to_string(), Node::text("phone_number")));
    }
    for &field in WRITABLE_FIELDS {
        if field == ID_FIELD {
            match link {
                CompanyLink::Domain(domain) => {
                    fields.push((LINK_FIELD.to_string(), Node::text(domain)));
                    continue;
                }
                CompanyLink::FromDefaults => continue,
                CompanyLink::ById => {}
            }
        }
        if let Some(node) = field_value(person, field) {
            fields.push((field.to_string(), node));
        }
    }
    Node::Map(fields)
}

fn field_value(person: &Person, field: &str) -> Option<Node> {
    if let Some(text) = person.scalar(field) {
        return Some(Node::text(text));
    }
    match field {
        "emails" => (!person.emails.is_empty())
            .then(|| Node::List(person.emails.iter().map(|e| Node::text(e)).collect())),
        "companyId" => person.company.as_ref().map(|c| Node::text(&c.id)),
        "socials" => {
            let socials: Vec<_> = SOCIAL_NETWORKS
                .iter()
                .filter_map(|&network| {
                    let value = person.socials.get(network)?;
                    Some((network.to_string(), Node::text(value)))
                })
                .collect();
            (!socials.is_empty()).then_some(Node::Map(socials))
        }
        "customAttributes" => {
            let mut attributes: Vec<_> = person
                .custom_attributes
                .iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(slug, value)| (slug.clone(), Node::from_json(value)))
                .collect();
            // The API's key order is not a promise; the file's order must be.
            attributes.sort_by(|a, b| a.0.cmp(&b.0));
            (!attributes.is_empty()).then_some(Node::Map(attributes))
        }
        // A writable field this module does not know yet: the compiler cannot
        // catch it, so the test below does.
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{CompanyRef, Socials};
    use serde_json::json;

    fn full_person() -> Person {
        Person {
            id: "id-1".into(),
            first_name: Some("Jane".into()),
            last_name: Some("Doe".into()),
            salutation: Some("Dr".into()),
            emails: vec!["jane@acme.com".into(), "j@acme.io".into()],
            job_title: Some("CTO".into()),
            description: Some("Likes\nYAML\n".into()),
            phone_number: Some("+4930123".into()),
            primary_location: Some("Berlin".into()),
            avatar_url: Some("https://acme.com/jane.png".into()),
            company: Some(CompanyRef {
                id: "3c90c3cc-0d44-4b50-8888-8dd25736052a".into(),
                name: Some("Acme".into()),
                domain: None,
            }),
            socials: Socials {
                linkedin: Some("https://linkedin.com/in/jane".into()),
                twitter: None,
                facebook: None,
                instagram: Some("jane".into()),
            },
            custom_attributes:
                json!({"tier": "gold", "score": 4.5, "gone": null, "flags": ["a", true]})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            created_at: "2025-01-15T09:00:00+00:00".into(),
            updated_at: "2025-01-15T09:00:00+00:00".into(),
        }
    }

    fn keys(node: &Node) -> Vec<&str> {
        match node {
            Node::Map(entries) => entries.iter().map(|(k, _)| k.as_str()).collect(),
            _ => panic!("not a map"),
        }
    }

    #[test]
    fn every_writable_field_with_a_value_is_written_in_schema_order() {
        assert_eq!(
            keys(&entry_document(&full_person(), CompanyLink::ById)),
            WRITABLE_FIELDS
        );
    }

    #[test]
    fn absent_values_stay_unmanaged() {
        let mut person = full_person();
        person.last_name = None;
        person.company = None;
        person.socials = Socials::default();
        person.custom_attributes.clear();
        let written = entry_document(&person, CompanyLink::ById);
        let keys = keys(&written);
        for absent in ["lastName", "companyId", "socials", "customAttributes"] {
            assert!(!keys.contains(&absent), "{absent} written");
        }
    }

    #[test]
    fn null_socials_and_custom_attributes_are_left_out_and_the_rest_sorted() {
        let written = entry_document(&full_person(), CompanyLink::ById);
        let Node::Map(entries) = written else {
            panic!()
        };
        let socials = &entries.iter().find(|(k, _)| k == "socials").unwrap().1;
        assert_eq!(keys(socials), ["linkedin", "instagram"]);
        let custom = &entries
            .iter()
            .find(|(k, _)| k == "customAttributes")
            .unwrap()
            .1;
        assert_eq!(keys(custom), ["flags", "score", "tier"]);
    }

    #[test]
    fn the_company_is_named_where_company_id_would_go_as_the_link_says() {
        let person = full_person();
        let by_domain = keys(&entry_document(
            &person,
            CompanyLink::Domain("acme.example"),
        ))
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
        let expected: Vec<String> = WRITABLE_FIELDS
            .iter()
            .map(|f| if *f == ID_FIELD { LINK_FIELD } else { f }.to_string())
            .collect();
        assert_eq!(by_domain, expected);
        let from_defaults = entry_document(&person, CompanyLink::FromDefaults);
        let keys = keys(&from_defaults);
        assert!(!keys.contains(&ID_FIELD) && !keys.contains(&LINK_FIELD));
    }

    #[test]
    fn people_without_email_match_on_phone_number_first() {
        let mut person = full_person();
        person.emails.clear();
        let written = entry_document(&person, CompanyLink::ById);
        assert_eq!(keys(&written)[0], "matchingAttribute");
        let Node::Map(entries) = written else {
            panic!()
        };
        assert_eq!(entries[0].1, Node::text("phone_number"));
    }
}
