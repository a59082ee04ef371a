//! The parser's events made into JSON values and their spans: what zeeg
//! refuses (aliases, merge keys, foreign tags, duplicate keys, numbers that
//! would not be sent as written) is refused here, as the events arrive.

use std::borrow::Cow;
use std::ops::Range;

use saphyr::Scalar;
use saphyr_parser::{Event, ScalarStyle, Span};
use serde_json::{Map, Number, Value};

use super::spans::{ItemSpans, KEY, Mark, NodeSpan, PeopleItem, Spans};
use super::{MAX_EXACT_INTEGER, MAX_NESTING, Offsets, YamlError, YamlProblem};

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

pub(super) enum Frame {
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

pub(super) struct Builder<'o, 't, 's> {
    pub(super) offsets: &'o Offsets<'t>,
    pub(super) stack: Vec<Frame>,
    pub(super) spans: Spans,
    pub(super) root: Option<Value>,
    pub(super) documents: usize,
    /// Where `people` items go, when they are handed over.
    pub(super) sink: Option<&'s mut dyn FnMut(PeopleItem<'_>) -> ItemSpans>,
    /// Where the people item being parsed starts its spans, when it is a
    /// list or mapping.
    pub(super) item: Option<Mark>,
    /// Problems that do not stop the parse, so that all of them are shown.
    pub(super) deferred: Vec<YamlError>,
}

impl Builder<'_, '_, '_> {
    fn error(&self, problem: YamlProblem, span: Range<usize>) -> YamlError {
        YamlError { problem, span }
    }

    pub(super) fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), YamlError> {
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
            Event::SequenceStart(_, ref tag) => self.open(true, tag.as_deref(), range)?,
            Event::MappingStart(_, ref tag) => self.open(false, tag.as_deref(), range)?,
            Event::SequenceEnd | Event::MappingEnd => self.close()?,
        }
        Ok(())
    }

    /// A list (`sequence`) or mapping starts.
    fn open(
        &mut self,
        sequence: bool,
        tag: Option<&saphyr_parser::Tag>,
        range: Range<usize>,
    ) -> Result<(), YamlError> {
        if let Some(tag) = tag {
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
        self.stack.push(if sequence {
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
        Ok(())
    }

    /// The list or mapping being built ends.
    fn close(&mut self) -> Result<(), YamlError> {
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
        self.close_node(value)
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
            self.defer_changed_number(shown, read, range);
            return Ok(Value::Null);
        }
        self.json(scalar, range)
    }

    /// Reports a number that would not be sent as written with every other
    /// one in the file, not only the first: the value is left out meanwhile.
    fn defer_changed_number(&mut self, written: String, read: String, range: Range<usize>) {
        let key = match self.stack.last() {
            Some(Frame::Mapping {
                key: Some((k, _)), ..
            }) => Some(k.clone()),
            _ => None,
        };
        let problem = YamlProblem::ChangedNumber { written, read, key };
        self.deferred.push(self.error(problem, range));
    }

    fn json(&self, scalar: Scalar<'_>, range: Range<usize>) -> Result<Value, YamlError> {
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
