//! People files: finding them, parsing YAML with source positions, the typed
//! model, schema validation, semantic checks and diagnostics.
//!
//! What the rest of zeeg sees is a [`Manifest`] from [`load`]: the desired
//! entries, each with its managed fields as API JSON and the place it was
//! written; or [`Diagnostics`]: every problem of every file.
//!
//! Decisions users can rely on:
//! - Files: every `*.yaml`/`*.yml` under the paths given, sorted; hidden
//!   files and folders and `zeeg.yaml` are skipped; `include`/`exclude` globs
//!   of `zeeg.yaml` (relative to its folder) filter what folders yield, while
//!   files named on the command line are always read. `zeeg.yaml` is looked
//!   for from the first path upwards, stopping at the repository root (`.git`).
//! - The project root ([`project_root`]): `zeeg.yaml`'s folder, else the git
//!   work tree's root, else the current folder. Entries' [`SourceLocation`]s
//!   name files as shown to the user (relative to the current folder);
//!   [`Entry::project_path`] and [`SourceFile::path`] are relative to the root.
//! - YAML 1.2, one document per file, UTF-8 (a byte order mark is accepted and
//!   ignored). Aliases, merge keys, custom tags, duplicate keys and `.inf`/`.nan`
//!   are refused; refusing an alias never expands it, so alias bombs cost nothing.
//!   Lists and mappings nest at most 255 levels deep.
//! - Every entry needs `firstName` or `lastName` (after defaults): any entry may
//!   create a person, and the CRM needs one of the two to do so.
//! - Defaults: the entry's own keys win, then the file's `defaults`, then those
//!   of `zeeg.yaml`; `socials` and `customAttributes` merge key by key.
//! - An entry with a schema problem is reported and left out of the semantic
//!   checks (names, matching values, duplicates); the rest still get them.

/// The name of the project settings file (found by discovery, named by
/// diagnostics).
pub const CONFIG_FILE: &str = "zeeg.yaml";

pub mod attributes;
mod diagnostic;
mod discover;
mod entry;
mod error;
mod excerpt;
mod fields;
mod load;
mod match_value;
pub mod model;
mod schema_check;
mod source;
mod yaml;

pub use diagnostic::{Diagnostics, ManifestError, Place, Problem, ProblemRecord};
pub use discover::{ProjectRoot, in_project, project_root, shown};
pub use entry::{CompanyDeclaration, CompanyLink, Entry, Fields, SourceFile, SourceLocation};
pub use load::{Checked, Manifest, check, load, read_config};
pub use match_value::MatchValue;
pub use model::{Config, DeclaredCompany, DeclaredPerson, config_schema, people_schema};
pub(crate) use schema_check::Schema;
pub use source::SourceText;
pub(crate) use yaml::MAX_EXACT_INTEGER;

/// A JSON Schema as the checked-in files hold it: pretty JSON with a
/// trailing newline (`zeeg schema` prints it, `import` writes it beside).
pub fn schema_text(schema: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}
