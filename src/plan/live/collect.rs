//! What a plan keeps of each live person as it is read, page by page: its
//! match ([`crate::plan::matching`]), whole only when an entry changes it;
//! its share of the holders of the options the plan removes; and the
//! company it links to, when an entry sets that company's id.

use std::collections::HashSet;

use serde_json::Value;

use super::{LiveState, ReadStrategy};
use crate::api::Person;
use crate::api::object::ObjectSlug;
use crate::company::ID_FIELD;
use crate::manifest::Entry;
use crate::plan::matching::Matcher;
use crate::plan::{AttributePlan, CompanyPlan};

/// Takes the live people as they are read and keeps what the plan needs.
pub struct Collector<'e> {
    matcher: Matcher<'e, Person>,
    /// The plan's attributes, when it removes options of the people's:
    /// every live person's values are counted.
    holders: Option<&'e mut AttributePlan>,
    /// The `companyId`s the entries set.
    wanted: HashSet<String>,
    /// Those of them that a live person read links to (so the company
    /// exists).
    linked: HashSet<String>,
}

impl<'e> Collector<'e> {
    /// For the plan of `entries`, against the plan of the companies
    /// (`companies`: a link by domain is compared by id), counting into
    /// `attributes` the people holding each option it removes.
    pub fn new(
        entries: &'e [Entry],
        companies: &'e CompanyPlan,
        attributes: &'e mut AttributePlan,
    ) -> Self {
        let counts = attributes.removes_options_of(ObjectSlug::People);
        let wanted = entries
            .iter()
            .filter_map(|entry| match entry.fields.get(ID_FIELD)? {
                Value::String(id) => Some(id),
                _ => None,
            })
            .collect();
        Collector {
            matcher: Matcher::new(entries, companies),
            holders: counts.then_some(attributes),
            wanted,
            linked: HashSet::new(),
        }
    }

    /// Whether every live person must be read: the plan counts who holds
    /// an option it removes.
    pub fn counts_holders(&self) -> bool {
        self.holders.is_some()
    }

    /// Takes one page of people (or one search's answer), in the API's
    /// order; a person read before is not taken again.
    pub fn page(&mut self, people: Vec<Person>) {
        for person in people {
            let Some(ordinal) = self.matcher.admit(&person.id) else {
                continue;
            };
            if let Some(attributes) = self.holders.as_deref_mut() {
                let values = std::iter::once(&person.custom_attributes);
                attributes.count_holders(ObjectSlug::People, values);
            }
            if let Some(company) = &person.company
                && self.wanted.contains(&company.id)
                && !self.linked.contains(&company.id)
            {
                self.linked.insert(company.id.clone());
            }
            self.matcher.add(ordinal, person);
        }
    }

    /// What was kept, of the `total` people the CRM holds, read the way
    /// `strategy` says.
    pub fn finish(self, total: u64, strategy: ReadStrategy) -> LiveState {
        LiveState {
            matches: self.matcher.finish(),
            linked_companies: self.linked,
            total,
            strategy,
        }
    }
}
