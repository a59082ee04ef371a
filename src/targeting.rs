//! `--only GLOB` / `--exclude GLOB`: which entries a `plan` or `apply` works on.
//!
//! A glob selects an entry when it matches the entry's file path (relative to
//! the project root, `/`-separated, `*` staying within one folder and `**`
//! crossing folders; a glob without `/` matches the file name alone, as in
//! `.gitignore`) or any of the entry's emails (ignoring case; `*` matches
//! anything, e.g. `*@acme.com`).
//!
//! An entry is selected when no `--only` is given or one of them matches, and
//! no `--exclude` matches. A declared company is selected when its file is
//! (by path), or when a selected entry links to it: a person is never sent
//! without the company it needs, and a company file can be applied alone.
//! Use:
//!
//! ```
//! # use zeeg::targeting::Targeting;
//! let targeting = Targeting::new(&["people/vip/**".into()], &["*@example.com".into()])?;
//! # let entries: Vec<zeeg::manifest::Entry> = vec![];
//! let (selected, left_out) = targeting.filter(entries);
//! // … plan `selected`, and say "{left_out} entries left out by --only/--exclude".
//! # Ok::<(), zeeg::targeting::TargetingError>(())
//! ```

use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use miette::Diagnostic;
use thiserror::Error;

use std::collections::HashSet;

use crate::manifest::{CompanyDeclaration, Entry};

/// Errors in `--only` / `--exclude` values.
#[derive(Debug, Error, Diagnostic)]
pub enum TargetingError {
    /// A glob could not be parsed.
    #[error("{flag} {glob:?} is not a valid glob")]
    #[diagnostic(
        code(zeeg::targeting::glob),
        help(
            "use `*` within a folder or an email, `**` across folders, `?` for one \
             character, `[abc]` for a set, `{{a,b}}` for alternatives; quote the glob \
             so the shell does not expand it"
        )
    )]
    InvalidGlob {
        flag: &'static str,
        glob: String,
        #[source]
        source: globset::Error,
    },

    /// The globs left no entry: planning nothing would look like "no changes".
    #[error("{} selected none of the {}", describe(.only, .exclude), crate::plural::counted(*.entries, "entry", "entries"))]
    #[diagnostic(
        code(zeeg::targeting::nothing_selected),
        help(
            "a glob matches a file path relative to the project root (`people/sales.yaml`, \
             `people/**`), a file name without `/` (`sales.yaml`), or an email (`*@acme.com`); \
             the people files here are: {files}"
        )
    )]
    NothingSelected {
        only: Vec<String>,
        exclude: Vec<String>,
        entries: usize,
        /// A few of the files read, relative to the project root.
        files: String,
    },
}

impl TargetingError {
    /// The error as `--redact` prints it: the globs, which may be emails,
    /// with their contact data masked.
    #[must_use]
    pub fn redacted(self) -> TargetingError {
        let mask = |globs: Vec<String>| {
            globs
                .iter()
                .map(|glob| crate::redact::mask_text(glob))
                .collect()
        };
        match self {
            TargetingError::InvalidGlob { flag, glob, source } => TargetingError::InvalidGlob {
                flag,
                glob: crate::redact::mask_text(&glob),
                source,
            },
            TargetingError::NothingSelected {
                only,
                exclude,
                entries,
                files,
            } => TargetingError::NothingSelected {
                only: mask(only),
                exclude: mask(exclude),
                entries,
                files,
            },
        }
    }
}

/// `--only "a" --exclude "b"`, as typed.
fn describe(only: &[String], exclude: &[String]) -> String {
    let flags = only
        .iter()
        .map(|g| format!("--only {g:?}"))
        .chain(exclude.iter().map(|g| format!("--exclude {g:?}")));
    flags.collect::<Vec<_>>().join(" ")
}

/// The compiled `--only` and `--exclude` globs.
#[derive(Debug, Clone)]
pub struct Targeting {
    only: Option<Matcher>,
    exclude: Option<Matcher>,
}

impl Targeting {
    /// Compiles the globs given to `--only` and `--exclude` (either may be empty).
    pub fn new(only: &[String], exclude: &[String]) -> Result<Targeting, TargetingError> {
        Ok(Targeting {
            only: Matcher::new("--only", only)?,
            exclude: Matcher::new("--exclude", exclude)?,
        })
    }

    /// Whether any `--only` or `--exclude` was given.
    pub fn is_active(&self) -> bool {
        self.only.is_some() || self.exclude.is_some()
    }

    /// Whether the entry is one to work on.
    pub fn selects(&self, entry: &Entry) -> bool {
        let emails: Vec<String> = entry.emails().iter().map(|e| e.to_lowercase()).collect();
        let path = slash_path(&entry.project_path);
        let matches = |m: &Matcher| m.matches(&path, &emails);
        self.only.as_ref().is_none_or(matches) && !self.exclude.as_ref().is_some_and(matches)
    }

    /// The declared companies a selection works on: those declared in a file
    /// the globs select (by path; an email glob selects no company file), and
    /// those any of the selected `entries` link to. Without globs, all.
    pub fn select_companies(
        &self,
        companies: Vec<CompanyDeclaration>,
        entries: &[Entry],
    ) -> Vec<CompanyDeclaration> {
        if !self.is_active() {
            return companies;
        }
        let linked: HashSet<String> = entries
            .iter()
            .filter_map(|e| e.company.as_ref()?.domain.as_deref())
            .map(crate::company::domain_key)
            .collect();
        let by_file = |company: &CompanyDeclaration| {
            let path = slash_path(&company.project_path);
            let matches = |m: &Matcher| m.matches(&path, &[]);
            self.only.as_ref().is_none_or(matches) && !self.exclude.as_ref().is_some_and(matches)
        };
        companies
            .into_iter()
            .filter(|c| by_file(c) || linked.contains(&crate::company::domain_key(&c.domain)))
            .collect()
    }

    /// Keeps the selected entries, in order, and counts the ones left out;
    /// refuses globs that leave nothing (of some entries).
    pub fn select(
        &self,
        only: &[String],
        exclude: &[String],
        entries: Vec<Entry>,
    ) -> Result<(Vec<Entry>, usize), TargetingError> {
        let mut files: Vec<String> = entries
            .iter()
            .map(|e| slash_path(&e.project_path))
            .collect();
        files.dedup();
        let (selected, left_out) = self.filter(entries);
        if selected.is_empty() && left_out > 0 {
            let shown = files.len().min(5);
            let mut list = files[..shown]
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ");
            if files.len() > shown {
                list.push_str(&format!(" and {} more", files.len() - shown));
            }
            return Err(TargetingError::NothingSelected {
                only: only.to_vec(),
                exclude: exclude.to_vec(),
                entries: left_out,
                files: list,
            });
        }
        Ok((selected, left_out))
    }

    /// Keeps the selected entries, in order, and counts the ones left out.
    pub fn filter(&self, entries: Vec<Entry>) -> (Vec<Entry>, usize) {
        let before = entries.len();
        let selected: Vec<Entry> = entries.into_iter().filter(|e| self.selects(e)).collect();
        let left_out = before - selected.len();
        (selected, left_out)
    }
}

/// One flag's globs, compiled once for paths and once for emails.
#[derive(Debug, Clone)]
struct Matcher {
    /// Globs with a `/`, against the whole path.
    paths: GlobSet,
    /// Globs without a `/`, against the file name.
    names: GlobSet,
    /// Every glob, against lower-cased emails.
    emails: GlobSet,
}

impl Matcher {
    fn new(flag: &'static str, globs: &[String]) -> Result<Option<Matcher>, TargetingError> {
        if globs.is_empty() {
            return Ok(None);
        }
        let mut paths = GlobSetBuilder::new();
        let mut names = GlobSetBuilder::new();
        let mut emails = GlobSetBuilder::new();
        for glob in globs {
            let invalid = |source| TargetingError::InvalidGlob {
                flag,
                glob: glob.clone(),
                source,
            };
            let trimmed = glob.strip_prefix("./").unwrap_or(glob);
            let path_glob = GlobBuilder::new(trimmed)
                .literal_separator(true)
                .build()
                .map_err(invalid)?;
            if trimmed.contains('/') {
                paths.add(path_glob);
            } else {
                names.add(path_glob);
            }
            let email_glob = GlobBuilder::new(&glob.to_lowercase())
                .case_insensitive(true)
                .build()
                .map_err(invalid)?;
            emails.add(email_glob);
        }
        let build = |set: GlobSetBuilder| {
            set.build().map_err(|source| TargetingError::InvalidGlob {
                flag,
                glob: globs.join(" "),
                source,
            })
        };
        Ok(Some(Matcher {
            paths: build(paths)?,
            names: build(names)?,
            emails: build(emails)?,
        }))
    }

    fn matches(&self, path: &str, emails: &[String]) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        self.paths.is_match(path)
            || self.names.is_match(name)
            || emails.iter().any(|e| self.emails.is_match(e))
    }
}

/// The path with `/` separators and no leading `./`, as globs are written.
fn slash_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").unwrap_or(&text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::SourceLocation;
    use serde_json::json;

    fn entry(file: &str, emails: &[&str]) -> Entry {
        let mut fields = serde_json::Map::new();
        if !emails.is_empty() {
            fields.insert("emails".into(), json!(emails));
        }
        Entry {
            source: SourceLocation {
                file: std::path::Path::new(file).into(),
                line: 1,
                column: 1,
            },
            matching_attribute: "email".into(),
            match_value: json!(emails.first()).into(),
            fields: fields.into(),
            custom_value_at: Default::default(),
            project_path: std::path::Path::new(file).into(),
            company: None,
        }
    }

    fn targeting(only: &[&str], exclude: &[&str]) -> Targeting {
        let strings = |globs: &[&str]| globs.iter().map(|g| g.to_string()).collect::<Vec<_>>();
        Targeting::new(&strings(only), &strings(exclude)).unwrap()
    }

    #[test]
    fn without_globs_everything_is_selected() {
        let t = targeting(&[], &[]);
        assert!(!t.is_active());
        assert!(t.selects(&entry("people/a.yaml", &["a@x.com"])));
    }

    #[test]
    fn only_matches_a_file_path_with_star_staying_in_one_folder() {
        let t = targeting(&["people/*.yaml"], &[]);
        assert!(t.selects(&entry("people/a.yaml", &["a@x.com"])));
        assert!(!t.selects(&entry("people/vip/b.yaml", &["b@x.com"])));
        assert!(!t.selects(&entry("other/a.yaml", &["a@x.com"])));
        let deep = targeting(&["people/**"], &[]);
        assert!(deep.selects(&entry("people/vip/b.yaml", &[])));
    }

    #[test]
    fn a_glob_without_a_slash_matches_the_file_name_in_any_folder() {
        let t = targeting(&["vip.yaml"], &[]);
        assert!(t.selects(&entry("people/sales/vip.yaml", &[])));
        assert!(t.selects(&entry("./vip.yaml", &[])));
        assert!(!t.selects(&entry("people/vip.yml", &[])));
    }

    #[test]
    fn only_matches_any_email_ignoring_case() {
        let t = targeting(&["*@ACME.com"], &[]);
        assert!(t.selects(&entry("p.yaml", &["jane@other.io", "Jane@Acme.COM"])));
        assert!(!t.selects(&entry("p.yaml", &["jane@acme.co"])));
        assert!(!t.selects(&entry("p.yaml", &[])));
    }

    #[test]
    fn exclude_wins_over_only() {
        let t = targeting(&["people/**"], &["*@example.com", "draft-*.yaml"]);
        assert!(t.selects(&entry("people/a.yaml", &["a@acme.com"])));
        assert!(!t.selects(&entry("people/a.yaml", &["a@example.com"])));
        assert!(!t.selects(&entry("people/draft-1.yaml", &["a@acme.com"])));
    }

    #[test]
    fn several_only_globs_are_alternatives() {
        let t = targeting(&["a.yaml", "*@b.com"], &[]);
        assert!(t.selects(&entry("x/a.yaml", &[])));
        assert!(t.selects(&entry("x/c.yaml", &["z@b.com"])));
        assert!(!t.selects(&entry("x/c.yaml", &["z@c.com"])));
    }

    #[test]
    fn filter_keeps_order_and_counts_what_was_left_out() {
        let t = targeting(&[], &["*@x.com"]);
        let entries = vec![
            entry("a.yaml", &["1@y.com"]),
            entry("a.yaml", &["2@x.com"]),
            entry("a.yaml", &["3@y.com"]),
        ];
        let (kept, left_out) = t.filter(entries);
        assert_eq!(left_out, 1);
        let firsts: Vec<_> = kept.iter().map(|e| e.match_value.clone()).collect();
        assert_eq!(firsts, [json!("1@y.com"), json!("3@y.com")]);
    }

    #[test]
    fn a_bad_glob_names_the_flag_and_the_glob() {
        let err = Targeting::new(&[], &["people/[a".into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--exclude \"people/[a\" is not a valid glob"
        );
    }
}
