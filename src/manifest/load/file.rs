//! One people file: read, parsed, checked against the schema, and made into
//! entries and companies as its items are parsed.

use super::*;

/// Reads a YAML file into a document, or records why it could not.
/// A file's text and the SHA-256 of its bytes, or a problem.
pub(super) fn read_source(
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

pub(super) fn yaml_problem(source: &SourceText, error: YamlError) -> Problem {
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
pub(super) fn not_people_file(doc: &Document, source: &SourceText, relative: &Path) -> Problem {
    const TOP_LEVEL: [&str; 3] = ["people", "companies", "attributes"];
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
                .label("expected `people:`, `companies:` or `attributes:` at the top level")
        }
    }
}

/// One entry on its way out, with what the cross-entry checks need.
pub(super) struct Loaded {
    pub(super) entry: Entry,
    pub(super) source: SourceText,
    /// Where the matching value is written (or the item, when it comes from
    /// defaults or is absent).
    pub(super) match_span: Range<usize>,
    /// Each email (normalised) and where it is written.
    pub(super) emails: Vec<(String, Range<usize>)>,
    /// Set when the entry has no value for a matching attribute it takes
    /// from defaults: reported once, at the default, not once per entry.
    pub(super) unmatched_default: Option<DefaultAt>,
}

/// Where an inherited `matchingAttribute` is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DefaultAt {
    /// The file's own `defaults`, at this span of the entry's file.
    File(Range<usize>),
    /// zeeg.yaml's `defaults`.
    Project,
}

/// Each key of the `customAttributes` mapping of `holder` (the mapping at
/// `parent`) and the span of its value.
pub(super) fn custom_value_spans<'d>(
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

pub(super) fn load_file(
    found: &Found,
    settings: &Settings,
    keep: Keep,
    out: &mut FileOut,
) -> Option<SourceFile> {
    let (source, sha256) = read_source(&found.path, found.shown.clone(), &mut out.problems)?;
    let file = SourceFile {
        path: found.relative.to_path_buf(),
        shown: PathBuf::from(&found.shown),
        sha256,
    };
    let file_of = FileOf {
        found,
        source: &source,
        settings,
        keep,
    };
    let mut items = Items::default();
    let doc = match file_of.stream_people(&mut items) {
        Ok(doc) => doc,
        Err(errors) => {
            let problems = errors.into_iter().map(|e| yaml_problem(&source, e));
            out.problems.extend(problems);
            return None;
        }
    };
    let doc = if items.defaults_before == Some(false) && doc.value.get("defaults").is_some() {
        items = Items::default();
        file_of.reread_people(&mut items)?
    } else {
        doc
    };
    let top_level = ["people", "companies", "attributes"];
    if top_level.iter().all(|key| doc.value.get(key).is_none()) {
        out.problems
            .push(not_people_file(&doc, &source, &found.relative));
        return Some(file);
    }
    file_of.load_checked(&doc, items, out);
    Some(file)
}

/// A people file and the project settings that apply to it.
pub(super) struct FileOf<'a> {
    pub(super) found: &'a Found,
    pub(super) source: &'a SourceText,
    pub(super) settings: &'a Settings,
    pub(super) keep: Keep,
}

impl<'a> FileOf<'a> {
    /// What entries are made with, given the spans so far and the file's
    /// `defaults`.
    pub(super) fn input<'b>(
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

impl FileOf<'_> {
    /// Parses the file, each person made an entry as soon as it is parsed
    /// and its values and spans dropped: a big file is never held whole.
    fn stream_people(&self, items: &mut Items) -> Result<yaml::Document, Vec<YamlError>> {
        yaml::parse_people(self.source.text(), &mut |item| {
            let PeopleItem {
                index,
                value,
                spans,
                before,
            } = item;
            let defaults = before.get("defaults");
            items.defaults_before.get_or_insert(defaults.is_some());
            self.input(spans, defaults.and_then(Value::as_object))
                .person(index, value, items);
            ItemSpans::Drop
        })
    }

    /// For `defaults` written after `people`: parses the file again, the
    /// people kept whole this time, and makes them entries once the
    /// defaults are known.
    fn reread_people(&self, items: &mut Items) -> Option<yaml::Document> {
        let mut kept = Vec::new();
        let doc = yaml::parse_people(self.source.text(), &mut |item| {
            kept.push((item.index, item.value));
            ItemSpans::Keep
        })
        .ok()?;
        let file_defaults = doc.value.get("defaults").and_then(Value::as_object);
        let input = self.input(&doc.spans, file_defaults);
        for (index, value) in kept {
            input.person(index, value, items);
        }
        Some(doc)
    }

    /// What a parsed people file adds to `out`: its schema problems, then,
    /// when the file as a whole is usable, its attributes, its companies and
    /// its entries.
    fn load_checked(&self, doc: &yaml::Document, mut items: Items, out: &mut FileOut) {
        let source = self.source;
        let bad = schema_problems(doc, source, &mut out.problems);
        out.problems.append(&mut items.refused);
        let Some(bad) = bad else {
            return;
        };
        if !bad.attributes {
            let shown = Path::new(&self.found.shown);
            out.attributes = load_attributes(doc, source, shown, &mut out.problems);
        }
        let file_defaults = doc.value.get("defaults").and_then(Value::as_object);
        let input = self.input(&doc.spans, file_defaults);
        let companies = doc.value.get("companies").and_then(Value::as_array);
        out.companies
            .extend(input.load_companies(companies, &bad.companies, &mut out.problems));
        check_company_keys(
            &doc.spans,
            file_defaults,
            source,
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
    }
}

/// What the `people` items of a file make, as they are parsed.
#[derive(Default)]
pub(super) struct Items {
    pub(super) loaded: Vec<Loaded>,
    /// What the schema refuses in the items: reported whatever else the
    /// file holds.
    pub(super) refused: Vec<Problem>,
    /// The problems of items the schema passed: reported only when the file
    /// as a whole is usable (its `defaults` were merged into them).
    pub(super) checked: Vec<Problem>,
    /// Whether `defaults` was written before the first item.
    pub(super) defaults_before: Option<bool>,
}

/// The `companies` items of a file that the schema refused. (Its `people`
/// items are checked one by one as they are parsed.)
#[derive(Default)]
pub(super) struct BadItems {
    pub(super) companies: HashSet<usize>,
    /// Whether anything under `attributes` is refused: its declarations
    /// are then not read.
    pub(super) attributes: bool,
}

/// Reports every schema problem of a file. Returns the list items that
/// have one, or `None` when the file as a whole is unusable.
pub(super) fn schema_problems(
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
            (Some("attributes"), _) => bad.attributes = true,
            // Unknown top-level keys do not affect the entries.
            (Some(key), None) if !["people", "defaults", "companies"].contains(&key) => {}
            _ => whole_file_bad = true,
        }
        problems.push(problem);
    }
    (!whole_file_bad).then_some(bad)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{manifest, one_problem, project};
    use super::*;

    const JANE: &str = "people:\n  - firstName: Jane\n    emails: [jane@acme.com]\n";

    fn read(bytes: &[u8]) -> (Option<(SourceText, String)>, Vec<Problem>) {
        let dir = project(&[]);
        let path = dir.path().join("people.yaml");
        std::fs::write(&path, bytes).unwrap();
        let mut problems = Vec::new();
        let read = read_source(&path, "people.yaml".into(), &mut problems);
        (read, problems)
    }

    #[test]
    fn a_byte_order_mark_is_dropped_but_counted_in_the_digest() {
        let with_bom = [b"\xef\xbb\xbf".as_slice(), JANE.as_bytes()].concat();
        let (Some((source, digest)), problems) = read(&with_bom) else {
            panic!("not read")
        };
        assert!(problems.is_empty());
        assert_eq!(source.text(), JANE);
        assert_eq!(digest, hex::encode(Sha256::digest(&with_bom)));
        let (Some((_, plain_digest)), _) = read(JANE.as_bytes()) else {
            panic!("not read")
        };
        assert_ne!(digest, plain_digest);
    }

    #[test]
    fn a_byte_that_is_not_utf8_is_pointed_at() {
        let (read, problems) = read(b"people:\n  - firstName: J\xe9r\xf4me\n");
        assert!(read.is_none());
        assert_eq!(problems.len(), 1);
        let (source, span) = problems[0].at.as_ref().unwrap();
        assert_eq!(source.line_col(span.start), (2, 17));
        assert_eq!(problems[0].label.as_deref(), Some("this byte is not UTF-8"));
    }

    #[test]
    fn utf16_text_is_named_without_being_shown() {
        let utf16: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain(JANE.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let (read, problems) = read(&utf16);
        assert!(read.is_none());
        let (source, _) = problems[0].at.as_ref().unwrap();
        assert_eq!(source.text(), "");
        assert_eq!(
            problems[0].help.as_deref(),
            Some("this file is UTF-16; save it as UTF-8")
        );
    }

    #[test]
    fn a_yaml_file_of_no_people_points_at_a_misspelt_key() {
        let seen = one_problem(&[("people.yaml", "peple:\n  - firstName: Jane\n")]);
        assert_eq!(seen.at.as_deref(), Some("people.yaml:1"));
        let help = seen.help.as_deref().unwrap_or_default();
        assert!(
            help.starts_with("did you mean `people:` for `peple:`? "),
            "{help}"
        );
        assert!(help.contains("exclude: [\"people.yaml\"]"), "{help}");
    }

    #[test]
    fn a_yaml_file_of_something_else_says_how_to_exclude_it() {
        let seen = one_problem(&[("ci.yml", "jobs:\n  build: {}\n")]);
        let help = seen.help.as_deref().unwrap_or_default();
        assert!(help.starts_with("a people file holds"), "{help}");
        assert!(help.contains("exclude: [\"ci.yml\"]"), "{help}");
    }

    #[test]
    fn a_refused_company_item_does_not_hide_the_people() {
        let file = format!("companies:\n  - name: No domain\n{JANE}");
        let seen = one_problem(&[("people.yaml", &file)]);
        assert_eq!(seen.at.as_deref(), Some("people.yaml:2"));
    }

    #[test]
    fn every_file_read_is_recorded_with_the_digest_of_its_bytes() {
        let companies = "companies:\n  - domain: acme.com\n    name: Acme\n";
        let manifest = manifest(&[("a.yaml", JANE), ("sub/b.yml", companies)]);
        let files: Vec<_> = manifest
            .files
            .iter()
            .map(|f| (f.path.clone(), f.sha256.clone()))
            .collect();
        assert_eq!(
            files,
            [
                (
                    PathBuf::from("a.yaml"),
                    hex::encode(Sha256::digest(JANE.as_bytes()))
                ),
                (
                    PathBuf::from("sub/b.yml"),
                    hex::encode(Sha256::digest(companies.as_bytes()))
                ),
            ]
        );
    }
}
