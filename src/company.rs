//! The vocabulary of the company resource, shared by every layer: the one
//! field zeeg manages on a company, how a person links to one by domain in
//! people files and plans, and what a domain must look like.
//!
//! How the API compares domains is an assumption and lives in
//! [`crate::api::assumed::normalize_domain`]; this module only uses it.

use crate::api::assumed::normalize_domain;

/// The fields of a company a people file manages, by JSON name: the name.
/// The domain is the company's identity, never changed.
pub const MANAGED_FIELDS: &[&str] = &["name"];

/// The key of a company declaration that is its identity.
pub const DOMAIN_FIELD: &str = "domain";

/// A person's link to a company, by domain, in people files and plans.
pub const LINK_FIELD: &str = "company";

/// A person's link to a company by id, as the API takes it. An entry holds
/// either this or [`LINK_FIELD`].
pub const ID_FIELD: &str = "companyId";

/// The key two domains of one company share (see [`normalize_domain`]).
pub fn domain_key(domain: &str) -> String {
    normalize_domain(domain)
}

/// Why `domain` is not a company domain, or `None` when it is one: a host
/// name of dot-separated labels, each 1 to 63 letters, digits or hyphens,
/// not starting or ending with a hyphen, at most 253 characters in all.
/// Letters beyond ASCII are accepted (internationalised domains).
pub fn domain_problem(domain: &str) -> Option<&'static str> {
    if domain.trim().is_empty() {
        return Some("the domain is empty");
    }
    if domain.trim() != domain {
        return Some("the domain has white space around it");
    }
    if domain.contains("://") || domain.contains('/') {
        return Some("a domain is a host name, not a URL");
    }
    if domain.contains('@') {
        return Some("a domain is a host name, not an email");
    }
    if domain.chars().count() > 253 {
        return Some("a domain is at most 253 characters long");
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.chars().count() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if !domain.split('.').all(label_ok) {
        return Some(
            "a domain is labels of letters, digits and hyphens separated by dots, e.g. acme.com",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_domains_and_the_rest_are_not() {
        for good in [
            "acme.com",
            "ACME.com",
            "sub.acme.co.uk",
            "xn--mnchen-3ya.de",
            "localhost",
        ] {
            assert_eq!(domain_problem(good), None, "{good}");
        }
        for bad in [
            "",
            "  ",
            " acme.com",
            "https://acme.com",
            "acme.com/x",
            "jane@acme.com",
            "acme..com",
            ".acme.com",
            "acme.com.",
            "-acme.com",
            "acme_corp.com",
            "acme corp.com",
        ] {
            assert!(domain_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn domains_compare_ignoring_ascii_case() {
        assert_eq!(domain_key("Acme.COM"), domain_key("acme.com"));
    }
}
