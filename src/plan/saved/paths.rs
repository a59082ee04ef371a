//! The paths and targeting a saved plan was made from, and the check that
//! `apply --plan` is given the same ones and the files still hold what they did.

use super::*;

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
}

/// Everything but the source location must match.
pub(super) fn same_fingerprint(a: &SavedChange, b: &SavedChange) -> bool {
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

pub(super) fn fingerprint(
    keyed: &Keyed,
    change: &Change<'_>,
    companies: &CompanyPlan,
) -> SavedChange {
    let matching_attribute = change.matching_attribute();
    let identity = identity_text(matching_attribute, change.match_value());
    SavedChange {
        action: change.action,
        source: change.source().clone(),
        matching_attribute: matching_attribute.slug().to_string(),
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
pub(super) fn identity_text(matching_attribute: &MatchingAttribute, match_value: &Value) -> String {
    match (matching_attribute.field(), match_value) {
        (MatchField::Email, Value::String(email)) => normalize_email(email),
        _ => match_value.to_string(),
    }
}

/// The `--only` / `--exclude` globs of a plan, as sealed.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Globs {
    pub(super) only: Vec<String>,
    pub(super) exclude: Vec<String>,
}

/// A saved change's place, shown like every other place: relative to the
/// current folder, when the file is still among the sources.
pub(super) fn shown_source(saved: &SourceLocation, sources: &[SourceFile]) -> SourceLocation {
    let mut source = saved.clone();
    if let Some(file) = sources.iter().find(|s| s.path == source.file) {
        source.file = file.shown.clone();
    }
    source
}
