//! The JSON shapes of the Zeeg CRM API (`zeeg-api.md`), used by the client to
//! read answers and by the sandbox to write them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
    #[serde(default)]
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
    pub company: Option<Company>,
    #[serde(default)]
    pub socials: Socials,
    #[serde(default)]
    pub custom_attributes: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
}

/// The read-only view of the company a person is linked to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Company {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
}

/// A person's social profiles; every network is always present, null when unset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Socials {
    pub linkedin: Option<String>,
    pub twitter: Option<String>,
    pub facebook: Option<String>,
    pub instagram: Option<String>,
}

impl Socials {
    /// The value for a network by name (`linkedin`, `twitter`, …).
    pub fn get(&self, network: &str) -> Option<&str> {
        match network {
            "linkedin" => self.linkedin.as_deref(),
            "twitter" => self.twitter.as_deref(),
            "facebook" => self.facebook.as_deref(),
            "instagram" => self.instagram.as_deref(),
            _ => None,
        }
    }
}

/// `{"success": true, "status": 200|201, "person": {…}}`: the answer of an
/// upsert and of a read by id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonEnvelope {
    pub success: bool,
    pub status: u16,
    pub person: Person,
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListResponse<T> {
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
    pub attributes: Vec<Attribute>,
}

/// One attribute of the people object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attribute {
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub is_standard: bool,
    pub is_unique: bool,
    pub is_required: bool,
    pub is_archived: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<Value>>,
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
