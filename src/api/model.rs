//! The JSON shapes of the Zeeg CRM API (`zeeg-api.md`), used by the client to
//! read answers and by the sandbox to write them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::assumed;

/// A CRM person as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub id: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub salutation: Option<String>,
    #[serde(default, deserialize_with = "assumed::emails")]
    pub emails: Vec<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub primary_location: Option<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default)]
    pub company: Option<CompanyRef>,
    #[serde(default, deserialize_with = "assumed::null_as_empty")]
    pub socials: Socials,
    #[serde(default, deserialize_with = "assumed::null_as_empty")]
    pub custom_attributes: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
}

/// Named string-or-null fields of a struct, each listed once: its JSON name
/// and the struct field that holds it; generates the reader and the slot.
macro_rules! named_slots {
    ($ty:ty, $get:ident, $get_mut:ident, { $($json:literal => $field:ident),* $(,)? }) => {
        impl $ty {
            /// A field by JSON name; `None` when it is empty or `name` names
            /// no such field.
            pub fn $get(&self, name: &str) -> Option<&str> {
                match name {
                    $($json => self.$field.as_deref(),)*
                    _ => None,
                }
            }

            /// The slot of a field by JSON name, to set or clear it.
            pub fn $get_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
                match name {
                    $($json => Some(&mut self.$field),)*
                    _ => None,
                }
            }
        }
    };
}

// The JSON names are those of `crate::person::SCALAR_FIELDS` (a test holds
// the two lists together).
named_slots!(Person, scalar, scalar_mut, {
    "firstName" => first_name,
    "lastName" => last_name,
    "salutation" => salutation,
    "jobTitle" => job_title,
    "description" => description,
    "phoneNumber" => phone_number,
    "primaryLocation" => primary_location,
    "avatarUrl" => avatar_url,
});

impl Person {
    /// Whether the person has the name the API requires (see [`crate::person::has_name`]).
    pub fn has_name(&self) -> bool {
        crate::person::has_name(|field| self.scalar(field).is_some_and(crate::person::is_filled))
    }
}

/// A person's read-only view of the company it is linked to: the company as
/// it is now (a renamed company shows its new name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyRef {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
}

/// A CRM company as the API returns it (`/crm/companies`). Companies that
/// bookings create on their own may lack a name or a domain, so both are
/// read as optional; zeeg itself only ever asserts companies by domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Company {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
    /// Values of the companies object's custom attributes, when the server
    /// sends them (read so that a plan can count the companies holding an
    /// option it removes).
    #[serde(
        default,
        deserialize_with = "assumed::null_as_empty",
        skip_serializing_if = "Map::is_empty"
    )]
    pub custom_attributes: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
}

/// The view of a company that a person linked to it shows.
impl From<&Company> for CompanyRef {
    fn from(company: &Company) -> CompanyRef {
        CompanyRef {
            id: company.id.clone(),
            name: company.name.clone(),
            domain: company.domain.clone(),
        }
    }
}

/// `{"success": true, "status": 200|201, "company": {…}}`: the answer of a
/// company assert and of a read by id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompanyEnvelope {
    pub success: bool,
    pub status: u16,
    pub company: Company,
}

/// A resource that lists come in pages of: each has an id, which is how a
/// list read across pages drops the repeats a concurrent create causes.
pub trait Listed {
    fn id(&self) -> &str;
}

impl Listed for Person {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Listed for Company {
    fn id(&self) -> &str {
        &self.id
    }
}

/// A person's social profiles; every network is always present, null when unset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Socials {
    pub linkedin: Option<String>,
    pub twitter: Option<String>,
    pub facebook: Option<String>,
    pub instagram: Option<String>,
}

// The networks of `crate::person::SOCIAL_NETWORKS`.
named_slots!(Socials, get, get_mut, {
    "linkedin" => linkedin,
    "twitter" => twitter,
    "facebook" => facebook,
    "instagram" => instagram,
});

/// `{"success": true, "status": 200|201, "person": {…}}`: the answer of an
/// upsert and of a read by id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonEnvelope {
    pub success: bool,
    pub status: u16,
    pub person: Person,
}

/// A [`PersonEnvelope`] read only as far as a caller that needs no more
/// than the status checks it: an envelope holding a person with an id. The
/// person's other fields are skipped rather than built (apply's upserts:
/// 5 % of their CPU went to building people nobody read).
#[derive(Debug, Deserialize)]
pub struct PersonAcknowledged {
    pub success: bool,
    pub status: u16,
    pub person: PersonId,
}

/// A person's id alone.
#[derive(Debug, Deserialize)]
pub struct PersonId {
    pub id: String,
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListResponse<T> {
    #[serde(
        default = "Vec::new",
        deserialize_with = "assumed::null_as_empty",
        bound(deserialize = "T: Deserialize<'de>")
    )]
    pub collection: Vec<T>,
    pub pagination: Pagination,
}

/// Where a page sits in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub total: u64,
    pub count: u64,
    pub total_pages: u64,
    pub previous_page: Option<String>,
    pub current_page: u64,
    pub next_page: Option<String>,
}

/// `GET /crm/objects/people`: the people object's schema.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectEnvelope {
    pub success: bool,
    pub status: u16,
    pub object: ObjectSchema,
}

/// The people object: its slug and attributes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectSchema {
    pub slug: String,
    #[serde(default, deserialize_with = "assumed::null_as_empty")]
    pub attributes: Vec<Attribute>,
}

/// One attribute of the people object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attribute {
    pub key: String,
    #[serde(default, deserialize_with = "assumed::null_as_empty")]
    pub label: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, deserialize_with = "assumed::null_as_empty")]
    pub is_standard: bool,
    #[serde(default, deserialize_with = "assumed::null_as_empty")]
    pub is_unique: bool,
    #[serde(default, deserialize_with = "assumed::null_as_empty")]
    pub is_required: bool,
    #[serde(default, deserialize_with = "assumed::null_as_empty")]
    pub is_archived: bool,
    /// The options of `select`, `multiselect` and `status`.
    #[serde(
        default,
        deserialize_with = "super::object::tolerant_options",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub options: Vec<super::object::AttributeOption>,
}

/// An error answer. The API uses two shapes, `{"success": false, "message",
/// "status"}` and `{"error"}`; a 422 adds `errors: {field: [message…]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Map<String, Value>>,
}

impl ErrorBody {
    /// The human message, whichever shape the body had.
    pub fn text(&self) -> Option<&str> {
        self.message.as_deref().or(self.error.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::person::{SCALAR_FIELDS, SOCIAL_NETWORKS};

    fn empty_person() -> Person {
        serde_json::from_value(serde_json::json!({"id": "p", "createdAt": "", "updatedAt": ""}))
            .unwrap()
    }

    #[test]
    fn every_scalar_field_has_a_slot_and_reads_back() {
        let mut person = empty_person();
        for field in SCALAR_FIELDS {
            *person.scalar_mut(field).unwrap() = Some(format!("value of {field}"));
        }
        for field in SCALAR_FIELDS {
            assert_eq!(
                person.scalar(field),
                Some(format!("value of {field}").as_str())
            );
        }
        let json = serde_json::to_value(&person).unwrap();
        for field in SCALAR_FIELDS {
            assert_eq!(
                json[field],
                format!("value of {field}"),
                "{field} is wired to its own slot"
            );
        }
        assert_eq!(person.scalar("emails"), None);
        assert!(person.scalar_mut("companyId").is_none());
    }

    #[test]
    fn every_network_has_a_slot() {
        let mut socials = Socials::default();
        for network in SOCIAL_NETWORKS {
            *socials.get_mut(network).unwrap() = Some(network.to_string());
        }
        for network in SOCIAL_NETWORKS {
            assert_eq!(socials.get(network), Some(*network));
        }
        let json = serde_json::to_value(&socials).unwrap();
        for network in SOCIAL_NETWORKS {
            assert_eq!(
                json[network], *network,
                "{network} is wired to its own slot"
            );
        }
    }

    #[test]
    fn every_field_assumed_null_as_empty_reads_null_as_empty() {
        let person_fields = ["emails", "socials", "customAttributes"];
        let attribute_fields = [
            "label",
            "isStandard",
            "isUnique",
            "isRequired",
            "isArchived",
        ];
        let mut listed: Vec<&str> = [
            &person_fields[..],
            &attribute_fields,
            &["collection", "attributes"],
        ]
        .concat();
        listed.sort_unstable();
        let mut assumed = assumed::NULL_AS_EMPTY.to_vec();
        assumed.sort_unstable();
        assert_eq!(
            listed, assumed,
            "the test covers exactly the assumed fields"
        );

        let mut person = json!({"id": "p", "createdAt": "", "updatedAt": ""});
        for field in person_fields {
            person[field] = Value::Null;
        }
        let person: Person = serde_json::from_value(person).unwrap();
        assert!(person.emails.is_empty() && person.custom_attributes.is_empty());
        assert_eq!(person.socials, Socials::default());

        let mut attribute = json!({"key": "tier", "type": "text"});
        for field in attribute_fields {
            attribute[field] = Value::Null;
        }
        let attribute: Attribute = serde_json::from_value(attribute).unwrap();
        assert!(attribute.label.is_empty() && !attribute.is_archived && !attribute.is_unique);

        let page: ListResponse<Person> = serde_json::from_value(json!({"collection": null,
            "pagination": {"total": 0, "count": 0, "totalPages": 0, "previousPage": null,
                "currentPage": 1, "nextPage": null}}))
        .unwrap();
        assert!(page.collection.is_empty());
        let object: ObjectSchema =
            serde_json::from_value(json!({"slug": "people", "attributes": null})).unwrap();
        assert!(object.attributes.is_empty());
    }

    #[test]
    fn null_emails_are_left_out() {
        let person: Person = serde_json::from_value(
            json!({"id": "p", "createdAt": "", "updatedAt": "", "emails": [null, "a@b.example"]}),
        )
        .unwrap();
        assert_eq!(person.emails, ["a@b.example"]);
    }

    #[test]
    fn a_blank_name_is_no_name() {
        let mut person = empty_person();
        assert!(!person.has_name());
        person.last_name = Some("  ".into());
        assert!(!person.has_name());
        person.last_name = Some("Doe".into());
        assert!(person.has_name());
    }
}
