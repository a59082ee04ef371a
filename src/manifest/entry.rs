//! The desired side of a plan, as the manifest hands it over.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::fields::Fields;
use super::match_value::MatchValue;
use crate::person::MatchingAttribute;

/// Where something was written: a file, as shown to the user (relative to the
/// current folder), and a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourceLocation {
    /// Shared: every entry of a file points to the one path.
    pub file: Arc<Path>,
    pub line: usize,
    pub column: usize,
}

/// The empty path: an entry deserialized without its file.
fn no_path() -> Arc<Path> {
    Path::new("").into()
}

impl std::fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A file name is data too: escaped like any text bound for a terminal.
        let file = self.file.display().to_string();
        write!(f, "{}:{}", crate::terminal::escaped(&file), self.line)
    }
}

/// One loaded people file and the SHA-256 of its bytes (for saved plans).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Relative to the project root: how saved plans name it.
    pub path: PathBuf,
    /// As shown to the user, relative to the current folder (the `file` of
    /// its entries' [`SourceLocation`]s). Not saved.
    #[serde(skip)]
    pub shown: PathBuf,
    pub sha256: String,
}

/// One desired person, after defaults were merged and validation passed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Where the entry starts (its `-` list item).
    pub source: SourceLocation,
    /// The attribute the entry is upserted on, e.g. `email`, `phone_number`.
    pub matching_attribute: MatchingAttribute,
    /// The value the entry holds for its matching attribute (see
    /// [`MatchingAttribute::value_in`]); `null` when it holds none.
    pub match_value: MatchValue,
    /// The managed fields, by API JSON name, exactly as they will be sent:
    /// an absent key is unmanaged, `null` clears. `socials` and
    /// `customAttributes`, when present, are objects holding only the managed
    /// keys. Kept as JSON text (see [`Fields`]).
    pub fields: Fields,
    /// Where each custom attribute value is written, by slug: in the entry,
    /// in its file's `defaults`, or in zeeg.yaml's. The plan checks values
    /// against the workspace's attribute types and points here.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_value_at: BTreeMap<String, SourceLocation>,
    /// The entry's file relative to the project root, whatever the current
    /// folder: what `--only`/`--exclude` globs match.
    #[serde(default = "no_path")]
    pub project_path: Arc<Path>,
    /// The entry's `company` (its own, or from defaults): the company it is
    /// linked to by domain, or unlinked. `None` when the link is unmanaged
    /// or given as `companyId` (then in `fields`). Boxed: most entries have
    /// none, and a big file holds millions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<Box<CompanyLink>>,
}

/// A person's `company: DOMAIN | null` and where it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyLink {
    /// The domain as written; `None` for `company: null` (unlink).
    pub domain: Option<String>,
    /// Where the `company` key's value is written: in the entry, its file's
    /// `defaults`, or zeeg.yaml's.
    pub at: SourceLocation,
}

/// One entry of a file's `companies` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyDeclaration {
    /// Where the entry starts (its `-` list item).
    pub source: SourceLocation,
    /// The domain as written: the company's identity (see
    /// [`crate::company::domain_key`]).
    pub domain: String,
    /// The name, when declared: needed to create the company.
    pub name: Option<String>,
    /// The file relative to the project root (what `--only` matches).
    pub project_path: Arc<Path>,
}

impl Entry {
    /// The entry's emails, when it manages them.
    pub fn emails(&self) -> Vec<String> {
        match self.fields.get("emails") {
            Some(Value::Array(emails)) => emails
                .into_iter()
                .filter_map(|email| match email {
                    Value::String(email) => Some(email),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}
