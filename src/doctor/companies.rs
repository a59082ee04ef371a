//! The companies endpoints. This zeeg does not use them yet, so they are
//! probed for the record and never judged.

use serde_json::Value;

use crate::api::ApiError;
use crate::api::assumed::COMPANIES_PATH;

use super::probe::Probe;
use super::{Check, Outcome, Section, Spec, count, printable};

pub const LIST: Spec = Spec {
    id: "companies.list",
    section: Section::Companies,
    expected: "GET /crm/companies answers the list envelope of the people list",
};

pub const GET: Spec = Spec {
    id: "companies.get",
    section: Section::Companies,
    expected: "GET /crm/companies/{id} answers {success, status, company: {id, name, domain, createdAt, updatedAt}}",
};

const UNUSED: &str = "this zeeg does not use companies yet";

pub(crate) async fn run(probe: &mut Probe, checks: &mut Vec<Check>) -> Result<(), ApiError> {
    let query = [("page", "1".to_string()), ("count", "1".to_string())];
    let list = probe.get(COMPANIES_PATH, &query).await?;
    let body = list.json();
    let shape = body.as_ref().and_then(|b| {
        let collection = b.get("collection")?.as_array()?;
        let total = b.pointer("/pagination/total")?.as_u64()?;
        Some((collection.first().cloned(), total))
    });
    let observed = match &shape {
        Some((_, total)) => format!(
            "GET /crm/companies answered {} with the list envelope ({})",
            list.status,
            count(*total as usize, "company", "companies")
        ),
        None => format!("GET /crm/companies answered {}", list.status),
    };
    checks.push(LIST.with(unused(observed)));

    let first_id = shape
        .and_then(|(first, _)| first)
        .and_then(|c| c.get("id").and_then(Value::as_str).map(printable));
    let observed = match first_id {
        Some(id) => {
            let answer = probe.get(&format!("{COMPANIES_PATH}/{id}"), &[]).await?;
            let has_company = answer
                .json()
                .is_some_and(|b| b.get("company").is_some_and(Value::is_object));
            Some(format!(
                "GET /crm/companies/{id} answered {}{}",
                answer.status,
                if has_company { " with a company" } else { "" }
            ))
        }
        None => None,
    };
    checks.push(GET.with(Outcome::NotChecked {
        reason: UNUSED.to_string(),
        observed,
    }));
    Ok(())
}

fn unused(observed: String) -> Outcome {
    Outcome::NotChecked {
        reason: UNUSED.to_string(),
        observed: Some(observed),
    }
}
