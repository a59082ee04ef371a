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
//! person and nobody else, and names its company by a domain that names that
//! company and no other (else by id, see [`companies`]), declared once with
//! the company's live name.

mod attributes;
mod check;
mod clean;
mod companies;
mod document;
mod file_name;
mod node;
pub mod out_dir;
mod select;
pub mod yaml;

use std::collections::BTreeMap;

use crate::api::Person;
use crate::company::domain_key;
use file_name::FileNames;
use yaml::Layout;

pub use attributes::{ATTRIBUTES_FILE, attributes_file};
pub use check::{Refused, refused};
pub use clean::{LeftOut, leave_out_refused};
pub use companies::{Companies, CompanyLink};
pub use document::entry_document;
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
    /// One file per linked company: `<domain>.yaml` declaring the company and
    /// naming it in `defaults.company`, or `company-<id>.yaml` for a company
    /// entries name by id (names shortened and hashed when the value would
    /// make a long or unsafe one), and `no-company.yaml` for the rest.
    Company,
    /// Files of at most [`PEOPLE_PER_FILE`] people: `people-001.yaml`, …,
    /// and the companies in `companies.yaml`.
    FileSize,
}

/// One file to write: its name inside the output folder and its YAML text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleFile {
    /// A plain file name (no folders), e.g. `people.yaml`.
    pub name: String,
    /// How many people the file holds.
    pub people: usize,
    /// How many companies the file declares.
    pub companies: usize,
    /// How many attributes the file declares.
    pub attributes: usize,
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

    /// How many companies the files declare.
    pub fn companies(&self) -> usize {
        self.files.iter().map(|f| f.companies).sum()
    }

    /// How many attributes the files declare.
    pub fn attributes(&self) -> usize {
        self.files.iter().map(|f| f.attributes).sum()
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
    let companies = Companies::of(&people);
    let mut refused = refused(&people, &companies);
    refused.sort();
    let layouts = match split_by {
        SplitBy::None => in_one_file(people, &companies),
        SplitBy::Company => by_company(people, &companies),
        SplitBy::FileSize => by_size(people, &companies),
    };
    let mut done = 0;
    let mut files = Vec::with_capacity(layouts.len());
    for (name, layout) in layouts {
        let text = yaml::people_file(&layout, &companies, schema_ref)
            .map_err(|source| ImportError::Emit { source })?;
        done += layout.people.len();
        progress(done);
        files.push(PeopleFile {
            name,
            people: layout.people.len(),
            companies: layout.companies.len(),
            attributes: 0,
            text,
        });
    }
    Ok(Import {
        files,
        skipped,
        refused,
    })
}

/// Everybody in `people.yaml`, with the companies they name by domain.
fn in_one_file<'a>(
    people: Vec<&'a Person>,
    companies: &Companies<'a>,
) -> BTreeMap<String, Layout<'a>> {
    let mut layouts = BTreeMap::new();
    if !people.is_empty() {
        let layout = Layout {
            companies: companies.declarations(&people),
            company: None,
            people,
        };
        layouts.insert("people.yaml".to_string(), layout);
    }
    layouts
}

/// `people-001.yaml`, … of at most [`PEOPLE_PER_FILE`] people, and the
/// companies they name by domain in `companies.yaml` (declared once, as a
/// domain may be).
fn by_size<'a>(people: Vec<&'a Person>, companies: &Companies<'a>) -> BTreeMap<String, Layout<'a>> {
    let mut layouts = BTreeMap::new();
    let declared = companies.declarations(&people);
    if !declared.is_empty() {
        let layout = Layout {
            companies: declared,
            ..Layout::default()
        };
        layouts.insert(COMPANIES.to_string(), layout);
    }
    let chunks = people.len().div_ceil(PEOPLE_PER_FILE);
    // Zero-padded so that the files sort in order; wider past 999 files.
    let width = chunks.to_string().len().max(3);
    for (index, chunk) in people.chunks(PEOPLE_PER_FILE).enumerate() {
        let layout = Layout {
            people: chunk.to_vec(),
            ..Layout::default()
        };
        layouts.insert(format!("people-{:0width$}.yaml", index + 1), layout);
    }
    layouts
}

/// The file of the companies with [`SplitBy::FileSize`].
const COMPANIES: &str = "companies.yaml";

/// The file name for people without a company.
const NO_COMPANY: &str = "no-company.yaml";

/// Which file of [`SplitBy::Company`] a person goes to. Domains first: they
/// claim their file names before ids do.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum CompanyFile<'a> {
    /// A company named by domain, by domain key.
    Domain(String),
    /// A company named by id.
    Id(&'a str),
    /// No company.
    None,
}

/// The people by file: `<domain>.yaml` per company named by domain, declaring
/// it and naming it in `defaults.company`; `company-<id>.yaml` per other
/// company; `no-company.yaml`. Values become safe, short file names (see
/// [`file_name`]).
fn by_company<'a>(
    people: Vec<&'a Person>,
    companies: &Companies<'a>,
) -> BTreeMap<String, Layout<'a>> {
    let mut groups: BTreeMap<CompanyFile, Vec<&Person>> = BTreeMap::new();
    for person in people {
        let group = match (companies.domain(person), &person.company) {
            (Some(domain), _) => CompanyFile::Domain(domain_key(domain)),
            (None, Some(company)) if !company.id.is_empty() => CompanyFile::Id(&company.id),
            (None, _) => CompanyFile::None,
        };
        groups.entry(group).or_default().push(person);
    }
    let mut names = FileNames::default();
    names.reserve(NO_COMPANY);
    names.reserve(COMPANIES);
    groups
        .into_iter()
        .map(|(group, people)| match group {
            CompanyFile::Domain(key) => {
                let layout = Layout {
                    companies: companies.declarations(&people),
                    company: people.first().and_then(|p| companies.domain(p)),
                    people,
                };
                (names.claim("", &key), layout)
            }
            CompanyFile::Id(id) => {
                let layout = Layout {
                    people,
                    ..Layout::default()
                };
                (names.claim("company-", id), layout)
            }
            CompanyFile::None => {
                let layout = Layout {
                    people,
                    ..Layout::default()
                };
                (NO_COMPANY.to_string(), layout)
            }
        })
        .collect()
}
