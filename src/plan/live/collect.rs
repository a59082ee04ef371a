//! What a plan keeps of each live person as it is read, page by page: its
//! match ([`crate::plan::matching`]), whole only when an entry changes it;
//! its share of the holders of the options the plan removes; and the
//! company it links to, when an entry sets that company's id.
//!
//! Whether an entry changes its person depends on the plan of the
//! companies (a link by domain is compared by the company's id), which is
//! read alongside the people: pages that come before it wait.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde_json::Value;

use super::{LiveState, ReadStrategy};
use crate::api::Person;
use crate::api::object::ObjectSlug;
use crate::company::ID_FIELD;
use crate::manifest::Entry;
use crate::plan::matching::{Matcher, Ordinal};
use crate::plan::{AttributePlan, CompanyPlan};

/// Takes the live people as they are read and keeps what the plan needs.
pub struct Collector<'e> {
    matcher: Matcher<'e, Person>,
    /// The plan of the companies, once they are read.
    companies: &'e OnceLock<CompanyPlan>,
    /// The people read before it, in order, not matched yet.
    waiting: Vec<(Ordinal, Person)>,
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
    /// For the plan of `entries`, against the plan of the companies once
    /// `companies` holds it, counting into `attributes` the people holding
    /// each option it removes.
    pub fn new(
        entries: &'e [Entry],
        companies: &'e OnceLock<CompanyPlan>,
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
            matcher: Matcher::new(entries),
            companies,
            waiting: Vec::new(),
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
            match self.companies.get() {
                Some(companies) => {
                    self.match_waiting(companies);
                    self.matcher.add(ordinal, person, companies);
                }
                None => self.waiting.push((ordinal, person)),
            }
        }
    }

    fn match_waiting(&mut self, companies: &CompanyPlan) {
        for (ordinal, person) in self.waiting.drain(..) {
            self.matcher.add(ordinal, person, companies);
        }
    }

    /// What was kept, of the `total` people the CRM holds, read the way
    /// `strategy` says, once the companies are planned (unplanned, no
    /// person's link by domain is the same).
    pub fn finish(mut self, total: u64, strategy: ReadStrategy) -> LiveState {
        let unplanned = CompanyPlan::default();
        let companies = self.companies.get().unwrap_or(&unplanned);
        self.match_waiting(companies);
        LiveState {
            matches: self.matcher.finish(),
            linked_companies: self.linked,
            total,
            strategy,
        }
    }
}
