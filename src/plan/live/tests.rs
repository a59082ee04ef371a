//! How plans read: the requests they cost, against an in-memory CRM that
//! counts them.

use serde_json::json;

use std::sync::atomic::{AtomicU64, Ordering};

use std::collections::HashSet;

use super::*;
use crate::api::object::ObjectSlug;
use crate::api::{Attribute, Company, ObjectSchema};
use crate::plan::testing::{entry, person};
use crate::plan::{AttributePlan, CompanyPlan};

/// An in-memory CRM that answers plan's reads and counts the requests the
/// API would have needed for them (a list costs one per page).
struct CountingCrm {
    people: Vec<Person>,
    companies: Vec<Company>,
    requests: AtomicU64,
    searches: AtomicU64,
}

impl CountingCrm {
    fn new(people: Vec<Person>) -> CountingCrm {
        CountingCrm {
            people,
            companies: Vec::new(),
            requests: AtomicU64::new(0),
            searches: AtomicU64::new(0),
        }
    }

    fn count(&self, requests: u64) {
        self.requests.fetch_add(requests, Ordering::Relaxed);
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl LiveSource for CountingCrm {
    async fn object_schema_of(&self, object: ObjectSlug) -> Result<ObjectSchema, ApiError> {
        self.count(1);
        Ok(ObjectSchema {
            slug: object.as_str().into(),
            attributes: Vec::new(),
        })
    }

    async fn total(&self) -> Result<u64, ApiError> {
        self.count(1);
        Ok(self.people.len() as u64)
    }

    async fn list_pages(&self, mut visit: impl FnMut(Vec<Person>) + Send) -> Result<(), ApiError> {
        let pages = (self.people.len() as u64).div_ceil(u64::from(MAX_PAGE_SIZE));
        self.count(pages.max(1));
        for page in self.people.chunks(MAX_PAGE_SIZE as usize) {
            visit(page.to_vec());
        }
        Ok(())
    }

    async fn search(&self, text: &str) -> Result<Vec<Person>, ApiError> {
        self.count(1);
        self.searches.fetch_add(1, Ordering::Relaxed);
        let text = text.to_lowercase();
        let holds = |value: &str| value.to_lowercase().contains(&text);
        Ok(self
            .people
            .iter()
            .filter(|p| {
                ["firstName", "lastName", "phoneNumber"]
                    .iter()
                    .any(|f| p.scalar(f).is_some_and(holds))
                    || p.emails.iter().any(|e| holds(e))
            })
            .cloned()
            .collect())
    }

    async fn companies_total(&self) -> Result<u64, ApiError> {
        self.count(1);
        Ok(self.companies.len() as u64)
    }

    async fn list_companies(&self) -> Result<Vec<Company>, ApiError> {
        let pages = (self.companies.len() as u64).div_ceil(u64::from(MAX_PAGE_SIZE));
        self.count(pages.max(1));
        Ok(self.companies.clone())
    }

    async fn search_companies(&self, text: &str) -> Result<Vec<Company>, ApiError> {
        self.count(1);
        self.searches.fetch_add(1, Ordering::Relaxed);
        let text = text.to_lowercase();
        let holds = |value: &Option<String>| {
            value
                .as_deref()
                .is_some_and(|v| v.to_lowercase().contains(&text))
        };
        Ok(self
            .companies
            .iter()
            .filter(|c| holds(&c.name) || holds(&c.domain))
            .cloned()
            .collect())
    }

    async fn company(&self, id: &str) -> Result<Option<Company>, ApiError> {
        self.count(1);
        Ok(self.companies.iter().find(|c| c.id == id).cloned())
    }
}

fn live_companies(n: usize) -> Vec<Company> {
    (0..n)
        .map(|i| {
            serde_json::from_value(
                json!({"id": format!("c-{i}"), "name": format!("Company {i}"),
                "domain": format!("c{i}.example"), "createdAt": "2025-01-15T09:00:00+00:00",
                "updatedAt": "2025-01-15T09:00:00+00:00"}),
            )
            .unwrap()
        })
        .collect()
}

fn read_companies(crm: &CountingCrm, domains: &[String]) -> LiveCompanies {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime
        .block_on(read_live_companies(crm, domains, false))
        .unwrap()
}

#[test]
fn only_company_ids_no_live_read_links_to_are_looked_up_each_once() {
    let mut crm = CountingCrm::new(Vec::new());
    crm.companies = live_companies(3);
    let linked = person(
        "p-1",
        json!({"emails": ["a@x.io"], "company": {"id": "c-0", "name": "Company 0"}}),
    );
    let with_id = |line: usize, id: &str| {
        entry(
            line,
            "email",
            json!({"emails": [format!("p{line}@x.io")], "companyId": id}),
        )
    };
    let entries = vec![
        with_id(2, "c-0"),
        with_id(5, "c-1"),
        with_id(8, "nowhere"),
        with_id(11, "nowhere"),
        entry(
            14,
            "email",
            json!({"emails": ["q@x.io"], "companyId": null}),
        ),
    ];
    let elsewhere = person(
        "p-2",
        json!({"emails": ["b@x.io"], "company": {"id": "c-9", "name": "Company 9"}}),
    );
    let companies = std::sync::OnceLock::from(CompanyPlan::default());
    let mut attributes = AttributePlan::default();
    let mut collector = Collector::new(&entries, &companies, &mut attributes);
    collector.page(vec![linked, elsewhere]);
    let state = collector.finish(2, ReadStrategy::List);
    let only_c0: HashSet<String> = HashSet::from(["c-0".into()]);
    assert_eq!(state.linked_companies, only_c0, "only the ids entries set");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let unknown = runtime
        .block_on(unknown_company_ids(
            &crm,
            &entries,
            &state.linked_companies,
            &crm.companies[2..],
        ))
        .unwrap();
    let lines: Vec<(&str, usize)> = unknown
        .iter()
        .map(|(id, at)| (id.as_str(), at.line))
        .collect();
    assert_eq!(lines, [("nowhere", 8)]);
    // c-0 is linked, c-2 was read: only c-1 and `nowhere` cost a request.
    assert_eq!(crm.requests(), 2);
}

#[test]
fn few_domains_are_searched_many_are_listed_and_none_cost_nothing() {
    let mut crm = CountingCrm::new(Vec::new());
    crm.companies = live_companies(5_000);
    let none = read_companies(&crm, &[]);
    assert_eq!((none.strategy, crm.requests()), (None, 0));

    // c1.example also finds c10…c19 and more by substring: only c1 is kept.
    let few: Vec<String> = ["c1.example", "C7.EXAMPLE", "gone.example"]
        .map(crate::company::domain_key)
        .to_vec();
    let found = read_companies(&crm, &few);
    assert_eq!(found.strategy, Some(ReadStrategy::Search));
    assert_eq!(crm.requests(), 1 + 3, "the total, then a search per domain");
    let mut ids: Vec<&str> = found.companies.iter().map(|c| c.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["c-1", "c-7"]);

    let mut crm = CountingCrm::new(Vec::new());
    crm.companies = live_companies(5_000);
    let many: Vec<String> = (0..60).map(|i| format!("c{i}.example")).collect();
    let found = read_companies(&crm, &many);
    assert_eq!(found.strategy, Some(ReadStrategy::List));
    assert_eq!(crm.requests(), 1 + 50, "the total, then 50 pages");
    assert_eq!(found.companies.len(), 60);
}

fn live_people(n: usize) -> Vec<Person> {
    (0..n)
        .map(|i| {
            person(
                &format!("id-{i}"),
                json!({"firstName": format!("P{i}"), "emails": [format!("p{i}@acme.com")],
                       "phoneNumber": format!("+4930100{i:03}")}),
            )
        })
        .collect()
}

fn read(crm: &CountingCrm, entries: &[Entry]) -> LiveState {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let companies = std::sync::OnceLock::from(CompanyPlan::default());
    let mut attributes = AttributePlan::default();
    runtime
        .block_on(async {
            let total = crm.total().await?;
            let mut collector = Collector::new(entries, &companies, &mut attributes);
            let strategy = choose_strategy(entries, total);
            let strategy = read_people(crm, entries, total, strategy, &mut collector).await?;
            Ok::<_, ApiError>(collector.finish(total, strategy))
        })
        .unwrap()
}

/// The ids of the people read, in the order read.
fn ids_read(state: &LiveState) -> Vec<&str> {
    (0..state.read())
        .map(|o| state.matches.id(o as u32))
        .collect()
}

#[test]
fn entries_as_many_as_pages_are_listed_and_fewer_are_searched() {
    let crm = CountingCrm::new(live_people(5_000));
    let state = read(&crm, &entries(50, "email"));
    assert_eq!(
        state.strategy,
        ReadStrategy::List,
        "50 entries cost as much as 50 pages"
    );
    assert_eq!(state.read(), 5_000);
    assert_eq!(state.kept(), 0, "people no entry changes are let go");
    assert!(crm.requests() <= 60, "{} read requests", crm.requests());

    let crm = CountingCrm::new(live_people(5_000));
    let state = read(&crm, &entries(20, "email"));
    assert_eq!(state.strategy, ReadStrategy::Search);
    assert!(crm.requests() <= 22, "{} read requests", crm.requests());
    assert_eq!(state.read(), 20, "each entry's person, once");
}

#[test]
fn as_many_entries_as_people_are_listed_page_by_page() {
    let crm = CountingCrm::new(live_people(2_000));
    let state = read(&crm, &entries(2_000, "email"));
    assert_eq!(state.strategy, ReadStrategy::List);
    assert_eq!(crm.searches.load(Ordering::Relaxed), 0);
    assert!(crm.requests() <= 22, "{} read requests", crm.requests());
}

#[test]
fn phone_and_email_identities_are_searched_once_each() {
    let crm = CountingCrm::new(live_people(1_000));
    let wanted = [
        entry(1, "email", json!({"emails": ["P7@acme.com"]})),
        entry(2, "email", json!({"emails": ["p7@acme.com"]})),
        entry(3, "phone_number", json!({"phoneNumber": "+4930100042"})),
    ];
    let state = read(&crm, &wanted);
    assert_eq!(state.strategy, ReadStrategy::Search);
    assert_eq!(
        crm.searches.load(Ordering::Relaxed),
        2,
        "one search per identity"
    );
    assert!(crm.requests() <= 4, "{} read requests", crm.requests());
    let mut ids = ids_read(&state);
    ids.sort();
    assert_eq!(ids, ["id-42", "id-7"]);
}

#[test]
fn an_empty_crm_is_not_read_further() {
    let crm = CountingCrm::new(Vec::new());
    let state = read(&crm, &entries(3, "email"));
    assert_eq!(state.read(), 0);
    assert_eq!(crm.requests(), 1, "the total only");
}

fn entries(n: usize, slug: &str) -> Vec<Entry> {
    (0..n)
        .map(|i| match slug {
            "email" => entry(i, slug, json!({"emails": [format!("p{i}@acme.com")]})),
            _ => entry(i, slug, json!({"customAttributes": {slug: i}})),
        })
        .collect()
}

#[test]
fn few_entries_against_many_people_are_searched() {
    assert_eq!(
        choose_strategy(&entries(49, "email"), 5_000),
        ReadStrategy::Search
    );
    assert_eq!(
        choose_strategy(&entries(50, "email"), 5_000),
        ReadStrategy::List
    );
    assert_eq!(
        choose_strategy(&entries(2_000, "email"), 2_000),
        ReadStrategy::List
    );
    assert_eq!(choose_strategy(&entries(0, "email"), 0), ReadStrategy::List);
}

#[test]
fn custom_attribute_identities_cannot_be_searched() {
    assert_eq!(
        choose_strategy(&entries(1, "employee_id"), 100_000),
        ReadStrategy::List
    );
}

fn attribute(key: &str, standard: bool, archived: bool) -> Attribute {
    Attribute {
        key: key.into(),
        label: key.into(),
        kind: "text".into(),
        is_standard: standard,
        is_unique: false,
        is_required: false,
        is_archived: archived,
        options: Vec::new(),
    }
}

#[test]
fn unknown_and_archived_custom_attributes_name_slug_and_place() {
    let schema = ObjectSchema {
        slug: "people".into(),
        attributes: vec![
            attribute("first_name", true, false),
            attribute("customer_tier", false, false),
            attribute("legacy", false, true),
        ],
    };
    let entries = [
        entry(
            3,
            "email",
            json!({"emails": ["a@b.c"], "customAttributes": {"customer_tier": "gold", "custmer_tier": "x"}}),
        ),
        entry(9, "legacy", json!({"customAttributes": {"legacy": 1}})),
    ];
    let Err(LiveError::CustomAttributes { problems }) = check_custom_attributes(&entries, &schema)
    else {
        panic!("expected unknown attributes")
    };
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        vec![
            "people.yaml:5:7: the workspace has no custom attribute `custmer_tier`",
            "people.yaml:10:7: the workspace has no active custom attribute `legacy`",
        ]
    );
    let CustomAttributeProblem::Unknown(first) = &problems[0] else {
        panic!("expected an unknown attribute")
    };
    assert!(first.help.contains("did you mean `customer_tier`"));
    assert!(check_custom_attributes(&entries[..0], &schema).is_ok());
}

#[test]
fn people_read_before_the_companies_are_planned_wait_for_that_plan() {
    let mut linked = entry(1, "email", json!({"emails": ["ann@acme.com"]}));
    linked.company = Some(Box::new(crate::manifest::CompanyLink {
        domain: Some("acme.com".into()),
        at: linked.source.clone(),
    }));
    let entries = [
        linked,
        entry(4, "email", json!({"emails": ["bob@acme.com"]})),
    ];
    let ann = person(
        "p-ann",
        json!({"emails": ["ann@acme.com"], "company": {"id": "c-1", "domain": "acme.com"}}),
    );
    let bob = person("p-bob", json!({"emails": ["bob@acme.com"]}));
    let companies = std::sync::OnceLock::new();
    let mut attributes = AttributePlan::default();
    let mut collector = Collector::new(&entries, &companies, &mut attributes);
    collector.page(vec![ann]);
    let plan = CompanyPlan {
        involved: true,
        live_ids: [("acme.com".to_string(), "c-1".to_string())].into(),
        ..CompanyPlan::default()
    };
    companies.set(plan).unwrap();
    collector.page(vec![bob]);
    let state = collector.finish(2, ReadStrategy::List);
    // Against no companies, Ann's link would have differed and kept her.
    assert_eq!((state.read(), state.kept()), (2, 0));
    let found = state.matches.resolve(&entries).unwrap();
    assert!(found.iter().all(|f| f.person.is_some() && f.kept.is_none()));
}
