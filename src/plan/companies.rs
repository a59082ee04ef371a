//! Declared companies vs live ones: which to create, which to rename, and
//! the live id of every company a person links to by domain.
//!
//! Companies are matched by domain only (ignoring ASCII case, see
//! [`crate::company::domain_key`]), as the API asserts them. Companies that
//! exist live but are not declared are only referenced: a person may link
//! to them, zeeg never changes them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::CompanyProblem;
use super::{Action, FieldChange};
use crate::api::Company;
use crate::company::domain_key;
use crate::manifest::{CompanyDeclaration, Entry, SourceLocation};

/// The company side of a plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompanyPlan {
    /// Whether the files declare or reference companies: only then do the
    /// outputs speak of companies.
    pub involved: bool,
    /// The declared companies to create or rename, in manifest order.
    pub changes: Vec<CompanyChange>,
    /// How many declared companies already match their live company.
    pub unchanged: usize,
    /// The live id of every company the plan involves, by domain key.
    pub live_ids: BTreeMap<String, String>,
}

impl CompanyPlan {
    /// How many changes create a company.
    pub fn creates(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.action == Action::Create)
            .count()
    }

    /// How many changes rename a company.
    pub fn updates(&self) -> usize {
        self.changes.len() - self.creates()
    }
}

/// One declared company to create, or whose name to change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyChange {
    pub action: Action,
    /// Where the company is declared.
    pub source: SourceLocation,
    /// The domain as declared.
    pub domain: String,
    /// The matched live company's id; `None` for a create.
    pub company_id: Option<String>,
    /// The live company's `updatedAt` when the plan was made.
    pub updated_at: Option<String>,
    /// The fields that differ (`name`).
    pub fields: Vec<FieldChange>,
    /// The name to send (`None`: leave it as it is).
    pub name: Option<String>,
}

/// The domain keys the plan needs live: every declared and referenced one,
/// sorted, each once.
pub fn domains_needed(declared: &[CompanyDeclaration], entries: &[Entry]) -> Vec<String> {
    let mut keys: Vec<String> = declared
        .iter()
        .map(|c| domain_key(&c.domain))
        .chain(referenced(entries).map(|(domain, _)| domain_key(domain)))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Every `company: DOMAIN` of the entries and where it is written.
fn referenced(entries: &[Entry]) -> impl Iterator<Item = (&str, &SourceLocation)> {
    entries.iter().filter_map(|entry| {
        let link = entry.company.as_ref()?;
        Some((link.domain.as_deref()?, &link.at))
    })
}

/// Plans the declared companies against `live` (which holds at least every
/// live company with a needed domain) and checks that every referenced
/// domain is declared or live.
pub fn plan_companies(
    declared: &[CompanyDeclaration],
    entries: &[Entry],
    live: &[Company],
) -> Result<CompanyPlan, Vec<CompanyProblem>> {
    // The oldest live company of a domain is the one the assert finds
    // (`assumed::normalize_domain`); `live` is in the API's order.
    let mut by_key: BTreeMap<String, &Company> = BTreeMap::new();
    for company in live {
        if let Some(domain) = &company.domain {
            by_key.entry(domain_key(domain)).or_insert(company);
        }
    }
    let mut plan = CompanyPlan {
        involved: !declared.is_empty() || entries.iter().any(|e| e.company.is_some()),
        ..CompanyPlan::default()
    };
    let mut problems = Vec::new();
    for company in declared {
        let key = domain_key(&company.domain);
        let found = by_key.get(&key).copied();
        if let Some(live) = found {
            plan.live_ids.insert(key, live.id.clone());
        }
        match company_change(company, found) {
            Ok(Some(change)) => plan.changes.push(change),
            Ok(None) => plan.unchanged += 1,
            Err(problem) => problems.push(problem),
        }
    }
    let declared_keys: Vec<String> = declared.iter().map(|c| domain_key(&c.domain)).collect();
    for (domain, at) in referenced(entries) {
        let key = domain_key(domain);
        if let Some(live) = by_key.get(&key) {
            plan.live_ids.insert(key, live.id.clone());
        } else if !declared_keys.contains(&key) {
            let problem = CompanyProblem::UnknownDomain {
                at: at.clone(),
                domain: domain.to_string(),
            };
            // A domain from defaults is wrong once, not once per entry.
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
    }
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(problems)
    }
}

/// What asserting `declared` would change on `live` (a create when `None`).
fn company_change(
    declared: &CompanyDeclaration,
    live: Option<&Company>,
) -> Result<Option<CompanyChange>, CompanyProblem> {
    let change = |action, fields| CompanyChange {
        action,
        source: declared.source.clone(),
        domain: declared.domain.clone(),
        company_id: live.map(|c| c.id.clone()),
        updated_at: live.map(|c| c.updated_at.clone()),
        fields,
        name: declared.name.clone(),
    };
    let name_change = |before: Option<&str>, after: &str| FieldChange {
        path: crate::company::MANAGED_FIELDS[0].to_string(),
        before: before.map_or(serde_json::Value::Null, serde_json::Value::from),
        after: serde_json::Value::from(after),
    };
    match (live, declared.name.as_deref()) {
        (None, None) => Err(CompanyProblem::NoName {
            at: declared.source.clone(),
            domain: declared.domain.clone(),
        }),
        (None, Some(name)) => Ok(Some(change(Action::Create, vec![name_change(None, name)]))),
        (Some(live), Some(name)) if live.name.as_deref() != Some(name) => Ok(Some(change(
            Action::Update,
            vec![name_change(live.name.as_deref(), name)],
        ))),
        (Some(_), _) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;
    use crate::manifest::CompanyLink;
    use crate::plan::testing::entry;

    fn declared(line: usize, domain: &str, name: Option<&str>) -> CompanyDeclaration {
        CompanyDeclaration {
            source: at(line),
            domain: domain.into(),
            name: name.map(str::to_string),
            project_path: PathBuf::from("people.yaml").into(),
        }
    }

    fn at(line: usize) -> SourceLocation {
        SourceLocation {
            file: PathBuf::from("people.yaml").into(),
            line,
            column: 3,
        }
    }

    fn live(id: &str, domain: &str, name: &str) -> Company {
        serde_json::from_value(json!({"id": id, "domain": domain, "name": name,
            "createdAt": "2025-01-15T09:00:00+00:00", "updatedAt": "2025-01-15T09:00:00+00:00"}))
        .unwrap()
    }

    fn linked(line: usize, domain: &str) -> Entry {
        let mut e = entry(
            line,
            "email",
            json!({"firstName": "A", "emails": [format!("a{line}@x.io")]}),
        );
        e.company = Some(Box::new(CompanyLink {
            domain: Some(domain.into()),
            at: at(line + 1),
        }));
        e
    }

    #[test]
    fn declared_companies_are_created_renamed_or_unchanged_by_domain_ignoring_case() {
        let declared = [
            declared(1, "new.example", Some("New")),
            declared(3, "ACME.com", Some("Acme Corp")),
            declared(5, "same.example", Some("Same")),
            declared(7, "nameless.example", None),
        ];
        let live = [
            live("c-acme", "acme.com", "Acme"),
            live("c-same", "same.example", "Same"),
            live("c-nameless", "nameless.example", "Whatever"),
        ];
        let plan = plan_companies(&declared, &[], &live).unwrap();
        assert!(plan.involved);
        assert_eq!((plan.creates(), plan.updates(), plan.unchanged), (1, 1, 2));
        let rename = &plan.changes[1];
        assert_eq!(rename.company_id.as_deref(), Some("c-acme"));
        assert_eq!(rename.fields[0].before, json!("Acme"));
        assert_eq!(rename.fields[0].after, json!("Acme Corp"));
        assert_eq!(plan.live_ids["acme.com"], "c-acme");
    }

    #[test]
    fn an_undeclared_live_company_is_referenced_never_changed() {
        let live = [live("c-ini", "initech.example", "Initech")];
        let plan = plan_companies(&[], &[linked(1, "Initech.example")], &live).unwrap();
        assert!(plan.changes.is_empty());
        assert_eq!(plan.unchanged, 0);
        assert_eq!(plan.live_ids["initech.example"], "c-ini");
    }

    #[test]
    fn a_domain_neither_declared_nor_live_is_an_error_at_the_reference() {
        let problems = plan_companies(&[], &[linked(4, "nowhere.example")], &[]).unwrap_err();
        assert_eq!(
            problems,
            vec![CompanyProblem::UnknownDomain {
                at: at(5),
                domain: "nowhere.example".into()
            }]
        );
        let problems = plan_companies(&[declared(2, "new.example", None)], &[], &[]).unwrap_err();
        assert!(matches!(problems[0], CompanyProblem::NoName { .. }));
    }
}
