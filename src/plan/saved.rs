//! Saved plans (`plan --out FILE`, `apply --plan FILE`).
//!
//! A saved plan holds no contact data in clear. Per change it keeps the
//! entry's identity and every before/after value only as HMAC-SHA256 tags,
//! the field paths, the live id and `updatedAt`, and where the entry was
//! written. It also keeps the SHA-256 of each source file.
//!
//! The HMAC's key is derived from the API token ([`PlanKey`]) and a random
//! per-plan salt, and the token is never in the file. A plain salted hash
//! was reversible from the file alone: a phone number's identity fell to
//! 9,876 guesses, since the salt was right there. With the key, guessing
//! needs the token too. Why the token rather than a slow KDF: identities are
//! low-entropy (a phone number, a short id), so even a slow hash of them falls
//! to a patient search, while the token is a secret the applying side already
//! holds. The price: a plan saved with one token is stale for another (a
//! rotated token means planning again).
//!
//! `apply --plan` recomputes the plan from the files and the live records and
//! asks [`SavedPlan::check`] which recomputed changes are exactly the ones
//! that were saved: those may be applied; everything else is stale.

use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use miette::Diagnostic;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::{Action, Change, CompanyChange, CompanyPlan, FieldChange, Plan};
use crate::manifest::{SourceFile, SourceLocation};
use crate::person::{MatchField, normalize_email};

/// The version of the saved-plan file format. 2: keyed hashes (version 1's
/// salted hashes could be reversed from the file alone, so it is refused).
pub const SAVED_FORMAT_VERSION: u32 = 2;

/// The largest saved plan `apply --plan` reads: about 350,000 changes of a
/// few fields each. A bigger file is not one zeeg wrote.
pub const MAX_SAVED_PLAN_BYTES: u64 = 512 << 20;

/// The secret behind a saved plan's hashes, derived from the API token the
/// plan was made with; never written anywhere.
#[derive(Clone)]
pub struct PlanKey([u8; 32]);

impl PlanKey {
    /// The key for plans made and applied with this token.
    pub fn from_token(token: &crate::api::Token) -> PlanKey {
        let mut hasher = Sha256::new();
        hasher.update(b"zeeg saved-plan key v2\0");
        hasher.update(token.expose().as_bytes());
        PlanKey(hasher.finalize().into())
    }
}

impl std::fmt::Debug for PlanKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlanKey(<redacted>)")
    }
}

/// A plan as written by `plan --out`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SavedPlan {
    /// Always [`SAVED_FORMAT_VERSION`].
    pub format_version: u32,
    /// Random hex salt of every hash in this file (mixed with the key).
    pub salt: String,
    /// The people files the plan was computed from, relative to the project
    /// root, with their SHA-256.
    pub sources: Vec<SourceFile>,
    /// The paths the files were found under (the `PATH` arguments of `plan`,
    /// default `.`), relative to the project root: `apply --plan` reads the
    /// same ones.
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    /// The `--only` / `--exclude` globs the plan was made with, sealed
    /// (ChaCha20-Poly1305, keyed like the tags): a glob may be an email.
    /// `apply --plan` opens them to select the same entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targeting: Option<String>,
    /// Globs in clear, as plans of earlier zeeg versions hold them: read,
    /// never written.
    #[serde(default, skip_serializing)]
    pub only: Vec<String>,
    #[serde(default, skip_serializing)]
    pub exclude: Vec<String>,
    /// How many entries were up to date.
    pub unchanged: usize,
    /// The planned company changes, in manifest order (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companies: Vec<SavedCompanyChange>,
    /// The planned changes, in manifest order.
    pub changes: Vec<SavedChange>,
}

/// One planned company change, fingerprinted like a person's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SavedCompanyChange {
    /// Create or update (a rename).
    pub action: Action,
    /// Where the company was declared (for messages only).
    pub source: SourceLocation,
    /// Keyed hash of the domain, as the API compares it.
    pub identity: String,
    /// The live company's id, for updates.
    pub company_id: Option<String>,
    /// The live company's `updatedAt` when planned, for updates.
    pub updated_at: Option<String>,
    /// The changed fields with keyed hashes of their values.
    pub fields: Vec<SavedField>,
}

/// One planned change, fingerprinted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SavedChange {
    /// Create or update.
    pub action: Action,
    /// Where the entry was written (for messages; not part of the fingerprint,
    /// so moving an entry within its file keeps the change valid).
    pub source: SourceLocation,
    /// The matching attribute's slug.
    pub matching_attribute: String,
    /// Salted hash of the identity (the normalised match value).
    pub identity: String,
    /// The live person's id, for updates.
    pub person_id: Option<String>,
    /// The live person's `updatedAt` when planned, for updates.
    pub updated_at: Option<String>,
    /// The changed fields with salted hashes of their values.
    pub fields: Vec<SavedField>,
}

/// One changed field, without its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedField {
    /// `jobTitle`, `socials.linkedin`, `customAttributes.tier`, …
    pub path: String,
    /// Salted hash of the live value.
    pub before: String,
    /// Salted hash of the desired value.
    pub after: String,
}

/// Which recomputed changes a saved plan still vouches for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SavedPlanCheck {
    /// Indices into the recomputed plan's `changes` that equal a saved change:
    /// these, and only these, may be applied.
    pub current: Vec<usize>,
    /// Indices into the recomputed plan's company changes that equal a saved
    /// one: only these companies may be asserted.
    pub current_companies: Vec<usize>,
    /// Everything that differs from the saved plan.
    pub stale: Vec<StaleChange>,
    /// Source files whose contents changed since the plan was saved (or that
    /// appeared or disappeared). Informative: the per-change check decides.
    pub changed_sources: Vec<PathBuf>,
}

impl SavedPlanCheck {
    /// Whether every saved change still holds and nothing new appeared.
    pub fn is_current(&self) -> bool {
        self.stale.is_empty()
    }
}

/// A change that may not be applied from a saved plan.
#[derive(Debug, Clone, PartialEq)]
pub struct StaleChange {
    /// Why.
    pub reason: StaleReason,
    /// Where the entry is (or was) written.
    pub source: SourceLocation,
    /// The index of the recomputed change, when there is one.
    pub fresh: Option<usize>,
    /// The index of the recomputed company change, when the stale change is
    /// a company's and there is one.
    pub fresh_company: Option<usize>,
    /// Whether the stale change is a company's (also when it is gone, and
    /// `fresh_company` is `None`).
    pub company: bool,
}

/// Why a change is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleReason {
    /// The entry or its live person changed since the plan was saved, so the
    /// recomputed change differs from the reviewed one.
    Differs,
    /// The saved change is no longer needed (already applied, or the entry was
    /// removed or now matches the CRM).
    Gone,
    /// The recomputed plan holds a change that was never reviewed.
    NotInSavedPlan,
}

impl std::fmt::Display for StaleReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StaleReason::Differs => "the entry or the live person changed since the plan was saved",
            StaleReason::Gone => "the saved change is no longer needed",
            StaleReason::NotInSavedPlan => "this change is not in the saved plan",
        })
    }
}

/// Reading or writing a saved plan failed.
#[derive(Debug, Error, Diagnostic)]
pub enum SavedPlanError {
    /// The file could not be written.
    #[error("could not write the saved plan to {}", path.display())]
    #[diagnostic(
        code(zeeg::plan::write_saved),
        help("check that the folder exists and is writable")
    )]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file could not be read.
    #[error("could not read the saved plan {}", path.display())]
    #[diagnostic(
        code(zeeg::plan::read_saved),
        help("pass the file written by `zeeg plan --out FILE`")
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not a saved plan of this version.
    #[error("{} is not a saved zeeg plan", path.display())]
    #[diagnostic(
        code(zeeg::plan::invalid_saved),
        help("write it again with `zeeg plan --out FILE` using this version of zeeg")
    )]
    Invalid {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// Paths were given to `apply --plan`, and they are not the plan's.
    #[error(
        "{} was made from {}, not from {}",
        plan.display(),
        list(.saved),
        list(.given)
    )]
    #[diagnostic(
        code(zeeg::plan::saved_paths),
        help(
            "run `zeeg apply --plan FILE` without paths: it reads the paths the plan was made from (relative to the project root)"
        )
    )]
    PathsDiffer {
        plan: PathBuf,
        saved: Vec<PathBuf>,
        given: Vec<PathBuf>,
    },

    /// `--only` / `--exclude` given to `apply --plan` differ from the plan's.
    #[error("{} was made with {saved}, not with {given}", plan.display())]
    #[diagnostic(
        code(zeeg::plan::saved_targeting),
        help(
            "run `zeeg apply --plan FILE` without --only/--exclude: it selects the entries the plan was made for"
        )
    )]
    TargetingDiffers {
        plan: PathBuf,
        saved: String,
        given: String,
    },

    /// None of the files the plan was made from is among those read now.
    #[error(
        "{} was made from other people files ({}) than those of this project",
        plan.display(),
        list(.saved)
    )]
    #[diagnostic(
        code(zeeg::plan::saved_other_project),
        help(
            "run apply from the project the plan was made in (paths are relative to its root: the folder of zeeg.yaml, else of .git)"
        )
    )]
    OtherFiles { plan: PathBuf, saved: Vec<PathBuf> },

    /// `plan --out` names a file the plan was made from.
    #[error(
        "refusing to write the plan to {}: the plan was made from that file ({})",
        path.display(),
        input.display()
    )]
    #[diagnostic(
        code(zeeg::plan::out_is_input),
        help("name a new file for --out, outside the people files (e.g. `--out zeeg.plan`)")
    )]
    OverwritesInput { path: PathBuf, input: PathBuf },

    /// The file was written by a different format version.
    #[error("{} is a saved plan of format version {found}; this zeeg reads version {SAVED_FORMAT_VERSION}", path.display())]
    #[diagnostic(
        code(zeeg::plan::saved_version),
        help("write it again with `zeeg plan --out FILE` using this version of zeeg")
    )]
    Version { path: PathBuf, found: u32 },
}

/// `a, b` for messages (at most a few names).
fn list(paths: &[PathBuf]) -> String {
    let mut names: Vec<String> = paths
        .iter()
        .take(5)
        .map(|p| format!("`{}`", p.display()))
        .collect();
    if paths.len() > 5 {
        names.push(format!("and {} more", paths.len() - 5));
    }
    names.join(", ")
}

impl SavedPlan {
    /// Refuses paths given to `apply --plan` (relative to the project root,
    /// as [`crate::manifest::Manifest::paths`]) that are not the ones the plan
    /// was made from.
    pub fn check_paths(&self, plan: &Path, given: &[PathBuf]) -> Result<(), SavedPlanError> {
        let normal = |paths: &[PathBuf]| {
            let mut paths = paths.to_vec();
            paths.sort();
            paths.dedup();
            paths
        };
        if self.paths.is_empty() || normal(&self.paths) == normal(given) {
            return Ok(());
        }
        Err(SavedPlanError::PathsDiffer {
            plan: plan.to_path_buf(),
            saved: self.paths.clone(),
            given: given.to_vec(),
        })
    }

    /// Records the `--only` / `--exclude` globs the plan was made with,
    /// sealed with `key` (see [`SavedPlan::targeting`]).
    pub fn with_targeting(
        mut self,
        only: &[String],
        exclude: &[String],
        key: &PlanKey,
    ) -> SavedPlan {
        if only.is_empty() && exclude.is_empty() {
            return self;
        }
        let globs = Globs {
            only: only.to_vec(),
            exclude: exclude.to_vec(),
        };
        let plain = serde_json::to_vec(&globs)
            .unwrap_or_else(|_| unreachable!("globs are plain JSON data"));
        self.targeting = Some(Keyed::new(key, &self.salt).seal(&plain));
        self
    }

    /// The globs `apply --plan` selects entries with: the plan's own when
    /// none are given; those given when they are the plan's; otherwise
    /// refused, since another selection would make every other change stale.
    /// Globs sealed with another token's key cannot be opened: the plan is
    /// then taken as made without, and every change of it is stale anyway.
    pub fn targeting(
        &self,
        plan: &Path,
        only: &[String],
        exclude: &[String],
        key: &PlanKey,
    ) -> Result<(Vec<String>, Vec<String>), SavedPlanError> {
        let saved = self
            .targeting
            .as_deref()
            .and_then(|sealed| Keyed::new(key, &self.salt).open(sealed))
            .and_then(|plain| serde_json::from_slice::<Globs>(&plain).ok())
            .unwrap_or_else(|| Globs {
                only: self.only.clone(),
                exclude: self.exclude.clone(),
            });
        let Globs {
            only: saved_only,
            exclude: saved_exclude,
        } = saved;
        let sorted = |globs: &[String]| {
            let mut globs = globs.to_vec();
            globs.sort();
            globs.dedup();
            globs
        };
        let given = !only.is_empty() || !exclude.is_empty();
        if !given {
            return Ok((saved_only, saved_exclude));
        }
        if sorted(only) == sorted(&saved_only) && sorted(exclude) == sorted(&saved_exclude) {
            return Ok((only.to_vec(), exclude.to_vec()));
        }
        let describe = |only: &[String], exclude: &[String]| {
            let flags: Vec<String> = only
                .iter()
                .map(|g| format!("--only {g:?}"))
                .chain(exclude.iter().map(|g| format!("--exclude {g:?}")))
                .collect();
            if flags.is_empty() {
                "no --only/--exclude".to_string()
            } else {
                flags.join(" ")
            }
        };
        Err(SavedPlanError::TargetingDiffers {
            plan: plan.to_path_buf(),
            saved: describe(&saved_only, &saved_exclude),
            given: describe(only, exclude),
        })
    }

    /// Refuses a plan none of whose files were read now: it was made in
    /// another project (or for files since renamed).
    pub fn check_files(&self, plan: &Path, sources: &[SourceFile]) -> Result<(), SavedPlanError> {
        let any_read = self
            .sources
            .iter()
            .any(|saved| sources.iter().any(|now| now.path == saved.path));
        if self.sources.is_empty() || any_read {
            return Ok(());
        }
        Err(SavedPlanError::OtherFiles {
            plan: plan.to_path_buf(),
            saved: self.sources.iter().map(|s| s.path.clone()).collect(),
        })
    }

    /// Fingerprints `plan` with a fresh random salt. `sources` are the files
    /// it was computed from and `paths` where they were found, as the
    /// manifest has them (relative to the project root).
    pub fn new(
        plan: &Plan<'_>,
        sources: &[SourceFile],
        paths: &[PathBuf],
        key: &PlanKey,
    ) -> SavedPlan {
        let salt = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let Plan {
            companies,
            changes,
            unchanged,
            warnings: _,
        } = plan;
        let keyed = Keyed::new(key, &salt);
        let relative = |mut source: SourceLocation| {
            // Saved relative to the root, so it means the same file from
            // whichever folder apply runs.
            if let Some(file) = sources.iter().find(|s| s.shown == source.file) {
                source.file = file.path.clone();
            }
            source
        };
        let company_changes = companies
            .changes
            .iter()
            .map(|change| {
                let mut saved = company_fingerprint(&keyed, change);
                saved.source = relative(saved.source);
                saved
            })
            .collect();
        let changes = changes
            .iter()
            .map(|change| {
                let mut saved = fingerprint(&keyed, change, companies);
                saved.source = relative(saved.source);
                saved
            })
            .collect();
        SavedPlan {
            format_version: SAVED_FORMAT_VERSION,
            salt,
            sources: sources.to_vec(),
            paths: paths.to_vec(),
            targeting: None,
            only: Vec::new(),
            exclude: Vec::new(),
            unchanged: *unchanged,
            companies: company_changes,
            changes,
        }
    }

    /// Writes the plan as JSON to `path` (see [`crate::files::write_whole`]:
    /// a regular file is replaced only once the plan is complete, a device
    /// or FIFO written through). `inputs` are the files the plan was made
    /// from: a plan written over one of them would destroy it, so that is
    /// refused before anything is written.
    pub fn write(&self, path: &Path, inputs: &[PathBuf]) -> Result<(), SavedPlanError> {
        Self::check_out(path, inputs)?;
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|_| unreachable!("a saved plan is plain JSON data"));
        text.push('\n');
        crate::files::write_whole(path, text.as_bytes()).map_err(|source| SavedPlanError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Refuses an `--out` that is one of `inputs` (by inode: through links,
    /// `..` and hard links): `plan` asks before it reads the CRM, and
    /// [`SavedPlan::write`] again.
    pub fn check_out(path: &Path, inputs: &[PathBuf]) -> Result<(), SavedPlanError> {
        match inputs
            .iter()
            .find(|input| crate::files::same_file(path, input))
        {
            Some(input) => Err(SavedPlanError::OverwritesInput {
                path: path.to_path_buf(),
                input: crate::manifest::shown(input),
            }),
            None => Ok(()),
        }
    }

    /// Reads a plan written by [`SavedPlan::write`]: a regular file of at
    /// most [`MAX_SAVED_PLAN_BYTES`], parsed as it is read (so white space
    /// costs no memory).
    pub fn read(path: &Path) -> Result<SavedPlan, SavedPlanError> {
        let read_error = |source| SavedPlanError::Read {
            path: path.to_path_buf(),
            source,
        };
        let open = || {
            crate::files::open_capped(path, MAX_SAVED_PLAN_BYTES, false)
                .map(std::io::BufReader::new)
                .map_err(read_error)
        };
        let invalid = |source: serde_json::Error| match source.io_error_kind() {
            Some(kind) => SavedPlanError::Read {
                path: path.to_path_buf(),
                source: std::io::Error::new(kind, source.to_string()),
            },
            None => SavedPlanError::Invalid {
                path: path.to_path_buf(),
                source,
            },
        };
        match serde_json::from_reader::<_, SavedPlan>(open()?) {
            Ok(plan) if plan.format_version == SAVED_FORMAT_VERSION => Ok(plan),
            Ok(plan) => Err(SavedPlanError::Version {
                path: path.to_path_buf(),
                found: plan.format_version,
            }),
            Err(error) => {
                // Another version's plan fails to parse as this one: say so.
                #[derive(Deserialize)]
                struct Version {
                    #[serde(rename = "formatVersion")]
                    format_version: Option<u64>,
                }
                let found = serde_json::from_reader::<_, Version>(open()?)
                    .ok()
                    .and_then(|v| v.format_version)
                    .filter(|v| *v != u64::from(SAVED_FORMAT_VERSION));
                match found {
                    Some(found) => Err(SavedPlanError::Version {
                        path: path.to_path_buf(),
                        found: u32::try_from(found).unwrap_or(u32::MAX),
                    }),
                    None => Err(invalid(error)),
                }
            }
        }
    }

    /// Compares a freshly computed plan with this saved one, change by change.
    /// `key` must be that of the token the plan was made with; with another,
    /// every change is stale.
    pub fn check(&self, fresh: &Plan<'_>, sources: &[SourceFile], key: &PlanKey) -> SavedPlanCheck {
        let keyed = Keyed::new(key, &self.salt);
        let mut check = SavedPlanCheck::default();
        let mut used = vec![false; self.changes.len()];
        for (index, change) in fresh.changes.iter().enumerate() {
            let print = fingerprint(&keyed, change, &fresh.companies);
            let same_identity = self.changes.iter().enumerate().find(|(i, saved)| {
                !used[*i]
                    && saved.identity == print.identity
                    && saved.matching_attribute == print.matching_attribute
            });
            match same_identity {
                Some((i, saved)) => {
                    used[i] = true;
                    if same_fingerprint(saved, &print) {
                        check.current.push(index);
                    } else {
                        check.stale.push(StaleChange {
                            reason: StaleReason::Differs,
                            source: change.source().clone(),
                            fresh: Some(index),
                            fresh_company: None,
                            company: false,
                        });
                    }
                }
                None => check.stale.push(StaleChange {
                    reason: StaleReason::NotInSavedPlan,
                    source: change.source().clone(),
                    fresh: Some(index),
                    fresh_company: None,
                    company: false,
                }),
            }
        }
        for (saved, _) in self.changes.iter().zip(&used).filter(|(_, used)| !**used) {
            let source = shown_source(&saved.source, sources);
            check.stale.push(StaleChange {
                reason: StaleReason::Gone,
                source,
                fresh: None,
                fresh_company: None,
                company: false,
            });
        }
        self.check_companies(fresh, sources, &keyed, &mut check);
        for source in &self.sources {
            let now = sources.iter().find(|s| s.path == source.path);
            if now.is_none_or(|now| now.sha256 != source.sha256) {
                check.changed_sources.push(source.path.clone());
            }
        }
        for source in sources {
            if !self.sources.iter().any(|s| s.path == source.path) {
                check.changed_sources.push(source.path.clone());
            }
        }
        check
    }
}

impl SavedPlan {
    /// The company half of [`SavedPlan::check`]: a recomputed company change
    /// may be asserted only when a saved one has its fingerprint (all but
    /// the source location).
    fn check_companies(
        &self,
        fresh: &Plan<'_>,
        sources: &[SourceFile],
        keyed: &Keyed,
        check: &mut SavedPlanCheck,
    ) {
        let mut used = vec![false; self.companies.len()];
        let same = |a: &SavedCompanyChange, b: &SavedCompanyChange| {
            SavedCompanyChange {
                source: b.source.clone(),
                ..a.clone()
            } == *b
        };
        for (index, change) in fresh.companies.changes.iter().enumerate() {
            let print = company_fingerprint(keyed, change);
            let saved = self
                .companies
                .iter()
                .enumerate()
                .find(|(i, saved)| !used[*i] && saved.identity == print.identity);
            let reason = match saved {
                Some((i, saved)) => {
                    used[i] = true;
                    if same(saved, &print) {
                        check.current_companies.push(index);
                        continue;
                    }
                    StaleReason::Differs
                }
                None => StaleReason::NotInSavedPlan,
            };
            check.stale.push(StaleChange {
                reason,
                source: change.source.clone(),
                fresh: None,
                fresh_company: Some(index),
                company: true,
            });
        }
        for (saved, _) in self.companies.iter().zip(&used).filter(|(_, used)| !**used) {
            let source = shown_source(&saved.source, sources);
            check.stale.push(StaleChange {
                reason: StaleReason::Gone,
                source,
                fresh: None,
                fresh_company: None,
                company: true,
            });
        }
    }
}

fn company_fingerprint(keyed: &Keyed, change: &CompanyChange) -> SavedCompanyChange {
    let CompanyChange {
        action,
        source,
        domain,
        company_id,
        updated_at,
        fields,
        name: _,
    } = change;
    SavedCompanyChange {
        action: *action,
        source: source.clone(),
        identity: keyed.tag("company", &crate::company::domain_key(domain)),
        company_id: company_id.clone(),
        updated_at: updated_at.clone(),
        fields: fields
            .iter()
            .map(|field| saved_field(keyed, field))
            .collect(),
    }
}

fn saved_field(keyed: &Keyed, field: &FieldChange) -> SavedField {
    let FieldChange {
        path,
        before,
        after,
    } = field;
    SavedField {
        path: path.clone(),
        before: keyed.tag(path, &before.to_string()),
        after: keyed.tag(path, &after.to_string()),
    }
}

/// Everything but the source location must match.
fn same_fingerprint(a: &SavedChange, b: &SavedChange) -> bool {
    let SavedChange {
        action,
        source: _,
        matching_attribute,
        identity,
        person_id,
        updated_at,
        fields,
    } = a;
    *action == b.action
        && *matching_attribute == b.matching_attribute
        && *identity == b.identity
        && *person_id == b.person_id
        && *updated_at == b.updated_at
        && *fields == b.fields
}

fn fingerprint(keyed: &Keyed, change: &Change<'_>, companies: &CompanyPlan) -> SavedChange {
    let matching_attribute = change.matching_attribute();
    let identity = identity_text(matching_attribute, change.match_value());
    SavedChange {
        action: change.action,
        source: change.source().clone(),
        matching_attribute: matching_attribute.to_string(),
        identity: keyed.tag("identity", &identity),
        person_id: change.person_id().map(str::to_string),
        updated_at: change.updated_at().map(str::to_string),
        fields: change
            .fields(companies)
            .iter()
            .map(|field| saved_field(keyed, field))
            .collect(),
    }
}

/// The identity as the API compares it: emails without case or surrounding space.
fn identity_text(matching_attribute: &str, match_value: &Value) -> String {
    match (MatchField::for_slug(matching_attribute), match_value) {
        (MatchField::Email, Value::String(email)) => normalize_email(email),
        _ => match_value.to_string(),
    }
}

/// The `--only` / `--exclude` globs of a plan, as sealed.
#[derive(Debug, Serialize, Deserialize)]
struct Globs {
    only: Vec<String>,
    exclude: Vec<String>,
}

/// The HMAC of one plan: keyed with the token's key, salted per plan.
struct Keyed(Hmac<Sha256>);

impl Keyed {
    fn new(key: &PlanKey, salt: &str) -> Keyed {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(salt.as_bytes());
        mac.update(&[0]);
        Keyed(mac)
    }

    /// A key of its own for `label`.
    fn derived(&self, label: &str) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.finalize().into_bytes().into()
    }

    /// `plain` sealed, as hex. The key is this plan's alone (its salt is
    /// random), and seals this one text: a fixed nonce is safe.
    fn seal(&self, plain: &[u8]) -> String {
        let mut sealed = plain.to_vec();
        self.aead()
            .seal_in_place_append_tag(Self::nonce(), ring::aead::Aad::empty(), &mut sealed)
            .unwrap_or_else(|_| unreachable!("a few globs are far below the cipher's limit"));
        hex::encode(sealed)
    }

    /// What [`Keyed::seal`] sealed, if this key sealed it.
    fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let mut bytes = hex::decode(sealed).ok()?;
        let plain = self
            .aead()
            .open_in_place(Self::nonce(), ring::aead::Aad::empty(), &mut bytes)
            .ok()?;
        Some(plain.to_vec())
    }

    fn aead(&self) -> ring::aead::LessSafeKey {
        let key =
            ring::aead::UnboundKey::new(&ring::aead::CHACHA20_POLY1305, &self.derived("targeting"))
                .unwrap_or_else(|_| unreachable!("a 32-byte key fits ChaCha20-Poly1305"));
        ring::aead::LessSafeKey::new(key)
    }

    fn nonce() -> ring::aead::Nonce {
        ring::aead::Nonce::assume_unique_for_key([0; ring::aead::NONCE_LEN])
    }

    /// The tag of `text` under `label` (a field path, or "identity").
    fn tag(&self, label: &str, text: &str) -> String {
        let mut mac = self.0.clone();
        for part in [label, text] {
            mac.update(part.as_bytes());
            mac.update(&[0]);
        }
        hex::encode(mac.finalize().into_bytes())
    }
}

/// A saved change's place, shown like every other place: relative to the
/// current folder, when the file is still among the sources.
fn shown_source(saved: &SourceLocation, sources: &[SourceFile]) -> SourceLocation {
    let mut source = saved.clone();
    if let Some(file) = sources.iter().find(|s| s.path == source.file) {
        source.file = file.shown.clone();
    }
    source
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::compute;
    use crate::plan::testing::leaked;
    use crate::plan::testing::{entry, person};

    fn key() -> PlanKey {
        PlanKey::from_token(&crate::api::Token::new("token-of-the-plan"))
    }

    fn sources(digest: &str) -> Vec<SourceFile> {
        vec![SourceFile {
            path: PathBuf::from("people.yaml"),
            shown: PathBuf::from("people.yaml"),
            sha256: digest.into(),
        }]
    }

    fn scenario() -> (Vec<crate::manifest::Entry>, Vec<crate::api::Person>) {
        let entries = vec![
            entry(
                1,
                "email",
                json!({"emails": ["jane@acme.com"], "jobTitle": "CEO"}),
            ),
            entry(
                4,
                "email",
                json!({"emails": ["max@acme.com"], "firstName": "Max"}),
            ),
            entry(
                8,
                "phone_number",
                json!({"phoneNumber": "+4930", "firstName": "Ann"}),
            ),
        ];
        let live = vec![
            person(
                "jane",
                json!({"emails": ["jane@acme.com"], "jobTitle": "CTO"}),
            ),
            person("ann", json!({"phoneNumber": "+4930", "firstName": "Anne"})),
        ];
        (entries, live)
    }

    #[test]
    fn a_saved_plan_holds_no_contact_data_in_clear() {
        let (entries, live) = scenario();
        let plan = compute(&entries, &live, &crate::plan::PlanOptions::default()).unwrap();
        let saved = SavedPlan::new(&plan, &sources("abc"), &[PathBuf::from(".")], &key());
        let text = serde_json::to_string(&saved).unwrap();
        for secret in ["jane@", "max@", "+4930", "CEO", "CTO", "Max", "Ann"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert!(text.contains("jobTitle") && text.contains("\"jane\""));
        let other = SavedPlan::new(&plan, &sources("abc"), &[PathBuf::from(".")], &key());
        assert_ne!(saved.changes[0].identity, other.changes[0].identity);
    }

    #[test]
    fn the_file_alone_does_not_reveal_an_identity_by_guessing() {
        // The attack on version 1: hash every candidate phone number with the
        // salt in the file until one matches. Without the token's key the
        // right guess does not match.
        let (entries, live) = scenario();
        let plan = compute(&entries, &live, &crate::plan::PlanOptions::default()).unwrap();
        let saved = SavedPlan::new(&plan, &sources("abc"), &[PathBuf::from(".")], &key());
        let phone = saved
            .changes
            .iter()
            .find(|c| c.matching_attribute == "phone_number")
            .unwrap();
        let unsalted_guess = {
            let mut hasher = Sha256::new();
            for part in [saved.salt.as_str(), "identity", "\"+4930\""] {
                hasher.update(part.as_bytes());
                hasher.update([0]);
            }
            hex::encode(hasher.finalize())
        };
        assert_ne!(phone.identity, unsalted_guess);
        let wrong_key = PlanKey::from_token(&crate::api::Token::new("another token"));
        let keyed_with_the_wrong_key =
            Keyed::new(&wrong_key, &saved.salt).tag("identity", "\"+4930\"");
        assert_ne!(phone.identity, keyed_with_the_wrong_key);
        assert_eq!(
            phone.identity,
            Keyed::new(&key(), &saved.salt).tag("identity", "\"+4930\"")
        );
    }

    /// Acme renamed, Globex created; Jane moves to Globex.
    fn company_plan(acme_updated_at: &str) -> Plan<'static> {
        use crate::manifest::{CompanyDeclaration, CompanyLink};
        let declared = |line, domain: &str, name: &str| CompanyDeclaration {
            source: SourceLocation {
                file: PathBuf::from("people.yaml"),
                line,
                column: 5,
            },
            domain: domain.into(),
            name: Some(name.into()),
            project_path: PathBuf::from("people.yaml"),
        };
        let companies = [
            declared(20, "acme.example", "Acme Corp"),
            declared(22, "globex.example", "Globex"),
        ];
        let (mut entries, live) = scenario();
        entries[0].company = Some(Box::new(CompanyLink {
            domain: Some("globex.example".into()),
            at: entries[0].source.clone(),
        }));
        let acme: crate::api::Company = serde_json::from_value(json!({"id": "c-acme",
            "name": "Acme", "domain": "acme.example", "createdAt": "2025-01-15T09:00:00+00:00",
            "updatedAt": acme_updated_at}))
        .unwrap();
        crate::plan::compute_with_companies(
            leaked(entries),
            &companies,
            leaked(live),
            &[acme],
            &crate::plan::PlanOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn company_changes_are_saved_without_names_and_go_stale_when_the_company_moves() {
        let plan = company_plan("2025-01-15T09:00:00+00:00");
        assert_eq!(plan.companies.changes.len(), 2);
        let saved = SavedPlan::new(&plan, &sources("d"), &[], &key());
        let text = serde_json::to_string(&saved).unwrap();
        for clear in ["acme.example", "Acme Corp", "globex.example", "Globex"] {
            assert!(!text.contains(clear), "{clear} in {text}");
        }
        let check = saved.check(&plan, &sources("d"), &key());
        assert_eq!(check.current_companies, vec![0, 1]);
        assert!(check.is_current());

        // Acme changed in the CRM since: its rename is stale, Globex still holds.
        let fresh = company_plan("2025-02-01T09:00:00+00:00");
        let check = saved.check(&fresh, &sources("d"), &key());
        assert_eq!(check.current_companies, vec![1]);
        assert_eq!(check.stale.len(), 1);
        assert_eq!(check.stale[0].fresh_company, Some(0));
        assert_eq!(check.stale[0].reason, StaleReason::Differs);
    }

    #[test]
    fn a_plan_checked_with_another_token_is_stale() {
        let (entries, live) = scenario();
        let plan = compute(&entries, &live, &crate::plan::PlanOptions::default()).unwrap();
        let saved = SavedPlan::new(&plan, &sources("abc"), &[PathBuf::from(".")], &key());
        let other = PlanKey::from_token(&crate::api::Token::new("rotated"));
        let check = saved.check(&plan, &sources("abc"), &other);
        assert!(check.current.is_empty());
        assert_eq!(check.stale.len(), 6, "3 not in the saved plan, 3 gone");
    }

    #[test]
    fn an_unchanged_world_keeps_every_change_current() {
        let (entries, live) = scenario();
        let plan = compute(&entries, &live, &crate::plan::PlanOptions::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zeeg.plan");
        SavedPlan::new(&plan, &sources("abc"), &[PathBuf::from(".")], &key())
            .write(&path, &[])
            .unwrap();
        let saved = SavedPlan::read(&path).unwrap();
        let check = saved.check(&plan, &sources("abc"), &key());
        assert_eq!(check.current, vec![0, 1, 2]);
        assert!(check.is_current() && check.changed_sources.is_empty());
    }

    #[test]
    fn a_live_edit_or_a_new_value_makes_only_that_change_stale() {
        let (mut entries, mut live) = scenario();
        let plan = compute(&entries, &live, &crate::plan::PlanOptions::default()).unwrap();
        let saved = SavedPlan::new(&plan, &sources("abc"), &[PathBuf::from(".")], &key());

        live[0].updated_at = "2025-02-01T00:00:00+00:00".into();
        entries[2].fields.insert("firstName".into(), json!("Annie"));
        entries.push(entry(12, "email", json!({"emails": ["new@acme.com"]})));
        let fresh = compute(&entries, &live, &crate::plan::PlanOptions::default()).unwrap();
        let check = saved.check(&fresh, &sources("def"), &key());
        assert_eq!(check.current, vec![1]);
        let reasons: Vec<_> = check
            .stale
            .iter()
            .map(|s| (s.reason, s.source.line))
            .collect();
        assert_eq!(
            reasons,
            vec![
                (StaleReason::Differs, 1),
                (StaleReason::Differs, 8),
                (StaleReason::NotInSavedPlan, 12)
            ]
        );
        assert_eq!(check.changed_sources, vec![PathBuf::from("people.yaml")]);
    }

    #[test]
    fn an_applied_change_is_gone() {
        let (entries, mut live) = scenario();
        let plan = compute(&entries, &live, &crate::plan::PlanOptions::default()).unwrap();
        let saved = SavedPlan::new(&plan, &sources("abc"), &[PathBuf::from(".")], &key());
        live[0].job_title = Some("CEO".into());
        let fresh = compute(&entries, &live, &crate::plan::PlanOptions::default()).unwrap();
        let check = saved.check(&fresh, &sources("abc"), &key());
        assert_eq!(check.current, vec![0, 1]);
        assert_eq!(check.stale[0].reason, StaleReason::Gone);
        assert_eq!(check.stale[0].source.line, 1);
    }

    #[test]
    fn unreadable_or_foreign_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        std::fs::write(&path, "{\"formatVersion\": 9}").unwrap();
        assert!(matches!(
            SavedPlan::read(&path),
            Err(SavedPlanError::Version { found: 9, .. })
        ));
        std::fs::write(&path, "people: []").unwrap();
        assert!(matches!(
            SavedPlan::read(&path),
            Err(SavedPlanError::Invalid { .. })
        ));
    }
}
