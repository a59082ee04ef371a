//! The output folder: where the schema modeline points, the refusal to touch
//! existing YAML, and writing the files.
//!
//! Import never overwrites or deletes a file. It refuses to run when the
//! output folder already holds YAML (a half-imported or hand-written folder
//! mixed with a fresh import would give duplicate entries), and creates each
//! file with `create_new`, so even a file that appears meanwhile is left alone.
//! To import again, the user removes the old files first — git still has them.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use miette::Diagnostic;
use thiserror::Error;

use super::{Import, PeopleFile};

/// The schema file import writes beside the people files when no repository
/// above the output folder checks one in. (There is no published URL to point
/// at, and a modeline to nowhere helps no editor.)
pub const SCHEMA_BESIDE: &str = "people.schema.json";

/// Where a repository keeps the people schema (`zeeg schema --out schema/`).
const SCHEMA_IN_REPO: &str = "schema/people.schema.json";

/// How many existing files an error names before it summarises.
const FILES_NAMED: usize = 5;

/// Errors of `zeeg import` on the local side.
#[derive(Debug, Error, Diagnostic)]
pub enum ImportError {
    /// The output folder already holds YAML files.
    #[error("{} already holds {count} YAML file(s): {listed}", dir.display())]
    #[diagnostic(
        code(zeeg::import::out_dir_not_empty),
        help(
            "import writes into a folder without YAML files and never overwrites any; \
             choose another folder with --out, or, to import again, remove the old files \
             first (git keeps them)"
        )
    )]
    OutDirHoldsYaml {
        dir: PathBuf,
        count: usize,
        listed: String,
    },

    /// The output path exists but is not a folder.
    #[error("{} is not a folder", path.display())]
    #[diagnostic(
        code(zeeg::import::not_a_folder),
        help("give --out a folder (it is created when missing)")
    )]
    NotAFolder { path: PathBuf },

    /// The output folder could not be read or created.
    #[error("could not prepare the folder {}", path.display())]
    #[diagnostic(
        code(zeeg::import::folder),
        help("check that the path is right and that you may write there")
    )]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file could not be written.
    #[error("could not write {}", path.display())]
    #[diagnostic(
        code(zeeg::import::write),
        help("check free space and permissions; files written before this one are complete")
    )]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The YAML emitter refused a value.
    #[error("could not write a person as YAML")]
    #[diagnostic(
        code(zeeg::import::emit),
        help("this is a bug in zeeg; please report it (without the data)")
    )]
    Emit {
        #[source]
        source: serde_saphyr::SerializeError,
    },
}

/// What the schema modeline of files in `out_dir` points at: the relative path
/// to `schema/people.schema.json` in the nearest folder above `out_dir` that has
/// one, looking no higher than the enclosing git repository; otherwise
/// [`SCHEMA_BESIDE`], which the caller then writes into `out_dir`.
pub fn schema_reference(out_dir: &Path) -> String {
    let Some(out_dir) = absolute(out_dir) else {
        return SCHEMA_BESIDE.to_string();
    };
    for ancestor in out_dir.ancestors() {
        if ancestor.join(SCHEMA_IN_REPO).is_file() {
            let up = out_dir
                .strip_prefix(ancestor)
                .map(|rest| rest.components().count())
                .unwrap_or(0);
            return format!("{}{SCHEMA_IN_REPO}", "../".repeat(up));
        }
        if ancestor.join(".git").exists() {
            break;
        }
    }
    SCHEMA_BESIDE.to_string()
}

/// `path` made absolute and free of `.`/`..`, without requiring it to exist
/// (the output folder usually does not yet).
fn absolute(path: &Path) -> Option<PathBuf> {
    let joined = std::env::current_dir().ok()?.join(path);
    let mut clean = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::ParentDir => {
                clean.pop();
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    Some(clean)
}

/// Refuses an output folder that is a file or already holds YAML (at any
/// depth, hidden folders aside: what `zeeg plan` on it would read).
pub fn check_out_dir(out_dir: &Path) -> Result<(), ImportError> {
    if !out_dir.exists() {
        return Ok(());
    }
    if !out_dir.is_dir() {
        return Err(ImportError::NotAFolder {
            path: out_dir.to_path_buf(),
        });
    }
    let mut found = Vec::new();
    let walk = walkdir::WalkDir::new(out_dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk {
        let entry = entry.map_err(|e| ImportError::Folder {
            path: out_dir.to_path_buf(),
            source: e.into(),
        })?;
        let is_yaml = entry
            .path()
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml");
        if entry.file_type().is_file() && is_yaml {
            found.push(entry.path().to_path_buf());
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    let mut listed: Vec<String> = found
        .iter()
        .take(FILES_NAMED)
        .map(|p| p.strip_prefix(out_dir).unwrap_or(p).display().to_string())
        .collect();
    if found.len() > FILES_NAMED {
        listed.push(format!("and {} more", found.len() - FILES_NAMED));
    }
    Err(ImportError::OutDirHoldsYaml {
        dir: out_dir.to_path_buf(),
        count: found.len(),
        listed: listed.join(", "),
    })
}

/// Checks `out_dir` (see [`check_out_dir`]), creates it if needed, and writes
/// every file of `import` into it, never replacing an existing file.
pub fn write_files(out_dir: &Path, import: &Import) -> Result<(), ImportError> {
    check_out_dir(out_dir)?;
    std::fs::create_dir_all(out_dir).map_err(|source| ImportError::Folder {
        path: out_dir.to_path_buf(),
        source,
    })?;
    for PeopleFile { name, text, .. } in &import.files {
        let path = out_dir.join(name);
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut file| {
                file.write_all(text.as_bytes())?;
                file.sync_all()
            });
        written.map_err(|source| ImportError::Write { path, source })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import_of(names: &[&str]) -> Import {
        Import {
            files: names
                .iter()
                .map(|n| PeopleFile {
                    name: n.to_string(),
                    people: 1,
                    text: format!("# {n}\n"),
                })
                .collect(),
            skipped: vec![],
            refused: vec![],
        }
    }

    #[test]
    fn files_are_written_into_a_new_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("a/b");
        write_files(&out, &import_of(&["people.yaml"])).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("people.yaml")).unwrap(),
            "# people.yaml\n"
        );
    }

    #[test]
    fn a_folder_holding_yaml_is_refused_and_left_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("sub")).unwrap();
        std::fs::write(tmp.path().join("sub/old.yml"), "mine").unwrap();
        std::fs::write(tmp.path().join("notes.txt"), "fine").unwrap();
        let err = write_files(tmp.path(), &import_of(&["people.yaml"])).unwrap_err();
        assert!(
            matches!(&err, ImportError::OutDirHoldsYaml { count: 1, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("sub/old.yml"), "{err}");
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("sub/old.yml")).unwrap(),
            "mine"
        );
        assert!(!tmp.path().join("people.yaml").exists());
    }

    #[test]
    fn hidden_folders_and_other_files_do_not_count() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join(".zeeg")).unwrap();
        std::fs::write(tmp.path().join(".zeeg/state.yaml"), "x").unwrap();
        std::fs::write(tmp.path().join("README.md"), "x").unwrap();
        check_out_dir(tmp.path()).unwrap();
    }

    #[test]
    fn a_file_as_out_dir_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        std::fs::write(&file, "x").unwrap();
        assert!(matches!(
            check_out_dir(&file),
            Err(ImportError::NotAFolder { .. })
        ));
    }

    #[test]
    fn the_modeline_points_at_the_repos_schema_relative_to_the_out_dir() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join(".git")).unwrap();
        std::fs::create_dir_all(tmp.path().join("schema")).unwrap();
        std::fs::write(tmp.path().join(SCHEMA_IN_REPO), "{}").unwrap();
        assert_eq!(
            schema_reference(&tmp.path().join("crm/people")),
            "../../schema/people.schema.json"
        );
        assert_eq!(schema_reference(tmp.path()), "schema/people.schema.json");
    }

    #[test]
    fn without_a_schema_in_the_repo_the_modeline_points_at_a_copy_beside_the_files() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("repo/.git")).unwrap();
        // A schema above the repository's root is not the repository's.
        std::fs::create_dir_all(tmp.path().join("schema")).unwrap();
        std::fs::write(tmp.path().join(SCHEMA_IN_REPO), "{}").unwrap();
        assert_eq!(
            schema_reference(&tmp.path().join("repo/people")),
            SCHEMA_BESIDE
        );
    }
}
