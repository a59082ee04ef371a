//! The people list: its envelope and pagination, `count`, pages that neither
//! overlap nor skip, a stable order, and the people it holds.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::api::assumed::{COUNT_PARAM, MAX_PAGE_SIZE, PAGE_PARAM, PEOPLE_PATH, pages_to_read};
use crate::api::{ApiError, Attribute, ListResponse, Person};
use crate::person::SOCIAL_NETWORKS;

use super::listed::{id_of, omittable, primary_email};
use super::probe::{Answer, Probe};
use super::{Check, Outcome, Reliance, Section, Spec, copes, differs, not_checked, ok, printable};
use crate::plural::counted;

mod judge;
mod pages;

use judge::*;
use pages::*;

/// Plan compares these fields with the files: one missing or mistyped is a
/// change on every plan, or a person zeeg cannot read.
pub const PERSON_SHAPE: Spec = Spec {
    id: "people.person",
    section: Section::PersonResource,
    expected: "every listed person has the documented fields: id (a UUID), names, emails (a list), socials (the four networks), customAttributes (an object), company, createdAt and updatedAt (ISO 8601 with an offset)",
    reliance: Reliance::Relied,
};

/// Plan compares the values with the files as JSON: one written another way
/// is a change on every plan.
pub const CUSTOM_VALUES: Spec = Spec {
    id: "people.custom-values",
    section: Section::PersonResource,
    expected: "customAttributes of listed people use the slugs of the schema, each value of its attribute's type",
    reliance: Reliance::Relied,
};

pub const COMPANY_LINK: Spec = Spec {
    id: "people.company",
    section: Section::Companies,
    expected: "a person's company is null or {id, name, domain}",
    reliance: Reliance::Relied,
};

/// zeeg needs `collection`, `total` and `totalPages`; it pages by number and
/// never follows the links, so a list without them is a note.
pub const ENVELOPE: Spec = Spec {
    id: "people.list.envelope",
    section: Section::Reads,
    expected: "GET /crm/people answers {collection: [person…], pagination: {total, count, totalPages, previousPage, currentPage, nextPage}}",
    reliance: Reliance::Partly,
};

/// zeeg reads as many pages as the first page's length and `total` call for
/// ([`crate::api::assumed::pages_to_read`]), so a page shorter or longer than
/// asked costs requests; only pages that leave people unread differ.
pub const COUNT: Spec = Spec {
    id: "people.list.count",
    section: Section::Reads,
    expected: "count is honoured: count=1 lists one person, count=100 lists min(total, 100)",
    reliance: Reliance::Partly,
};

/// Pages that skip people make a wrong plan; zeeg drops people listed twice
/// and never follows the links, so an overlap or a wrong link is a note.
pub const PAGES: Spec = Spec {
    id: "people.list.pages",
    section: Section::Reads,
    expected: "pages neither overlap nor skip: pages 1 and 2 of count=K are the first 2K people of one longer page; totalPages = ⌈total / K⌉; nextPage and previousPage link them",
    reliance: Reliance::Partly,
};

/// Plan reads pages concurrently, so an order that changes between reads can
/// skip people; which order it is does not matter (zeeg matches people by
/// their values, and import sorts what it writes), so a stable order other
/// than oldest first is a note.
pub const ORDER: Spec = Spec {
    id: "people.list.order",
    section: Section::Reads,
    expected: "the order is oldest first (createdAt, then id) and stable: two reads list the same people in the same order",
    reliance: Reliance::Partly,
};

/// What the list checks learned that later checks use.
pub(crate) struct Listed {
    /// The list's total, when it gave one.
    pub total: Option<u64>,
    /// The first page (count=100), in the API's JSON.
    pub people: Vec<Value>,
    /// A person with an email, for search and re-assert.
    pub sample: Option<Value>,
}

/// The first read, which also judges the token: page 1 of count=1.
pub(crate) fn first_query() -> Vec<(&'static str, String)> {
    page_query(1, 1)
}

fn page_query(page: u64, count: u64) -> Vec<(&'static str, String)> {
    vec![
        (PAGE_PARAM, page.to_string()),
        (COUNT_PARAM, count.to_string()),
    ]
}

const UNREADABLE: &str = "the list could not be read (see people.list.envelope)";

pub(crate) async fn run(
    probe: &mut Probe,
    first: &Answer,
    attributes: Option<&[Attribute]>,
    checks: &mut Vec<Check>,
) -> Result<Option<Listed>, ApiError> {
    let page = probe
        .get(PEOPLE_PATH, &page_query(1, u64::from(MAX_PAGE_SIZE)))
        .await?;
    let envelope = judge_envelope(&page);
    let body = page.json();
    let collection = body
        .as_ref()
        .and_then(|b| b.get("collection"))
        .and_then(Value::as_array);
    checks.push(ENVELOPE.with(envelope));
    let Some(people) = collection.cloned() else {
        for spec in [
            &PERSON_SHAPE,
            &CUSTOM_VALUES,
            &COMPANY_LINK,
            &COUNT,
            &PAGES,
            &ORDER,
        ] {
            checks.push(spec.with(not_checked(UNREADABLE)));
        }
        return Ok(None);
    };
    let pagination = |field: &str| {
        body.as_ref()
            .and_then(|b| b.pointer(&format!("/pagination/{field}")))
            .and_then(Value::as_u64)
    };
    let (total, total_pages) = (pagination("total"), pagination("totalPages"));

    checks.push(PERSON_SHAPE.with(judge_people(&people)));
    checks.push(CUSTOM_VALUES.with(match attributes {
        Some(attributes) => judge_custom_values(&people, attributes),
        None => not_checked("the schema could not be read (see people.schema)"),
    }));
    checks.push(COMPANY_LINK.with(judge_companies(&people)));
    let page = PageOf100 {
        listed: people.len(),
        total,
        total_pages,
    };
    checks.push(COUNT.with(judge_count(first, &page)));
    checks.push(PAGES.with(judge_pages(probe, &people, total).await?));
    checks.push(ORDER.with(judge_order(probe, &people).await?));

    Ok(Some(Listed {
        total,
        sample: write_sample(&people),
        people,
    }))
}

/// The person `--write` checks with: one with an email, and preferably a
/// field the omit check can leave out.
fn write_sample(people: &[Value]) -> Option<Value> {
    let with_email = || people.iter().filter(|p| primary_email(p).is_some());
    with_email()
        .find(|p| omittable(p).is_some())
        .or_else(|| with_email().next())
        .cloned()
}

/// The ids of a list answer's collection, in order.
pub(crate) fn ids(answer: &Answer) -> Option<Vec<String>> {
    let body = answer.json()?;
    let collection = body.get("collection")?.as_array()?;
    Some(collection.iter().map(id_of).collect())
}
