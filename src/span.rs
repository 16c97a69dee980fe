//! Byte spans into policy source text, and their line/column positions.

use serde::Serialize;

/// A half-open byte range `start..end` into a policy's source text.
///
/// ```
/// use eligo::Span;
/// let span = Span::new(8, 12);
/// assert_eq!(&"require soc2;"[span.range()], "soc2");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    /// First byte of the span.
    pub start: usize,
    /// One past the last byte of the span.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The span as a range, for slicing the source text.
    pub const fn range(self) -> std::ops::Range<usize> {
        self.start..self.end
    }

    /// The smallest span that covers both `self` and `other`.
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A 1-based line and column (columns count characters, not bytes).
///
/// ```
/// use eligo::{Position, Span};
/// let src = "require soc2;\nrequire gdpr;";
/// assert_eq!(Position::of(src, 22), Position { line: 2, column: 9 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Position {
    /// Line number, starting at 1.
    pub line: usize,
    /// Column number in characters, starting at 1.
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` in `source` (clamped to the text and to
    /// a character boundary).
    pub fn of(source: &str, offset: usize) -> Position {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &source[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}
