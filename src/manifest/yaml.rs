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

use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::ops::Range;

use saphyr::Scalar;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};
use serde_json::{Map, Number, Value};

/// Where one node was written: its key (for mapping values) and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeSpan {
    pub key: Option<Range<usize>>,
    /// For a mapping or a list only the first line, so that a label points at
    /// where it starts instead of underlining a whole block.
    pub value: Range<usize>,
}

/// A parsed document and the spans of its nodes by JSON pointer.
#[derive(Debug)]
pub(crate) struct Document {
    pub value: Value,
    pub spans: Spans,
}

impl Document {
    /// The span of the node at `pointer`, or of its closest ancestor.
    pub fn span(&self, pointer: &str) -> Option<NodeSpan> {
        self.spans.nearest(pointer)
    }
}

/// One item of the top-level `people` list, handed over as soon as it is
/// parsed (see [`parse_people`]).
pub(crate) struct PeopleItem<'a> {
    /// Its place in the list.
    pub index: usize,
    pub value: Value,
    /// The spans of the document so far, this item's included.
    pub spans: &'a Spans,
    /// The top-level keys parsed before `people`, with their values.
    pub before: &'a Map<String, Value>,
}

/// What [`parse_people`] does with an item's spans once it was handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemSpans {
    /// Keep them: the item will be looked at again.
    Keep,
    /// Drop them: only the item's own span stays, for pointers into it.
    Drop,
}

/// The spans of every node of a document, found by JSON pointer.
///
/// A file of 50 MB has millions of nodes, so a node costs 32 bytes here and
/// no allocation of its own: its spans as `u32`s, and its children's numbers
/// side by side in one list. Mapping keys are interned. (A map from pointer
/// strings took a third of the memory of loading a big file, and a hash
/// entry per node scattered a person's fields across memory.)
#[derive(Debug, Default)]
pub(crate) struct Spans {
    /// Every node in document order; the root is node 0.
    nodes: Vec<Node>,
    /// The children of each list and mapping, in order, one run each.
    kids: Vec<u32>,
    /// Each distinct mapping key and its number.
    keys: FxHashMap<Box<str>, u32>,
    /// (mapping, key number) → child, for mappings too big to scan.
    big: FxHashMap<(u32, u32), u32>,
    /// While parsing: the children found so far of each open node, and
    /// where each open node's run starts in `pending`.
    pending: Vec<u32>,
    open: Vec<(u32, usize)>,
}

/// Marks a segment as a mapping key's number, not a list index.
const KEY: u32 = 1 << 31;
/// See [`Spans::mark`].
#[derive(Debug, Clone, Copy)]
struct Mark {
    node: u32,
    kids: usize,
    big: usize,
}

/// A missing key span.
const NO_KEY: u32 = u32::MAX;
/// Mappings with more keys than this get a hash index.
const SCANNED: usize = 16;

/// One node: its [`NodeSpan`], its segment in its parent (list index, or key
/// number with [`KEY`] set), and its run in [`Spans::kids`]. Offsets beyond
/// 4 GiB saturate (such a file would take minutes to parse; its spans would
/// only point to its end).
#[derive(Debug, Clone, Copy)]
struct Node {
    key: (u32, u32),
    value: (u32, u32),
    segment: u32,
    kids: (u32, u32),
}

fn pack(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(NO_KEY - 1)
}

impl Node {
    fn span(&self) -> NodeSpan {
        NodeSpan {
            key: (self.key.0 != NO_KEY).then_some(self.key.0 as usize..self.key.1 as usize),
            value: self.value.0 as usize..self.value.1 as usize,
        }
    }
}

impl Spans {
    /// The span of the node at `pointer`, or of its closest ancestor.
    pub fn nearest(&self, pointer: &str) -> Option<NodeSpan> {
        let mut pointer = pointer;
        loop {
            if let Some(span) = self.get(pointer) {
                return Some(span);
            }
            pointer = &pointer[..pointer.rfind('/')?];
        }
    }

    /// The span of the node at `pointer` (`""` is the root).
    pub fn get(&self, pointer: &str) -> Option<NodeSpan> {
        let node = self.find(pointer)?;
        self.nodes.get(node as usize).map(Node::span)
    }

    fn find(&self, pointer: &str) -> Option<u32> {
        if self.nodes.is_empty() {
            return None;
        }
        if pointer.is_empty() {
            return Some(0);
        }
        let mut node = 0;
        for segment in pointer.strip_prefix('/')?.split('/') {
            node = self.child(node, segment)?;
        }
        Some(node)
    }

    /// The child of `parent` at one (escaped) pointer segment.
    fn child(&self, parent: u32, segment: &str) -> Option<u32> {
        // A node still open (the `people` list while its items are handed
        // over) has its children so far in `pending`, and no index yet.
        let open = self.open.iter().rev().find(|&&(node, _)| node == parent);
        let (kids, closed) = match open {
            Some(&(_, from)) => (self.pending.get(from..)?, false),
            None => {
                let (start, len) = self.nodes.get(parent as usize)?.kids;
                (self.kids.get(start as usize..(start + len) as usize)?, true)
            }
        };
        let is_mapping = kids
            .first()
            .is_some_and(|&kid| self.nodes[kid as usize].segment & KEY != 0);
        if !is_mapping {
            // A list index as JSON pointers write it: digits, no leading zero.
            let canonical = !segment.is_empty()
                && segment.bytes().all(|b| b.is_ascii_digit())
                && (segment == "0" || !segment.starts_with('0'));
            let index: usize = segment.parse().ok().filter(|_| canonical)?;
            return kids.get(index).copied();
        }
        let key = if segment.contains('~') {
            Cow::Owned(segment.replace("~1", "/").replace("~0", "~"))
        } else {
            Cow::Borrowed(segment)
        };
        let number = *self.keys.get(key.as_ref())? | KEY;
        if closed && kids.len() > SCANNED {
            return self.big.get(&(parent, number)).copied();
        }
        kids.iter()
            .copied()
            .find(|&kid| self.nodes[kid as usize].segment == number)
    }

    /// The number of a mapping key, interning it on first sight.
    fn key_number(&mut self, key: &str) -> u32 {
        if let Some(&number) = self.keys.get(key) {
            return number;
        }
        let number = self.keys.len() as u32;
        self.keys.insert(key.into(), number);
        number
    }

    /// Records a node at `segment` of the open node (none for the root).
    /// Returns its number.
    fn push(&mut self, segment: Option<u32>, span: NodeSpan) -> u32 {
        let node = self.nodes.len() as u32;
        self.nodes.push(Node {
            key: span
                .key
                .as_ref()
                .map_or((NO_KEY, NO_KEY), |k| (pack(k.start), pack(k.end))),
            value: (pack(span.value.start), pack(span.value.end)),
            segment: segment.unwrap_or(0),
            kids: (0, 0),
        });
        if segment.is_some() {
            self.pending.push(node);
        }
        node
    }

    /// `node`, a list or mapping, takes the nodes pushed from now on until
    /// [`Spans::close`] as its children.
    fn open(&mut self, node: u32) {
        self.open.push((node, self.pending.len()));
    }

    /// The last opened node has all its children.
    fn close(&mut self) {
        let Some((node, from)) = self.open.pop() else {
            return;
        };
        let start = self.kids.len() as u32;
        let len = (self.pending.len() - from) as u32;
        if len as usize > SCANNED
            && self.pending[from..]
                .first()
                .is_some_and(|&kid| self.nodes[kid as usize].segment & KEY != 0)
        {
            for &kid in &self.pending[from..] {
                self.big
                    .insert((node, self.nodes[kid as usize].segment), kid);
            }
        }
        self.kids.extend(self.pending.drain(from..));
        self.nodes[node as usize].kids = (start, len);
    }

    /// Where a node about to open starts its subtree: what [`Spans::forget`]
    /// rolls back to.
    fn mark(&self, node: u32) -> Mark {
        Mark {
            node,
            kids: self.kids.len(),
            big: self.big.len(),
        }
    }

    /// Drops the spans below a closed node, keeping the node's own. Its
    /// subtree is the tail of `nodes` and `kids`, in document order.
    fn forget(&mut self, mark: Mark) {
        let Mark { node, kids, big } = mark;
        self.nodes.truncate(node as usize + 1);
        self.kids.truncate(kids);
        if let Some(kept) = self.nodes.get_mut(node as usize) {
            kept.kids = (0, 0);
        }
        if self.big.len() != big {
            self.big.retain(|&(parent, _), _| parent <= node);
        }
    }

    /// The key span of the open mapping's value under `key`, if it has one.
    fn open_key_span(&self, key: &str) -> Option<Range<usize>> {
        let number = *self.keys.get(key)? | KEY;
        let &(_, from) = self.open.last()?;
        let kid = self.pending[from..]
            .iter()
            .find(|&&kid| self.nodes[kid as usize].segment == number)?;
        self.nodes[*kid as usize].span().key
    }
}

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

/// Why an unquoted number's text would not survive as written, if it would not.
fn changed_number(written: &str, scalar: &Scalar<'_>) -> Option<String> {
    let digits = written.trim_start_matches(['+', '-']);
    match scalar {
        Scalar::Integer(i) => {
            if i.unsigned_abs() > MAX_EXACT_INTEGER as u64 {
                // What a reader that holds numbers as doubles makes of it.
                return Some((*i as f64).to_string());
            }
            let sent = i.to_string();
            (sent != written).then_some(sent)
        }
        // An integer too long for i64 becomes a float, and loses digits.
        Scalar::FloatingPoint(f)
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(f.into_inner().to_string())
        }
        // Any other spelling the JSON body would not repeat (`+5`, `1.50`,
        // `1e3`, `-1e-400`) is refused too: a number is sent as written.
        // (Not finite ones get their own message.)
        Scalar::FloatingPoint(f) => {
            let sent = Number::from_f64(f.into_inner())?.to_string();
            (sent != written).then_some(sent)
        }
        _ => None,
    }
}

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

enum Frame {
    Sequence {
        items: Vec<Value>,
        /// Items handed to the people sink instead of kept in `items`.
        handed: usize,
    },
    Mapping {
        map: Map<String, Value>,
        /// The key waiting for its value, and its span.
        key: Option<(String, Range<usize>)>,
    },
}

/// The core schema's tags, the only ones zeeg reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CoreTag {
    Str,
    Null,
    Bool,
    Int,
    Float,
    Seq,
    Map,
}

/// The core tag a tag names; `None` for any other (`!!python/object`,
/// `!custom`), which zeeg refuses rather than drop: a file that needs one was
/// written for another reader.
fn core_tag(tag: &saphyr_parser::Tag) -> Option<CoreTag> {
    if !tag.is_yaml_core_schema() {
        return None;
    }
    Some(match tag.suffix.as_str() {
        "str" => CoreTag::Str,
        "null" => CoreTag::Null,
        "bool" => CoreTag::Bool,
        "int" => CoreTag::Int,
        "float" => CoreTag::Float,
        "seq" => CoreTag::Seq,
        "map" => CoreTag::Map,
        _ => return None,
    })
}

/// A tag as the file writes it: `!!python/object`, not its expanded form.
fn shown_tag(tag: &saphyr_parser::Tag) -> String {
    if tag.is_yaml_core_schema() {
        format!("!!{}", tag.suffix.trim_start_matches('!'))
    } else {
        tag.to_string()
    }
}

/// A scalar's text as an owned string of exactly its length: the scanner's
/// buffers grow by doubling, and a big file holds millions of them.
fn exact(text: Cow<'_, str>) -> String {
    let mut text = text.into_owned();
    text.shrink_to_fit();
    text
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
    let syntax = |e: ScanError| {
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
    };
    // A big file: the scanner runs on a thread of its own and hands its
    // events over in batches, so that scanning and building values (and, for
    // people files, entries) take a core each. Should no thread start, the
    // events come from the scanner here, one by one.
    let scanned = std::thread::scope(|scope| {
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
        Ok::<(), YamlError>(())
    });
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

struct Builder<'o, 't, 's> {
    offsets: &'o Offsets<'t>,
    stack: Vec<Frame>,
    spans: Spans,
    root: Option<Value>,
    documents: usize,
    /// Where `people` items go, when they are handed over.
    sink: Option<&'s mut dyn FnMut(PeopleItem<'_>) -> ItemSpans>,
    /// Where the people item being parsed starts its spans, when it is a
    /// list or mapping.
    item: Option<Mark>,
    /// Problems that do not stop the parse, so that all of them are shown.
    deferred: Vec<YamlError>,
}

impl Builder<'_, '_, '_> {
    fn error(&self, problem: YamlProblem, span: Range<usize>) -> YamlError {
        YamlError { problem, span }
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), YamlError> {
        let range = self.offsets.range(span);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => {}
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    let line = self.offsets.first_line(range.start);
                    return Err(self.error(YamlProblem::SeveralDocuments, line));
                }
            }
            Event::Alias(_) => return Err(self.error(YamlProblem::Alias, range)),
            Event::Scalar(text, style, _anchor, tag) => {
                if self.expecting_key() {
                    return self.key(text, style, range);
                }
                let value = self.scalar(text, style, tag.as_deref(), range.clone())?;
                self.value(value, range)?;
            }
            Event::SequenceStart(_, ref tag) | Event::MappingStart(_, ref tag) => {
                let sequence = matches!(event, Event::SequenceStart(..));
                if let Some(tag) = tag.as_deref() {
                    let fits = match core_tag(tag) {
                        Some(CoreTag::Seq) => sequence,
                        Some(CoreTag::Map) => !sequence,
                        _ => false,
                    };
                    if !fits {
                        return Err(self.error(YamlProblem::Tag(shown_tag(tag)), range));
                    }
                }
                if self.expecting_key() {
                    return Err(self.error(YamlProblem::ComplexKey, range));
                }
                if self.stack.len() >= MAX_NESTING {
                    return Err(self.error(YamlProblem::TooDeep, range.start..range.start + 1));
                }
                let node = self.open_node(self.offsets.first_line(range.start));
                if self.sink.is_some() && self.at_people_item() {
                    self.item = Some(self.spans.mark(node));
                }
                self.spans.open(node);
                self.stack
                    .push(if matches!(event, Event::SequenceStart(..)) {
                        Frame::Sequence {
                            items: Vec::new(),
                            handed: 0,
                        }
                    } else {
                        Frame::Mapping {
                            map: Map::new(),
                            key: None,
                        }
                    });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                self.spans.close();
                let value = match self.stack.pop() {
                    Some(Frame::Sequence { mut items, handed }) => {
                        if handed > 0 && items.is_empty() {
                            // What the top-level checks need of a list
                            // whose items were handed over: that it has some.
                            items.push(Value::Null);
                        }
                        // Most lists are short (one email); growth left
                        // room for four.
                        items.shrink_to_fit();
                        Value::Array(items)
                    }
                    Some(Frame::Mapping { map, .. }) => Value::Object(map),
                    None => return Ok(()),
                };
                self.close_node(value)?;
            }
        }
        Ok(())
    }

    /// A scalar's text as an owned string: of exactly its length when it is
    /// kept in the document, as it comes when people items are handed over
    /// (they live only until they are entries).
    fn owned(&self, text: Cow<'_, str>) -> String {
        if self.sink.is_some() {
            text.into_owned()
        } else {
            exact(text)
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Mapping { key: None, .. }))
    }

    fn key(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        range: Range<usize>,
    ) -> Result<(), YamlError> {
        if text == "<<" && style == ScalarStyle::Plain {
            return Err(self.error(YamlProblem::MergeKey, range));
        }
        let text = self.owned(text);
        let Some(Frame::Mapping { key, map, .. }) = self.stack.last_mut() else {
            return Ok(());
        };
        // The first occurrence's value is already in the map by now.
        if map.contains_key(&text) {
            let first = self
                .spans
                .open_key_span(&text)
                .unwrap_or_else(|| range.clone());
            let problem = YamlProblem::DuplicateKey(text, first);
            return Err(YamlError {
                problem,
                span: range,
            });
        }
        *key = Some((text, range));
        Ok(())
    }

    fn scalar(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        tag: Option<&saphyr_parser::Tag>,
        range: Range<usize>,
    ) -> Result<Value, YamlError> {
        if let Some(tag) = tag {
            match core_tag(tag) {
                Some(CoreTag::Str) => return Ok(Value::String(self.owned(text))),
                // The core schema's null forms, quoted or not: `!!null ""`
                // is a cleared field, not an empty string.
                Some(CoreTag::Null)
                    if matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL") =>
                {
                    return Ok(Value::Null);
                }
                Some(CoreTag::Bool | CoreTag::Int | CoreTag::Float | CoreTag::Null) => {}
                Some(CoreTag::Seq | CoreTag::Map) => {
                    return Err(self.error(YamlProblem::BadTaggedValue(text.to_string()), range));
                }
                None => return Err(self.error(YamlProblem::Tag(shown_tag(tag)), range)),
            }
        }
        // A tagged value is read by its tag, quoted or not.
        let style = if tag.is_some() {
            ScalarStyle::Plain
        } else {
            style
        };
        // The text as written, kept only where a problem may quote it: a
        // tagged value, or a plain one that may read as a number (one copy
        // per scalar was a tenth of the time of a big file).
        let may_be_number = style == ScalarStyle::Plain
            && text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.'));
        let shown = (tag.is_some() || may_be_number).then(|| text.to_string());
        let tag = tag.map(|t| Cow::Owned(t.clone()));
        let Some(scalar) = Scalar::parse_from_cow_and_metadata(text, style, tag.as_ref()) else {
            return Err(self.error(
                YamlProblem::BadTaggedValue(shown.unwrap_or_default()),
                range,
            ));
        };
        if style == ScalarStyle::Plain
            && let Some(shown) = shown
            && let Some(read) = changed_number(&shown, &scalar)
        {
            // Reported with every other one in the file, not only the
            // first: the value is left out meanwhile.
            let key = match self.stack.last() {
                Some(Frame::Mapping {
                    key: Some((k, _)), ..
                }) => Some(k.clone()),
                _ => None,
            };
            let problem = YamlProblem::ChangedNumber {
                written: shown,
                read,
                key,
            };
            self.deferred.push(self.error(problem, range));
            return Ok(Value::Null);
        }
        Ok(match scalar {
            Scalar::Null => Value::Null,
            Scalar::Boolean(b) => Value::Bool(b),
            Scalar::Integer(i) => Value::Number(i.into()),
            Scalar::FloatingPoint(f) => match Number::from_f64(f.into_inner()) {
                Some(n) => Value::Number(n),
                None => return Err(self.error(YamlProblem::NotFinite, range)),
            },
            Scalar::String(s) => Value::String(self.owned(s)),
        })
    }

    /// Records the spans of a node that starts here, under the node being
    /// built. Returns its number.
    fn open_node(&mut self, value: Range<usize>) -> u32 {
        let (segment, key) = match self.stack.last() {
            Some(Frame::Sequence { items, handed }) => (Some((items.len() + handed) as u32), None),
            Some(Frame::Mapping {
                key: Some((k, r)), ..
            }) => {
                let number = self.spans.key_number(k);
                (Some(number | KEY), Some(r.clone()))
            }
            _ => (None, None),
        };
        self.spans.push(segment, NodeSpan { key, value })
    }

    fn value(&mut self, value: Value, range: Range<usize>) -> Result<(), YamlError> {
        // Scalars keep their whole span (a quoted string may span lines).
        self.open_node(range);
        self.attach(value);
        Ok(())
    }

    fn close_node(&mut self, value: Value) -> Result<(), YamlError> {
        self.attach(value);
        Ok(())
    }

    /// Whether the next node is an item of the top-level `people` list.
    fn at_people_item(&self) -> bool {
        matches!(
            self.stack.as_slice(),
            [Frame::Mapping { key: Some((key, _)), .. }, Frame::Sequence { .. }] if key == "people"
        )
    }

    /// Hands a finished people item to the sink. Returns it back when there
    /// is no sink or it is not a people item.
    fn hand_over(&mut self, value: Value) -> Option<Value> {
        if !self.at_people_item() {
            return Some(value);
        }
        let (
            Some(sink),
            [
                Frame::Mapping { map, .. },
                Frame::Sequence { items, handed },
            ],
        ) = (self.sink.as_mut(), self.stack.as_mut_slice())
        else {
            return Some(value);
        };
        let item = PeopleItem {
            index: items.len() + *handed,
            value,
            spans: &self.spans,
            before: map,
        };
        *handed += 1;
        let keep = sink(item);
        let mark = self.item.take();
        if let (ItemSpans::Drop, Some(mark)) = (keep, mark) {
            self.spans.forget(mark);
        }
        None
    }

    /// Puts a finished node into its parent (or makes it the root).
    fn attach(&mut self, value: Value) {
        let Some(value) = self.hand_over(value) else {
            return;
        };
        match self.stack.last_mut() {
            Some(Frame::Sequence { items, .. }) => items.push(value),
            Some(Frame::Mapping { map, key, .. }) => {
                if let Some((k, _)) = key.take() {
                    map.insert(k, value);
                }
            }
            None => self.root = Some(value),
        }
    }
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
