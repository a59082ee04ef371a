//! The companies imported people belong to, and how each entry names its
//! company.
//!
//! A live person's `company` carries the linked company's id, name and domain
//! (an assumption, see [`crate::api::assumed::UNKNOWN_COMPANY_FIELD`]), so an
//! import reads companies with no request of its own. An entry names its
//! company by domain (`company: DOMAIN`) when the company has a domain a
//! people file accepts and no other company these people belong to has the
//! same domain ignoring case: then `zeeg plan` finds exactly that company by
//! it. Otherwise the entry keeps `companyId`, which names the company exactly.

use std::collections::{BTreeMap, HashMap};

use super::node::Node;
use crate::api::{CompanyRef, Person};
use crate::company::{DOMAIN_FIELD, domain_key, domain_problem};

/// How an entry names its company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompanyLink<'a> {
    /// `companyId` (nothing when the person has no company).
    ById,
    /// `company: DOMAIN`.
    Domain(&'a str),
    /// Nothing: the file's `defaults.company` names it.
    FromDefaults,
}

/// The companies of the imported people that entries name by domain.
#[derive(Debug, Default)]
pub struct Companies<'a> {
    /// By company id.
    by_id: HashMap<&'a str, &'a CompanyRef>,
}

impl<'a> Companies<'a> {
    /// The companies `people` belong to that can be named by domain.
    pub fn of(people: &[&'a Person]) -> Companies<'a> {
        // Each company once, by id, as the first person (in canonical order)
        // shows it; then by domain key, to find domains two companies share.
        let mut by_id: BTreeMap<&str, &CompanyRef> = BTreeMap::new();
        for company in people.iter().filter_map(|p| p.company.as_ref()) {
            by_id.entry(company.id.as_str()).or_insert(company);
        }
        let mut by_key: HashMap<String, Vec<&CompanyRef>> = HashMap::new();
        for company in by_id.values() {
            if let Some(domain) = company.domain.as_deref()
                && !company.id.is_empty()
                && domain_problem(domain).is_none()
            {
                by_key.entry(domain_key(domain)).or_default().push(company);
            }
        }
        Companies {
            by_id: by_key
                .into_values()
                .filter(|companies| companies.len() == 1)
                .flatten()
                .map(|company| (company.id.as_str(), company))
                .collect(),
        }
    }

    /// The domain `person`'s entry names its company by, if any.
    pub fn domain(&self, person: &Person) -> Option<&'a str> {
        let company = person.company.as_ref()?;
        self.by_id.get(company.id.as_str())?.domain.as_deref()
    }

    /// How `person`'s entry names its company in a file without
    /// `defaults.company`.
    pub fn link(&self, person: &Person) -> CompanyLink<'a> {
        self.domain(person)
            .map_or(CompanyLink::ById, CompanyLink::Domain)
    }

    /// The `companies` entries for the companies `people` name by domain,
    /// sorted by domain (ignoring case), each once.
    pub fn declarations(&self, people: &[&Person]) -> Vec<Node> {
        let mut declared: BTreeMap<String, &CompanyRef> = BTreeMap::new();
        for person in people {
            if let Some(company) = person
                .company
                .as_ref()
                .and_then(|c| self.by_id.get(c.id.as_str()))
                && let Some(domain) = company.domain.as_deref()
            {
                declared.entry(domain_key(domain)).or_insert(company);
            }
        }
        declared.into_values().map(declaration).collect()
    }
}

/// `{domain, name}`; no `name` when the company has none (it exists, so the
/// file need not say one, and an empty name is not allowed).
fn declaration(company: &CompanyRef) -> Node {
    let mut fields = vec![(
        DOMAIN_FIELD.to_string(),
        Node::text(company.domain.as_deref().unwrap_or_default()),
    )];
    if let Some(name) = company.name.as_deref().filter(|n| !n.is_empty()) {
        fields.push(("name".to_string(), Node::text(name)));
    }
    Node::Map(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn person(id: &str, company: serde_json::Value) -> Person {
        serde_json::from_value(json!({
            "id": id, "firstName": "A", "emails": [format!("{id}@x.example")],
            "company": company, "createdAt": "", "updatedAt": ""
        }))
        .unwrap()
    }

    #[test]
    fn a_company_with_a_domain_of_its_own_is_named_by_it() {
        let people = [
            person(
                "1",
                json!({"id": "c1", "name": "Acme", "domain": "Acme.example"}),
            ),
            person(
                "2",
                json!({"id": "c2", "name": "No domain", "domain": null}),
            ),
            person(
                "3",
                json!({"id": "c3", "name": "Bad", "domain": "not a domain"}),
            ),
            person(
                "4",
                json!({"id": "c4", "name": "Twin", "domain": "twin.example"}),
            ),
            person(
                "5",
                json!({"id": "c5", "name": "Twin too", "domain": "TWIN.example"}),
            ),
            person("6", json!(null)),
            person(
                "7",
                json!({"id": "c1", "name": "Acme", "domain": "Acme.example"}),
            ),
        ];
        let refs: Vec<&Person> = people.iter().collect();
        let companies = Companies::of(&refs);
        let links: Vec<CompanyLink> = refs.iter().map(|p| companies.link(p)).collect();
        assert_eq!(
            links,
            [
                CompanyLink::Domain("Acme.example"),
                CompanyLink::ById,
                CompanyLink::ById,
                CompanyLink::ById,
                CompanyLink::ById,
                CompanyLink::ById,
                CompanyLink::Domain("Acme.example"),
            ]
        );
        assert_eq!(
            companies.declarations(&refs),
            [Node::Map(vec![
                ("domain".into(), Node::text("Acme.example")),
                ("name".into(), Node::text("Acme")),
            ])]
        );
    }

    #[test]
    fn a_company_without_a_name_is_declared_by_domain_alone() {
        let people = [person(
            "1",
            json!({"id": "c1", "name": "", "domain": "a.example"}),
        )];
        let refs: Vec<&Person> = people.iter().collect();
        assert_eq!(
            Companies::of(&refs).declarations(&refs),
            [Node::Map(vec![("domain".into(), Node::text("a.example"))])]
        );
    }
}
