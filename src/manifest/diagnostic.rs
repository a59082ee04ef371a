//! What can be wrong with people files, and where.
//!
//! [`ManifestError`] (in `error.rs`) says what is wrong (message, code, general help);
//! [`Problem`] adds where (a file, a span, a label), a specific hint, and the
//! other place for problems that involve two (duplicates). [`Diagnostics`] is
//! every problem of one run, sorted by file and line.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use miette::{Diagnostic, LabeledSpan, Severity, SourceCode};
use serde::Serialize;

use super::excerpt::{Excerpt, Hide};
use super::source::SourceText;
use crate::secret::Secrets;

pub use super::error::ManifestError;

/// A second place a problem involves (the first of two duplicates).
#[derive(Debug, Clone)]
pub struct Place {
    pub source: SourceText,
    pub span: Range<usize>,
    pub label: String,
    hide: Hide,
    shown: Shown,
}

/// What miette is given to print, made on first use: an [`Excerpt`] of the
/// file and the labels' spans moved into it.
type Shown = OnceLock<(Excerpt, Vec<Range<usize>>)>;

/// One problem: what, where, and how to fix it.
#[derive(Debug)]
pub struct Problem {
    pub error: ManifestError,
    /// The file and span, when the problem has a place.
    pub at: Option<(SourceText, Range<usize>)>,
    pub label: Option<String>,
    /// A hint for this occurrence; replaces the error's general help.
    pub help: Option<String>,
    pub other: Option<Place>,
    /// What is hidden when printed: secrets, and contact data under
    /// `--redact`.
    hide: Hide,
    shown: Shown,
}

impl Problem {
    pub fn new(error: ManifestError) -> Problem {
        Problem {
            error,
            at: None,
            label: None,
            help: None,
            other: None,
            hide: Hide::default(),
            shown: Shown::new(),
        }
    }

    pub fn at(mut self, source: &SourceText, span: Range<usize>) -> Problem {
        self.at = Some((source.clone(), source.clamp(span)));
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Problem {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }

    pub fn also(
        mut self,
        source: &SourceText,
        span: Range<usize>,
        label: impl Into<String>,
    ) -> Problem {
        self.other = Some(Place {
            source: source.clone(),
            span: source.clamp(span),
            label: label.into(),
            hide: Hide::default(),
            shown: Shown::new(),
        });
        self
    }

    /// The file name, line and column, for sorting and JSON.
    pub fn location(&self) -> Option<(&str, usize, usize)> {
        let (source, span) = self.at.as_ref()?;
        let (line, column) = source.line_col(span.start);
        Some((source.name(), line, column))
    }

    /// The plain-data form printed by `zeeg validate --format json`.
    pub fn to_record(&self) -> ProblemRecord {
        let (file, line, column) = match self.location() {
            Some((file, line, column)) => (Some(file.to_string()), Some(line), Some(column)),
            None => (None, None, None),
        };
        let code = self.error.code().map(|c| c.to_string()).unwrap_or_default();
        let help = self.help().map(|h| h.to_string());
        ProblemRecord {
            file,
            line,
            column,
            code,
            // JSON has no labels: the second place goes into the message.
            message: match &self.other {
                Some(other) => format!("{self} ({other})"),
                None => self.to_string(),
            },
            help,
        }
    }
}

impl Problem {
    /// The excerpt of the file around this problem's place (and the other
    /// place, when it is in the same file).
    fn shown(&self) -> Option<&(Excerpt, Vec<Range<usize>>)> {
        let (source, span) = self.at.as_ref()?;
        Some(self.shown.get_or_init(|| {
            let mut spans = vec![span.clone()];
            if let Some(other) = &self.other
                && other.source.same(source)
            {
                spans.push(other.span.clone());
            }
            Excerpt::new(source, &spans, &self.hide)
        }))
    }
}

/// One problem as JSON: `{file, line, column, code, message, help}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProblemRecord {
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub code: String,
    pub message: String,
    pub help: Option<String>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hide.text(&self.error.to_string()))
    }
}

impl std::error::Error for Problem {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.error.code()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        let help = match &self.help {
            Some(help) => Box::new(help),
            None => self.error.help()?,
        };
        Some(Box::new(self.hide.text(&help.to_string())))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.shown().map(|(excerpt, _)| excerpt as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (_, spans) = self.shown()?;
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            self.label.clone(),
            spans[0].clone(),
        )];
        if let (Some(other), Some(span)) = (&self.other, spans.get(1)) {
            labels.push(LabeledSpan::new_with_span(
                Some(other.label.clone()),
                span.clone(),
            ));
        }
        Some(Box::new(labels.into_iter()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        let other = self.other.as_ref()?;
        let (source, _) = self.at.as_ref()?;
        if other.source.same(source) {
            return None;
        }
        Some(Box::new(std::iter::once(other as &dyn Diagnostic)))
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (line, column) = self.source.line_col(self.span.start);
        write!(f, "see also {}:{line}:{column}", self.source.name())
    }
}

impl std::error::Error for Place {}

impl Diagnostic for Place {
    fn severity(&self) -> Option<Severity> {
        Some(Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.shown().0)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some(self.label.clone()), self.shown().1[0].clone()),
        )))
    }
}

impl Place {
    fn shown(&self) -> &(Excerpt, Vec<Range<usize>>) {
        self.shown.get_or_init(|| {
            Excerpt::new(&self.source, std::slice::from_ref(&self.span), &self.hide)
        })
    }
}

/// Every problem found in one run, sorted by file and position.
#[derive(Debug, Default)]
pub struct Diagnostics {
    pub problems: Vec<Problem>,
}

impl Diagnostics {
    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    /// The same problems, printed with emails and phone numbers masked in
    /// messages and snippets (`plan --redact`, markdown in CI).
    pub fn redacted(mut self) -> Diagnostics {
        for problem in &mut self.problems {
            problem.hide.contact_data = true;
            if let Some(other) = &mut problem.other {
                other.hide.contact_data = true;
            }
        }
        self
    }

    /// The same problems, printed with `secrets` cut out of messages and
    /// snippets (see [`crate::secret`]).
    pub fn without(mut self, secrets: &Secrets) -> Diagnostics {
        let secrets = Arc::new(secrets.clone());
        for problem in &mut self.problems {
            problem.hide.secrets = secrets.clone();
            if let Some(other) = &mut problem.other {
                other.hide.secrets = secrets.clone();
            }
        }
        self
    }

    pub fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// Sorts by file name, then position; problems without a place first.
    pub fn sort(&mut self) {
        self.problems.sort_by(|a, b| {
            let key = |p: &Problem| {
                p.at.as_ref()
                    .map(|(source, span)| (source.name().to_string(), span.start))
            };
            key(a).cmp(&key(b))
        });
    }

    /// What to fix, for the line that closes a failed plan or apply: the
    /// paths given, zeeg.yaml, the people files, or some of these.
    pub fn what_to_fix(&self) -> String {
        let mut paths = false;
        let mut config = false;
        let mut people = false;
        for problem in &self.problems {
            let named =
                |name: &std::path::Path| name.file_name().is_some_and(|n| n == super::CONFIG_FILE);
            match (&problem.error, &problem.at) {
                (
                    ManifestError::PathNotFound { .. }
                    | ManifestError::NoFiles
                    | ManifestError::Walk { .. },
                    _,
                ) => paths = true,
                (ManifestError::Io { path, .. }, _) if named(path) => config = true,
                (_, Some((source, _))) if named(std::path::Path::new(source.name())) => {
                    config = true
                }
                _ => people = true,
            }
        }
        let parts: Vec<&str> = [
            (paths, "the paths given"),
            (config, "zeeg.yaml"),
            (people, "the people files"),
        ]
        .into_iter()
        .filter_map(|(wrong, what)| wrong.then_some(what))
        .collect();
        if parts.is_empty() {
            "the problems above".to_string()
        } else {
            crate::plural::and_joined(&parts)
        }
    }

    /// How many distinct files have problems.
    pub fn file_count(&self) -> usize {
        let mut names: Vec<&str> = self
            .problems
            .iter()
            .filter_map(|p| p.at.as_ref().map(|(s, _)| s.name()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    }
}

impl std::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{} in the project's zeeg.yaml or people files",
            crate::plural::counted(n, "problem", "problems")
        )
    }
}

impl std::error::Error for Diagnostics {}

impl Diagnostic for Diagnostics {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new("zeeg::invalid_manifest"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(
            "run `zeeg validate` to check the files after fixing them",
        ))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.problems.iter().map(|p| p as &dyn Diagnostic)))
    }
}
