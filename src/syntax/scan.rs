//! A lexical pre-scan that runs before pest: size and depth limits, comments,
//! and the statement-ending `;` positions used for error recovery.
//!
//! It knows just enough of the token structure (strings, comments,
//! brackets) to skip what is quoted or commented out.

use crate::ast::Comment;
use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// Largest policy text accepted, in bytes (1 MiB). Real policies are a few
/// hundred bytes; the limit keeps parse time and memory bounded.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;

/// Deepest nesting of parentheses and brackets accepted. It bounds the
/// recursion of the parser and of every later stage.
pub const MAX_DEPTH: usize = 64;

pub(crate) struct Scanned {
    pub(crate) comments: Vec<Comment>,
    pub(crate) semicolons: Vec<usize>,
}

pub(crate) fn scan(source: &str) -> Result<Scanned, Box<Diagnostic>> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(Box::new(
            Diagnostic::error(
                "syntax/too-large",
                format!(
                    "policy text is {} bytes, more than the limit of {} bytes",
                    source.len(),
                    MAX_SOURCE_BYTES
                ),
            )
            .with_help("split the policy, or check that the right file was given"),
        ));
    }
    if let Some((at, c)) = source.char_indices().find(|&(_, c)| hidden_break(c)) {
        return Err(Box::new(hidden_break_error(at, c)));
    }
    let bytes = source.as_bytes();
    let mut comments = Vec::new();
    let mut semicolons = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'#' => {
                // A comment ends at LF or at a lone CR, as in the grammar.
                let end = source
                    .get(i..)
                    .and_then(|rest| rest.find(['\n', '\r']))
                    .map_or(source.len(), |n| i + n);
                let text = source.get(i + 1..end).unwrap_or("");
                comments.push(Comment {
                    text: text.to_string(),
                    span: Span::new(i, i + 1 + text.len()),
                });
                i = end;
            }
            b'"' => {
                // Strings end at the closing quote or, unterminated, at the
                // end of the line (the grammar forbids line ends in strings).
                i += 1;
                while let Some(&b) = bytes.get(i).filter(|&&b| b != b'"' && b != b'\n') {
                    i += if b == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'(' | b'[' | b'{' => {
                open.push(i);
                if open.len() > MAX_DEPTH {
                    return Err(Box::new(too_deep(i)));
                }
                i += 1;
            }
            b')' | b']' | b'}' => {
                open.pop();
                i += 1;
            }
            b';' => {
                semicolons.push(i);
                i += 1;
            }
            _ => i += 1,
        }
    }
    Ok(Scanned {
        comments,
        semicolons,
    })
}

/// Characters a reader or a terminal may show differently from how eligo
/// reads them, refused anywhere in policy text:
///
/// - control characters other than tab, LF and CR (C0, DEL, C1). Some of
///   them (VT, FF, NEL U+0085) are shown as line breaks by editors and
///   terminals, so `# note<VT>require x;` would show a requirement that, for
///   eligo, sits inside the comment;
/// - the Unicode line and paragraph separators U+2028 and U+2029, for the
///   same reason;
/// - the bidirectional formatting characters (U+061C, U+200E, U+200F,
///   U+202A–U+202E, U+2066–U+2069), which reorder how a line is displayed.
pub(crate) fn hidden_break(c: char) -> bool {
    matches!(c,
        '\u{00}'..='\u{08}' | '\u{0B}' | '\u{0C}' | '\u{0E}'..='\u{1F}' | '\u{7F}'..='\u{9F}'
        | '\u{2028}' | '\u{2029}'
        | '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn hidden_break_error(at: usize, c: char) -> Diagnostic {
    let name = match c {
        '\u{0B}' => " (vertical tab)",
        '\u{0C}' => " (form feed)",
        '\u{85}' => " (next line)",
        '\u{2028}' => " (line separator)",
        '\u{2029}' => " (paragraph separator)",
        '\u{1B}' => " (escape)",
        '\u{00}' => " (NUL)",
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => " (a bidirectional formatting character)",
        _ => "",
    };
    Diagnostic::error(
        "syntax/control-character",
        format!(
            "policy text contains the {} U+{:04X}{name}",
            if c.is_control() {
                "control character"
            } else {
                "character"
            },
            u32::from(c)
        ),
    )
    .with_label(Span::new(at, at + c.len_utf8()), "here")
    .with_help(
        "an editor or terminal may show a line break or reordered text here that eligo does not \
         read as one; remove it (inside a string, write `\\n` or `\\t`)",
    )
}

pub(crate) fn too_deep(at: usize) -> Diagnostic {
    Diagnostic::error(
        "syntax/too-deep",
        format!("expression nested more than {MAX_DEPTH} levels deep"),
    )
    .with_label(Span::new(at, at + 1), "the limit is reached here")
    .with_help("flatten the expression: `a or b or c` needs no parentheses")
}
