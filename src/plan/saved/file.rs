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
