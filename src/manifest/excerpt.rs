//! What a diagnostic shows of a file: the few lines around its labels, each
//! cut to a readable width around the labelled part, with control characters
//! escaped. miette renders this small text instead of the whole file.
//!
//! Why not hand miette the file itself: its `str` source scans from the start
//! of the file for every diagnostic (20,000 problems in one file took a
//! minute), it panics past column 65,535, it prints escape sequences raw, and
//! it does not count a lone `\r` as a line break the way YAML does. Here the
//! lines come from [`SourceText`]'s line table, and the excerpt reports the
//! file's own line and column numbers, so `file:line:col` stays true.

use std::ops::Range;
use std::sync::Arc;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::source::SourceText;
use crate::secret::{self, Secrets};
use crate::terminal;

/// What a diagnostic hides of the text it quotes: secrets always (see
/// [`crate::secret`]), contact data under `--redact`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hide {
    pub secrets: Arc<Secrets>,
    /// Emails and phone numbers ([`crate::redact::mask_text`]).
    pub contact_data: bool,
}

impl Hide {
    /// A message or a hint, with what is hidden hidden.
    pub(crate) fn text(&self, text: &str) -> String {
        let text = self.secrets.cut(text);
        if self.contact_data {
            crate::redact::mask_text(&text)
        } else {
            text
        }
    }
}

/// Lines of context around each label, as miette's handler asks for.
const CONTEXT_LINES: usize = 1;
/// A line longer than this many characters is cut.
const MAX_LINE_CHARS: usize = 240;
/// How much of a cut line is shown: from a little before the label onwards.
const WINDOW_CHARS: usize = 160;
const LEAD_CHARS: usize = 40;
/// A label over more lines than this shows its first line only.
const MAX_LABEL_LINES: usize = 8;
const CUT: &str = "…";

/// The excerpt of one file for one diagnostic.
#[derive(Debug, Clone)]
pub(crate) struct Excerpt {
    name: String,
    text: String,
    chunks: Vec<Chunk>,
}

/// Consecutive lines of the file.
#[derive(Debug, Clone)]
struct Chunk {
    /// The 0-based line number of the first line in the file.
    first_line: usize,
    lines: Vec<ShownLine>,
}

#[derive(Debug, Clone)]
struct ShownLine {
    /// Where the line is in the excerpt: its first byte and its `\n`.
    start: usize,
    end: usize,
    /// Byte offsets of the line in the file, without its line break.
    file_start: usize,
    file_end: usize,
    /// One per character shown, plus one for where the shown part ends.
    marks: Vec<Mark>,
}

/// A character of the file and where it went in the excerpt.
#[derive(Debug, Clone, Copy)]
struct Mark {
    file: usize,
    excerpt: usize,
    /// 0-based character column in the file.
    column: usize,
}

impl Excerpt {
    /// The excerpt around `spans` (byte ranges of `source`), and the spans
    /// moved into it, in the same order, with what `hide` says hidden.
    pub(crate) fn new(
        source: &SourceText,
        spans: &[Range<usize>],
        hide: &Hide,
    ) -> (Excerpt, Vec<Range<usize>>) {
        // The empty "line" after a final line break is no context worth
        // showing (though a label at the very end is shown on it).
        let text = source.text();
        let last_line = source.line_count() - if text.ends_with(['\n', '\r']) { 2 } else { 1 };
        let spans = label_spans(source, spans);
        let merged = chunk_lines(source, &spans, last_line);

        let mut excerpt = Excerpt {
            name: source.name().to_string(),
            text: String::new(),
            chunks: Vec::with_capacity(merged.len()),
        };
        for (first, last) in merged {
            let lines = (first..=last)
                .map(|line| {
                    let anchor = spans
                        .iter()
                        .filter(|span| source.line_of(span.start) == line)
                        .map(|span| source.line_col(span.start).1 - 1)
                        .min()
                        .unwrap_or(0);
                    excerpt.push_line(source, line, anchor, hide)
                })
                .collect();
            excerpt.chunks.push(Chunk {
                first_line: first,
                lines,
            });
        }
        let moved = spans
            .iter()
            .map(|span| {
                let start = excerpt.moved(span.start);
                start..excerpt.moved(span.end).max(start)
            })
            .collect();
        (excerpt, moved)
    }

    /// Appends line `line` of the file, cut around column `anchor` if long.
    fn push_line(
        &mut self,
        source: &SourceText,
        line: usize,
        anchor: usize,
        hide: &Hide,
    ) -> ShownLine {
        let bounds = source.line_bounds(line);
        let text = &source.text()[bounds.clone()];
        let chars = text.chars().count();
        let (from, to) = if chars <= MAX_LINE_CHARS {
            (0, chars)
        } else {
            let to = (anchor.saturating_sub(LEAD_CHARS) + WINDOW_CHARS).min(chars);
            (to.saturating_sub(WINDOW_CHARS), to)
        };
        let start = self.text.len();
        if from > 0 {
            self.text.push_str(CUT);
        }
        let shown: Vec<(usize, char)> = text.char_indices().skip(from).take(to - from).collect();
        let mut marks = self.push_shown(text, bounds.start, from, &shown, hide);
        let end_byte = text
            .char_indices()
            .nth(to)
            .map_or(text.len(), |(byte, _)| byte);
        marks.push(Mark {
            file: bounds.start + end_byte,
            excerpt: self.text.len(),
            column: to,
        });
        if to < chars {
            self.text.push_str(CUT);
        }
        let end = self.text.len();
        self.text.push('\n');
        ShownLine {
            start,
            end,
            file_start: bounds.start,
            file_end: bounds.end,
            marks,
        }
    }

    /// Appends the `shown` characters of a line (at byte `line_start` of the
    /// file, from its column `from`), escaped and with what `hide` says
    /// hidden. Returns their marks.
    fn push_shown(
        &mut self,
        text: &str,
        line_start: usize,
        from: usize,
        shown: &[(usize, char)],
        hide: &Hide,
    ) -> Vec<Mark> {
        let mut marks = Vec::with_capacity(shown.len() + 1);
        // Masking keeps the number of characters, so each keeps its place.
        let masked: Vec<char> = if hide.contact_data {
            let window: String = shown.iter().map(|&(_, c)| c).collect();
            crate::redact::mask_text(&window).chars().collect()
        } else {
            shown.iter().map(|&(_, c)| c).collect()
        };
        // Secrets are found in the whole line, so one the cut would halve is
        // still hidden; each shows as one `[token]` where its first shown
        // character is, and its other characters point there.
        let secrets = hide.secrets.find(text);
        let mut secret = secrets.iter().peekable();
        let mut in_secret = false;
        for (i, (&(byte, _), &c)) in shown.iter().zip(&masked).enumerate() {
            marks.push(Mark {
                file: line_start + byte,
                excerpt: self.text.len(),
                column: from + i,
            });
            while secret.peek().is_some_and(|range| range.end <= byte) {
                secret.next();
                in_secret = false;
            }
            if secret.peek().is_some_and(|range| range.start <= byte) {
                if !in_secret {
                    self.text.push_str(secret::CUT);
                    in_secret = true;
                }
                continue;
            }
            terminal::push_escaped(&mut self.text, c);
        }
        marks
    }

    /// Where a byte offset of the file went: the start of its character, the
    /// edge of the shown part of a cut line, or the end of its line.
    fn moved(&self, offset: usize) -> usize {
        let lines = self.chunks.iter().flat_map(|chunk| &chunk.lines);
        let Some(line) = lines
            .take_while(|line| line.file_start <= offset)
            .last()
            .or_else(|| self.chunks.first().and_then(|c| c.lines.first()))
        else {
            return 0;
        };
        if offset > line.file_end {
            return line.end;
        }
        let i = line.marks.partition_point(|mark| mark.file <= offset);
        line.marks[i.saturating_sub(1)].excerpt
    }
}

/// The spans clamped to the text, a label over too many lines cut to its
/// first line.
fn label_spans(source: &SourceText, spans: &[Range<usize>]) -> Vec<Range<usize>> {
    spans
        .iter()
        .map(|span| {
            let span = source.clamp(span.clone());
            let first = source.line_of(span.start);
            if source.line_of(span.end.saturating_sub(1).max(span.start)) - first >= MAX_LABEL_LINES
            {
                span.start..source.line_bounds(first).end
            } else {
                span
            }
        })
        .collect()
}

/// The (first, last) lines of each chunk: every label's lines with their
/// context, overlapping or touching ones merged, in order.
fn chunk_lines(
    source: &SourceText,
    spans: &[Range<usize>],
    last_line: usize,
) -> Vec<(usize, usize)> {
    let mut ranges: Vec<(usize, usize)> = spans
        .iter()
        .map(|span| {
            let first = source.line_of(span.start);
            let last = source.line_of(span.end.saturating_sub(1).max(span.start));
            (
                first.saturating_sub(CONTEXT_LINES),
                (last + CONTEXT_LINES).min(last_line).max(last),
            )
        })
        .collect();
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (first, last) in ranges {
        match merged.last_mut() {
            Some(previous) if first <= previous.1 + 1 => previous.1 = previous.1.max(last),
            _ => merged.push((first, last)),
        }
    }
    merged
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let start = span.offset();
        let end = start + span.len();
        // A span across two chunks would show lines that are not there.
        let chunk = self
            .chunks
            .iter()
            .find(|chunk| {
                let (first, last) = (&chunk.lines[0], &chunk.lines[chunk.lines.len() - 1]);
                first.start <= start && end <= last.end + 1
            })
            .ok_or(MietteError::OutOfBounds)?;
        let line_at = |offset: usize| {
            chunk
                .lines
                .partition_point(|line| line.start <= offset)
                .saturating_sub(1)
        };
        let (first_hit, last_hit) = (line_at(start), line_at(end.saturating_sub(1).max(start)));
        let first = first_hit.saturating_sub(context_lines_before);
        let last = (last_hit + context_lines_after).min(chunk.lines.len() - 1);
        let data_start = chunk.lines[first].start;
        let data_end = chunk.lines[last].end + 1;
        let column = if context_lines_before == 0 {
            let marks = &chunk.lines[first_hit].marks;
            let i = marks.partition_point(|mark| mark.excerpt <= start);
            marks[i.saturating_sub(1)].column
        } else {
            0
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            &self.text.as_bytes()[data_start..data_end],
            (data_start, data_end - data_start).into(),
            chunk.first_line + first,
            column,
            last - first + 1,
        )))
    }
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)] // one span is the usual case
mod tests {
    use super::*;

    fn shown(text: &str, spans: &[Range<usize>]) -> (Excerpt, Vec<Range<usize>>) {
        Excerpt::new(&SourceText::new("a.yaml", text), spans, &Hide::default())
    }

    #[test]
    fn a_redacted_excerpt_masks_contact_data_in_place() {
        let text = "people:\n  - emails: [jane.doe@acme.com]\n    phoneNumber: \"+4930123456\"\n";
        let at = text.find("jane").unwrap();
        let hide = Hide {
            contact_data: true,
            ..Hide::default()
        };
        let (excerpt, spans) =
            Excerpt::new(&SourceText::new("a.yaml", text), &[at..at + 17], &hide);
        assert_eq!(
            excerpt.text,
            "people:\n  - emails: [j*******@acme.com]\n    phoneNumber: \"+********56\"\n"
        );
        assert_eq!(&excerpt.text[spans[0].clone()], "j*******@acme.com");
    }

    #[test]
    fn short_lines_are_shown_as_they_are_with_a_line_of_context() {
        let text = "one\ntwo\nthree: x\nfour\nfive\n";
        let x = text.find('x').unwrap();
        let (excerpt, spans) = shown(text, &[x..x + 1]);
        assert_eq!(excerpt.text, "two\nthree: x\nfour\n");
        assert_eq!(&excerpt.text[spans[0].clone()], "x");
        let contents = excerpt
            .read_span(&(spans[0].start, 1).into(), 0, 0)
            .unwrap();
        assert_eq!((contents.line(), contents.column()), (2, 7));
    }

    #[test]
    fn a_long_line_is_cut_around_the_label_and_keeps_its_column() {
        let text = format!("a: \"{}\", b: bad\n", "x".repeat(70_000));
        let bad = text.find("bad").unwrap();
        let (excerpt, spans) = shown(&text, &[bad..bad + 3]);
        assert!(excerpt.text.starts_with('…'), "{}", excerpt.text);
        assert!(excerpt.text.chars().count() < WINDOW_CHARS + 4);
        assert_eq!(&excerpt.text[spans[0].clone()], "bad");
        let contents = excerpt
            .read_span(&(spans[0].start, 3).into(), 0, 0)
            .unwrap();
        assert_eq!((contents.line(), contents.column()), (0, 70_010));
    }

    #[test]
    fn a_long_label_is_cut_at_the_window() {
        let text = format!("a: {}\n", "x".repeat(1_000));
        let (excerpt, spans) = shown(&text, &[3..1_003]);
        assert!(excerpt.text.ends_with("…\n"));
        assert_eq!(spans[0].start, 3);
        assert_eq!(
            excerpt.text[spans[0].clone()].chars().count(),
            WINDOW_CHARS - 3
        );
    }

    #[test]
    fn control_characters_are_escaped_and_the_label_still_fits() {
        let text = "a: \"\x1b[2K\"\nb: \0x\n";
        let x = text.find('x').unwrap();
        let (excerpt, spans) = shown(text, &[x..x + 1]);
        assert_eq!(excerpt.text, "a: \"\\u{1b}[2K\"\nb: \\u{0}x\n");
        assert_eq!(&excerpt.text[spans[0].clone()], "x");
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        let text = "one\rtwo\rthree: x\r";
        let x = text.find('x').unwrap();
        let (excerpt, spans) = shown(text, &[x..x + 1]);
        assert_eq!(excerpt.text, "two\nthree: x\n");
        let contents = excerpt
            .read_span(&(spans[0].start, 1).into(), 0, 0)
            .unwrap();
        assert_eq!((contents.line(), contents.column()), (2, 7));
    }

    #[test]
    fn far_apart_labels_make_two_chunks_and_no_span_bridges_them() {
        let text: String = (0..20).map(|i| format!("line {i}\n")).collect();
        let at = |i: usize| text.find(&format!("line {i}\n")).unwrap();
        let (excerpt, spans) = shown(&text, &[at(2)..at(2) + 4, at(15)..at(15) + 4]);
        assert_eq!(excerpt.chunks.len(), 2);
        assert_eq!(excerpt.chunks[1].first_line, 14);
        let bridge = (spans[0].start, spans[1].end - spans[0].start).into();
        assert!(excerpt.read_span(&bridge, 1, 1).is_err());
        let second = excerpt
            .read_span(&(spans[1].start, 4).into(), 1, 1)
            .unwrap();
        assert_eq!(second.line(), 14);
        assert_eq!(
            std::str::from_utf8(second.data()).unwrap(),
            "line 14\nline 15\nline 16\n"
        );
    }

    #[test]
    fn an_empty_file_has_one_empty_line() {
        let (excerpt, spans) = shown("", &[0..0]);
        assert_eq!(excerpt.text, "\n");
        assert_eq!(spans[0], 0..0);
    }
}
