//! The vocabulary of the person resource, shared by every layer: the field
//! table (every writable field with its camelCase JSON name, and the lists
//! read from it), the snake_case attribute slugs that `matchingAttribute`
//! takes, the resolved [`MatchingAttribute`], and the email comparison rule.
//!
//! Which slug maps to which field is partly documented and partly assumed (see
//! `zeeg-api.md`); the mapping lives here and nowhere else. The people-file
//! model (`manifest::model::DeclaredPerson`), the live model (`api::Person`)
//! and the sandbox's people object are tested against this table.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a writable field of a person holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Text or null: a standard attribute, which the live person holds as is.
    Text,
    /// The emails, the first being the primary one.
    Emails,
    /// The id of the linked company (the live person shows the company).
    CompanyId,
    /// The social profiles, network by network.
    Socials,
    /// The custom attribute values, slug by slug.
    CustomAttributes,
}

/// Every writable field of a person, by JSON name, in canonical order: the
/// table the lists below are read from.
pub const FIELDS: &[(&str, FieldKind)] = &[
    ("firstName", FieldKind::Text),
    ("lastName", FieldKind::Text),
    ("salutation", FieldKind::Text),
    ("emails", FieldKind::Emails),
    ("jobTitle", FieldKind::Text),
    ("description", FieldKind::Text),
    ("phoneNumber", FieldKind::Text),
    ("primaryLocation", FieldKind::Text),
    ("avatarUrl", FieldKind::Text),
    ("companyId", FieldKind::CompanyId),
    ("socials", FieldKind::Socials),
    ("customAttributes", FieldKind::CustomAttributes),
];

/// Every writable field of a person, by JSON name, in canonical order.
pub const WRITABLE_FIELDS: &[&str] = &field_names::<{ FIELDS.len() }>(false);

/// The writable scalar (string-or-null) fields of a person, by JSON name.
pub const SCALAR_FIELDS: &[&str] = &field_names::<{ text_field_count() }>(true);

const fn is_text(kind: FieldKind) -> bool {
    matches!(kind, FieldKind::Text)
}

const fn text_field_count() -> usize {
    let (mut count, mut i) = (0, 0);
    while i < FIELDS.len() {
        if is_text(FIELDS[i].1) {
            count += 1;
        }
        i += 1;
    }
    count
}

/// The names of [`FIELDS`], of the text ones only when `text_only`; `N` is
/// their number.
const fn field_names<const N: usize>(text_only: bool) -> [&'static str; N] {
    let mut names = [""; N];
    let (mut n, mut i) = (0, 0);
    while i < FIELDS.len() {
        if !text_only || is_text(FIELDS[i].1) {
            names[n] = FIELDS[i].0;
            n += 1;
        }
        i += 1;
    }
    names
}

/// A writable field by JSON name, as the table has it; `None` for any other
/// name.
pub fn writable_field(name: &str) -> Option<(&'static str, FieldKind)> {
    FIELDS.iter().find(|(field, _)| *field == name).copied()
}

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

/// The matching attribute of an entry that names none, in its own `defaults`
/// or in `zeeg.yaml`'s (imported files declare it in their `defaults`), and
/// of an upsert that sends none (the upsert page's own curl example sends no
/// `matchingAttribute`; we take that to mean `email`. [assumed])
pub const DEFAULT_MATCHING_ATTRIBUTE: &str = "email";

/// The JSON field a standard attribute's slug reads, e.g. `phoneNumber` for
/// `phone_number`; `None` for any other slug (a custom attribute's).
pub fn standard_field(slug: &str) -> Option<&'static str> {
    standard_row(slug).map(|(_, field)| *field)
}

fn standard_row(slug: &str) -> Option<&'static (&'static str, &'static str)> {
    STANDARD_SLUGS.iter().find(|(s, _)| *s == slug)
}

/// Whether `slug` names a standard attribute rather than a custom one.
pub fn is_standard_slug(slug: &str) -> bool {
    standard_field(slug).is_some()
}

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

/// A `matchingAttribute` slug, resolved once to where its value lives in a
/// person. Written (and saved) as the slug.
// No bigger than the slug's `String`, and a standard slug (most entries')
// allocates nothing: every entry holds one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MatchingAttribute(Resolved);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Resolved {
    /// A standard attribute: its slug and field, a row of [`STANDARD_SLUGS`].
    Standard(&'static (&'static str, &'static str)),
    /// A custom attribute, by slug (its key in `customAttributes`).
    Custom(String),
}

impl MatchingAttribute {
    /// Resolves a slug: the one place a slug becomes a [`MatchField`].
    pub fn new(slug: impl AsRef<str> + Into<String>) -> MatchingAttribute {
        MatchingAttribute(match standard_row(slug.as_ref()) {
            Some(row) => Resolved::Standard(row),
            None => Resolved::Custom(slug.into()),
        })
    }

    /// The slug, as written and as the upsert sends it.
    pub fn slug(&self) -> &str {
        match &self.0 {
            Resolved::Standard((slug, _)) => slug,
            Resolved::Custom(slug) => slug,
        }
    }

    /// Where the value lives.
    pub fn field(&self) -> MatchField<'_> {
        match &self.0 {
            Resolved::Standard((_, "emails")) => MatchField::Email,
            Resolved::Standard((_, field)) => MatchField::Standard(field),
            Resolved::Custom(slug) => MatchField::Custom(slug),
        }
    }

    /// Whether it is `email` (or `emails`), matched against every email.
    pub fn is_email(&self) -> bool {
        self.field() == MatchField::Email
    }

    /// Whether it names a custom attribute rather than a standard one.
    pub fn is_custom(&self) -> bool {
        matches!(self.0, Resolved::Custom(_))
    }

    /// The field of a person that holds the value and, for a custom
    /// attribute, its key there.
    fn place(&self) -> (&str, Option<&str>) {
        match self.field() {
            MatchField::Email => ("emails", None),
            MatchField::Standard(field) => (field, None),
            MatchField::Custom(slug) => ("customAttributes", Some(slug)),
        }
    }

    /// Where the value lives in a person as JSON, as a JSON pointer:
    /// `/emails/0` (the first email), `/phoneNumber`, `/customAttributes/tier`.
    pub fn path(&self) -> String {
        match self.place() {
            (field, Some(key)) => format!("/{field}/{key}"),
            (field, None) if self.is_email() => format!("/{field}/0"),
            (field, None) => format!("/{field}"),
        }
    }

    /// The field a body must hold the value in, as a 422 names it:
    /// `emails`, `phoneNumber`, `customAttributes.tier`.
    pub fn required_field(&self) -> String {
        match self.place() {
            (field, Some(key)) => format!("{field}.{key}"),
            (field, None) => field.to_string(),
        }
    }

    /// The value in a person as JSON (its fields by JSON name), if it has one.
    pub fn value_in<'p>(&self, person: &'p Map<String, Value>) -> Option<&'p Value> {
        let (field, key) = self.place();
        let value = person.get(field)?;
        match key {
            Some(key) => value.get(key),
            None if self.is_email() => value.get(0),
            None => Some(value),
        }
    }
}

impl Default for MatchingAttribute {
    fn default() -> Self {
        MatchingAttribute::new(DEFAULT_MATCHING_ATTRIBUTE)
    }
}

impl From<String> for MatchingAttribute {
    fn from(slug: String) -> Self {
        MatchingAttribute::new(slug)
    }
}

impl From<&str> for MatchingAttribute {
    fn from(slug: &str) -> Self {
        MatchingAttribute::new(slug)
    }
}

impl Serialize for MatchingAttribute {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.slug())
    }
}

impl<'de> Deserialize<'de> for MatchingAttribute {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(MatchingAttribute::new)
    }
}

/// Compared by slug, as written.
impl PartialEq<&str> for MatchingAttribute {
    fn eq(&self, slug: &&str) -> bool {
        self.slug() == *slug
    }
}

impl std::fmt::Display for MatchingAttribute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.slug())
    }
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
    use serde_json::json;

    use super::*;

    #[test]
    fn slugs_resolve_to_fields() {
        let custom = MatchingAttribute::new("customer_tier");
        assert_eq!(custom.field(), MatchField::Custom("customer_tier"));
        assert_eq!(MatchingAttribute::new("email").field(), MatchField::Email);
        assert_eq!(MatchingAttribute::new("emails").field(), MatchField::Email);
        assert_eq!(
            MatchingAttribute::new("phone_number").field(),
            MatchField::Standard("phoneNumber")
        );
        assert_eq!(MatchingAttribute::default().slug(), "email");
        assert!(MatchingAttribute::default().is_email());
        assert!(MatchingAttribute::new("customer_tier").is_custom());
        assert!(!MatchingAttribute::new("first_name").is_custom());
    }

    #[test]
    fn a_matching_attribute_knows_where_its_value_lives() {
        let person = json!({
            "emails": ["jane@acme.com", "j@acme.io"],
            "phoneNumber": "+49301234",
            "customAttributes": {"tier": "gold"},
        });
        let person = person.as_object().unwrap();
        for (slug, path, required, value) in [
            ("email", "/emails/0", "emails", json!("jane@acme.com")),
            (
                "phone_number",
                "/phoneNumber",
                "phoneNumber",
                json!("+49301234"),
            ),
            (
                "tier",
                "/customAttributes/tier",
                "customAttributes.tier",
                json!("gold"),
            ),
        ] {
            let attribute = MatchingAttribute::new(slug);
            assert_eq!(attribute.path(), path);
            assert_eq!(attribute.required_field(), required);
            assert_eq!(attribute.value_in(person), Some(&value), "{slug}");
            let whole = Value::Object(person.clone());
            assert_eq!(
                whole.pointer(path),
                Some(&value),
                "the path of {slug} leads to it"
            );
        }
        assert_eq!(MatchingAttribute::new("job_title").value_in(person), None);
        assert_eq!(MatchingAttribute::new("other").value_in(person), None);
        assert_eq!(MatchingAttribute::default().value_in(&Map::new()), None);
    }

    #[test]
    fn a_matching_attribute_is_no_bigger_than_its_slug() {
        assert!(std::mem::size_of::<MatchingAttribute>() <= std::mem::size_of::<String>());
    }

    #[test]
    fn a_matching_attribute_is_written_as_its_slug() {
        let attribute = MatchingAttribute::new("phone_number");
        assert_eq!(
            serde_json::to_value(&attribute).unwrap(),
            json!("phone_number")
        );
        let back: MatchingAttribute = serde_json::from_value(json!("phone_number")).unwrap();
        assert_eq!(back, attribute);
        assert_eq!(attribute.to_string(), "phone_number");
    }

    #[test]
    fn the_lists_are_read_from_the_table() {
        assert_eq!(
            WRITABLE_FIELDS,
            FIELDS.iter().map(|(name, _)| *name).collect::<Vec<_>>()
        );
        assert_eq!(
            SCALAR_FIELDS,
            [
                "firstName",
                "lastName",
                "salutation",
                "jobTitle",
                "description",
                "phoneNumber",
                "primaryLocation",
                "avatarUrl",
            ]
        );
        for (slug, field) in STANDARD_SLUGS {
            assert!(
                FIELDS.contains(&(field, FieldKind::Text)) || *field == "emails",
                "{slug} reads a text field of the table, or the emails"
            );
        }
        for field in SCALAR_FIELDS {
            assert!(
                STANDARD_SLUGS.iter().any(|(_, f)| f == field),
                "{field} is a standard attribute with a slug"
            );
        }
    }

    #[test]
    fn emails_compare_ignoring_case_and_space() {
        assert!(same_email(" Jane@Acme.com", "jane@acme.com "));
        assert!(!same_email("jane@acme.com", "jane@acme.co"));
        assert_eq!(normalize_email(" Jane@ACME.com "), "jane@acme.com");
    }
}
