//! The company checks of a file: one link per entry, domains that are host
//! names, and no domain declared twice.

use super::*;

/// An entry (or a `defaults` mapping) may link its company by `company` or
/// by `companyId`, not both; a `company` domain must be a host name.
pub(super) fn check_company_keys(
    spans: &Spans,
    mapping: Option<&Map<String, Value>>,
    source: &SourceText,
    at: &str,
    problems: &mut Vec<Problem>,
) {
    let Some(mapping) = mapping.filter(|m| m.contains_key(company::LINK_FIELD)) else {
        return;
    };
    let span = |key: &str| spans.get(&format!("{at}/{key}"));
    if let (Some(link), Some(id)) = (span(company::LINK_FIELD), span(company::ID_FIELD)) {
        problems.push(
            Problem::new(ManifestError::CompanyTwice)
                .at(source, link.key.clone().unwrap_or(link.value.clone()))
                .label("company by domain")
                .also(
                    source,
                    id.key.clone().unwrap_or(id.value.clone()),
                    "and by id",
                ),
        );
    }
    if let (Some(Value::String(domain)), Some(span)) =
        (mapping.get(company::LINK_FIELD), span(company::LINK_FIELD))
    {
        push_domain_problem(domain, source, span.value.clone(), problems);
    }
}

/// Records why `domain` is not a company domain, if it is not one.
pub(super) fn push_domain_problem(
    domain: &str,
    source: &SourceText,
    span: Range<usize>,
    problems: &mut Vec<Problem>,
) {
    if let Some(reason) = company::domain_problem(domain) {
        problems.push(
            Problem::new(ManifestError::BadDomain {
                domain: domain.to_string(),
                reason: reason.to_string(),
            })
            .at(source, span)
            .label("not a domain"),
        );
    }
}

/// Two declarations of one domain (ignoring case), in one file or across
/// files, name both places.
pub(super) fn check_company_domains(companies: &[LoadedCompany], problems: &mut Vec<Problem>) {
    let twice = repeats(companies, |c| company::domain_key(&c.declaration.domain));
    for (company, earlier) in twice {
        problems.push(
            Problem::new(ManifestError::DuplicateCompany {
                domain: company.declaration.domain.clone(),
            })
            .at(&company.source, company.span.clone())
            .label("declared again")
            .also(&earlier.source, earlier.span.clone(), "first declared here"),
        );
    }
}

/// Each item whose `key` an earlier item has, with the first such item.
pub(super) fn repeats<'a, T, K: Eq + std::hash::Hash>(
    items: &'a [T],
    key: impl Fn(&'a T) -> K,
) -> Vec<(&'a T, &'a T)> {
    let mut first: HashMap<K, &T> = HashMap::new();
    items
        .iter()
        .filter_map(|item| match first.get(&key(item)) {
            Some(earlier) => Some((item, *earlier)),
            None => {
                first.insert(key(item), item);
                None
            }
        })
        .collect()
}
