//! Loading a project: settings, people files, entries, and the checks that
//! span entries (identities, shared emails).

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::attributes::DeclaredAttribute;
use super::diagnostic::{Diagnostics, ManifestError, Problem};
use super::discover::{self, Filters, Found, ProjectRoot};
use super::entry::{CompanyDeclaration, CompanyLink, Entry, Fields, SourceFile, SourceLocation};
use super::match_value::MatchValue;
use super::model::{Config, DeclaredCompany, DeclaredPerson};
use super::schema_check::{self, Schema};
use super::source::SourceText;
use super::yaml::{self, Document, ItemSpans, PeopleItem, Spans, YamlError, YamlProblem};
use crate::company;
use crate::person::{MatchField, MatchingAttribute, normalize_email};

mod attributes;
mod companies;
mod config;
mod defaults;
mod file;
mod identities;
mod input;
#[cfg(test)]
mod testing;
mod values;

use attributes::*;
use companies::*;
pub use config::read_config;
use config::*;
use defaults::*;
use file::*;
use identities::*;
use input::*;

/// The desired state of a project, ready for planning.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The project root: the folder of `zeeg.yaml` at or above the first
    /// path, else the git work tree's root, else the current folder.
    /// Absolute.
    pub root: PathBuf,
    /// The settings of `zeeg.yaml` (defaults when there is none).
    pub config: Config,
    /// Where `zeeg.yaml` was found, if anywhere.
    pub config_file: Option<PathBuf>,
    /// Every entry of every people file, in file order then list order.
    pub entries: Vec<Entry>,
    /// Every declared company, in file order then list order; no domain
    /// twice (ignoring case).
    pub companies: Vec<CompanyDeclaration>,
    /// Every declared custom attribute (`attributes:`), in file order then
    /// list order; no object and key twice.
    pub attributes: Vec<DeclaredAttribute>,
    /// The people files read, relative to the root, with their digests.
    pub files: Vec<SourceFile>,
    /// The paths the files were found under (default `.`), relative to the
    /// root: what a saved plan records so `apply --plan` reads the same.
    pub paths: Vec<PathBuf>,
}

/// Reads and checks the people files under `paths` (default: `.`). Returns
/// every problem of every file when anything is wrong.
pub fn load(paths: &[PathBuf]) -> Result<Manifest, Diagnostics> {
    load_keeping(paths, Keep::Entries)
}

/// What [`check`] found valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub people: usize,
    pub companies: usize,
    pub attributes: usize,
    pub files: usize,
    /// Notes that do not make the files invalid ([`DeclaredAttribute::hint`]).
    pub hints: Vec<String>,
}

/// Runs every check [`load`] runs, keeping of each person only what the
/// checks across entries need: what `validate` wants, in a fraction of the
/// memory of a big file's entries.
pub fn check(paths: &[PathBuf]) -> Result<Checked, Diagnostics> {
    let manifest = load_keeping(paths, Keep::Checks)?;
    Ok(Checked {
        people: manifest.entries.len(),
        companies: manifest.companies.len(),
        attributes: manifest.attributes.len(),
        files: manifest.files.len(),
        hints: manifest
            .attributes
            .iter()
            .filter_map(DeclaredAttribute::hint)
            .collect(),
    })
}

/// What loading keeps of each entry once its own checks ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Everything: the entries are planned.
    Entries,
    /// Its identity and custom attribute values: the entries only count.
    Checks,
}

fn load_keeping(paths: &[PathBuf], keep: Keep) -> Result<Manifest, Diagnostics> {
    let default_paths = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default_paths[..]
    } else {
        paths
    };
    let mut problems = Vec::new();

    let ProjectRoot { root, config_file } = discover::project_root(&paths[0]);
    let mut settings = match &config_file {
        Some(path) => load_config(path, &mut problems),
        None => Settings::default(),
    };

    let found = discover::discover(paths, &root, &settings.filters, &mut problems);
    if found.is_empty() && problems.is_empty() {
        problems.push(Problem::new(ManifestError::NoFiles));
    }

    let mut all = FileOut {
        attributes: std::mem::take(&mut settings.attributes),
        ..FileOut::default()
    };
    let files = read_files(&found, &settings, keep, &mut all);
    problems.append(&mut all.problems);
    check_across_files(&all, &settings, &mut problems);
    let FileOut {
        loaded,
        companies,
        attributes,
        problems: _,
    } = all;

    if !problems.is_empty() {
        let mut diagnostics = Diagnostics { problems };
        diagnostics.sort();
        return Err(diagnostics);
    }
    Ok(Manifest {
        config: settings.config,
        config_file,
        entries: loaded.into_iter().map(|l| l.entry).collect(),
        companies: companies.into_iter().map(|c| c.declaration).collect(),
        attributes: attributes.into_iter().map(|a| a.declared).collect(),
        files,
        paths: paths
            .iter()
            .map(|path| discover::in_project(path, &root))
            .collect(),
        root,
    })
}

/// The checks across the files' entries, companies and attributes:
/// identities, company domains, attribute keys, declared values, and
/// zeeg.yaml's default matching attribute.
fn check_across_files(all: &FileOut, settings: &Settings, problems: &mut Vec<Problem>) {
    check_identities(&all.loaded, problems);
    check_company_domains(&all.companies, problems);
    check_attribute_keys(&all.attributes, problems);
    values::check_declared_values(&all.loaded, &all.attributes, problems);
    report_unmatched_defaults(&all.loaded, settings.matching_default_at.as_ref(), problems);
}

/// Loads every found file (on a few threads), adding what each yields to
/// `all` in file order; returns the files read.
fn read_files(
    found: &[Found],
    settings: &Settings,
    keep: Keep,
    all: &mut FileOut,
) -> Vec<SourceFile> {
    let per_file = parallel_map(found, |item| {
        let mut out = FileOut::default();
        let file = load_file(item, settings, keep, &mut out);
        (file, out)
    });
    let mut files = Vec::new();
    for (file, out) in per_file {
        files.extend(file);
        // The first file's entries are moved, not copied: with one big file
        // a copy held every entry twice.
        if all.loaded.is_empty() {
            all.loaded = out.loaded;
        } else {
            all.loaded.extend(out.loaded);
        }
        all.companies.extend(out.companies);
        all.attributes.extend(out.attributes);
        all.problems.extend(out.problems);
    }
    files
}

/// Maps `f` over `items` on a few threads, keeping the order. Files are
/// independent until the cross-file checks, which run after.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(items.len() / 4)
        .max(1);
    if threads == 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let f = &f;
                scope.spawn(move || part.iter().map(f).collect::<Vec<R>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

#[derive(Default)]
struct Settings {
    config: Config,
    defaults: Option<Map<String, Value>>,
    /// Where zeeg.yaml writes each `defaults.customAttributes` value.
    custom_defaults_at: HashMap<String, SourceLocation>,
    /// zeeg.yaml and where it writes `defaults.matchingAttribute`.
    matching_default_at: Option<(SourceText, Range<usize>)>,
    /// Where zeeg.yaml writes `defaults.company`.
    company_default_at: Option<SourceLocation>,
    filters: Filters,
    /// The attributes zeeg.yaml declares.
    attributes: Vec<LoadedAttribute>,
}

/// What loading one file yields: its entries, its companies, its
/// attributes, its problems.
#[derive(Default)]
struct FileOut {
    loaded: Vec<Loaded>,
    companies: Vec<LoadedCompany>,
    attributes: Vec<LoadedAttribute>,
    problems: Vec<Problem>,
}

/// A company declaration and where it is written, for the duplicate check.
struct LoadedCompany {
    declaration: CompanyDeclaration,
    source: SourceText,
    /// The span of its `domain` value.
    span: Range<usize>,
}

/// A path as diagnostics name it (see [`discover::shown`]).
fn shown_name(path: &Path) -> String {
    discover::shown(path).to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::testing::{manifest, one_problem, problems, project};
    use super::*;

    const JANE: &str = "people:\n  - firstName: Jane\n    emails: [jane@acme.com]\n";

    #[test]
    fn parallel_map_keeps_the_order_of_its_items() {
        let items: Vec<usize> = (0..103).collect();
        let doubled = parallel_map(&items, |n| n * 2);
        assert_eq!(doubled, (0..103).map(|n| n * 2).collect::<Vec<_>>());
    }

    #[test]
    fn entries_come_in_file_order_then_list_order_over_threads() {
        // Enough files to be read on several threads.
        let files: Vec<(String, String)> = (0..12)
            .map(|i| {
                let person = |n| format!("  - firstName: P\n    emails: [p{n}@f{i:02}.com]\n");
                (
                    format!("f{i:02}.yaml"),
                    format!("people:\n{}{}", person(1), person(2)),
                )
            })
            .collect();
        let named: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let manifest = manifest(&named);
        let emails: Vec<String> = manifest
            .entries
            .iter()
            .filter_map(|entry| entry.emails().first().cloned())
            .collect();
        let expected: Vec<String> = (0..12)
            .flat_map(|i| [format!("p1@f{i:02}.com"), format!("p2@f{i:02}.com")])
            .collect();
        assert_eq!(emails, expected);
    }

    #[test]
    fn a_project_without_people_files_says_so() {
        let seen = one_problem(&[("notes.txt", "not yaml")]);
        assert!(seen.help.as_deref().unwrap_or_default().contains("*.yaml"));
        assert_eq!(seen.at, None);
    }

    #[test]
    fn the_paths_are_recorded_relative_to_the_root() {
        let dir = project(&[
            ("zeeg.yaml", "apiUrl: http://127.0.0.1:9/v2\n"),
            ("team/a.yaml", JANE),
        ]);
        let manifest = load(&[dir.path().join("team")]).unwrap();
        assert_eq!(manifest.paths, [PathBuf::from("team")]);
        assert_eq!(manifest.files[0].path, PathBuf::from("team/a.yaml"));
        assert_eq!(
            manifest.config.api_url.as_deref(),
            Some("http://127.0.0.1:9/v2")
        );
        assert!(
            manifest
                .config_file
                .is_some_and(|f| f.ends_with("zeeg.yaml"))
        );
    }

    #[test]
    fn every_problem_of_every_file_is_reported_in_file_order() {
        let seen = problems(&[
            ("a.yaml", "people:\n  - emails: [a@acme.com]\n"),
            ("b.yaml", "people:\n  - emails: [b@acme.com]\n"),
        ]);
        let at: Vec<Option<&str>> = seen.iter().map(|s| s.at.as_deref()).collect();
        assert_eq!(at, [Some("a.yaml:2"), Some("b.yaml:2")]);
    }
}
