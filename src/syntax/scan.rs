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
            b'(' | b'[' => {
                open.push(i);
                if open.len() > MAX_DEPTH {
                    return Err(Box::new(too_deep(i)));
                }
                i += 1;
            }
            b')' | b']' => {
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

pub(crate) fn too_deep(at: usize) -> Diagnostic {
    Diagnostic::error(
        "syntax/too-deep",
        format!("expression nested more than {MAX_DEPTH} levels deep"),
    )
    .with_label(Span::new(at, at + 1), "the limit is reached here")
    .with_help("flatten the expression: `a or b or c` needs no parentheses")
}
