//! YAML text to JSON, remembering where every node was written.
//!
//! We drive `saphyr-parser`'s event stream ourselves instead of building a
//! saphyr tree first: one pass, no intermediate nodes, and full control over
//! what we refuse. Aliases are refused outright (no expansion ever happens, so
//! a "billion laughs" file costs nothing), as are merge keys (`<<`, not part of
//! YAML 1.2), custom tags, several documents and duplicate keys.
//!
//! Positions: saphyr counts characters; miette wants byte offsets. Every span
//! leaving this module is a byte range into the text that was parsed.

use std::ops::Range;

use saphyr_parser::{Event, Parser, ScanError, Span};

mod builder;
mod spans;

use builder::Builder;
pub(crate) use spans::{Document, ItemSpans, PeopleItem, Spans};

/// Why a YAML text could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum YamlProblem {
    /// The scanner or parser rejected the text.
    Syntax(String),
    /// A tab where YAML wants spaces.
    Tab,
    /// A character YAML does not allow in a file (NUL, ESC, DEL…).
    ControlCharacter(char),
    /// A key appears twice; the range is the first occurrence.
    DuplicateKey(String, Range<usize>),
    /// More than one document.
    SeveralDocuments,
    /// No document, or an empty one.
    Empty,
    /// `*name`.
    Alias,
    /// `<<: *name`.
    MergeKey,
    /// A tag other than the core schema's (`!!str` …).
    Tag(String),
    /// A scalar whose core-schema tag does not fit its text (`!!int abc`).
    BadTaggedValue(String),
    /// Lists and mappings nested deeper than [`MAX_NESTING`].
    TooDeep,
    /// A mapping or list used as a key.
    ComplexKey,
    /// `.inf` or `.nan`, which JSON cannot hold.
    NotFinite,
    /// An unquoted number that would not be sent as written: a leading zero
    /// or a base prefix (`0123`, `0x1F`), or more digits than a number keeps
    /// exactly (beyond 2^53). The text as written, and the number it reads as.
    ChangedNumber {
        written: String,
        read: String,
        /// The key it is the value of, for the help's example.
        key: Option<String>,
    },
}

/// How deep lists and mappings may nest: as deep as the scanner lets flow
/// collections (`[[[…]]]`) nest, and block ones (`- - - …`) the same. No
/// people file needs a tenth of it; deeper, the values overflowed the stack
/// when dropped and the scanner took quadratic time.
pub(crate) const MAX_NESTING: usize = 255;

/// The largest integer every JSON reader (a JavaScript one, say) keeps exactly.
pub(crate) const MAX_EXACT_INTEGER: i64 = 1 << 53;

/// A problem and where it is (bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    pub problem: YamlProblem,
    pub span: Range<usize>,
}

/// Turns character indices into byte offsets. Free for ASCII text; for other
/// text it walks from the last position asked for, which the parser's
/// events keep close: linear in the text, with no table (a table of a
/// byte offset per character took 8 bytes per byte of a big file).
struct Offsets<'a> {
    text: &'a str,
    ascii: bool,
    /// The last (character index, byte offset) found.
    cursor: std::cell::Cell<(usize, usize)>,
}

impl<'a> Offsets<'a> {
    fn new(text: &'a str) -> Offsets<'a> {
        Offsets {
            text,
            ascii: text.is_ascii(),
            cursor: std::cell::Cell::new((0, 0)),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.text.len());
        }
        let bytes = self.text.as_bytes();
        let is_start = |i: usize| i >= bytes.len() || (bytes[i] as i8) >= -0x40;
        let (mut chars, mut at) = self.cursor.get();
        while chars < char_index && at < bytes.len() {
            at += 1;
            while !is_start(at) {
                at += 1;
            }
            chars += 1;
        }
        while chars > char_index {
            at -= 1;
            while !is_start(at) {
                at -= 1;
            }
            chars -= 1;
        }
        self.cursor.set((chars, at));
        at
    }

    fn range(&self, span: Span) -> Range<usize> {
        let start = self.byte(span.start.index());
        let end = self.byte(span.end.index()).max(start);
        start..end
    }

    /// From `start` to the end of its line.
    fn first_line(&self, start: usize) -> Range<usize> {
        let start = start.min(self.text.len());
        let line_end = self.text[start..]
            .find(['\n', '\r'])
            .map_or(self.text.len(), |i| start + i);
        start..line_end
    }
}

/// Parses one YAML document into JSON with the spans of its nodes.
pub(crate) fn parse(text: &str) -> Result<Document, Vec<YamlError>> {
    parse_with(text, None)
}

/// Parses a people file, handing each item of its top-level `people` list
/// to `sink` as soon as it is parsed instead of keeping it in the document
/// (whose `people` then holds one `null` when it had items). A big file is
/// thus never held whole as values, and with [`ItemSpans::Drop`] its spans
/// shrink to one per person.
pub(crate) fn parse_people(
    text: &str,
    sink: &mut dyn FnMut(PeopleItem<'_>) -> ItemSpans,
) -> Result<Document, Vec<YamlError>> {
    parse_with(text, Some(sink))
}

fn parse_with(
    text: &str,
    sink: Option<&mut dyn FnMut(PeopleItem<'_>) -> ItemSpans>,
) -> Result<Document, Vec<YamlError>> {
    if let Some((at, c)) = text.char_indices().find(|&(_, c)| !is_yaml_printable(c)) {
        return Err(vec![YamlError {
            problem: YamlProblem::ControlCharacter(c),
            span: at..at + c.len_utf8(),
        }]);
    }
    if let Some(span) = compact_too_deep(text) {
        return Err(vec![YamlError {
            problem: YamlProblem::TooDeep,
            span,
        }]);
    }
    let offsets = Offsets::new(text);
    let mut builder = Builder {
        offsets: &offsets,
        stack: Vec::new(),
        spans: Spans::default(),
        root: None,
        documents: 0,
        sink,
        item: None,
        deferred: Vec::new(),
    };
    let scanned = build(text, &mut builder);
    let mut problems = std::mem::take(&mut builder.deferred);
    problems.extend(scanned.err());
    if !problems.is_empty() {
        return Err(problems);
    }
    match builder.root {
        Some(value) if !(value.is_null() && is_blank(text)) => Ok(Document {
            value,
            spans: builder.spans,
        }),
        _ => Err(vec![empty(text)]),
    }
}

/// The scanner's error, placed where its cause is: a tab, a bad escape.
fn syntax_error(text: &str, offsets: &Offsets<'_>, e: &ScanError) -> YamlError {
    let at = offsets.byte(e.marker().index());
    let problem = if is_tab_error(text, at, e.info()) {
        YamlProblem::Tab
    } else {
        YamlProblem::Syntax(e.info().to_string())
    };
    let span = tab_span(text, at)
        .or_else(|| bad_escape(text, at, e.info()))
        .unwrap_or(at..at);
    YamlError { problem, span }
}

/// Feeds the text's events to `builder`, up to the first error.
fn build(text: &str, builder: &mut Builder<'_, '_, '_>) -> Result<(), YamlError> {
    let offsets = builder.offsets;
    let syntax = |e: ScanError| syntax_error(text, offsets, &e);
    // A big file: the scanner runs on a thread of its own and hands its
    // events over in batches, so that scanning and building values (and, for
    // people files, entries) take a core each. Should no thread start, the
    // events come from the scanner here, one by one.
    std::thread::scope(|scope| {
        let (events, batches) = std::sync::mpsc::sync_channel(4);
        let alongside = (text.len() >= SCANNED_ALONGSIDE)
            .then(|| {
                std::thread::Builder::new()
                    .name("yaml-scanner".into())
                    .spawn_scoped(scope, move || scan(text, &events))
                    .ok()
            })
            .flatten();
        if alongside.is_none() {
            for event in Parser::new_from_str(text) {
                let (event, span) = event.map_err(syntax)?;
                builder.event(event, span)?;
            }
            return Ok(());
        }
        for batch in batches {
            for event in batch {
                let (event, span) = event.map_err(syntax)?;
                builder.event(event, span)?;
            }
        }
        Ok(())
    })
}

/// The place of the first `- ` too deep in a line of nested entries
/// (`- - - … a`), if a line holds more than [`MAX_NESTING`]. The builder
/// refuses any nesting that deep, but the scanner reads such a line to its
/// end before the first event, slowly (100,000 of them took 13 s): this
/// linear look finds it first. (A line of block text holding 256 `- ` would
/// be refused too; no description does.)
fn compact_too_deep(text: &str) -> Option<Range<usize>> {
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let bytes = line.as_bytes();
        let mut at = bytes.iter().take_while(|&&b| b == b' ').count();
        let mut depth = 0;
        while bytes.get(at) == Some(&b'-')
            && matches!(bytes.get(at + 1), Some(b' ' | b'\t' | b'\n' | b'\r') | None)
        {
            depth += 1;
            if depth > MAX_NESTING {
                return Some(line_start + at..line_start + at + 1);
            }
            at += 1;
            at += bytes[at..]
                .iter()
                .take_while(|&&b| b == b' ' || b == b'\t')
                .count();
        }
        line_start += line.len();
    }
    None
}

/// Texts this long are scanned on a thread of their own (see [`parse_with`]).
const SCANNED_ALONGSIDE: usize = 1 << 20;

/// One batch of scanned events, or the error that ended the scan.
type Batch<'t> = Vec<Result<(Event<'t>, Span), ScanError>>;

/// Scans `text` into batches of events for [`parse_with`], until the text
/// or the receiver ends, or an error (sent last).
fn scan<'t>(text: &'t str, events: &std::sync::mpsc::SyncSender<Batch<'t>>) {
    const SIZE: usize = 1024;
    let mut batch = Vec::with_capacity(SIZE);
    for event in Parser::new_from_str(text) {
        let failed = event.is_err();
        batch.push(event);
        if failed || batch.len() == SIZE {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(SIZE));
            if events.send(full).is_err() || failed {
                return;
            }
        }
    }
    let _ = events.send(batch);
}

fn empty(text: &str) -> YamlError {
    YamlError {
        problem: YamlProblem::Empty,
        span: 0..text.len().min(1),
    }
}

/// Whether the text holds nothing but white space and comments.
fn is_blank(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim_start_matches('\u{feff}').trim();
        line.is_empty() || line.starts_with('#') || line == "---" || line == "..."
    })
}

/// YAML 1.2's printable set (§5.1): a file may hold nothing else. Checked
/// before parsing, since the scanner reports some of these (NUL) as a tab.
fn is_yaml_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{85}')
        || !(c.is_control() || c == '\u{fffe}' || c == '\u{ffff}')
}

/// The unknown escape (`\q`) in the quoted scalar that starts at `at`: the
/// scanner reports the opening quote, which leaves the user to hunt for it.
fn bad_escape(text: &str, at: usize, info: &str) -> Option<Range<usize>> {
    if !info.contains("unknown escape") {
        return None;
    }
    let mut chars = text.get(at..)?.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return None,
            '\\' => {
                let (_, next) = chars.next()?;
                if !"0abt\tnvfre \"/\\N_LPxuU\n\r".contains(next) {
                    let start = at + i;
                    return Some(start..start + 1 + next.len_utf8());
                }
            }
            _ => {}
        }
    }
    None
}

fn is_tab_error(text: &str, at: usize, info: &str) -> bool {
    info.contains("tab") || tab_span(text, at).is_some()
}

/// A tab in the indentation of the line of `at` or of the next line (the
/// scanner often notices a tab only at the end of the line before it).
fn tab_span(text: &str, at: usize) -> Option<Range<usize>> {
    let at = at.min(text.len());
    let mut line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    for _ in 0..2 {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i);
        let line = &text[line_start..line_end];
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(i) = line[..indent].find('\t') {
            return Some(line_start + i..line_start + i + 1);
        }
        if line_end >= text.len() {
            break;
        }
        line_start = line_end + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse_ok(text: &str) -> Document {
        parse(text).unwrap()
    }

    fn problems(text: &str) -> Vec<YamlError> {
        parse(text).unwrap_err()
    }

    fn problem(text: &str) -> YamlProblem {
        let mut all = problems(text);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0).problem
    }

    #[test]
    fn converts_to_json_with_spans() {
        let text = "people:\n  - firstName: Jäne\n    emails: [a@b.c]\n    n: 1.5\n";
        let doc = parse_ok(text);
        assert_eq!(
            doc.value,
            json!({"people": [{"firstName": "Jäne", "emails": ["a@b.c"], "n": 1.5}]})
        );
        let span = |pointer: &str| doc.spans.get(pointer).unwrap();
        let emails = span("/people/0/emails/0");
        assert_eq!(&text[emails.value.clone()], "a@b.c");
        let key = span("/people/0/emails").key.clone().unwrap();
        assert_eq!(&text[key], "emails");
        let first = span("/people/0/firstName");
        assert_eq!(&text[first.value.clone()], "Jäne");
    }

    #[test]
    fn people_items_are_handed_over_and_their_spans_dropped() {
        let text =
            "defaults: {jobTitle: X}\npeople:\n  - a: [1, {b: 2}]\n  - c\n  - d: 3\nafter: 1\n";
        let mut seen = Vec::new();
        let doc = parse_people(text, &mut |item| {
            // The item's own spans, and what came before it, are there.
            let own = item.spans.get(&format!("/people/{}", item.index)).unwrap();
            let deeper = item
                .spans
                .get("/people/0/a/1/b")
                .map(|s| text[s.value].to_string());
            assert!(item.before.contains_key("defaults"));
            seen.push((item.index, item.value, text[own.value].to_string(), deeper));
            ItemSpans::Drop
        })
        .unwrap();
        assert_eq!(
            seen,
            [
                (
                    0,
                    json!({"a": [1, {"b": 2}]}),
                    "a: [1, {b: 2}]".into(),
                    Some("2".into())
                ),
                (1, json!("c"), "c".into(), None),
                (2, json!({"d": 3}), "d: 3".into(), None),
            ]
        );
        assert_eq!(doc.value["people"], json!([null]), "a list that had items");
        assert_eq!(doc.value["after"], json!(1));
        // Dropped below each item, kept for the item itself.
        assert_eq!(doc.spans.get("/people/0/a"), None);
        let item = doc.span("/people/2/d").unwrap();
        assert_eq!(&text[item.value], "d: 3");
        assert_eq!(&text[doc.spans.get("/after").unwrap().value], "1");
    }

    #[test]
    fn spans_are_found_by_json_pointer() {
        let text = "a/b: 1\n\"~x\": [p, q]\n\"0\": {ö: z}\nl: [[m]]\n";
        let doc = parse_ok(text);
        let value = |pointer: &str| {
            let span = doc.spans.get(pointer).unwrap();
            text[span.value].to_string()
        };
        assert_eq!(value("/a~1b"), "1");
        assert_eq!(value("/~0x/1"), "q");
        assert_eq!(value("/0/ö"), "z", "a key that looks like an index");
        assert_eq!(value("/l/0/0"), "m");
        assert_eq!(value(""), "a/b: 1");
        let key = doc.spans.get("/0").unwrap().key.unwrap();
        assert_eq!(&text[key], "\"0\"");
        for missing in [
            "/a/b", "/~0x/01", "/~0x/2", "/~0x/+1", "/l/x", "/0/0", "a/b",
        ] {
            assert_eq!(doc.spans.get(missing), None, "{missing}");
        }
        assert_eq!(
            doc.span("/~0x/7/deeper").unwrap().value,
            doc.spans.get("/~0x").unwrap().value
        );
    }

    #[test]
    fn big_mappings_and_lists_are_found_too() {
        let mut text = String::from("m:\n");
        for i in 0..40 {
            text.push_str(&format!("  k{i}: [v{i}]\n"));
        }
        let doc = parse_ok(&text);
        for i in 0..40 {
            let span = doc.spans.get(&format!("/m/k{i}/0")).unwrap();
            assert_eq!(&text[span.value], format!("v{i}"));
        }
        assert_eq!(doc.spans.get("/m/k40"), None);
        assert_eq!(doc.spans.get("/m/0"), None);
        let error = problems("m:\n  a: 1\n  b: 2\n  a: 3\n").remove(0);
        let YamlProblem::DuplicateKey(key, first) = error.problem else {
            panic!("a duplicate key");
        };
        assert_eq!((key.as_str(), first), ("a", 5..6));
        assert_eq!(error.span, 19..20);
    }

    #[test]
    fn non_ascii_offsets_are_bytes_in_any_order() {
        let text = "ä: ö\nü: [ß, €]\n";
        let offsets = Offsets::new(text);
        let chars: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        for &i in [9, 0, 4, 11, 3, 12].iter() {
            assert_eq!(offsets.byte(i), chars[i], "char {i}");
        }
        assert_eq!(offsets.byte(1_000), text.len());
        assert_eq!(offsets.byte(2), chars[2]);
    }

    #[test]
    fn refuses_what_zeeg_does_not_read() {
        assert!(matches!(
            problem("a: 1\na: 2\n"),
            YamlProblem::DuplicateKey(k, _) if k == "a"
        ));
        assert_eq!(problem("a: &x 1\nb: *x\n"), YamlProblem::Alias);
        assert_eq!(
            problem("a: &x {b: 1}\nc:\n  <<: *x\n"),
            YamlProblem::MergeKey
        );
        assert_eq!(problem("a: 1\n---\nb: 2\n"), YamlProblem::SeveralDocuments);
        assert_eq!(problem(""), YamlProblem::Empty);
        assert_eq!(problem("# nothing\n"), YamlProblem::Empty);
        assert_eq!(problem("a: .inf\n"), YamlProblem::NotFinite);
        assert!(matches!(problem("a: !custom 1\n"), YamlProblem::Tag(_)));
        assert_eq!(problem("a:\n\tb: 1\n"), YamlProblem::Tab);
        assert_eq!(problem("a: x\0y\n"), YamlProblem::ControlCharacter('\0'));
        for (written, read) in [
            ("0123", "123"),
            ("0x1F", "31"),
            ("0o17", "15"),
            ("-007", "-7"),
            ("9007199254740993", "9007199254740992"),
            ("123456789012345678901234", "123456789012345690000000"),
        ] {
            assert_eq!(
                problem(&format!("a: {written}\n")),
                YamlProblem::ChangedNumber {
                    written: written.into(),
                    read: read.into(),
                    key: Some("a".into()),
                },
                "{written}"
            );
        }
        for fine in [
            "a: 0\n",
            "a: 9007199254740992\n",
            "a: \"0123\"\n",
            "a: 1.5\n",
            "a: -12\n",
        ] {
            assert!(parse(fine).is_ok(), "{fine}");
        }
        assert_eq!(
            problem("a: \"\x1b[2K\"\n"),
            YamlProblem::ControlCharacter('\x1b')
        );
    }

    #[test]
    fn numbers_are_sent_as_written_or_refused_all_at_once() {
        let doc = parse_ok("a: 1.0\nb: -2\nc: 0.5\nd: 0\n");
        assert_eq!(doc.value.to_string(), r#"{"a":1.0,"b":-2,"c":0.5,"d":0}"#);
        let all = problems("a: +5\nb: -1e-400\nc: 1.50\nd: 1e3\ne: -0\n");
        let read: Vec<_> = all
            .iter()
            .map(|e| match &e.problem {
                YamlProblem::ChangedNumber { written, read, .. } => format!("{written}->{read}"),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            read,
            [
                "+5->5",
                "-1e-400->-0.0",
                "1.50->1.5",
                "1e3->1000.0",
                "-0->0"
            ]
        );
        assert_eq!(all[1].span, 9..16);
    }

    #[test]
    fn tags_are_read_by_the_core_schema_or_refused() {
        let doc = parse_ok("a: !!null \"\"\nb: !!str 5\nc: !!int \"7\"\nd: !!seq [1]\n");
        assert_eq!(doc.value, json!({"a": null, "b": "5", "c": 7, "d": [1]}));
        for text in [
            "a: !!python/object:os.system x\n",
            "a: !!binary aGk=\n",
            "a: !!map [1]\n",
        ] {
            assert!(matches!(problem(text), YamlProblem::Tag(_)), "{text}");
        }
        assert!(matches!(
            problem("a: !!null x\n"),
            YamlProblem::BadTaggedValue(_)
        ));
    }

    #[test]
    fn an_unknown_escape_is_shown_where_it_is() {
        let error = problems("a: \"ok \\n then \\q\"\n").remove(0);
        assert!(matches!(error.problem, YamlProblem::Syntax(_)));
        assert_eq!(error.span, 15..17);
    }

    #[test]
    fn explicit_null_is_kept() {
        assert_eq!(
            parse_ok("a: null\nb: ~\nc:\n").value,
            json!({"a": null, "b": null, "c": null})
        );
    }
}
