//! Text from files and servers on its way to a terminal: data, never commands.
//!
//! A description holding `ESC[2K ESC[1A` would erase lines (the one above
//! apply's `[y/N]` prompt, say), and a right-to-left override would reorder
//! what a reviewer reads. Every path that prints such text escapes it here.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether a character would act on the terminal (or reorder the text, or
/// hide in it) rather than show: C0 and C1 controls, DEL, Unicode's
/// bidirectional controls (U+061C included), the line and paragraph
/// separators U+2028/U+2029 (which some terminals and editors break lines
/// at), and the invisible ones: zero-width space, joiners and word joiner,
/// invisible operators, U+180E and the byte order mark. An email that holds
/// a zero-width space is another email; a reviewer must be able to see it.
/// (The cost: an emoji sequence joined by U+200D shows its joiners escaped.)
/// Tabs stay: they only move the cursor forward, and renderers expand them.
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{061c}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// The text with each unsafe character written as a visible escape
/// (`\u{1b}`); line breaks included, so the result is one line. Borrowed when
/// nothing needs escaping, which is nearly always.
pub fn escaped(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// [`escaped`], but line breaks stay: for text of several lines that zeeg
/// wrote itself around some values (a help with an example).
pub fn escaped_keeping_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\n' {
            out.push(c);
        } else {
            push_escaped(&mut out, c);
        }
    }
    Cow::Owned(out)
}

/// Appends one character, escaped if unsafe.
pub fn push_escaped(out: &mut String, c: char) {
    if is_unsafe(c) {
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_obeyed() {
        assert_eq!(escaped("a\x1b[2K\x1b[1Ab"), "a\\u{1b}[2K\\u{1b}[1Ab");
        assert_eq!(
            escaped("nul\0 del\x7f c1\u{9b}"),
            "nul\\u{0} del\\u{7f} c1\\u{9b}"
        );
        assert_eq!(escaped("line\nbreak\r"), "line\\u{a}break\\u{d}");
        assert_eq!(escaped("evil\u{202e}txt"), "evil\\u{202e}txt");
        assert_eq!(
            escaped("a\u{200b}b\u{2028}c\u{2029}d\u{61c}e\u{feff}f\u{2060}"),
            "a\\u{200b}b\\u{2028}c\\u{2029}d\\u{61c}e\\u{feff}f\\u{2060}"
        );
    }

    #[test]
    fn text_of_several_lines_keeps_its_lines_only() {
        assert_eq!(
            escaped_keeping_lines("e.g.\n  a: \x1b[1A\r"),
            "e.g.\n  a: \\u{1b}[1A\\u{d}"
        );
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        let text = "Zoë Müller\tCTO — 東京";
        assert!(matches!(escaped(text), Cow::Borrowed(t) if t == text));
    }
}
