//! The paths and targeting a saved plan was made from, and the check that
//! `apply --plan` is given the same ones and the files still hold what they did.

use super::*;
use crate::manifest::MatchValue;

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
pub(super) fn identity_text(
    matching_attribute: &MatchingAttribute,
    match_value: &MatchValue,
) -> String {
    match (matching_attribute.field(), match_value.as_str()) {
        (MatchField::Email, Some(email)) => normalize_email(email),
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
    if let Some(file) = sources.iter().find(|s| *s.path == *source.file) {
        source.file = file.shown.as_path().into();
    }
    source
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::testing::{entry, person};

    fn key(token: &str) -> PlanKey {
        PlanKey::from_token(&crate::api::Token::new(token))
    }

    fn source_file(path: &str) -> SourceFile {
        SourceFile {
            path: PathBuf::from(path),
            shown: PathBuf::from(format!("../project/{path}")),
            sha256: "d".into(),
        }
    }

    /// A saved plan of one create, made from `paths` and the file `people.yaml`.
    fn saved(paths: &[&str]) -> SavedPlan {
        let entries = [entry(1, "email", json!({"emails": ["jane@acme.com"]}))];
        let plan = crate::plan::compute(&entries, &[], &Default::default()).unwrap();
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        SavedPlan::new(&plan, &[source_file("people.yaml")], &paths, &key("t"))
    }

    fn given(paths: &[&str]) -> Vec<PathBuf> {
        paths.iter().map(PathBuf::from).collect()
    }

    fn globs(list: &[&str]) -> Vec<String> {
        list.iter().map(|g| g.to_string()).collect()
    }

    #[test]
    fn the_plans_own_paths_in_any_order_are_accepted() {
        let plan = saved(&["team", "."]);
        let at = Path::new("zeeg.plan");
        assert!(plan.check_paths(at, &given(&[".", "team", "team"])).is_ok());
    }

    #[test]
    fn other_paths_or_one_leaving_the_project_are_refused() {
        let plan = saved(&["team"]);
        for other in [&["."][..], &["team", "sales"], &["../elsewhere"]] {
            let error = plan
                .check_paths(Path::new("zeeg.plan"), &given(other))
                .unwrap_err();
            assert!(
                matches!(&error, SavedPlanError::PathsDiffer { saved, .. } if *saved == given(&["team"])),
                "{error:?}"
            );
        }
    }

    #[test]
    fn a_plan_that_recorded_no_paths_accepts_any() {
        let plan = saved(&[]);
        assert!(
            plan.check_paths(Path::new("zeeg.plan"), &given(&["x"]))
                .is_ok()
        );
    }

    #[test]
    fn the_sealed_globs_are_used_when_none_are_given() {
        let plan = saved(&["."]).with_targeting(&globs(&["jane@*"]), &globs(&["*.old"]), &key("t"));
        let text = serde_json::to_string(&plan).unwrap();
        assert!(!text.contains("jane@") && !text.contains("*.old"), "{text}");
        let targeting = plan.targeting(Path::new("p"), &[], &[], &key("t")).unwrap();
        assert_eq!(targeting, (globs(&["jane@*"]), globs(&["*.old"])));
    }

    #[test]
    fn the_same_globs_in_another_order_are_the_plans() {
        let only = globs(&["a*", "b*"]);
        let plan = saved(&["."]).with_targeting(&only, &[], &key("t"));
        let again = globs(&["b*", "a*", "a*"]);
        let targeting = plan.targeting(Path::new("p"), &again, &[], &key("t"));
        assert_eq!(targeting.unwrap(), (again, Vec::new()));
    }

    #[test]
    fn other_globs_are_refused_naming_both_selections() {
        let plan = saved(&["."]).with_targeting(&globs(&["a*"]), &[], &key("t"));
        let error = plan
            .targeting(Path::new("zeeg.plan"), &[], &globs(&["b*"]), &key("t"))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "zeeg.plan was made with --only \"a*\", not with --exclude \"b*\""
        );
    }

    #[test]
    fn globs_sealed_with_another_token_read_as_none() {
        let plan = saved(&["."]).with_targeting(&globs(&["a*"]), &[], &key("t"));
        let targeting = plan.targeting(Path::new("p"), &[], &[], &key("rotated"));
        assert_eq!(targeting.unwrap(), (Vec::new(), Vec::new()));
    }

    #[test]
    fn a_plan_of_none_of_the_files_read_now_is_refused() {
        let plan = saved(&["."]);
        let at = Path::new("zeeg.plan");
        let now = [source_file("other.yaml"), source_file("people.yaml")];
        assert!(plan.check_files(at, &now).is_ok());
        let error = plan
            .check_files(at, &[source_file("other.yaml")])
            .unwrap_err();
        assert!(
            matches!(&error, SavedPlanError::OtherFiles { saved, .. } if *saved == given(&["people.yaml"])),
            "{error:?}"
        );
    }

    #[test]
    fn an_email_identity_is_compared_without_case_or_space() {
        let email = MatchingAttribute::new("email");
        let phone = MatchingAttribute::new("phone_number");
        assert_eq!(
            identity_text(&email, &json!(" Jane@ACME.com ").into()),
            identity_text(&email, &json!("jane@acme.com").into())
        );
        assert_eq!(identity_text(&phone, &json!("+4930").into()), "\"+4930\"");
        assert_ne!(
            identity_text(&phone, &json!("+4930").into()),
            identity_text(&phone, &json!("+4930 ").into())
        );
    }

    #[test]
    fn a_saved_place_is_shown_as_its_file_is_now() {
        let at = |file: &str| SourceLocation {
            file: PathBuf::from(file).into(),
            line: 3,
            column: 5,
        };
        let sources = [source_file("people.yaml")];
        let shown = shown_source(&at("people.yaml"), &sources);
        assert_eq!(*shown.file, *std::path::Path::new("../project/people.yaml"));
        assert_eq!(shown_source(&at("gone.yaml"), &sources), at("gone.yaml"));
    }

    #[test]
    fn a_fingerprint_ignores_only_the_place() {
        let keyed = Keyed::new(&key("t"), "s");
        let entries = [entry(
            1,
            "email",
            json!({"emails": ["jane@acme.com"], "jobTitle": "CEO"}),
        )];
        let live = [person("jane", json!({"emails": ["jane@acme.com"]}))];
        let plan = crate::plan::compute(&entries, &live, &Default::default()).unwrap();
        let print = fingerprint(&keyed, &plan.changes[0], &plan.companies);
        let mut moved = print.clone();
        moved.source.line = 40;
        assert!(same_fingerprint(&print, &moved));
        let mut later = print.clone();
        later.updated_at = Some("2025-02-01T00:00:00+00:00".into());
        assert!(!same_fingerprint(&print, &later));
        let mut other_id = print.clone();
        other_id.person_id = Some("max".into());
        assert!(!same_fingerprint(&print, &other_id));
    }
}
