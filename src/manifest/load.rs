//! Loading a project: settings, people files, entries, and the checks that
//! span entries (identities, shared emails).

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::diagnostic::{Diagnostics, ManifestError, Problem};
use super::discover::{self, Filters, Found, ProjectRoot};
use super::entry::{CompanyDeclaration, CompanyLink, Entry, SourceFile, SourceLocation};
use super::model::{Config, DeclaredCompany, DeclaredPerson};
use super::schema_check::{self, Schema};
use super::source::SourceText;
use super::yaml::{self, Document, ItemSpans, PeopleItem, Spans, YamlError, YamlProblem};
use crate::company;
use crate::person::{MatchField, normalize_email};

/// The desired state of a project, ready for planning.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The project root: the folder of `zeeg.yaml` at or above the first
    /// path, else the git work tree's root, else the current folder.
    /// Absolute.
    pub root: PathBuf,
    /// The settings of `zeeg.yaml` (defaults when there is none).
    pub config: Config,
    /// Where `zeeg.yaml` was found, if anywhere.
    pub config_file: Option<PathBuf>,
    /// Every entry of every people file, in file order then list order.
    pub entries: Vec<Entry>,
    /// Every declared company, in file order then list order; no domain
    /// twice (ignoring case).
    pub companies: Vec<CompanyDeclaration>,
    /// The people files read, relative to the root, with their digests.
    pub files: Vec<SourceFile>,
    /// The paths the files were found under (default `.`), relative to the
    /// root: what a saved plan records so `apply --plan` reads the same.
    pub paths: Vec<PathBuf>,
}

/// Reads and checks the people files under `paths` (default: `.`). Returns
/// every problem of every file when anything is wrong.
pub fn load(paths: &[PathBuf]) -> Result<Manifest, Diagnostics> {
    load_keeping(paths, Keep::Entries)
}

/// What [`check`] found valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    pub people: usize,
    pub companies: usize,
    pub files: usize,
}

/// Runs every check [`load`] runs, keeping of each person only what the
/// checks across entries need: what `validate` wants, in a fraction of the
/// memory of a big file's entries.
pub fn check(paths: &[PathBuf]) -> Result<Checked, Diagnostics> {
    let manifest = load_keeping(paths, Keep::Checks)?;
    Ok(Checked {
        people: manifest.entries.len(),
        companies: manifest.companies.len(),
        files: manifest.files.len(),
    })
}

/// What loading keeps of each entry once its own checks ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Everything: the entries are planned.
    Entries,
    /// Its identity and custom attribute values: the entries only count.
    Checks,
}

fn load_keeping(paths: &[PathBuf], keep: Keep) -> Result<Manifest, Diagnostics> {
    let default_paths = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default_paths[..]
    } else {
        paths
    };
    let mut problems = Vec::new();

    let ProjectRoot { root, config_file } = discover::project_root(&paths[0]);
    let settings = match &config_file {
        Some(path) => load_config(path, &mut problems),
        None => Settings::default(),
    };

    let found = discover::discover(paths, &root, &settings.filters, &mut problems);
    if found.is_empty() && problems.is_empty() {
        problems.push(Problem::new(ManifestError::NoFiles));
    }

    let mut files = Vec::new();
    let mut loaded = Vec::new();
    let mut companies = Vec::new();
    let per_file = parallel_map(&found, |item| {
        let mut out = FileOut::default();
        let file = load_file(item, &settings, keep, &mut out);
        (file, out)
    });
    for (file, out) in per_file {
        files.extend(file);
        // The first file's entries are moved, not copied: with one big file
        // a copy held every entry twice.
        if loaded.is_empty() {
            loaded = out.loaded;
        } else {
            loaded.extend(out.loaded);
        }
        companies.extend(out.companies);
        problems.extend(out.problems);
    }
    check_identities(&loaded, &mut problems);
    check_company_domains(&companies, &mut problems);
    report_unmatched_defaults(
        &loaded,
        settings.matching_default_at.as_ref(),
        &mut problems,
    );

    if !problems.is_empty() {
        let mut diagnostics = Diagnostics { problems };
        diagnostics.sort();
        return Err(diagnostics);
    }
    Ok(Manifest {
        config: settings.config,
        config_file,
        entries: loaded.into_iter().map(|l| l.entry).collect(),
        companies: companies.into_iter().map(|c| c.declaration).collect(),
        files,
        paths: paths
            .iter()
            .map(|path| discover::in_project(path, &root))
            .collect(),
        root,
    })
}

/// Maps `f` over `items` on a few threads, keeping the order. Files are
/// independent until the cross-file checks, which run after.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(items.len() / 4)
        .max(1);
    if threads == 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let f = &f;
                scope.spawn(move || part.iter().map(f).collect::<Vec<R>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

#[derive(Default)]
struct Settings {
    config: Config,
    defaults: Option<Map<String, Value>>,
    /// Where zeeg.yaml writes each `defaults.customAttributes` value.
    custom_defaults_at: HashMap<String, SourceLocation>,
    /// zeeg.yaml and where it writes `defaults.matchingAttribute`.
    matching_default_at: Option<(SourceText, Range<usize>)>,
    /// Where zeeg.yaml writes `defaults.company`.
    company_default_at: Option<SourceLocation>,
    filters: Filters,
}

/// What loading one file yields: its entries, its companies, its problems.
#[derive(Default)]
struct FileOut {
    loaded: Vec<Loaded>,
    companies: Vec<LoadedCompany>,
    problems: Vec<Problem>,
}

/// A company declaration and where it is written, for the duplicate check.
struct LoadedCompany {
    declaration: CompanyDeclaration,
    source: SourceText,
    /// The span of its `domain` value.
    span: Range<usize>,
}

/// A path as diagnostics name it (see [`discover::shown`]).
fn shown_name(path: &Path) -> String {
    discover::shown(path).to_string_lossy().into_owned()
}

fn load_config(path: &Path, problems: &mut Vec<Problem>) -> Settings {
    let Some((source, _)) = read_source(path, shown_name(path), problems) else {
        return Settings::default();
    };
    let doc = match yaml::parse(source.text()) {
        Ok(doc) => doc,
        Err(errors) => {
            problems.extend(errors.into_iter().map(|e| yaml_problem(&source, e)));
            return Settings::default();
        }
    };
    let schema = Schema::config();
    let errors = schema.check(&doc, &source);
    if !errors.is_empty() {
        problems.extend(errors.into_iter().map(|(_, p)| p));
        return Settings::default();
    }
    let config = match Config::deserialize(&doc.value) {
        Ok(config) => config,
        Err(e) => {
            problems.push(
                Problem::new(ManifestError::Schema {
                    message: e.to_string(),
                })
                .at(&source, 0..0),
            );
            return Settings::default();
        }
    };
    let filters = Filters {
        include: glob_set(&doc, &source, "include", &config.include, problems),
        exclude: glob_set(&doc, &source, "exclude", &config.exclude, problems),
    };
    let defaults = doc
        .value
        .get("defaults")
        .and_then(Value::as_object)
        .cloned();
    let relative = discover::shown(path);
    let defaults_mapping = doc.value.get("defaults").and_then(Value::as_object);
    let custom_defaults_at = custom_value_spans(&doc.spans, defaults_mapping, "/defaults")
        .map(|(slug, span)| {
            let (line, column) = source.line_col(span.start);
            let at = SourceLocation {
                file: relative.clone(),
                line,
                column,
            };
            (slug, at)
        })
        .collect();
    let matching_default_at = doc
        .spans
        .get("/defaults/matchingAttribute")
        .map(|span| (source.clone(), span.value.clone()));
    check_company_keys(&doc.spans, defaults_mapping, &source, "/defaults", problems);
    let company_default_at = doc.spans.get("/defaults/company").map(|span| {
        let (line, column) = source.line_col(span.value.start);
        SourceLocation {
            file: relative.clone(),
            line,
            column,
        }
    });
    Settings {
        config,
        defaults,
        custom_defaults_at,
        matching_default_at,
        company_default_at,
        filters,
    }
}

/// The globs of zeeg.yaml's `key` (`include`, `exclude`), none when the list
/// is empty; each glob that does not parse is a problem at its line.
fn glob_set(
    doc: &yaml::Document,
    source: &SourceText,
    key: &str,
    list: &[String],
    problems: &mut Vec<Problem>,
) -> Option<GlobSet> {
    if list.is_empty() {
        return None;
    }
    let mut builder = GlobSetBuilder::new();
    for (i, glob) in list.iter().enumerate() {
        match Glob::new(glob) {
            Ok(glob) => {
                builder.add(glob);
            }
            Err(source_error) => {
                let span = doc
                    .span(&format!("/{key}/{i}"))
                    .map_or(0..0, |s| s.value.clone());
                problems.push(
                    Problem::new(ManifestError::BadGlob {
                        glob: glob.clone(),
                        source: source_error,
                    })
                    .at(source, span)
                    .label("this glob"),
                );
            }
        }
    }
    builder.build().ok()
}

/// Reads a YAML file into a document, or records why it could not.
/// A file's text and the SHA-256 of its bytes, or a problem.
fn read_source(
    path: &Path,
    name: String,
    problems: &mut Vec<Problem>,
) -> Option<(SourceText, String)> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(source) => {
            problems.push(Problem::new(ManifestError::Io {
                path: path.to_path_buf(),
                source,
            }));
            return None;
        }
    };
    let digest = hex::encode(Sha256::digest(&bytes));
    // A UTF-8 byte order mark is accepted (YAML allows it; Windows editors
    // write it) and dropped before parsing; it is invisible in positions.
    let mut body = bytes;
    if body.starts_with(b"\xef\xbb\xbf") {
        body.drain(..3);
    }
    // The bytes become the text without a copy: a big file is held once.
    let text = match String::from_utf8(body) {
        Ok(text) => text,
        Err(error) => {
            let at = error.utf8_error().valid_up_to();
            let body = error.into_bytes();
            let utf16 = body.starts_with(b"\xff\xfe") || body.starts_with(b"\xfe\xff");
            let problem = if utf16 {
                // Shown as UTF-8, UTF-16 text is noise; name the file only.
                Problem::new(ManifestError::NotUtf8)
                    .at(&SourceText::new(name, ""), 0..0)
                    .help("this file is UTF-16; save it as UTF-8")
            } else {
                let source = SourceText::new(name, String::from_utf8_lossy(&body).into_owned());
                Problem::new(ManifestError::NotUtf8)
                    .at(&source, at..at + 1)
                    .label("this byte is not UTF-8")
            };
            problems.push(problem);
            return None;
        }
    };
    Some((SourceText::new(name, text), digest))
}

fn yaml_problem(source: &SourceText, error: YamlError) -> Problem {
    let YamlError { problem, span } = error;
    let (error, label) = match problem {
        YamlProblem::Syntax(message) => (ManifestError::Syntax { message }, "here"),
        YamlProblem::Tab => (ManifestError::Tab, "tab"),
        YamlProblem::ControlCharacter(c) => (
            ManifestError::ControlCharacter {
                code: format!("U+{:04X}", c as u32),
            },
            "here",
        ),
        YamlProblem::DuplicateKey(key, first) => {
            return Problem::new(ManifestError::DuplicateKey { key })
                .at(source, span)
                .label("second time")
                .also(source, first, "first time");
        }
        YamlProblem::SeveralDocuments => (
            ManifestError::SeveralDocuments,
            "a second document starts here",
        ),
        YamlProblem::Empty => (ManifestError::Empty, "nothing here"),
        YamlProblem::Alias => (ManifestError::Alias, "alias"),
        YamlProblem::MergeKey => (ManifestError::MergeKey, "merge key"),
        YamlProblem::Tag(tag) => (ManifestError::Tag { tag }, "tag"),
        YamlProblem::BadTaggedValue(value) => (ManifestError::BadTaggedValue { value }, "here"),
        YamlProblem::ComplexKey => (ManifestError::ComplexKey, "this key"),
        YamlProblem::TooDeep => (ManifestError::TooDeep, "one level too deep"),
        YamlProblem::NotFinite => (ManifestError::NotFinite, "not a finite number"),
        YamlProblem::ChangedNumber { written, read, key } => (
            ManifestError::ChangedNumber {
                help: ManifestError::changed_number_help(&written, key.as_deref()),
                written,
                read,
            },
            "unquoted number",
        ),
    };
    Problem::new(error).at(source, span).label(label)
}

/// A YAML file with neither `people` nor `companies`: pointed at a
/// misspelt top-level key (`peple:`) when there is one.
fn not_people_file(doc: &Document, source: &SourceText, relative: &Path) -> Problem {
    const TOP_LEVEL: [&str; 2] = ["people", "companies"];
    let misspelt = doc.value.as_object().and_then(|map| {
        map.keys().find_map(|key| {
            let meant = schema_check::near_miss(key, &TOP_LEVEL)?;
            let at = doc.span(&format!("/{}", schema_check::escape(key)))?.key?;
            Some((key, meant, at))
        })
    });
    let did_you_mean = misspelt
        .as_ref()
        .map(|(key, meant, _)| format!("did you mean `{meant}:` for `{key}:`? "))
        .unwrap_or_default();
    let error = ManifestError::NotPeopleFile {
        rel: relative.to_string_lossy().into_owned(),
        did_you_mean,
    };
    match misspelt {
        Some((_, _, at)) => Problem::new(error).at(source, at).label("this key"),
        None => {
            let line = doc.span("").map_or(0..0, |s| s.value.clone());
            Problem::new(error)
                .at(source, line)
                .label("expected `people:` or `companies:` at the top level")
        }
    }
}

/// One entry on its way out, with what the cross-entry checks need.
struct Loaded {
    entry: Entry,
    source: SourceText,
    /// Where the matching value is written (or the item, when it comes from
    /// defaults or is absent).
    match_span: Range<usize>,
    /// Each email (normalised) and where it is written.
    emails: Vec<(String, Range<usize>)>,
    /// Set when the entry has no value for a matching attribute it takes
    /// from defaults: reported once, at the default, not once per entry.
    unmatched_default: Option<DefaultAt>,
}

/// Where an inherited `matchingAttribute` is written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DefaultAt {
    /// The file's own `defaults`, at this span of the entry's file.
    File(Range<usize>),
    /// zeeg.yaml's `defaults`.
    Project,
}

/// Each key of the `customAttributes` mapping of `holder` (the mapping at
/// `parent`) and the span of its value.
fn custom_value_spans<'d>(
    spans: &'d Spans,
    holder: Option<&'d Map<String, Value>>,
    parent: &str,
) -> impl Iterator<Item = (String, Range<usize>)> + 'd {
    let pointer = format!("{parent}/customAttributes");
    holder
        .and_then(|holder| holder.get("customAttributes"))
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|values| values.keys())
        .filter_map(move |slug| {
            let span = spans.get(&format!("{pointer}/{slug}"))?;
            Some((slug.clone(), span.value.clone()))
        })
}

fn load_file(
    found: &Found,
    settings: &Settings,
    keep: Keep,
    out: &mut FileOut,
) -> Option<SourceFile> {
    let (source, sha256) = read_source(&found.path, found.shown.clone(), &mut out.problems)?;
    let file = SourceFile {
        path: found.relative.clone(),
        shown: PathBuf::from(&found.shown),
        sha256,
    };
    let file_of = FileOf {
        found,
        source: &source,
        settings,
        keep,
    };
    // Each person becomes an entry as soon as it is parsed, and its values
    // and spans are dropped: a big file is never held whole.
    let mut items = Items::default();
    let streamed = yaml::parse_people(source.text(), &mut |item| {
        let PeopleItem {
            index,
            value,
            spans,
            before,
        } = item;
        let defaults = before.get("defaults");
        items.defaults_before.get_or_insert(defaults.is_some());
        file_of
            .input(spans, defaults.and_then(Value::as_object))
            .person(index, value, &mut items);
        ItemSpans::Drop
    });
    let doc = match streamed {
        Ok(doc) => doc,
        Err(errors) => {
            let problems = errors.into_iter().map(|e| yaml_problem(&source, e));
            out.problems.extend(problems);
            return None;
        }
    };
    let defaults = doc.value.get("defaults");
    let doc = if items.defaults_before == Some(false) && defaults.is_some() {
        // `defaults` written after `people`: the people are read again,
        // kept whole this time, and merged once the defaults are known.
        let mut kept = Vec::new();
        let Ok(doc) = yaml::parse_people(source.text(), &mut |item| {
            kept.push((item.index, item.value));
            ItemSpans::Keep
        }) else {
            return None;
        };
        items = Items::default();
        let file_defaults = doc.value.get("defaults").and_then(Value::as_object);
        let input = file_of.input(&doc.spans, file_defaults);
        for (index, value) in kept {
            input.person(index, value, &mut items);
        }
        doc
    } else {
        doc
    };
    if doc.value.get("people").is_none() && doc.value.get("companies").is_none() {
        out.problems
            .push(not_people_file(&doc, &source, &found.relative));
        return Some(file);
    }
    let bad = schema_problems(&doc, &source, &mut out.problems);
    out.problems.append(&mut items.refused);
    let Some(bad) = bad else {
        return Some(file);
    };
    let file_defaults = doc.value.get("defaults").and_then(Value::as_object);
    let input = file_of.input(&doc.spans, file_defaults);
    let companies = doc.value.get("companies").and_then(Value::as_array);
    out.companies
        .extend(input.load_companies(companies, &bad.companies, &mut out.problems));
    check_company_keys(
        &doc.spans,
        file_defaults,
        &source,
        "/defaults",
        &mut out.problems,
    );
    out.problems.append(&mut items.checked);
    // The first file's entries are moved, not copied.
    if out.loaded.is_empty() {
        out.loaded = items.loaded;
    } else {
        out.loaded.append(&mut items.loaded);
    }
    Some(file)
}

/// A people file and the project settings that apply to it.
struct FileOf<'a> {
    found: &'a Found,
    source: &'a SourceText,
    settings: &'a Settings,
    keep: Keep,
}

impl<'a> FileOf<'a> {
    /// What entries are made with, given the spans so far and the file's
    /// `defaults`.
    fn input<'b>(
        &'b self,
        spans: &'b Spans,
        file_defaults: Option<&'b Map<String, Value>>,
    ) -> FileInput<'b> {
        FileInput {
            found: self.found,
            spans,
            source: self.source,
            file_defaults,
            project_defaults: self.settings.defaults.as_ref(),
            project_defaults_at: &self.settings.custom_defaults_at,
            project_company_at: self.settings.company_default_at.as_ref(),
            keep: self.keep,
        }
    }
}

/// What the `people` items of a file make, as they are parsed.
#[derive(Default)]
struct Items {
    loaded: Vec<Loaded>,
    /// What the schema refuses in the items: reported whatever else the
    /// file holds.
    refused: Vec<Problem>,
    /// The problems of items the schema passed: reported only when the file
    /// as a whole is usable (its `defaults` were merged into them).
    checked: Vec<Problem>,
    /// Whether `defaults` was written before the first item.
    defaults_before: Option<bool>,
}

/// The `companies` items of a file that the schema refused. (Its `people`
/// items are checked one by one as they are parsed.)
#[derive(Default)]
struct BadItems {
    companies: HashSet<usize>,
}

/// An entry (or a `defaults` mapping) may link its company by `company` or
/// by `companyId`, not both; a `company` domain must be a host name.
fn check_company_keys(
    spans: &Spans,
    mapping: Option<&Map<String, Value>>,
    source: &SourceText,
    at: &str,
    problems: &mut Vec<Problem>,
) {
    let Some(mapping) = mapping.filter(|m| m.contains_key(company::LINK_FIELD)) else {
        return;
    };
    let span = |key: &str| spans.get(&format!("{at}/{key}"));
    if let (Some(link), Some(id)) = (span(company::LINK_FIELD), span(company::ID_FIELD)) {
        problems.push(
            Problem::new(ManifestError::CompanyTwice)
                .at(source, link.key.clone().unwrap_or(link.value.clone()))
                .label("company by domain")
                .also(
                    source,
                    id.key.clone().unwrap_or(id.value.clone()),
                    "and by id",
                ),
        );
    }
    if let (Some(Value::String(domain)), Some(span)) =
        (mapping.get(company::LINK_FIELD), span(company::LINK_FIELD))
    {
        push_domain_problem(domain, source, span.value.clone(), problems);
    }
}

/// Records why `domain` is not a company domain, if it is not one.
fn push_domain_problem(
    domain: &str,
    source: &SourceText,
    span: Range<usize>,
    problems: &mut Vec<Problem>,
) {
    if let Some(reason) = company::domain_problem(domain) {
        problems.push(
            Problem::new(ManifestError::BadDomain {
                domain: domain.to_string(),
                reason: reason.to_string(),
            })
            .at(source, span)
            .label("not a domain"),
        );
    }
}

/// Two declarations of one domain (ignoring case), in one file or across
/// files, name both places.
fn check_company_domains(companies: &[LoadedCompany], problems: &mut Vec<Problem>) {
    let mut first: HashMap<String, &LoadedCompany> = HashMap::new();
    for company in companies {
        let key = company::domain_key(&company.declaration.domain);
        match first.get(&key) {
            Some(earlier) => problems.push(
                Problem::new(ManifestError::DuplicateCompany {
                    domain: company.declaration.domain.clone(),
                })
                .at(&company.source, company.span.clone())
                .label("declared again")
                .also(
                    &earlier.source,
                    earlier.span.clone(),
                    "first declared here",
                ),
            ),
            None => {
                first.insert(key, company);
            }
        }
    }
}

/// Reports every schema problem of a file. Returns the list items that
/// have one, or `None` when the file as a whole is unusable.
fn schema_problems(
    doc: &yaml::Document,
    source: &SourceText,
    problems: &mut Vec<Problem>,
) -> Option<BadItems> {
    let mut bad = BadItems::default();
    let mut whole_file_bad = false;
    for (pointer, problem) in Schema::people_top().check(doc, source) {
        let mut segments = pointer.split('/').skip(1);
        let index = |segment: Option<&str>| segment.and_then(|i| i.parse::<usize>().ok());
        match (segments.next(), segments.next()) {
            (Some("companies"), Some(i)) => bad.companies.extend(index(Some(i))),
            // Unknown top-level keys do not affect the entries.
            (Some(key), None) if !["people", "defaults", "companies"].contains(&key) => {}
            _ => whole_file_bad = true,
        }
        problems.push(problem);
    }
    (!whole_file_bad).then_some(bad)
}

/// A people file that passed the schema, on its way to entries.
struct FileInput<'a> {
    found: &'a Found,
    /// The spans of the file, as far as it was parsed.
    spans: &'a Spans,
    source: &'a SourceText,
    file_defaults: Option<&'a Map<String, Value>>,
    project_defaults: Option<&'a Map<String, Value>>,
    /// Where zeeg.yaml writes each `defaults.customAttributes` value.
    project_defaults_at: &'a HashMap<String, SourceLocation>,
    /// Where zeeg.yaml writes `defaults.company`.
    project_company_at: Option<&'a SourceLocation>,
    keep: Keep,
}

impl FileInput<'_> {
    /// The file's `companies`, but those the schema refused; each domain
    /// must be a host name.
    fn load_companies(
        &self,
        list: Option<&Vec<Value>>,
        bad: &HashSet<usize>,
        problems: &mut Vec<Problem>,
    ) -> Vec<LoadedCompany> {
        let mut companies = Vec::new();
        for (index, item) in list.into_iter().flatten().enumerate() {
            if bad.contains(&index) {
                continue;
            }
            let Ok(declared) = DeclaredCompany::deserialize(item) else {
                continue;
            };
            let pointer = format!("/companies/{index}");
            let item_span = self.span(&pointer);
            let span = self
                .spans
                .nearest(&format!("{pointer}/{}", company::DOMAIN_FIELD))
                .map_or(item_span.clone(), |s| s.value.clone());
            push_domain_problem(&declared.domain, self.source, span.clone(), problems);
            let (line, column) = self.source.line_col(item_span.start);
            companies.push(LoadedCompany {
                declaration: CompanyDeclaration {
                    source: SourceLocation {
                        file: PathBuf::from(&self.found.shown),
                        line,
                        column,
                    },
                    domain: declared.domain,
                    name: declared.name,
                    project_path: self.found.relative.clone(),
                },
                source: self.source.clone(),
                span,
            });
        }
        companies
    }

    /// The value of `people[index]`: refused by the schema, or an entry.
    fn person(&self, index: usize, value: Value, items: &mut Items) {
        let pointer = format!("/people/{index}");
        let refused = Schema::person().check_at(&value, &pointer, self.spans, self.source);
        if !refused.is_empty() {
            items.refused.extend(refused.into_iter().map(|(_, p)| p));
            return;
        }
        if let Value::Object(item) = value {
            let problems = &mut items.checked;
            check_company_keys(self.spans, Some(&item), self.source, &pointer, problems);
            let Some(mut loaded) = self.load_entry(index, item, problems) else {
                return;
            };
            if self.keep == Keep::Checks {
                // What the checks across entries read: the identity (kept
                // beside the fields) and the custom attribute slugs.
                let fields = &mut loaded.entry.fields;
                let custom = fields.remove("customAttributes");
                *fields = custom
                    .map(|values| ("customAttributes".to_string(), values))
                    .into_iter()
                    .collect();
                loaded.entry.custom_value_at.clear();
            }
            items.loaded.push(loaded);
        }
    }

    /// The span of the node at `pointer` or its closest ancestor.
    fn span(&self, pointer: &str) -> Range<usize> {
        self.spans.nearest(pointer).map_or(0..0, |s| s.value)
    }

    /// The entry at `people[index]` with the defaults merged under it, and
    /// the checks that need only the entry itself.
    fn load_entry(
        &self,
        index: usize,
        item: Map<String, Value>,
        problems: &mut Vec<Problem>,
    ) -> Option<Loaded> {
        let pointer = format!("/people/{index}");
        let own_custom: Vec<(String, Range<usize>)> =
            custom_value_spans(self.spans, Some(&item), &pointer).collect();
        let mut merged = item;
        for defaults in [self.file_defaults, self.project_defaults]
            .into_iter()
            .flatten()
        {
            merge_under(&mut merged, defaults);
        }
        let item_span = self.span(&pointer);
        // From the owned value, so its strings move instead of being copied.
        let person = match serde_json::from_value::<DeclaredPerson>(Value::Object(merged)) {
            Ok(person) => person,
            Err(e) => {
                // The project defaults were checked against the config schema,
                // so only a mix of valid parts can fail here.
                problems.push(
                    Problem::new(ManifestError::Schema {
                        message: e.to_string(),
                    })
                    .at(self.source, item_span),
                );
                return None;
            }
        };
        let mut entry = make_entry(person, self.location(item_span.clone()))?;
        entry.project_path = self.found.relative.clone();
        self.locate_values(&mut entry, &pointer, &item_span, own_custom);
        if !has_name(&entry) {
            problems.push(
                Problem::new(ManifestError::NoName)
                    .at(self.source, item_span.clone())
                    .label("this person"),
            );
        }
        let at = EntryAt {
            spans: self.spans,
            pointer,
            item_span,
        };
        let (match_span, unmatched_default) = self.check_match_value(&entry, &at, problems);
        let emails = self.entry_emails(&entry, &at, problems);
        Some(Loaded {
            entry,
            source: self.source.clone(),
            match_span,
            emails,
            unmatched_default,
        })
    }

    /// Where a byte offset of this file is, as entries record it.
    fn location(&self, span: Range<usize>) -> SourceLocation {
        let (line, column) = self.source.line_col(span.start);
        SourceLocation {
            file: PathBuf::from(&self.found.shown),
            line,
            column,
        }
    }

    /// Records where the entry at `pointer` takes its company link and each
    /// custom attribute value from: itself (`own_custom`), its file's
    /// defaults or zeeg.yaml.
    fn locate_values(
        &self,
        entry: &mut Entry,
        pointer: &str,
        item_span: &Range<usize>,
        own_custom: Vec<(String, Range<usize>)>,
    ) {
        let at = |span: Range<usize>| self.location(span);
        if let Some(link) = entry.company.as_mut() {
            link.at = self
                .spans
                .get(&format!("{pointer}/{}", company::LINK_FIELD))
                .or_else(|| self.spans.get("/defaults/company"))
                .map(|span| at(span.value.clone()))
                .or_else(|| self.project_company_at.cloned())
                .unwrap_or_else(|| at(item_span.clone()));
        }
        // Most specific first: the entry's own value, then its file's
        // defaults, then zeeg.yaml's.
        let mut value_at = self.project_defaults_at.clone();
        let from_file = custom_value_spans(self.spans, self.file_defaults, "/defaults");
        value_at.extend(from_file.map(|(slug, span)| (slug, at(span))));
        value_at.extend(own_custom.into_iter().map(|(slug, span)| (slug, at(span))));
        entry.custom_value_at = value_at
            .into_iter()
            .filter(|(slug, _)| {
                entry
                    .fields
                    .get("customAttributes")
                    .is_some_and(|values| values.get(slug).is_some())
            })
            .collect();
    }

    /// An entry needs a value for its matching attribute. Returns where that
    /// value is written (or the entry, when it is absent or inherited), and,
    /// when the value is missing for an attribute the entry inherits, where
    /// the default is (reported once for all such entries by the caller).
    fn check_match_value(
        &self,
        entry: &Entry,
        at: &EntryAt,
        problems: &mut Vec<Problem>,
    ) -> (Range<usize>, Option<DefaultAt>) {
        let match_field = MatchField::for_slug(&entry.matching_attribute);
        let match_suffix = match match_field {
            MatchField::Email => "/emails/0".to_string(),
            MatchField::Standard(field) => format!("/{field}"),
            MatchField::Custom(slug) => format!("/customAttributes/{slug}"),
        };
        let match_span = at
            .span_of(&match_suffix)
            .unwrap_or_else(|| at.item_span.clone());
        if has_value(&entry.match_value) {
            return (match_span, None);
        }
        if at.span_of("/matchingAttribute").is_none() {
            let from_file = self
                .spans
                .get("/defaults/matchingAttribute")
                .map(|span| DefaultAt::File(span.value.clone()));
            let inherited = from_file.or_else(|| {
                self.project_defaults
                    .is_some_and(|d| d.contains_key("matchingAttribute"))
                    .then_some(DefaultAt::Project)
            });
            if inherited.is_some() {
                return (match_span, inherited);
            }
        }
        let field_span = match match_field {
            MatchField::Email => at.span_of("/emails"),
            _ => at.span_of(&match_suffix),
        };
        let (label_span, label) = match (field_span, at.span_of("/matchingAttribute")) {
            (Some(span), _) => (span, "no value here"),
            (None, Some(span)) => (span, "matched on this attribute"),
            (None, None) => (at.item_span.clone(), "this person"),
        };
        let help = match match_field {
            MatchField::Email => "add `emails: [...]`, or set `matchingAttribute` to an attribute this person has, e.g. `phone_number`".to_string(),
            MatchField::Standard(field) => format!("add `{field}` to this person, or match on another attribute"),
            MatchField::Custom(slug) => format!("add `customAttributes: {{{slug}: ...}}` to this person, or match on another attribute"),
        };
        problems.push(
            Problem::new(ManifestError::NoMatchValue {
                attribute: entry.matching_attribute.clone(),
            })
            .at(self.source, label_span)
            .label(label)
            .help(help),
        );
        (match_span, None)
    }

    /// The entry's emails, normalised, each with where it is written; an
    /// email listed twice in one entry is reported and kept once.
    fn entry_emails(
        &self,
        entry: &Entry,
        at: &EntryAt,
        problems: &mut Vec<Problem>,
    ) -> Vec<(String, Range<usize>)> {
        let mut emails: Vec<(String, Range<usize>)> = Vec::with_capacity(entry.emails().count());
        // Index into `emails` by address: linear in the entry's emails (a
        // scan of the list for each was quadratic: 80,000 took 10 s).
        let mut seen: rustc_hash::FxHashMap<String, usize> = rustc_hash::FxHashMap::default();
        for (k, email) in entry.emails().enumerate() {
            let normal = normalize_email(email);
            let span = at
                .span_of(&format!("/emails/{k}"))
                .or_else(|| {
                    self.spans
                        .get(&format!("/defaults/emails/{k}"))
                        .map(|s| s.value.clone())
                })
                .unwrap_or_else(|| at.item_span.clone());
            if let Some((_, first)) = seen.get(&normal).map(|&i| &emails[i]) {
                problems.push(
                    Problem::new(ManifestError::DuplicateEmail {
                        email: email.to_string(),
                    })
                    .at(self.source, span.clone())
                    .label("listed again")
                    .also(self.source, first.clone(), "first listed here"),
                );
                continue;
            }
            seen.insert(normal.clone(), emails.len());
            emails.push((normal, span));
        }
        emails
    }
}

/// Where an entry sits in its document, to point diagnostics into it.
struct EntryAt<'a> {
    spans: &'a Spans,
    /// `/people/N`.
    pointer: String,
    item_span: Range<usize>,
}

impl EntryAt<'_> {
    /// The span of a value inside the entry, by pointer suffix (`/emails/0`).
    fn span_of(&self, suffix: &str) -> Option<Range<usize>> {
        self.spans
            .get(&format!("{}{suffix}", self.pointer))
            .map(|s| s.value.clone())
    }
}

/// One problem per `defaults.matchingAttribute` that entries inherit without
/// having a value for it: a wrong slug in zeeg.yaml is one error at its line,
/// with a "did you mean" over the slugs the project knows, not one per person.
fn report_unmatched_defaults(
    loaded: &[Loaded],
    project_default: Option<&(SourceText, Range<usize>)>,
    problems: &mut Vec<Problem>,
) {
    let known = known_slugs(loaded);
    // Where the default is, its attribute, and the entries without a value.
    type Group<'l> = ((SourceText, Range<usize>), &'l str, Vec<&'l Loaded>);
    let mut groups: Vec<Group> = Vec::new();
    for item in loaded {
        let place = match (&item.unmatched_default, project_default) {
            (None, _) => continue,
            (Some(DefaultAt::File(span)), _) => (item.source.clone(), span.clone()),
            (Some(DefaultAt::Project), Some(place)) => place.clone(),
            (Some(DefaultAt::Project), None) => continue,
        };
        let attribute = item.entry.matching_attribute.as_str();
        match groups
            .iter_mut()
            .find(|(p, a, _)| p.0.same(&place.0) && p.1 == place.1 && *a == attribute)
        {
            Some((_, _, items)) => items.push(item),
            None => groups.push((place, attribute, vec![item])),
        }
    }
    for ((source, span), attribute, items) in groups {
        let help = unmatched_default_help(attribute, &items[0].entry.source, &known);
        problems.push(
            Problem::new(ManifestError::DefaultWithoutValues {
                attribute: attribute.to_string(),
                entries: items.len(),
            })
            .at(&source, span)
            .label(format!(
                "the matching attribute of {}",
                crate::plural::counted(items.len(), "entry", "entries")
            ))
            .help(help),
        );
    }
}

/// The slugs a matching attribute could mean: the standard ones and every
/// custom attribute the entries set.
fn known_slugs(loaded: &[Loaded]) -> Vec<&str> {
    let mut known: Vec<&str> = crate::person::STANDARD_SLUGS
        .iter()
        .map(|(slug, _)| *slug)
        .collect();
    // A set beside the list: `contains` on the list was quadratic in slugs.
    let mut seen: HashSet<&str> = known.iter().copied().collect();
    for item in loaded {
        let custom = item
            .entry
            .fields
            .get("customAttributes")
            .and_then(Value::as_object);
        for slug in custom.into_iter().flat_map(|c| c.keys()) {
            if seen.insert(slug) {
                known.push(slug);
            }
        }
    }
    known
}

/// The fix for a default matching attribute that entries have no value for:
/// a near slug, else the slugs they do have, and where the first entry is.
fn unmatched_default_help(attribute: &str, first: &SourceLocation, known: &[&str]) -> String {
    let suggestion = known
        .iter()
        .filter(|slug| **slug != attribute)
        .map(|slug| (strsim::jaro_winkler(attribute, slug), *slug))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let fix = format!(
        "or give each of them a value for `{attribute}` (the first is {}:{})",
        first.file.display(),
        first.line
    );
    match suggestion {
        Some((_, slug)) => format!("did you mean `{slug}`? {}", capitalised_or(&fix)),
        None => format!(
            "use a slug the entries have a value for: {}; {fix}",
            known
                .iter()
                .take(10)
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `or give …` after a question: `Or give …`.
fn capitalised_or(text: &str) -> String {
    match text.strip_prefix("or ") {
        Some(rest) => format!("Or {rest}"),
        None => text.to_string(),
    }
}

/// Puts each key of `defaults` into `entry` unless the entry has it;
/// `socials` and `customAttributes` merge key by key. `company` and
/// `companyId` are one setting, the link: an entry (or nearer defaults)
/// holding either keeps it, and takes neither from further defaults.
fn merge_under(entry: &mut Map<String, Value>, defaults: &Map<String, Value>) {
    let linked = entry.contains_key(company::LINK_FIELD) || entry.contains_key(company::ID_FIELD);
    for (key, value) in defaults {
        if linked && (key == company::LINK_FIELD || key == company::ID_FIELD) {
            continue;
        }
        match (entry.get_mut(key), value) {
            (None, _) => {
                entry.insert(key.clone(), value.clone());
            }
            (Some(Value::Object(mine)), Value::Object(theirs))
                if key == "socials" || key == "customAttributes" =>
            {
                for (k, v) in theirs {
                    if !mine.contains_key(k) {
                        mine.insert(k.clone(), v.clone());
                    }
                }
            }
            _ => {}
        }
    }
}

/// Turns a merged person into an [`Entry`]: the managed fields in API JSON,
/// the matching attribute and its value.
pub(crate) fn make_entry(person: DeclaredPerson, source: SourceLocation) -> Option<Entry> {
    let matching_attribute = person
        .matching_attribute
        .clone()
        .unwrap_or_else(|| "email".to_string());
    let Ok(Value::Object(mut fields)) = serde_json::to_value(&person) else {
        return None;
    };
    fields.remove("matchingAttribute");
    // The link by domain is not sent as is: apply turns it into `companyId`.
    let company = fields.remove(company::LINK_FIELD).map(|value| {
        Box::new(CompanyLink {
            domain: value.as_str().map(str::to_string),
            at: source.clone(),
        })
    });
    // Of exactly its size: grown one insert at a time, a person's map had
    // room for 8 fields of 104 bytes each, and a big file holds it per entry.
    let fields: Map<String, Value> = fields.into_iter().collect();
    let match_value = match MatchField::for_slug(&matching_attribute) {
        MatchField::Email => fields
            .get("emails")
            .and_then(|e| e.get(0))
            .cloned()
            .unwrap_or(Value::Null),
        MatchField::Standard(field) => fields.get(field).cloned().unwrap_or(Value::Null),
        MatchField::Custom(slug) => fields
            .get("customAttributes")
            .and_then(|c| c.get(slug))
            .cloned()
            .unwrap_or(Value::Null),
    };
    Some(Entry {
        source,
        matching_attribute,
        match_value,
        fields,
        custom_value_at: Default::default(),
        project_path: PathBuf::new(),
        company,
    })
}

fn has_value(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => true,
    }
}

fn has_name(entry: &Entry) -> bool {
    crate::person::has_name(|field| entry.fields.get(field).is_some_and(has_value))
}

/// Two entries with the same identity, or sharing an email, in one file or
/// across files.
fn check_identities(loaded: &[Loaded], problems: &mut Vec<Problem>) {
    let mut by_email: HashMap<&str, (usize, &Range<usize>)> = HashMap::new();
    let mut by_identity: HashMap<(&str, String), usize> = HashMap::new();
    let mut reported: HashSet<(usize, usize)> = HashSet::new();
    for (i, entry) in loaded.iter().enumerate() {
        for (email, span) in &entry.emails {
            match by_email.get(email.as_str()) {
                Some(&(j, first)) if j != i => {
                    if reported.insert((j, i)) {
                        let other = &loaded[j];
                        problems.push(
                            Problem::new(ManifestError::SharedEmail {
                                email: email.clone(),
                            })
                            .at(&entry.source, span.clone())
                            .label("listed here")
                            .also(
                                &other.source,
                                first.clone(),
                                "and here",
                            ),
                        );
                    }
                }
                Some(_) => {}
                None => {
                    by_email.insert(email, (i, span));
                }
            }
        }
        let e = &entry.entry;
        if matches!(
            MatchField::for_slug(&e.matching_attribute),
            MatchField::Email
        ) || !has_value(&e.match_value)
        {
            continue;
        }
        let key = (e.matching_attribute.as_str(), e.match_value.to_string());
        match by_identity.get(&key) {
            Some(&j) => {
                if reported.insert((j, i)) {
                    let other = &loaded[j];
                    let value = match &e.match_value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    problems.push(
                        Problem::new(ManifestError::DuplicateIdentity {
                            attribute: e.matching_attribute.clone(),
                            value,
                        })
                        .at(&entry.source, entry.match_span.clone())
                        .label("this person")
                        .also(
                            &other.source,
                            other.match_span.clone(),
                            "same as this one",
                        ),
                    );
                }
            }
            None => {
                by_identity.insert(key, i);
            }
        }
    }
}
