//! Projects in a temporary folder, loaded as every command loads them, and
//! their problems as the tests read them: message, place, other place.

use super::*;

/// A project of `files` (name, text), its root marked by `.git` so that no
/// `zeeg.yaml` is needed.
pub(super) fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// The project of `files`, loaded.
pub(super) fn loaded(files: &[(&str, &str)]) -> Result<Manifest, Diagnostics> {
    let dir = project(files);
    load(&[dir.path().to_path_buf()])
}

/// The project of `files`, which must load.
pub(super) fn manifest(files: &[(&str, &str)]) -> Manifest {
    match loaded(files) {
        Ok(manifest) => manifest,
        Err(diagnostics) => panic!("{:#?}", seen(&diagnostics)),
    }
}

/// One problem: its message, `file:line` of its place and of the other
/// place it names (the file's name alone), and its help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Seen {
    pub(super) message: String,
    pub(super) at: Option<String>,
    pub(super) also: Option<String>,
    pub(super) help: Option<String>,
}

/// The problems of the project of `files`, which must not load.
pub(super) fn problems(files: &[(&str, &str)]) -> Vec<Seen> {
    match loaded(files) {
        Ok(manifest) => panic!("loaded {} entries", manifest.entries.len()),
        Err(diagnostics) => seen(&diagnostics),
    }
}

fn seen(diagnostics: &Diagnostics) -> Vec<Seen> {
    let place = |source: &SourceText, span: &Range<usize>| {
        let name = Path::new(source.name())
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        format!("{name}:{}", source.line_col(span.start).0)
    };
    diagnostics
        .problems
        .iter()
        .map(|problem| Seen {
            message: problem.to_string(),
            at: problem
                .at
                .as_ref()
                .map(|(source, span)| place(source, span)),
            also: problem
                .other
                .as_ref()
                .map(|other| place(&other.source, &other.span)),
            help: problem.to_record().help,
        })
        .collect()
}

/// The value of `field` in the entry whose first email is `email`.
pub(super) fn field(manifest: &Manifest, email: &str, field: &str) -> Option<Value> {
    let entry = manifest
        .entries
        .iter()
        .find(|entry| entry.emails().first().map(String::as_str) == Some(email))
        .unwrap_or_else(|| panic!("no entry for {email}"));
    entry.fields.get(field)
}

/// The one problem of the project of `files`.
pub(super) fn one_problem(files: &[(&str, &str)]) -> Seen {
    let mut seen = problems(files);
    assert_eq!(seen.len(), 1, "{seen:#?}");
    seen.remove(0)
}

impl Seen {
    /// Its message, place and other place.
    pub(super) fn placed(&self) -> (&str, Option<&str>, Option<&str>) {
        (&self.message, self.at.as_deref(), self.also.as_deref())
    }
}
