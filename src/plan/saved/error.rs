//! Why a saved plan cannot be used, with the help to say what to do.

use super::*;

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

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(n: usize) -> Vec<PathBuf> {
        (1..=n)
            .map(|i| PathBuf::from(format!("f{i}.yaml")))
            .collect()
    }

    #[test]
    fn a_few_paths_are_named_and_more_are_counted() {
        assert_eq!(list(&paths(2)), "`f1.yaml`, `f2.yaml`");
        assert_eq!(
            list(&paths(7)),
            "`f1.yaml`, `f2.yaml`, `f3.yaml`, `f4.yaml`, `f5.yaml`, and 2 more"
        );
    }

    #[test]
    fn differing_paths_name_the_plans_and_the_given() {
        let error = SavedPlanError::PathsDiffer {
            plan: PathBuf::from("zeeg.plan"),
            saved: paths(1),
            given: vec![PathBuf::from(".")],
        };
        assert_eq!(
            error.to_string(),
            "zeeg.plan was made from `f1.yaml`, not from `.`"
        );
    }
}
