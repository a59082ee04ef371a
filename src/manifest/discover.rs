//! Which files are people files: the project root (where `zeeg.yaml` is), and
//! every `*.yaml`/`*.yml` under the paths given; and how paths are shown.
//!
//! The project root is the nearest folder at or above the first path that
//! holds `zeeg.yaml`, not looking above the git work tree's root; else the git
//! work tree's root; else the current folder. `.zeeg/` lives there, and saved
//! plans store paths relative to it. Paths shown to people are relative to
//! the current folder, so they can be opened as printed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::GlobSet;

use super::CONFIG_FILE;
use super::diagnostic::{ManifestError, Problem};

/// A project: its root folder (absolute, canonical) and its `zeeg.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRoot {
    pub root: PathBuf,
    pub config_file: Option<PathBuf>,
}

/// Finds the project of `first` (a file or folder, existing or not). The
/// walk up for `zeeg.yaml` stops at the first folder holding `.git`, so a
/// repository never picks up a stray file above it.
pub fn project_root(first: &Path) -> ProjectRoot {
    let start = start_dir(first);
    for dir in start.ancestors() {
        let candidate = dir.join(CONFIG_FILE);
        if candidate.is_file() {
            return ProjectRoot {
                root: dir.to_path_buf(),
                config_file: Some(candidate),
            };
        }
        if dir.join(".git").exists() {
            return ProjectRoot {
                root: dir.to_path_buf(),
                config_file: None,
            };
        }
    }
    ProjectRoot {
        root: current_dir(),
        config_file: None,
    }
}

/// The current folder, canonical (so it compares with canonical paths).
fn current_dir() -> PathBuf {
    std::env::current_dir()
        .map(|dir| canonical(&dir))
        .unwrap_or_else(|_| PathBuf::from("."))
}

/// `path` as a person at the shell should see it: relative to the current
/// folder (with `..` when it is beside it), absolute when the two share
/// nothing but the filesystem root.
pub fn shown(path: &Path) -> PathBuf {
    relative_to(&canonical(path), &current_dir())
}

/// `path` relative to `base`, both absolute.
pub(crate) fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let path_parts: Vec<_> = path.components().collect();
    let base_parts: Vec<_> = base.components().collect();
    let common = path_parts
        .iter()
        .zip(&base_parts)
        .take_while(|(a, b)| a == b)
        .count();
    // Only the root (or a drive) in common: `../../..` would say less than
    // the absolute path.
    if common <= 1 {
        return path.to_path_buf();
    }
    let mut relative = PathBuf::new();
    for _ in common..base_parts.len() {
        relative.push("..");
    }
    for part in &path_parts[common..] {
        relative.push(part);
    }
    if relative.as_os_str().is_empty() {
        relative.push(".");
    }
    relative
}

/// `path` (as given, relative to the current folder) relative to `root`, as
/// saved plans store it; `.` for the root itself.
pub fn in_project(path: &Path, root: &Path) -> PathBuf {
    relative_to(&canonical(path), root)
}

/// The folder the search for `zeeg.yaml` starts from: the first path, or its
/// folder when it is a file; absolute.
pub(crate) fn start_dir(first: &Path) -> PathBuf {
    let absolute = canonical(first);
    if absolute.is_dir() {
        absolute
    } else {
        absolute.parent().map(Path::to_path_buf).unwrap_or(absolute)
    }
}

/// A file to read: the name shown to the user and the path relative to the
/// project root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub path: PathBuf,
    pub shown: String,
    /// `shown` as a path, shared by every entry of the file.
    pub shown_path: Arc<Path>,
    /// Relative to the project root, shared by every entry of the file.
    pub relative: Arc<Path>,
}

/// Globs of `zeeg.yaml`, matched against paths relative to the project root.
#[derive(Debug, Default)]
pub(crate) struct Filters {
    pub include: Option<GlobSet>,
    pub exclude: Option<GlobSet>,
}

impl Filters {
    fn keeps(&self, relative: &Path) -> bool {
        if let Some(include) = &self.include
            && !include.is_match(relative)
        {
            return false;
        }
        !self.exclude.as_ref().is_some_and(|e| e.is_match(relative))
    }
}

/// Lists the people files under `paths`, in sorted order, without duplicates.
/// Files named explicitly are always read; files found in folders pass the
/// filters, and hidden files and folders are skipped.
pub(crate) fn discover(
    paths: &[PathBuf],
    root: &Path,
    filters: &Filters,
    problems: &mut Vec<Problem>,
) -> Vec<Found> {
    let mut found = Vec::new();
    for path in paths {
        let bound = Bound::of(path, root);
        if path.is_file() {
            if !is_config(path) {
                found.extend(bound.found(path, problems));
            }
            continue;
        }
        if !path.exists() {
            problems.push(Problem::new(ManifestError::PathNotFound {
                path: path.clone(),
            }));
            continue;
        }
        // Symlinked files and folders are followed, so a people file linked
        // into the tree is read, not skipped without a word; walkdir stops a
        // link loop with an error, reported like any unreadable folder. A file
        // reached twice (a link to a file in the tree) counts once, by its
        // real path (the dedup below).
        let walker = walkdir::WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(source) => {
                    problems.push(Problem::new(ManifestError::Walk {
                        path: path.clone(),
                        source,
                    }));
                    continue;
                }
            };
            if !entry.file_type().is_file() || !is_yaml(entry.path()) || is_config(entry.path()) {
                continue;
            }
            if let Some(item) = bound.found(entry.path(), problems)
                && filters.keeps(&item.relative)
            {
                found.push(item);
            }
        }
    }
    found.sort_by(|a, b| a.relative.cmp(&b.relative).then(a.shown.cmp(&b.shown)));
    found.dedup_by(|a, b| a.relative == b.relative);
    found
}

/// Where the files found under one given path may lead: inside the project
/// root; or, for a path given outside it (a folder elsewhere, when no
/// zeeg.yaml or `.git` made the root), inside the folder given.
struct Bound<'r> {
    root: &'r Path,
    within: PathBuf,
}

impl<'r> Bound<'r> {
    fn of(path: &Path, root: &'r Path) -> Bound<'r> {
        // A file's folder as named: the file itself may be a link.
        let folder = if path.is_dir() {
            canonical(path)
        } else {
            match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => canonical(parent),
                _ => current_dir(),
            }
        };
        let within = if folder.starts_with(root) {
            root.to_path_buf()
        } else {
            folder
        };
        Bound { root, within }
    }

    /// The file to read at `path`, when it resolves to a file within the
    /// bound; otherwise a problem that names it and where it leads, and
    /// never its content. A link added by a pull request (to a token file,
    /// `/proc/self/environ`, `/etc/passwd`) would else be parsed, and its
    /// lines quoted into the CI log by the diagnostics.
    fn found(&self, path: &Path, problems: &mut Vec<Problem>) -> Option<Found> {
        let absolute = canonical(path);
        if !absolute.starts_with(&self.within) {
            // Named as found (the link) and as its link says
            // (`/proc/self/environ`, not the process's own number).
            let named = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
            problems.push(Problem::new(ManifestError::OutsideRoot {
                path: relative_to(&named, &current_dir()),
                target: std::fs::read_link(path).unwrap_or(absolute),
                root: self.within.clone(),
            }));
            return None;
        }
        let relative = absolute.strip_prefix(self.root).unwrap_or(path).into();
        let shown = shown(path).to_string_lossy().into_owned();
        Some(Found {
            path: path.to_path_buf(),
            shown_path: Path::new(&shown).into(),
            shown,
            relative,
        })
    }
}

/// The real absolute path (symlinks and `..` resolved) when it exists.
pub(crate) fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

fn is_config(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == CONFIG_FILE)
}
