//! Writing a saved plan beside its target and reading one back, bounded.

use super::*;

impl SavedPlan {
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
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::testing::entry;

    fn plan() -> SavedPlan {
        let entries = [entry(1, "email", json!({"emails": ["jane@acme.com"]}))];
        let plan = crate::plan::compute(&entries, &[], &Default::default()).unwrap();
        let key = PlanKey::from_token(&crate::api::Token::new("t"));
        SavedPlan::new(&plan, &[], &[PathBuf::from(".")], &key)
    }

    #[test]
    fn a_written_plan_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zeeg.plan");
        let saved = plan();
        saved.write(&path, &[]).unwrap();
        assert_eq!(SavedPlan::read(&path).unwrap(), saved);
        assert!(std::fs::read_to_string(&path).unwrap().ends_with("}\n"));
    }

    #[test]
    fn a_plan_is_not_written_over_one_of_its_inputs_even_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("people.yaml");
        std::fs::write(&input, "people: []\n").unwrap();
        let link = dir.path().join("link.yaml");
        std::fs::hard_link(&input, &link).unwrap();
        let error = plan()
            .write(&link, std::slice::from_ref(&input))
            .unwrap_err();
        assert!(
            matches!(error, SavedPlanError::OverwritesInput { .. }),
            "{error:?}"
        );
        assert_eq!(std::fs::read_to_string(&input).unwrap(), "people: []\n");
    }

    #[test]
    fn a_plan_of_another_format_version_says_which() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zeeg.plan");
        std::fs::write(&path, r#"{"formatVersion": 1, "salt": "s", "hashes": []}"#).unwrap();
        assert!(matches!(
            SavedPlan::read(&path),
            Err(SavedPlanError::Version { found: 1, .. })
        ));
    }

    #[test]
    fn a_plan_of_this_version_with_an_unknown_field_is_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zeeg.plan");
        let mut value = serde_json::to_value(plan()).unwrap();
        value["extra"] = json!(true);
        std::fs::write(&path, value.to_string()).unwrap();
        assert!(matches!(
            SavedPlan::read(&path),
            Err(SavedPlanError::Invalid { .. })
        ));
    }

    #[test]
    fn a_missing_plan_is_a_read_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.plan");
        let error = SavedPlan::read(&path).unwrap_err();
        assert!(
            matches!(&error, SavedPlanError::Read { path: p, .. } if *p == path),
            "{error:?}"
        );
    }
}
