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
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::{Action, Change, CompanyChange, CompanyPlan, FieldChange, Plan};
use crate::manifest::{SourceFile, SourceLocation};
use crate::person::{MatchField, MatchingAttribute, normalize_email};

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
    /// The planned attribute changes, in manifest order (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<SavedAttributeChange>,
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

mod attributes;
mod error;
mod file;
mod keyed;
mod paths;
mod stale;

pub use attributes::SavedAttributeChange;
pub use error::*;
use keyed::*;
use paths::*;
pub use stale::*;

impl SavedPlan {
    /// Fingerprints `plan` with a fresh random salt. `sources` are the files
    /// it was computed from and `paths` where they were found, as the
    /// manifest has them (relative to the project root).
    pub fn new(
        plan: &Plan<'_>,
        sources: &[SourceFile],
        paths: &[PathBuf],
        key: &PlanKey,
    ) -> SavedPlan {
        let salt = fresh_salt();
        let Plan {
            attributes,
            companies,
            changes,
            unchanged,
            warnings: _,
            options: _,
        } = plan;
        let keyed = Keyed::new(key, &salt);
        let relative = |source| relative_to_root(source, sources);
        let attribute_changes = attributes
            .changes
            .iter()
            .map(|change| {
                let mut saved = attributes::attribute_fingerprint(&keyed, change);
                saved.source = relative(saved.source);
                saved
            })
            .collect();
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
            attributes: attribute_changes,
            companies: company_changes,
            changes,
        }
    }
}

/// A new random salt for a saved plan's keyed hashes.
fn fresh_salt() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// `source` relative to the root, as saved: so it means the same file from
/// whichever folder apply runs.
fn relative_to_root(mut source: SourceLocation, sources: &[SourceFile]) -> SourceLocation {
    if let Some(file) = sources.iter().find(|s| *s.shown == *source.file) {
        source.file = file.path.as_path().into();
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
                file: PathBuf::from("people.yaml").into(),
                line,
                column: 5,
            },
            domain: domain.into(),
            name: Some(name.into()),
            project_path: PathBuf::from("people.yaml").into(),
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
        entries[2].fields.insert("firstName", json!("Annie"));
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
