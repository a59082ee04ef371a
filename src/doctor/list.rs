//! The people list: its envelope and pagination, `count`, pages that neither
//! overlap nor skip, a stable order, and the people it holds.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::api::assumed::{COUNT_PARAM, MAX_PAGE_SIZE, PAGE_PARAM, PEOPLE_PATH, pages_to_read};
use crate::api::{ApiError, Attribute, ListResponse, Person};
use crate::person::SOCIAL_NETWORKS;

use super::listed::{id_of, omittable, primary_email};
use super::probe::{Answer, Probe};
use super::{
    Check, Outcome, Reliance, Section, Spec, copes, count, differs, not_checked, ok, printable,
};

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
    let Some(people) = collection.cloned() else {
        checks.push(ENVELOPE.with(envelope));
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
    checks.push(ENVELOPE.with(envelope));
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

    // A person with an email, and preferably a field the omit check of
    // `--write` can leave out.
    let with_email = || people.iter().filter(|p| primary_email(p).is_some());
    let sample = with_email()
        .find(|p| omittable(p).is_some())
        .or_else(|| with_email().next())
        .cloned();
    Ok(Some(Listed {
        total,
        people,
        sample,
    }))
}

/// The ids of a list answer's collection, in order.
pub(crate) fn ids(answer: &Answer) -> Option<Vec<String>> {
    let body = answer.json()?;
    let collection = body.get("collection")?.as_array()?;
    Some(collection.iter().map(id_of).collect())
}

const PAGINATION_FIELDS: &[(&str, Kind)] = &[
    ("total", Kind::Number),
    ("count", Kind::Number),
    ("totalPages", Kind::Number),
    ("previousPage", Kind::Link),
    ("currentPage", Kind::Number),
    ("nextPage", Kind::Link),
];

#[derive(Clone, Copy)]
enum Kind {
    Number,
    Link,
}

fn judge_envelope(page: &Answer) -> Outcome {
    if !(200..300).contains(&page.status) {
        return differs(
            format!("GET /crm/people?page=1&count=100 answered {}", page.status),
            "plan, apply and import stop at their first list request",
        );
    }
    let Some(body) = page.json() else {
        return differs("the body is not JSON", cannot_read());
    };
    let mut problems = Vec::new();
    if !body.get("collection").is_some_and(Value::is_array) {
        problems.push("no `collection` list".to_string());
    }
    let mut extra = Vec::new();
    match body.get("pagination").and_then(Value::as_object) {
        None => problems.push("no `pagination` object".to_string()),
        Some(pagination) => {
            let missing: Vec<&str> = PAGINATION_FIELDS
                .iter()
                .filter(|(name, kind)| !fits(pagination.get(*name), *kind))
                .map(|(name, _)| *name)
                .collect();
            if !missing.is_empty() {
                problems.push(format!(
                    "pagination lacks (or mistypes) {}",
                    missing.join(", ")
                ));
            }
            extra = pagination
                .keys()
                .filter(|k| !PAGINATION_FIELDS.iter().any(|(name, _)| name == k))
                .map(|k| printable(k))
                .collect();
        }
    }
    let extra_note = if extra.is_empty() {
        String::new()
    } else {
        format!("; pagination also has {}", extra.join(", "))
    };
    if problems.is_empty() {
        let total = body.pointer("/pagination/total").and_then(Value::as_u64);
        let pages = body
            .pointer("/pagination/totalPages")
            .and_then(Value::as_u64);
        return ok(format!(
            "collection and the six pagination fields (total {}, totalPages {}){extra_note}",
            total.unwrap_or(0),
            pages.unwrap_or(0)
        ));
    }
    let observed = format!("{}{extra_note}", problems.join("; "));
    match page.decode::<ListResponse<Person>>() {
        Ok(_) => copes(
            observed,
            "zeeg reads this list anyway: it pages by totalPages and does not need the links",
        ),
        Err(_) => differs(observed, cannot_read()),
    }
}

fn cannot_read() -> String {
    "zeeg cannot read this list: plan, apply and import stop with \"the API answered GET /crm/people with a body zeeg cannot read\"".to_string()
}

fn fits(value: Option<&Value>, kind: Kind) -> bool {
    match (value, kind) {
        (Some(v), Kind::Number) => v.is_u64(),
        (Some(v), Kind::Link) => v.is_null() || v.is_string(),
        (None, _) => false,
    }
}

/// The documented fields of a person and what each must hold.
fn field_problem(person: &Map<String, Value>, field: &str) -> Option<&'static str> {
    let value = person.get(field);
    let text_or_null = |v: Option<&Value>| v.is_some_and(|v| v.is_null() || v.is_string());
    match field {
        "id" => match value.and_then(Value::as_str) {
            Some(id) if uuid::Uuid::parse_str(id).is_ok() => None,
            Some(_) => Some("not a UUID"),
            None => Some("missing"),
        },
        "createdAt" | "updatedAt" => match value.and_then(Value::as_str) {
            Some(at) if at.parse::<jiff::Timestamp>().is_ok() => None,
            Some(_) => Some("not ISO 8601 with an offset"),
            None => Some("missing"),
        },
        "emails" => match value.and_then(Value::as_array) {
            Some(emails) if emails.iter().all(Value::is_string) => None,
            _ => Some("not a list of strings"),
        },
        "socials" => match value.and_then(Value::as_object) {
            Some(socials)
                if SOCIAL_NETWORKS
                    .iter()
                    .all(|n| text_or_null(socials.get(*n))) =>
            {
                None
            }
            _ => Some("not an object of the four networks"),
        },
        "customAttributes" => match value {
            Some(Value::Object(_)) => None,
            _ => Some("not an object"),
        },
        "company" => match value {
            Some(Value::Null) | Some(Value::Object(_)) => None,
            _ => Some("not an object or null"),
        },
        _ => (!text_or_null(value)).then_some("missing or not a string"),
    }
}

/// The fields of a person as the API returns it: the writable ones, with the
/// read-only `company` view where `companyId` is written, the `id` and the
/// timestamps.
fn person_fields() -> impl Iterator<Item = &'static str> {
    std::iter::once("id")
        .chain(crate::person::WRITABLE_FIELDS.iter().map(|&field| {
            if field == "companyId" {
                "company"
            } else {
                field
            }
        }))
        .chain(["createdAt", "updatedAt"])
}

fn judge_people(people: &[Value]) -> Outcome {
    if people.is_empty() {
        return not_checked("the workspace holds no people");
    }
    let mut problems: Vec<(String, &str, usize)> = Vec::new();
    let mut extra: Vec<String> = Vec::new();
    let mut unreadable = 0;
    for person in people {
        let Some(object) = person.as_object() else {
            unreadable += 1;
            continue;
        };
        for field in person_fields() {
            if let Some(problem) = field_problem(object, field) {
                match problems
                    .iter_mut()
                    .find(|(f, p, _)| f == field && *p == problem)
                {
                    Some((_, _, n)) => *n += 1,
                    None => problems.push((field.to_string(), problem, 1)),
                }
            }
        }
        for key in object.keys() {
            if !person_fields().any(|f| f == key) && !extra.contains(key) {
                extra.push(key.clone());
            }
        }
        if serde_json::from_value::<Person>(person.clone()).is_err() {
            unreadable += 1;
        }
    }
    let extra_note = if extra.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = extra.iter().map(|k| printable(k)).collect();
        format!("; also {} (zeeg ignores them)", names.join(", "))
    };
    let listed = count(people.len(), "listed person", "listed people");
    if problems.is_empty() && unreadable == 0 {
        return ok(format!(
            "{listed}, every documented field present{extra_note}"
        ));
    }
    let described: Vec<String> = problems
        .iter()
        .map(|(field, problem, n)| format!("{field} {problem} in {n}"))
        .collect();
    let observed = format!("{listed}: {}{extra_note}", described.join(", "));
    if unreadable > 0 {
        differs(
            format!("{observed}; zeeg cannot read {unreadable} of them"),
            "plan, apply and import stop with \"a body zeeg cannot read\" when they list these people",
        )
    } else {
        differs(
            observed,
            "zeeg reads missing fields as empty: a plan shows fields it manages as changes to make, and apply sends them again each time",
        )
    }
}

fn judge_custom_values(people: &[Value], attributes: &[Attribute]) -> Outcome {
    if people.is_empty() {
        return not_checked("the workspace holds no people");
    }
    let mut values = 0;
    let mut unknown: Vec<String> = Vec::new();
    let mut mistyped: Vec<String> = Vec::new();
    for custom in people
        .iter()
        .filter_map(|p| p.get("customAttributes"))
        .filter_map(Value::as_object)
    {
        for (slug, value) in custom {
            if value.is_null() {
                continue;
            }
            values += 1;
            let attribute = attributes.iter().find(|a| !a.is_standard && &a.key == slug);
            let Some(attribute) = attribute else {
                if !unknown.contains(slug) {
                    unknown.push(slug.clone());
                }
                continue;
            };
            // The rule the plan checks values with, so doctor and plan agree.
            let fits = attribute.check_value(value).is_ok();
            let label = format!("{} ({})", printable(slug), printable(&attribute.kind));
            if !fits && !mistyped.contains(&label) {
                mistyped.push(label);
            }
        }
    }
    let observed = format!(
        "{} in {}",
        count(values, "value", "values"),
        count(people.len(), "listed person", "listed people")
    );
    if unknown.is_empty() && mistyped.is_empty() {
        return ok(observed);
    }
    let mut problems = Vec::new();
    if !unknown.is_empty() {
        let names: Vec<String> = unknown.iter().map(|s| printable(s)).collect();
        problems.push(format!("slugs not in the schema: {}", names.join(", ")));
    }
    if !mistyped.is_empty() {
        problems.push(format!(
            "values their attribute refuses (type, options or length): {}",
            mistyped.join(", ")
        ));
    }
    differs(
        format!("{observed}; {}", problems.join("; ")),
        "plan compares the files' values with these as JSON: a value written another way shows as a change on every plan, and apply sends it again",
    )
}

fn judge_companies(people: &[Value]) -> Outcome {
    if people.is_empty() {
        return not_checked("the workspace holds no people");
    }
    let mut linked = 0;
    let mut bad = 0;
    for company in people.iter().filter_map(|p| p.get("company")) {
        match company {
            Value::Null => {}
            Value::Object(object) => {
                let id_ok = object.get("id").is_some_and(Value::is_string);
                let text = |k: &str| object.get(k).is_some_and(|v| v.is_null() || v.is_string());
                if id_ok && text("name") && text("domain") {
                    linked += 1;
                } else {
                    bad += 1;
                }
            }
            _ => bad += 1,
        }
    }
    let observed = format!(
        "{} of {} linked to a company (compared with GET /crm/companies in people.company.current)",
        linked,
        count(people.len(), "listed person", "listed people")
    );
    if bad == 0 {
        ok(observed)
    } else {
        differs(
            format!("{observed}; {bad} with a company of another shape"),
            "zeeg cannot read these people: plan, apply and import stop with \"a body zeeg cannot read\"",
        )
    }
}

/// What page 1 of count=100 said of the list.
struct PageOf100 {
    listed: usize,
    total: Option<u64>,
    total_pages: Option<u64>,
}

impl PageOf100 {
    /// Whether zeeg, reading from this page by its own rule, reads everyone.
    fn reads_everyone(&self) -> bool {
        let (Some(total), Some(total_pages)) = (self.total, self.total_pages) else {
            return false;
        };
        let listed = self.listed as u64;
        pages_to_read(total, total_pages, listed).saturating_mul(listed) >= total
    }
}

fn judge_count(first: &Answer, page: &PageOf100) -> Outcome {
    let (listed, total) = (page.listed, page.total);
    let first_len = ids(first).map(|ids| ids.len());
    let mut problems = Vec::new();
    let expect_first = total.map(|t| t.min(1) as usize);
    match (first_len, expect_first) {
        (Some(n), Some(want)) if n != want => {
            problems.push(format!("count=1 listed {n}"));
        }
        (Some(n), None) if n > 1 => problems.push(format!("count=1 listed {n}")),
        (None, _) => problems.push("count=1 gave no readable list".to_string()),
        _ => {}
    }
    let want = total.map(|t| t.min(u64::from(MAX_PAGE_SIZE)) as usize);
    match want {
        Some(want) if listed != want => problems.push(format!(
            "count=100 listed {listed} of a total of {}",
            total.unwrap_or(0)
        )),
        None if listed > MAX_PAGE_SIZE as usize => {
            problems.push(format!("count=100 listed {listed}"))
        }
        _ => {}
    }
    if problems.is_empty() {
        return ok(format!(
            "count=1 listed {}, count=100 listed {listed}",
            first_len.unwrap_or(0)
        ));
    }
    // The one small request reads only `total`; the list is read at the
    // page size the server gives, as far as `totalPages` agrees.
    if first_len.is_some() && page.reads_everyone() {
        return copes(
            problems.join("; "),
            format!(
                "zeeg reads the list at the size the server gives: {listed} a page, as many pages as total and totalPages call for, so it costs requests but misses nobody"
            ),
        );
    }
    differs(
        problems.join("; "),
        "plan reads pages 1 to totalPages with count=100: a smaller page than asked for means people past it are missed (shown as new; apply's upsert still matches them by email, so nothing is duplicated)",
    )
}

async fn judge_pages(
    probe: &mut Probe,
    people: &[Value],
    total: Option<u64>,
) -> Result<Outcome, ApiError> {
    if people.len() < 2 {
        return Ok(not_checked(format!(
            "needs at least 2 people; the workspace holds {}",
            people.len()
        )));
    }
    let size = (people.len() / 2) as u64;
    let one = probe.get(PEOPLE_PATH, &page_query(1, size)).await?;
    let two = probe.get(PEOPLE_PATH, &page_query(2, size)).await?;
    let (Some(first), Some(second)) = (ids(&one), ids(&two)) else {
        return Ok(differs(
            format!(
                "count={size}: pages 1 and 2 answered {} and {}",
                one.status, two.status
            ),
            "plan, apply and import stop at the list request that fails",
        ));
    };
    // The pages are judged at the size the server gives, as zeeg reads them:
    // a page other than `count` asked for is people.list.count's to report.
    let given = if first.is_empty() {
        size
    } else {
        first.len() as u64
    };
    let longer: Vec<String> = people.iter().take(2 * given as usize).map(id_of).collect();
    let mut pages = PageFindings::default();
    pages.compare(&first, &second, &longer);
    if let Some(back) = pages.shifted {
        let three = probe.get(PEOPLE_PATH, &page_query(3, size)).await?;
        let next = people.get(first.len() + second.len() - back).map(id_of);
        pages.check_page_three(ids(&three), next);
    }
    let (one, two) = (one.json(), two.json());
    pages.check_total_pages(one.as_ref(), total, given);
    pages.check_links(one.as_ref(), two.as_ref());
    if pages.problems.is_empty() {
        return Ok(ok(format!(
            "count={size}: pages 1 and 2 are the first {} people, in order; totalPages and the links agree",
            2 * size
        )));
    }
    let observed = pages.problems.join("; ");
    Ok(if pages.skipped {
        differs(observed, pages.zeeg_does())
    } else {
        copes(observed, pages.zeeg_does())
    })
}

/// What two pages of the list showed, against the first people of a longer one.
#[derive(Default)]
struct PageFindings {
    problems: Vec<String>,
    /// Page 2 repeats people of page 1.
    overlap: bool,
    /// People are on neither page, or totalPages claims too few.
    skipped: bool,
    /// A nextPage or previousPage link names the wrong page.
    links_wrong: bool,
    /// totalPages claims more pages than total fills.
    too_many_pages: bool,
    /// Page 2 is the window after page 1 moved back by this many people.
    shifted: Option<usize>,
}

impl PageFindings {
    /// Pages 1 and 2 joined should begin with the first people of the longer
    /// list (they hold more only when that list is shorter than asked).
    fn compare(&mut self, first: &[String], second: &[String], longer: &[String]) {
        let joined: Vec<String> = first.iter().chain(second).cloned().collect();
        if joined.starts_with(longer) {
            return;
        }
        let seen: HashSet<&String> = first.iter().collect();
        let repeated = second.iter().filter(|id| seen.contains(id)).count();
        let listed: HashSet<&String> = joined.iter().collect();
        let missing = longer.iter().filter(|id| !listed.contains(id)).count();
        if repeated > 0 {
            self.overlap = true;
            self.problems
                .push(format!("page 2 repeats {repeated} of page 1"));
        }
        // Page 2 starting `repeated` people early leaves as many for page 3:
        // whether they are skipped is page 3's to say.
        let start = first.len().saturating_sub(repeated);
        if repeated > 0
            && missing == repeated
            && longer.get(start..start + second.len()) == Some(second)
        {
            self.shifted = Some(repeated);
        } else if missing > 0 {
            self.skipped = true;
            self.problems.push(format!(
                "{missing} of the first {} are on neither page",
                longer.len()
            ));
        }
        if repeated == 0 && missing == 0 {
            self.problems
                .push("the two pages hold the people in another order".to_string());
        }
    }

    /// After a `shifted` page 2, page 3 should go on with the person after
    /// it, `next`.
    fn check_page_three(&mut self, third: Option<Vec<String>>, next: Option<String>) {
        let Some(back) = self.shifted else {
            return;
        };
        let goes_on = third.and_then(|ids| ids.into_iter().next()) == next;
        if !goes_on {
            self.skipped = true;
            self.problems.push(format!(
                "page 3 does not go on after page 2: {} on no page",
                count(back, "person is", "people are")
            ));
        }
    }

    /// totalPages should be ⌈total / size⌉, `size` being the page length given.
    fn check_total_pages(&mut self, body: Option<&Value>, total: Option<u64>, size: u64) {
        let pages = body
            .and_then(|b| b.pointer("/pagination/totalPages"))
            .and_then(Value::as_u64);
        if let (Some(pages), Some(total)) = (pages, total) {
            let want = total.div_ceil(size).max(1);
            if pages != want {
                self.skipped |= pages < want;
                self.too_many_pages |= pages > want;
                self.problems.push(format!(
                    "totalPages is {pages}, ⌈{total} / {size}⌉ is {want}"
                ));
            }
        }
    }

    /// Page 1's nextPage should name page 2, and page 2's previousPage page 1.
    fn check_links(&mut self, one: Option<&Value>, two: Option<&Value>) {
        let link = |body: Option<&Value>, pointer: &str| {
            body.and_then(|b| b.pointer(pointer))
                .and_then(Value::as_str)
                .map(link_page)
        };
        if link(one, "/pagination/nextPage").is_some_and(|page| page != Some(2)) {
            self.links_wrong = true;
            self.problems
                .push("page 1's nextPage does not name page 2".to_string());
        }
        if link(two, "/pagination/previousPage").is_some_and(|page| page != Some(1)) {
            self.links_wrong = true;
            self.problems
                .push("page 2's previousPage does not name page 1".to_string());
        }
    }

    /// What zeeg does about the worst of the findings.
    fn zeeg_does(&self) -> &'static str {
        if self.skipped {
            "people the pages skip are missing from what plan reads: plan shows them as new, and apply's upsert updates them (it matches by email), so nothing is duplicated, but the plan is wrong"
        } else if self.overlap {
            "plan drops people listed twice (by id), so an overlap costs only requests"
        } else if self.links_wrong {
            "nothing: zeeg pages by number and does not follow the links"
        } else if self.too_many_pages {
            "nothing: zeeg reads no more pages than total fills at the size the first page has"
        } else {
            "plan reads pages concurrently and keeps their order; a different order changes nothing it decides"
        }
    }
}

/// The `page` of a link such as `/v2/crm/people?page=3&count=100`.
fn link_page(link: &str) -> Option<u64> {
    let query = link.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == PAGE_PARAM)
        .and_then(|(_, v)| v.parse().ok())
}

async fn judge_order(probe: &mut Probe, people: &[Value]) -> Result<Outcome, ApiError> {
    if people.len() < 2 {
        return Ok(not_checked(format!(
            "needs at least 2 people; the workspace holds {}",
            people.len()
        )));
    }
    let again = probe
        .get(PEOPLE_PATH, &page_query(1, u64::from(MAX_PAGE_SIZE)))
        .await?;
    let before: Vec<String> = people.iter().map(id_of).collect();
    let Some(after) = ids(&again) else {
        return Ok(differs(
            format!("the second read answered {}", again.status),
            "plan, apply and import stop at the list request that fails",
        ));
    };
    let stable = before == after;
    let key = |p: &Value| {
        let at = p
            .get("createdAt")
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<jiff::Timestamp>().ok());
        (at, id_of(p))
    };
    let out_of_order = people
        .windows(2)
        .position(|pair| key(&pair[0]) > key(&pair[1]));
    let listed = count(people.len(), "person", "people");
    match (stable, out_of_order) {
        (true, None) => Ok(ok(format!(
            "two reads listed the same {listed} in the same order, oldest first"
        ))),
        (false, _) => Ok(differs(
            format!("a second read of page 1 listed {listed} in another order or others"),
            "plan reads pages concurrently and assumes a stable order: people who move between pages while it reads can be missed (shown as new; apply's upsert still matches them) or listed twice (dropped)",
        )),
        (true, Some(at)) => Ok(copes(
            format!(
                "stable, but not oldest first: person {} comes before {}{}",
                id_of(&people[at]),
                id_of(&people[at + 1]),
                if key(&people[at]).0 == key(&people[at + 1]).0 {
                    ", created the same second"
                } else {
                    ""
                }
            ),
            "nothing, while the order stays stable: zeeg matches people by their values, not their place, and import sorts what it writes",
        )),
    }
}
