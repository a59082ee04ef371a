//! `zeeg import`, the library side: turning the people already in the CRM into
//! canonical people files.
//!
//! The flow is plain data in, plain data out:
//!
//! 1. [`select`] decides who can be written (and why the others cannot),
//! 2. [`render`] lays the written people out in files ([`SplitBy`]) and emits
//!    each file's YAML text ([`yaml`]),
//! 3. [`out_dir`] checks the target folder and writes the files, never
//!    overwriting anything.
//!
//! The result round-trips: `zeeg plan` on freshly imported files shows no change,
//! because every entry holds exactly the fields the live person has a value
//! for (absent fields stay unmanaged) and is matched on a value that names that
//! person and nobody else.

mod check;
mod document;
mod file_name;
mod node;
pub mod out_dir;
mod select;
pub mod yaml;

use std::collections::BTreeMap;

use crate::api::Person;
use file_name::FileNames;

pub use check::{Refused, refused};
pub use document::{DEFAULT_MATCHING_ATTRIBUTE, entry_document};
pub use file_name::MAX_FILE_NAME;
pub use node::Node;
pub use out_dir::{
    Beside, ImportError, SCHEMA_BESIDE, check_out_dir, schema_reference, write_files,
};
pub use select::{Selection, SkipReason, Skipped, select};

/// At most this many people go into one file with [`SplitBy::FileSize`].
pub const PEOPLE_PER_FILE: usize = 500;

/// How imported people are spread over files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitBy {
    /// Everybody in `people.yaml`.
    None,
    /// One file per linked company, named by the company id
    /// (`company-<id>.yaml`, shortened and hashed when the id would make a
    /// long or unsafe name), and `no-company.yaml` for the rest.
    Company,
    /// Files of at most [`PEOPLE_PER_FILE`] people: `people-001.yaml`, …
    FileSize,
}

/// One file to write: its name inside the output folder and its YAML text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleFile {
    /// A plain file name (no folders), e.g. `people.yaml`.
    pub name: String,
    /// How many people the file holds.
    pub people: usize,
    /// The canonical YAML text, modeline first.
    pub text: String,
}

/// What an import produces before anything touches the disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The files, sorted by name.
    pub files: Vec<PeopleFile>,
    /// The people left out, by id, in id order.
    pub skipped: Vec<Skipped>,
    /// The people written whose entries hold values the schema refuses, in
    /// id order: `zeeg plan` stops at them until they are corrected.
    pub refused: Vec<Refused>,
}

impl Import {
    /// How many people the files hold.
    pub fn people(&self) -> usize {
        self.files.iter().map(|f| f.people).sum()
    }
}

/// Turns the live people into files.
///
/// `schema_ref` is what the `yaml-language-server` modeline points at (see
/// [`schema_reference`]). The output depends only on the people's data, not on
/// the order they arrive in, so importing the same CRM twice writes the same bytes.
pub fn render(
    people: &[Person],
    split_by: SplitBy,
    schema_ref: &str,
) -> Result<Import, ImportError> {
    render_with_progress(people, split_by, schema_ref, &mut |_| {})
}

/// [`render`], calling `progress` with the number of people rendered so far
/// (for a progress bar on large workspaces).
pub fn render_with_progress(
    people: &[Person],
    split_by: SplitBy,
    schema_ref: &str,
    progress: &mut dyn FnMut(usize),
) -> Result<Import, ImportError> {
    let Selection { people, skipped } = select(people);
    let mut refused = refused(&people);
    refused.sort();
    let mut groups: BTreeMap<String, Vec<&Person>> = BTreeMap::new();
    match split_by {
        SplitBy::None => {
            if !people.is_empty() {
                groups.insert("people.yaml".to_string(), people);
            }
        }
        SplitBy::Company => {
            for (name, people) in by_company(people) {
                groups.insert(name, people);
            }
        }
        SplitBy::FileSize => {
            let chunks = people.len().div_ceil(PEOPLE_PER_FILE);
            // Zero-padded so that the files sort in order; wider past 999 files.
            let width = chunks.to_string().len().max(3);
            for (index, chunk) in people.chunks(PEOPLE_PER_FILE).enumerate() {
                groups.insert(format!("people-{:0width$}.yaml", index + 1), chunk.to_vec());
            }
        }
    }
    let mut done = 0;
    let mut files = Vec::with_capacity(groups.len());
    for (name, people) in groups {
        let text = yaml::people_file(&people, schema_ref)
            .map_err(|source| ImportError::Emit { source })?;
        done += people.len();
        progress(done);
        files.push(PeopleFile {
            name,
            people: people.len(),
            text,
        });
    }
    Ok(Import {
        files,
        skipped,
        refused,
    })
}

/// The file name for people without a company.
const NO_COMPANY: &str = "no-company.yaml";

/// The people by file: `company-<id>.yaml` per linked company (the id made a
/// safe, short file name, see [`file_name`]) and `no-company.yaml`.
fn by_company(people: Vec<&Person>) -> BTreeMap<String, Vec<&Person>> {
    let mut by_id: BTreeMap<Option<&str>, Vec<&Person>> = BTreeMap::new();
    for person in people {
        let id = person.company.as_ref().map(|c| c.id.as_str());
        by_id
            .entry(id.filter(|id| !id.is_empty()))
            .or_default()
            .push(person);
    }
    let mut names = FileNames::default();
    names.reserve(NO_COMPANY);
    by_id
        .into_iter()
        .map(|(id, people)| match id {
            None => (NO_COMPANY.to_string(), people),
            Some(id) => (names.claim("company-", id), people),
        })
        .collect()
}
