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

#[cfg(test)]
mod tests {
    use super::super::testing::{manifest, one_problem};

    const ID: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
    const JANE: &str = "  - firstName: Jane\n    emails: [jane@acme.com]\n";

    #[test]
    fn a_domain_declared_twice_in_one_file_names_both_places() {
        let file = "companies:\n  - domain: acme.com\n    name: Acme\n  \
                    - domain: acme.com\n    name: Acme again\n";
        let seen = one_problem(&[("companies.yaml", file)]);
        assert_eq!(
            seen.placed(),
            (
                "the company `acme.com` is declared twice",
                Some("companies.yaml:4"),
                Some("companies.yaml:2")
            )
        );
    }

    #[test]
    fn domains_are_compared_normalised_across_files() {
        let a = "companies:\n  - domain: acme.com\n    name: Acme\n";
        let b = "companies:\n  - domain: ACME.Com\n    name: Acme\n";
        let seen = one_problem(&[("a.yaml", a), ("b.yaml", b)]);
        assert_eq!(
            seen.placed(),
            (
                "the company `ACME.Com` is declared twice",
                Some("b.yaml:2"),
                Some("a.yaml:2")
            )
        );
    }

    #[test]
    fn distinct_domains_are_all_declared() {
        let file = "companies:\n  - domain: acme.com\n    name: Acme\n  \
                    - domain: acme.io\n    name: Acme\n";
        assert_eq!(manifest(&[("companies.yaml", file)]).companies.len(), 2);
    }

    #[test]
    fn a_declared_domain_that_is_no_host_name_is_refused_at_it() {
        let file = "companies:\n  - name: Acme\n    domain: https://acme.com\n";
        let seen = one_problem(&[("companies.yaml", file)]);
        assert_eq!(
            seen.placed(),
            (
                "`https://acme.com` is not a company domain: a domain is a host name, not a URL",
                Some("companies.yaml:3"),
                None
            )
        );
    }

    #[test]
    fn a_company_linked_by_domain_and_by_id_names_both_keys() {
        let file = format!("people:\n{JANE}    company: acme.com\n    companyId: {ID}\n");
        let seen = one_problem(&[("people.yaml", &file)]);
        assert_eq!(
            seen.placed(),
            (
                "`company` and `companyId` both link this person to a company",
                Some("people.yaml:4"),
                Some("people.yaml:5")
            )
        );
    }

    #[test]
    fn defaults_linking_both_ways_are_refused_too() {
        let file = format!("defaults:\n  company: acme.com\n  companyId: {ID}\npeople:\n{JANE}");
        let seen = one_problem(&[("people.yaml", &file)]);
        let both = "`company` and `companyId` both link this person to a company";
        assert_eq!(
            seen.placed(),
            (both, Some("people.yaml:2"), Some("people.yaml:3"))
        );
    }

    #[test]
    fn a_linked_domain_that_is_no_host_name_is_refused_at_the_link() {
        let file = format!("people:\n{JANE}    company: jane@acme.com\n");
        let seen = one_problem(&[("people.yaml", &file)]);
        assert!(seen.message.ends_with("not an email"), "{seen:#?}");
        assert_eq!(seen.at.as_deref(), Some("people.yaml:4"));
    }

    #[test]
    fn repeats_pairs_each_later_item_with_the_first_of_its_key() {
        let items = ["a", "b", "A", "c", "a"];
        let twice = super::repeats(&items, |item| item.to_lowercase());
        let pairs: Vec<(&str, &str)> = twice.into_iter().map(|(i, f)| (*i, *f)).collect();
        assert_eq!(pairs, [("A", "a"), ("a", "a")]);
    }
}
