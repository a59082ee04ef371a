//! Which files are people files: the project root (where `zeeg.yaml` is), and
//! every `*.yaml`/`*.yml` under the paths given.

use std::path::{Path, PathBuf};

use globset::GlobSet;

use super::diagnostic::{ManifestError, Problem};

/// The name of the project settings file.
pub const CONFIG_FILE: &str = "zeeg.yaml";

/// Finds `zeeg.yaml` by walking up from `start`. The walk stops at the first
/// folder holding `.git`, so a repository never picks up a stray file above it.
pub(crate) fn find_config(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(current) = dir {
        let candidate = current.join(CONFIG_FILE);
        if candidate.is_file() {
            return Some(candidate);
        }
        if current.join(".git").exists() {
            return None;
        }
        dir = current.parent();
    }
    None
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
    pub relative: PathBuf,
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
        if path.is_file() {
            if !is_config(path) {
                found.push(make_found(path, root));
            }
            continue;
        }
        if !path.exists() {
            problems.push(Problem::new(ManifestError::PathNotFound {
                path: path.clone(),
            }));
            continue;
        }
        let walker = walkdir::WalkDir::new(path)
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
            let item = make_found(entry.path(), root);
            if filters.keeps(&item.relative) {
                found.push(item);
            }
        }
    }
    found.sort_by(|a, b| a.relative.cmp(&b.relative).then(a.shown.cmp(&b.shown)));
    found.dedup_by(|a, b| a.relative == b.relative);
    found
}

fn make_found(path: &Path, root: &Path) -> Found {
    let shown = path
        .strip_prefix(".")
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned();
    let absolute = canonical(path);
    let relative = absolute
        .strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf());
    Found {
        path: path.to_path_buf(),
        shown,
        relative,
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
