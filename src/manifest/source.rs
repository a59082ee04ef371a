//! The text of one file, cheap to clone, that miette can point into.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

/// A file's name (as shown to the user) and its text.
#[derive(Debug, Clone)]
pub struct SourceText {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    name: String,
    text: String,
    /// Byte offset of the start of each line, built on first use.
    line_starts: OnceLock<Vec<usize>>,
}

impl SourceText {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceText {
        SourceText {
            inner: Arc::new(Inner {
                name: name.into(),
                text: text.into(),
                line_starts: OnceLock::new(),
            }),
        }
    }

    /// The name shown in diagnostics (the path as the user wrote it).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub fn text(&self) -> &str {
        &self.inner.text
    }

    /// Whether two handles are the same file.
    pub fn same(&self, other: &SourceText) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = self.clamp(offset..offset).start;
        let line = self.line_of(offset);
        let start = self.line_starts()[line];
        (line + 1, self.text()[start..offset].chars().count() + 1)
    }

    /// The byte offset of a 1-based line and column (in characters), as
    /// [`SourceText::line_col`] gives them; `None` past the text.
    pub fn offset_of(&self, line: usize, column: usize) -> Option<usize> {
        let bounds = self.line_bounds(line.checked_sub(1)?);
        let on_line = &self.text()[bounds.clone()];
        let within = match on_line.char_indices().nth(column.checked_sub(1)?) {
            Some((at, _)) => at,
            None => on_line.len(),
        };
        (line <= self.line_count()).then_some(bounds.start + within)
    }

    /// The 0-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts()
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }

    /// How many lines the text has (an empty text has one, empty).
    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }

    /// The bytes of a 0-based line, without its line break.
    pub fn line_bounds(&self, line: usize) -> Range<usize> {
        let starts = self.line_starts();
        let text = self.text();
        let start = starts[line.min(starts.len() - 1)];
        let end = starts.get(line + 1).map_or(text.len(), |&next| {
            let bytes = text.as_bytes();
            let mut end = next - 1;
            if bytes[end] == b'\n' && end > start && bytes[end - 1] == b'\r' {
                end -= 1;
            }
            end
        });
        start..end.max(start)
    }

    /// Byte offset of the start of each line. A line ends at `\n`, `\r\n`
    /// or a lone `\r`, as YAML counts them, so a file saved with old Mac
    /// line endings is numbered as its parser numbers it.
    fn line_starts(&self) -> &[usize] {
        self.inner.line_starts.get_or_init(|| {
            let bytes = self.text().as_bytes();
            let mut starts = vec![0];
            for (i, &byte) in bytes.iter().enumerate() {
                let breaks = byte == b'\n' || (byte == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
                if breaks {
                    starts.push(i + 1);
                }
            }
            starts
        })
    }

    /// A span clamped to the text, on character boundaries.
    pub fn clamp(&self, span: Range<usize>) -> Range<usize> {
        let text = self.text();
        let fix = |mut i: usize| {
            i = i.min(text.len());
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let start = fix(span.start);
        start..fix(span.end).max(start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let source = SourceText::new("a.yaml", "a: 1\nname: Jörg X\n");
        assert_eq!(source.line_col(0), (1, 1));
        assert_eq!(source.line_col(5), (2, 1));
        let x = source.text().find('X').unwrap();
        assert_eq!(source.line_col(x), (2, 12));
    }

    #[test]
    fn every_kind_of_line_break_ends_a_line() {
        let source = SourceText::new("a.yaml", "a\r\nb\rc\nd");
        assert_eq!(source.line_count(), 4);
        let lines: Vec<&str> = (0..4)
            .map(|i| &source.text()[source.line_bounds(i)])
            .collect();
        assert_eq!(lines, ["a", "b", "c", "d"]);
        assert_eq!(source.line_col(source.text().find('d').unwrap()), (4, 1));
        assert_eq!(source.line_of(1), 0, "the \\r of \\r\\n is on its line");
    }
}
