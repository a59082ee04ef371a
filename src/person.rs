//! The vocabulary of the person resource, shared by every layer: the writable
//! fields with their camelCase JSON names, the snake_case attribute slugs that
//! `matchingAttribute` takes, and the email comparison rule.
//!
//! Which slug maps to which field is partly documented and partly assumed (see
//! `zeeg-api.md`); the mapping lives here and nowhere else.

/// The writable scalar (string-or-null) fields of a person, by JSON name.
pub const SCALAR_FIELDS: &[&str] = &[
    "firstName",
    "lastName",
    "salutation",
    "jobTitle",
    "description",
    "phoneNumber",
    "primaryLocation",
    "avatarUrl",
];

/// Every writable field of a person, by JSON name, in canonical order.
pub const WRITABLE_FIELDS: &[&str] = &[
    "firstName",
    "lastName",
    "salutation",
    "emails",
    "jobTitle",
    "description",
    "phoneNumber",
    "primaryLocation",
    "avatarUrl",
    "companyId",
    "socials",
    "customAttributes",
];

/// The networks a person's `socials` object holds.
pub const SOCIAL_NETWORKS: &[&str] = &["linkedin", "twitter", "facebook", "instagram"];

/// The slugs of the standard attributes and the JSON field each one reads.
///
/// Documented: `email`/`emails`, `first_name`, `job_title`, `phone_number`.
/// Assumed by the same rule: `last_name`, `salutation`, `description`,
/// `primary_location`, `avatar_url`.
pub const STANDARD_SLUGS: &[(&str, &str)] = &[
    ("email", "emails"),
    ("emails", "emails"),
    ("first_name", "firstName"),
    ("last_name", "lastName"),
    ("salutation", "salutation"),
    ("job_title", "jobTitle"),
    ("description", "description"),
    ("phone_number", "phoneNumber"),
    ("primary_location", "primaryLocation"),
    ("avatar_url", "avatarUrl"),
];

/// Where a matching attribute's value lives in a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchField<'a> {
    /// `email` / `emails`: the first email, matched against every email of a person.
    Email,
    /// A standard string field, by JSON name, matched exactly.
    Standard(&'static str),
    /// A custom attribute, by slug, matched exactly.
    Custom(&'a str),
}

impl<'a> MatchField<'a> {
    /// Resolves a `matchingAttribute` slug.
    pub fn for_slug(slug: &'a str) -> MatchField<'a> {
        match STANDARD_SLUGS.iter().find(|(s, _)| *s == slug) {
            Some((_, "emails")) => MatchField::Email,
            Some((_, field)) => MatchField::Standard(field),
            None => MatchField::Custom(slug),
        }
    }
}

/// Whether `slug` names a standard attribute rather than a custom one.
pub fn is_standard_slug(slug: &str) -> bool {
    STANDARD_SLUGS.iter().any(|(s, _)| *s == slug)
}

/// The fields of which a person needs at least one: the CRM refuses to create
/// a person with neither. [doc]
pub const NAME_FIELDS: &[&str] = &["firstName", "lastName"];

/// Whether a person has a name, given how to tell that one of its fields is
/// filled: each model (a people-file entry, a live person) says that itself.
pub fn has_name(filled: impl Fn(&str) -> bool) -> bool {
    NAME_FIELDS.iter().any(|field| filled(field))
}

/// Whether a text value counts as given: white space alone does not.
pub fn is_filled(text: &str) -> bool {
    !text.trim().is_empty()
}

/// Normalises an email for matching: surrounding white space trimmed, ASCII
/// case folded. (Assumed; the API documents only that secondary emails match.)
pub fn normalize_email(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

/// Whether two emails are the same address under the API's matching rule.
pub fn same_email(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_resolve_to_fields() {
        assert_eq!(MatchField::for_slug("email"), MatchField::Email);
        assert_eq!(MatchField::for_slug("emails"), MatchField::Email);
        assert_eq!(
            MatchField::for_slug("phone_number"),
            MatchField::Standard("phoneNumber")
        );
        assert_eq!(
            MatchField::for_slug("customer_tier"),
            MatchField::Custom("customer_tier")
        );
    }

    #[test]
    fn emails_compare_ignoring_case_and_space() {
        assert!(same_email(" Jane@Acme.com", "jane@acme.com "));
        assert!(!same_email("jane@acme.com", "jane@acme.co"));
        assert_eq!(normalize_email(" Jane@ACME.com "), "jane@acme.com");
    }
}
