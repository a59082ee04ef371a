//! The companies endpoints, read the way zeeg's client reads them: the list
//! envelope, a read by id, `search` by domain in another case, and whether a
//! person's `company` shows the company as it is now. Plan reads companies
//! when the files declare them or link people to them by domain, and import
//! names companies from a person's `company`.

use serde_json::Value;

use crate::api::assumed::{COMPANIES_PATH, COUNT_PARAM, MAX_PAGE_SIZE, PAGE_PARAM, SEARCH_PARAM};
use crate::api::{ApiError, Company, CompanyEnvelope, ListResponse};

use super::list::Listed;
use super::listed::id_of;
use super::lookup::swap_case;
use super::probe::{Answer, Probe};
use super::{Check, Outcome, Reliance, Section, Spec, copes, differs, not_checked, ok, printable};
use crate::plural::counted;

pub const LIST: Spec = Spec {
    id: "companies.list",
    section: Section::Companies,
    expected: "GET /crm/companies answers the list envelope of the people list, of companies {id, name, domain, createdAt, updatedAt}",
    reliance: Reliance::Relied,
};

/// Plan reads by id each `companyId` of the files that it has not seen, to
/// learn whether it exists: an answer it cannot read stops it, but which
/// company comes back does not matter to it.
pub const GET: Spec = Spec {
    id: "companies.get",
    section: Section::Companies,
    expected: "GET /crm/companies/{id} answers {success, status, company} with the company the list shows",
    reliance: Reliance::Partly,
};

/// Plan searches the files' domains in lower case when that is cheaper than
/// listing: a company it does not find is planned as new, or its domain
/// refused as unknown.
pub const SEARCH: Spec = Spec {
    id: "companies.search",
    section: Section::Companies,
    expected: "search=DOMAIN finds the company with that domain, ignoring case",
    reliance: Reliance::Relied,
};

/// Import names companies from a person's `company`: a name from before a
/// rename is written to the files, and apply would rename the company back.
pub const CURRENT: Spec = Spec {
    id: "people.company.current",
    section: Section::Companies,
    expected: "a person's company shows the name and domain that GET /crm/companies/{id} has now",
    reliance: Reliance::Relied,
};

/// What plan does when it cannot read the companies it needs.
const PLAN_STOPS: &str =
    "plan stops at this request when the files declare companies or link people to them by domain";

/// What plan does when a read by id fails: it reads so each `companyId` of
/// the files that no company or person it read shows.
const READ_BY_ID: &str = "plan reads by id each companyId of the files that it has not seen: an answer like this stops it, or (a 404) refuses the entry's companyId as unknown";

pub(crate) async fn run(
    probe: &mut Probe,
    listed: Option<&Listed>,
    checks: &mut Vec<Check>,
) -> Result<(), ApiError> {
    let query = [
        (PAGE_PARAM, "1".to_string()),
        (COUNT_PARAM, MAX_PAGE_SIZE.to_string()),
    ];
    let answer = probe.get(COMPANIES_PATH, &query).await?;
    let page = judge_list(&answer, checks);
    let first = page.as_ref().and_then(|p| p.collection.first());
    checks.push(GET.with(match first {
        Some(company) => judge_get(probe, company).await?,
        None => not_checked(no_company(&page)),
    }));
    let with_domain = page.as_ref().and_then(|p| {
        p.collection
            .iter()
            .find(|c| has_letters(c.domain.as_deref()))
    });
    checks.push(SEARCH.with(match with_domain {
        Some(company) => judge_search(probe, company).await?,
        None if first.is_some() => not_checked("no listed company has a domain with letters"),
        None => not_checked(no_company(&page)),
    }));
    checks.push(CURRENT.with(judge_current(probe, listed).await?));
    Ok(())
}

fn no_company(page: &Option<ListResponse<Company>>) -> &'static str {
    match page {
        None => "the list could not be read (see companies.list)",
        Some(_) => "the workspace holds no companies",
    }
}

fn has_letters(domain: Option<&str>) -> bool {
    domain.is_some_and(|d| d.chars().any(|c| c.is_ascii_alphabetic()))
}

/// The list as the client reads it, or why not.
fn judge_list(answer: &Answer, checks: &mut Vec<Check>) -> Option<ListResponse<Company>> {
    let request = "GET /crm/companies";
    if !(200..300).contains(&answer.status) {
        checks.push(LIST.with(differs(
            format!("{request} answered {}", answer.status),
            PLAN_STOPS,
        )));
        return None;
    }
    match answer.decode::<ListResponse<Company>>() {
        Ok(page) => {
            checks.push(LIST.with(ok(format!(
                "{request} answered {} with the list envelope ({})",
                answer.status,
                counted(page.pagination.total as usize, "company", "companies")
            ))));
            Some(page)
        }
        Err(error) => {
            checks.push(LIST.with(differs(
                format!(
                    "{request} answered {} with a body zeeg cannot read: {}",
                    answer.status,
                    printable(&error.to_string())
                ),
                PLAN_STOPS,
            )));
            None
        }
    }
}

async fn judge_get(probe: &mut Probe, listed: &Company) -> Result<Outcome, ApiError> {
    let id = printable(&listed.id);
    let answer = probe.get(&format!("{COMPANIES_PATH}/{id}"), &[]).await?;
    let request = format!("GET /crm/companies/{id}");
    if !(200..300).contains(&answer.status) {
        return Ok(differs(
            format!("{request} answered {}", answer.status),
            READ_BY_ID,
        ));
    }
    Ok(match answer.decode::<CompanyEnvelope>() {
        Ok(envelope) if envelope.company == *listed => ok(format!(
            "{request} answered {} with the company the list shows",
            answer.status
        )),
        Ok(_) => copes(
            format!("{request}: a company other than the list shows"),
            "plan reads a company by id only to learn that it exists",
        ),
        Err(_) => differs(
            format!("{request}: the answer is not {{success, status, company}}"),
            READ_BY_ID,
        ),
    })
}

async fn judge_search(probe: &mut Probe, company: &Company) -> Result<Outcome, ApiError> {
    let id = printable(&company.id);
    let domain = company.domain.as_deref().unwrap_or_default();
    let other_case = swap_case(domain);
    let what = if probe.redact() {
        format!("the domain of company {id} in another case")
    } else {
        format!("{other_case:?}")
    };
    let query = [
        (PAGE_PARAM, "1".to_string()),
        (COUNT_PARAM, MAX_PAGE_SIZE.to_string()),
        (SEARCH_PARAM, other_case),
    ];
    let answer = probe.get(COMPANIES_PATH, &query).await?;
    Ok(match answer.decode::<ListResponse<Company>>() {
        Ok(found) if found.collection.iter().any(|c| c.id == company.id) => {
            ok(format!("search by {what}: company {id} found"))
        }
        Ok(found) => differs(
            format!(
                "search by {what}: {} listed, not company {id}",
                counted(found.collection.len(), "company", "companies")
            ),
            "when the files name fewer domains than there are pages of companies, plan searches each (in lower case): a company it does not find is planned as new, or its domain refused as unknown; apply's assert by domain would still find it",
        ),
        Err(_) => differs(
            format!("search by {what} answered {}", answer.status),
            "plan stops when it searches companies",
        ),
    })
}

/// The first listed person linked to a company, against the company read by id.
async fn judge_current(probe: &mut Probe, listed: Option<&Listed>) -> Result<Outcome, ApiError> {
    let Some(listed) = listed else {
        return Ok(not_checked(
            "the people list could not be read (see people.list.envelope)",
        ));
    };
    let linked = listed.people.iter().find_map(|person| {
        let company = person.get("company")?;
        let company_id = company.get("id")?.as_str()?;
        Some((person, company, company_id))
    });
    let Some((person, link, company_id)) = linked else {
        return Ok(not_checked("no listed person is linked to a company"));
    };
    let (person_id, company_id) = (id_of(person), printable(company_id));
    let answer = probe
        .get(&format!("{COMPANIES_PATH}/{company_id}"), &[])
        .await?;
    let Ok(envelope) = answer.decode::<CompanyEnvelope>() else {
        return Ok(differs(
            format!(
                "person {person_id} is linked to company {company_id}, and GET /crm/companies/{company_id} answered {} without a company",
                answer.status
            ),
            READ_BY_ID,
        ));
    };
    let company = envelope.company;
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    let mut stale = Vec::new();
    if text(link.get("name")) != company.name {
        stale.push("name");
    }
    if text(link.get("domain")) != company.domain {
        stale.push("domain");
    }
    Ok(if stale.is_empty() {
        ok(format!(
            "person {person_id} shows company {company_id} with its current name and domain"
        ))
    } else {
        differs(
            format!(
                "person {person_id} shows company {company_id} with another {} than the company has",
                stale.join(" and ")
            ),
            "import writes the company as the person shows it: a plan of those files then shows a change back to it, which apply would make",
        )
    })
}
