//! The output folder: where the schema modeline points, the refusal to touch
//! existing YAML, and writing the files.
//!
//! Import never overwrites or deletes a file. It refuses to run when the
//! output folder already holds YAML (a half-imported or hand-written folder
//! mixed with a fresh import would give duplicate entries), and never
//! replaces a file, so even one that appears meanwhile is left alone. To
//! import again, the user removes the old files first — git still has them.
//!
//! An import is all or nothing: the files are written into a hidden staging
//! folder beside the output folder (so on the same file system), then the
//! staging folder is renamed to the output folder. When that exists already,
//! the staging folder is a hidden one inside it, whose files are moved in one
//! by one and taken out again if one cannot be. On any failure the staging folder, the files moved and the
//! folders the import created are removed, and a rerun starts clean.
//!
//! `--out` naming a symbolic link is refused: a rename would replace the link
//! rather than fill the folder it points to, and its target may sit on
//! another file system. The user names the target instead.

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

    /// The output path is a symbolic link.
    #[error("{} is a symbolic link (to {})", path.display(), target.display())]
    #[diagnostic(
        code(zeeg::import::out_is_link),
        help(
            "import does not write through a link to --out (it would replace the link, or \
             write to another file system); give the folder it points to as --out"
        )
    )]
    OutIsLink { path: PathBuf, target: PathBuf },

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
        help(
            "check free space and permissions, and that nothing else writes into the folder; \
             nothing of this import was kept, so run it again once that is mended"
        )
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

/// Refuses an output folder that is a symbolic link, a file, or already holds
/// YAML (at any depth, hidden folders aside: what `zeeg plan` on it would
/// read; a link named like a YAML file counts, as plan follows links).
pub fn check_out_dir(out_dir: &Path) -> Result<(), ImportError> {
    // The lexically cleaned path: `people/` would follow a link named `people`.
    let link = absolute(out_dir).unwrap_or_else(|| out_dir.to_path_buf());
    if std::fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(ImportError::OutIsLink {
            path: out_dir.to_path_buf(),
            target: std::fs::read_link(&link).unwrap_or_default(),
        });
    }
    if !out_dir.exists() {
        return Ok(());
    }
    if !out_dir.is_dir() {
        return Err(ImportError::NotAFolder {
            path: out_dir.to_path_buf(),
        });
    }
    let found = yaml_files(out_dir)?;
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

/// The YAML files (and links named like them) under `dir`, hidden folders aside.
fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, ImportError> {
    let mut found = Vec::new();
    let walk = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk {
        let entry = entry.map_err(|e| ImportError::Folder {
            path: dir.to_path_buf(),
            source: e.into(),
        })?;
        let is_yaml = entry
            .path()
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml");
        if is_yaml && !entry.file_type().is_dir() {
            found.push(entry.path().to_path_buf());
        }
    }
    Ok(found)
}

/// A file written with the people files unless the output folder already
/// holds one of that name: the copy of the schema their modeline points at.
#[derive(Debug, Clone, Copy)]
pub struct Beside<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// Checks `out_dir` (see [`check_out_dir`]) and writes every file of
/// `import` (and `beside`) into it, all or nothing (see the module docs),
/// never replacing an existing file.
pub fn write_files(
    out_dir: &Path,
    import: &Import,
    beside: Option<Beside<'_>>,
) -> Result<(), ImportError> {
    check_out_dir(out_dir)?;
    let mut staging = Staging::create(out_dir)?;
    for PeopleFile { name, text, .. } in &import.files {
        staging.write(name, text)?;
    }
    if let Some(Beside { name, text }) = beside
        && std::fs::symlink_metadata(out_dir.join(name)).is_err()
    {
        staging.write(name, text)?;
    }
    staging.commit()
}

/// The hidden folder an import is written into before it is put in place;
/// removed, with whatever else the import made, unless committed.
struct Staging {
    out_dir: PathBuf,
    dir: PathBuf,
    /// The folders above the output folder this import created, outermost first.
    created: Vec<PathBuf>,
    /// The names written into `dir`, in order.
    written: Vec<String>,
    committed: bool,
}

/// At most this many bytes of the output folder's name go into the staging
/// folder's name, which must stay a valid file name too.
const STAGING_NAME_PART: usize = 64;

impl Staging {
    fn create(out_dir: &Path) -> Result<Staging, ImportError> {
        let target = absolute(out_dir).unwrap_or_else(|| out_dir.to_path_buf());
        // A new folder is staged beside it and renamed into place. An existing
        // one (`.`, say, or a mount point) is staged inside, hidden: on the
        // same file system as its files for sure, with no need to write above
        // it. (A folder at the root of the file system is always there.)
        let (parent, label) = if std::fs::symlink_metadata(&target).is_ok() {
            (target.clone(), String::new())
        } else {
            let mut name: String = target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            while name.len() > STAGING_NAME_PART {
                name.pop();
            }
            (target.parent().unwrap_or(&target).to_path_buf(), name + ".")
        };
        let mut staging = Staging {
            out_dir: out_dir.to_path_buf(),
            dir: parent.join(format!(
                ".{label}zeeg-import-{}",
                uuid::Uuid::new_v4().simple()
            )),
            created: parent
                .ancestors()
                .take_while(|a| std::fs::symlink_metadata(a).is_err())
                .map(Path::to_path_buf)
                .collect(),
            written: Vec::new(),
            committed: false,
        };
        staging.created.reverse();
        let folder = |source| ImportError::Folder {
            path: out_dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(&parent).map_err(folder)?;
        std::fs::create_dir(&staging.dir).map_err(folder)?;
        Ok(staging)
    }

    /// Writes a new file into the staging folder, durably.
    fn write(&mut self, name: &str, text: &str) -> Result<(), ImportError> {
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.dir.join(name))
            .and_then(|mut file| {
                file.write_all(text.as_bytes())?;
                file.sync_all()
            });
        written.map_err(|source| ImportError::Write {
            path: self.out_dir.join(name),
            source,
        })?;
        self.written.push(name.to_string());
        Ok(())
    }

    /// Puts the files in place: the staging folder becomes the output folder,
    /// or its files move into the existing one.
    fn commit(mut self) -> Result<(), ImportError> {
        if std::fs::symlink_metadata(&self.out_dir).is_err() {
            std::fs::rename(&self.dir, &self.out_dir).map_err(|source| ImportError::Folder {
                path: self.out_dir.clone(),
                source,
            })?;
        } else {
            self.move_into()?;
        }
        self.committed = true;
        Ok(())
    }

    /// Moves each file into the existing output folder, never replacing one;
    /// on a failure, the files moved so far are taken out again.
    fn move_into(&self) -> Result<(), ImportError> {
        let mut moved = Vec::with_capacity(self.written.len());
        for name in &self.written {
            let to = self.out_dir.join(name);
            if let Err(source) = move_new(&self.dir.join(name), &to) {
                for path in moved {
                    let _ = std::fs::remove_file(path);
                }
                return Err(ImportError::Write { path: to, source });
            }
            moved.push(to);
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // After a rename the staging folder is gone; after moving files in,
        // it is empty; otherwise it holds this import's files and goes.
        let _ = std::fs::remove_dir_all(&self.dir);
        if !self.committed {
            // Innermost first, and only while empty: never a file of anyone else.
            for folder in self.created.iter().rev() {
                let _ = std::fs::remove_dir(folder);
            }
        }
    }
}

/// Moves `from` to `to` unless `to` exists: a hard link fails rather than
/// replace, where a rename would replace. A file system without hard links
/// gets a rename after a check (racy, but only against a file that appears
/// in that instant).
fn move_new(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(from, to) {
        Ok(()) => {
            // The staging folder goes anyway; `to` is in place either way.
            let _ = std::fs::remove_file(from);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        Err(e) => {
            if std::fs::symlink_metadata(to).is_ok() {
                return Err(e);
            }
            std::fs::rename(from, to)
        }
    }
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
                    companies: 0,
                    attributes: 0,
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
        write_files(&out, &import_of(&["people.yaml"]), None).unwrap();
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
        let err = write_files(tmp.path(), &import_of(&["people.yaml"]), None).unwrap_err();
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

    /// What a folder holds, by name, hidden entries included.
    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_successful_import_leaves_no_staging_folder_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let beside = Beside {
            name: SCHEMA_BESIDE,
            text: "{}",
        };
        write_files(
            &tmp.path().join("new"),
            &import_of(&["a.yaml"]),
            Some(beside),
        )
        .unwrap();
        assert_eq!(listing(tmp.path()), ["new"]);
        assert_eq!(listing(&tmp.path().join("new")), ["a.yaml", SCHEMA_BESIDE]);
        // Into an existing folder, whose own schema copy is kept.
        let existing = tmp.path().join("existing");
        std::fs::create_dir(&existing).unwrap();
        std::fs::write(existing.join(SCHEMA_BESIDE), "mine").unwrap();
        write_files(&existing, &import_of(&["a.yaml", "b.yaml"]), Some(beside)).unwrap();
        assert_eq!(listing(tmp.path()), ["existing", "new"]);
        assert_eq!(listing(&existing), ["a.yaml", "b.yaml", SCHEMA_BESIDE]);
        assert_eq!(
            std::fs::read_to_string(existing.join(SCHEMA_BESIDE)).unwrap(),
            "mine"
        );
    }

    #[test]
    fn a_failed_write_leaves_nothing_behind_not_even_the_folders_it_made() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("made/for/it");
        // A name no folder can hold as a file stops the import midway.
        let err = write_files(&out, &import_of(&["a.yaml", "x/b.yaml"]), None).unwrap_err();
        assert!(matches!(err, ImportError::Write { .. }), "{err:?}");
        assert_eq!(listing(tmp.path()), Vec::<String>::new());
    }

    #[test]
    fn a_file_that_cannot_be_moved_in_takes_the_ones_moved_before_out_again() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("people");
        std::fs::create_dir_all(out.join("b.yaml")).unwrap();
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        let err = write_files(&out, &import_of(&["a.yaml", "b.yaml", "c.yaml"]), None).unwrap_err();
        assert!(
            matches!(&err, ImportError::Write { path, .. } if path.ends_with("b.yaml")),
            "{err:?}"
        );
        assert_eq!(listing(tmp.path()), ["people"]);
        assert_eq!(listing(&out), ["b.yaml", "notes.txt"]);
    }

    #[cfg(unix)]
    #[test]
    fn an_out_dir_that_is_a_link_is_refused_with_and_without_a_trailing_slash() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("target");
        std::fs::create_dir(&target).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        for out in [link.clone(), tmp.path().join("link/")] {
            let err = write_files(&out, &import_of(&["a.yaml"]), None).unwrap_err();
            assert!(matches!(err, ImportError::OutIsLink { .. }), "{err:?}");
        }
        let dangling = tmp.path().join("dangling");
        std::os::unix::fs::symlink(tmp.path().join("nowhere"), &dangling).unwrap();
        let err = check_out_dir(&dangling).unwrap_err();
        assert!(err.to_string().contains("nowhere"), "{err}");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(listing(&target), Vec::<String>::new());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_named_like_a_yaml_file_counts_as_yaml() {
        let tmp = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(tmp.path().join("elsewhere.yaml"), tmp.path().join("p.yaml"))
            .unwrap();
        assert!(matches!(
            check_out_dir(tmp.path()),
            Err(ImportError::OutDirHoldsYaml { count: 1, .. })
        ));
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
