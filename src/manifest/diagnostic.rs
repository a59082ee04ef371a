//! What can be wrong with people files, and where.
//!
//! [`ManifestError`] says what is wrong (message, code, general help);
//! [`Problem`] adds where (a file, a span, a label), a specific hint, and the
//! other place for problems that involve two (duplicates). [`Diagnostics`] is
//! every problem of one run, sorted by file and line.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use miette::{Diagnostic, LabeledSpan, Severity, SourceCode};
use serde::Serialize;
use thiserror::Error;

use super::excerpt::{Excerpt, Hide};
use super::source::SourceText;
use crate::secret::Secrets;

/// Everything that can be wrong with the people files of a project.
#[derive(Debug, Error, Diagnostic)]
pub enum ManifestError {
    /// A path given on the command line does not exist.
    #[error("{path} does not exist")]
    #[diagnostic(
        code(zeeg::path_not_found),
        help("give a people file or a folder holding people files")
    )]
    PathNotFound { path: PathBuf },

    /// A file could not be read.
    #[error("could not read {path}")]
    #[diagnostic(code(zeeg::io), help("check that the file exists and is readable"))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A people file that resolves (through a symbolic link, or as named)
    /// to a file outside the project root: refused unread.
    #[error(
        "{} leads outside the project, to {}: not read",
        path.display(),
        target.display()
    )]
    #[diagnostic(
        code(zeeg::outside_root),
        help(
            "zeeg reads people files only inside the project ({}), so that a link in a pull \
             request cannot make it print a file from elsewhere; copy the file into the project \
             instead of linking to it",
            root.display()
        )
    )]
    OutsideRoot {
        path: PathBuf,
        target: PathBuf,
        root: PathBuf,
    },

    /// A folder could not be listed.
    #[error("could not list the files under {path}")]
    #[diagnostic(
        code(zeeg::io),
        help(
            "check that the folder exists and is readable, and that no symbolic link under it \
             is broken or points back to a folder above it"
        )
    )]
    Walk {
        path: PathBuf,
        #[source]
        source: walkdir::Error,
    },

    /// No YAML file was found under the given paths.
    #[error("no people files found")]
    #[diagnostic(
        code(zeeg::no_files),
        help(
            "zeeg reads every *.yaml and *.yml file under the paths given (default: the current folder); check the path and the `include`/`exclude` globs of zeeg.yaml"
        )
    )]
    NoFiles,

    /// A file is not UTF-8.
    #[error("this file is not valid UTF-8")]
    #[diagnostic(
        code(zeeg::yaml::encoding),
        help("save the file as UTF-8 (people files may not use Latin-1 or UTF-16)")
    )]
    NotUtf8,

    /// The YAML parser rejected the text.
    #[error("invalid YAML: {message}")]
    #[diagnostic(
        code(zeeg::yaml::syntax),
        help("check the indentation, colons and closing quotes at or just before this point")
    )]
    Syntax { message: String },

    /// A tab in indentation.
    #[error("tab character in indentation")]
    #[diagnostic(
        code(zeeg::yaml::tab),
        help("YAML indents with spaces only; replace the tab with spaces")
    )]
    Tab,

    /// A character YAML does not allow in a file, such as NUL or ESC.
    #[error("control character {code} in the file")]
    #[diagnostic(
        code(zeeg::yaml::control_character),
        help(
            "YAML files may not hold control characters: delete it, or if the value needs it, \
             write it as an escape inside double quotes, e.g. \"\\e\" or \"\\x1b\""
        )
    )]
    ControlCharacter { code: String },

    /// A key appears twice in one mapping.
    #[error("duplicate key `{key}`")]
    #[diagnostic(
        code(zeeg::yaml::duplicate_key),
        help("a key may appear once per mapping; keep one of the two")
    )]
    DuplicateKey { key: String },

    /// More than one YAML document in a file.
    #[error("more than one YAML document in this file")]
    #[diagnostic(
        code(zeeg::yaml::documents),
        help(
            "a people file holds one document: remove the `---` line, or split it into two files"
        )
    )]
    SeveralDocuments,

    /// The file holds nothing.
    #[error("this file is empty")]
    #[diagnostic(
        code(zeeg::yaml::empty),
        help("add a `people:` list, delete the file, or list it under `exclude` in zeeg.yaml")
    )]
    Empty,

    /// An alias (`*name`).
    #[error("YAML aliases are not supported")]
    #[diagnostic(
        code(zeeg::yaml::alias),
        help("write the value out in full, or use `defaults:` for values shared by a file")
    )]
    Alias,

    /// A merge key (`<<`).
    #[error("YAML merge keys (`<<`) are not supported")]
    #[diagnostic(
        code(zeeg::yaml::merge_key),
        help("use `defaults:` for values shared by every person of a file")
    )]
    MergeKey,

    /// A custom tag (`!thing`).
    #[error("YAML tag `{tag}` is not supported")]
    #[diagnostic(code(zeeg::yaml::tag), help("remove the tag and write a plain value"))]
    Tag { tag: String },

    /// A value that does not fit its core-schema tag.
    #[error("`{value}` does not fit its tag")]
    #[diagnostic(code(zeeg::yaml::tag), help("remove the tag or fix the value"))]
    BadTaggedValue { value: String },

    /// Lists and mappings nested too deep.
    #[error(
        "lists and mappings nest more than {} levels deep here",
        super::yaml::MAX_NESTING
    )]
    #[diagnostic(
        code(zeeg::yaml::too_deep),
        help("a people file needs a few levels; look for a run of `- ` or `[` that does not end")
    )]
    TooDeep,

    /// A mapping or list used as a key.
    #[error("a key must be plain text")]
    #[diagnostic(code(zeeg::yaml::complex_key), help("write the key as a plain word"))]
    ComplexKey,

    /// `.inf` or `.nan`.
    #[error("infinite or not-a-number values are not supported")]
    #[diagnostic(
        code(zeeg::yaml::number),
        help("quote the value if it is text, e.g. \".inf\"")
    )]
    NotFinite,

    /// An unquoted number that would reach the CRM changed.
    #[error("`{written}` would be sent as the number {read}")]
    #[diagnostic(code(zeeg::yaml::changed_number))]
    ChangedNumber {
        written: String,
        read: String,
        #[help]
        help: String,
    },

    /// A YAML file that is not a people file.
    #[error("not a people file: no top-level `people` or `companies` list")]
    #[diagnostic(
        code(zeeg::not_people_file),
        help(
            "{did_you_mean}a people file holds `people:`, `companies:` or both; if this YAML file is something else, list it under `exclude` in zeeg.yaml, e.g. `exclude: [\"{rel}\"]`"
        )
    )]
    NotPeopleFile { rel: String, did_you_mean: String },

    /// A key the model does not know.
    #[error("unknown key `{key}` in {context}")]
    #[diagnostic(code(zeeg::schema::unknown_key))]
    UnknownKey { key: String, context: String },

    /// A value of the wrong type.
    #[error("{field} must be {expected}, not {found}")]
    #[diagnostic(code(zeeg::schema::wrong_type))]
    WrongType {
        field: String,
        expected: String,
        found: String,
    },

    /// A value that is not a valid email, URL or UUID.
    #[error("{what}")]
    #[diagnostic(code(zeeg::schema::format))]
    Format { what: String },

    /// `people` holds nobody.
    #[error("`people` is empty")]
    #[diagnostic(
        code(zeeg::schema::empty_people),
        help("add at least one person (`- firstName: …`), or delete the file")
    )]
    EmptyPeople,

    /// A slug (matching attribute or custom attribute) that is not snake_case.
    #[error("`{slug}` is not a snake_case attribute slug")]
    #[diagnostic(code(zeeg::schema::slug))]
    BadSlug { slug: String },

    /// Any other schema violation.
    #[error("{message}")]
    #[diagnostic(code(zeeg::schema::invalid))]
    Schema { message: String },

    /// An entry without first and last name.
    #[error("this person has neither `firstName` nor `lastName`")]
    #[diagnostic(
        code(zeeg::person::no_name),
        help("add `firstName` or `lastName`: the CRM needs one of them to create a person")
    )]
    NoName,

    /// An entry without a value for its matching attribute.
    #[error("this person has no value for its matching attribute `{attribute}`")]
    #[diagnostic(code(zeeg::person::no_match_value))]
    NoMatchValue { attribute: String },

    /// A default `matchingAttribute` that entries inherit without a value.
    #[error(
        "{entries} {} on `{attribute}` by default but {} no value for it",
        if *.entries == 1 { "entry matches" } else { "entries match" },
        if *.entries == 1 { "has" } else { "have" }
    )]
    #[diagnostic(code(zeeg::config::matching_attribute))]
    DefaultWithoutValues { attribute: String, entries: usize },

    /// Two entries with the same identity.
    #[error("two people have the same {attribute} `{value}`")]
    #[diagnostic(
        code(zeeg::person::duplicate),
        help("each person may appear once; merge the two entries or correct one of them")
    )]
    DuplicateIdentity { attribute: String, value: String },

    /// Two entries share an email.
    #[error("two people share the email `{email}`")]
    #[diagnostic(
        code(zeeg::person::shared_email),
        help(
            "the CRM matches people by any of their emails: an email may belong to one person only"
        )
    )]
    SharedEmail { email: String },

    /// One entry lists an email twice.
    #[error("the email `{email}` is listed twice")]
    #[diagnostic(
        code(zeeg::person::duplicate_email),
        help("remove one of the two (emails are compared ignoring case)")
    )]
    DuplicateEmail { email: String },

    /// An entry (or defaults) linking its company both by domain and by id.
    #[error("`company` and `companyId` both link this person to a company")]
    #[diagnostic(
        code(zeeg::person::company_twice),
        help("keep one: `company: DOMAIN` (readable in review) or `companyId: UUID`")
    )]
    CompanyTwice,

    /// A company domain that is not a host name.
    #[error("`{domain}` is not a company domain: {reason}")]
    #[diagnostic(
        code(zeeg::company::domain),
        help("write the company's domain as a host name, e.g. `acme.com`")
    )]
    BadDomain { domain: String, reason: String },

    /// One domain declared twice.
    #[error("the company `{domain}` is declared twice")]
    #[diagnostic(
        code(zeeg::company::duplicate),
        help(
            "declare each company once (domains are compared ignoring case); remove one of the two"
        )
    )]
    DuplicateCompany { domain: String },

    /// An `include`/`exclude` glob of zeeg.yaml that does not parse.
    #[error("invalid glob `{glob}`")]
    #[diagnostic(
        code(zeeg::config::glob),
        help("see https://docs.rs/globset for the syntax")
    )]
    BadGlob {
        glob: String,
        #[source]
        source: globset::Error,
    },
}

impl ManifestError {
    /// What to write instead of a number that would not be sent as
    /// written; for `phoneNumber`, the usual cause, said plainly.
    pub(crate) fn changed_number_help(written: &str, key: Option<&str>) -> String {
        let example = match key {
            Some(key) => format!("`{key}: \"{written}\"`"),
            None => format!("`\"{written}\"`"),
        };
        if key == Some("phoneNumber") && written.starts_with('+') {
            return format!(
                "quote the phone number: YAML reads an unquoted `+49…` as a number, e.g. {example}"
            );
        }
        format!(
            "quote it if it is text (an id, a zip code): {example}; zeeg sends a number exactly \
             as written, so write it as it would be sent: plain decimal without `+`, leading \
             zeros, extra trailing zeros or an exponent, within 2^53 (9007199254740992) so no \
             digit is lost"
        )
    }
}

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
        match parts.as_slice() {
            [] => "the problems above".to_string(),
            [one] => one.to_string(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
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
            "{} in the people files",
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
