//! Diagnostics (errors and warnings) and the one place they are rendered.
//!
//! Every problem eligo reports is a [`Diagnostic`]: a stable code prefixed by
//! the stage that found it (`syntax/…`, `compile/…`, `catalog/…`, `io/…`,
//! `lint/…`), a one-line lowercase message with user input in backticks, an
//! optional primary span with a label, secondary spans (the first of two
//! duplicates, say) and an optional help line. An [`Error`] carries every
//! diagnostic found, not only the first, together with the source text they
//! point into, and renders them as human text (like a compiler) or as JSON.

use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;

use crate::span::{LineIndex, Span};

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// The input cannot be used.
    Error,
    /// The input works but probably does not do what its author meant.
    Warning,
    /// Information that is neither an error nor a warning.
    Note,
}

/// A span of source text with a short message that is shown under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    span: Span,
    message: String,
}

impl Label {
    /// The underlined span.
    pub fn span(&self) -> Span {
        self.span
    }

    /// The text shown under the span (may be empty).
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// One error or warning, with a stable code.
///
/// ```
/// let err = eligo::compile("require soc3;").unwrap_err();
/// let d = &err.diagnostics()[0];
/// assert_eq!(d.code(), "compile/unknown-attribute");
/// assert_eq!(d.message(), "unknown attribute `soc3`");
/// assert_eq!(d.help(), Some("did you mean `soc2`?"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    code: &'static str,
    severity: Severity,
    message: String,
    primary: Option<Label>,
    secondary: Vec<Label>,
    help: Option<String>,
}

impl Diagnostic {
    /// A new error diagnostic with a code such as `compile/type-mismatch`.
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
        }
    }

    /// A new warning diagnostic with a code such as `lint/redundant`.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// A new note: information, such as a check that was skipped.
    ///
    /// ```
    /// let n = eligo::Diagnostic::note("lint/analysis-limit", "2 checks were skipped");
    /// assert_eq!(n.severity(), eligo::Severity::Note);
    /// ```
    pub fn note(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Note,
            ..Diagnostic::error(code, message)
        }
    }

    /// Sets the primary span and the label shown under it.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.primary = Some(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a secondary span, such as the first of two duplicate statements.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The stable code, e.g. `syntax/unexpected-input`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Error or warning.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The one-line message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The primary span, if the diagnostic points into source text.
    pub fn span(&self) -> Option<Span> {
        self.primary.as_ref().map(|l| l.span)
    }

    /// The primary label (span and text), if any.
    pub fn label(&self) -> Option<&Label> {
        self.primary.as_ref()
    }

    /// Secondary labels, e.g. the earlier of two duplicates.
    pub fn related(&self) -> &[Label] {
        &self.secondary
    }

    /// The help line, if any.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }
}

/// Named source text that diagnostics point into.
///
/// ```
/// let src = eligo::SourceText::new("strict.pol", "require soc2;");
/// assert_eq!(src.name(), "strict.pol");
/// assert_eq!(src.text(), "require soc2;");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceText {
    name: String,
    text: Arc<str>,
}

impl SourceText {
    /// Source text with a display name (a path, or `<input>`).
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> SourceText {
        SourceText {
            name: name.into(),
            text: text.into(),
        }
    }

    /// The display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Which stage an [`Error`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text does not follow the grammar, or exceeds a size or depth limit.
    Syntax,
    /// The text parses but is not a valid policy (unknown attribute, wrong
    /// type, duplicate statement).
    Compile,
    /// A provider catalog or target could not be read.
    Catalog,
    /// A file could not be read.
    Io,
    /// A routing request cannot be decided: it names a model or target the
    /// catalog does not have, or no policy was given to route under.
    Request,
    /// A policy test file is invalid.
    Test,
    /// A policy written for another gateway cannot be imported.
    Import,
}

/// A failure to load, parse or compile something, with every diagnostic found.
///
/// `Display` renders the diagnostics as human text without colours.
///
/// ```
/// let err = eligo::compile("require soc2 or;").unwrap_err();
/// assert_eq!(err.kind(), eligo::ErrorKind::Syntax);
/// let text = err.to_string();
/// assert!(text.contains("error[syntax/unexpected-input]"), "{text}");
/// assert!(text.contains("<input>:1:16"), "{text}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    diagnostics: Vec<Diagnostic>,
    source: Option<SourceText>,
}

impl Error {
    /// An error made of `diagnostics` that point into `source`.
    ///
    /// `diagnostics` should not be empty; an empty list renders as one generic
    /// error.
    pub fn new(diagnostics: Vec<Diagnostic>, source: Option<SourceText>) -> Error {
        Error {
            diagnostics,
            source,
        }
    }

    /// An error with one diagnostic and no source text.
    pub fn single(diagnostic: Diagnostic) -> Error {
        Error::new(vec![diagnostic], None)
    }

    /// The stage the error comes from, read off the first diagnostic's code.
    pub fn kind(&self) -> ErrorKind {
        let code = self.diagnostics.first().map_or("", |d| d.code);
        match code.split('/').next().unwrap_or("") {
            "syntax" => ErrorKind::Syntax,
            "catalog" => ErrorKind::Catalog,
            "io" => ErrorKind::Io,
            "request" => ErrorKind::Request,
            "test" => ErrorKind::Test,
            "import" => ErrorKind::Import,
            _ => ErrorKind::Compile,
        }
    }

    /// Every diagnostic, in source order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The source text the diagnostics point into, if any.
    pub fn source_text(&self) -> Option<&SourceText> {
        self.source.as_ref()
    }

    /// Gives the source a display name (a file path), keeping its text.
    pub fn with_source_name(mut self, name: impl Into<String>) -> Error {
        if let Some(src) = &mut self.source {
            src.name = name.into();
        }
        self
    }

    /// Renders every diagnostic as human text; `color` adds ANSI colours.
    pub fn render(&self, color: bool) -> String {
        render_human(&self.diagnostics, self.source.as_ref(), color)
    }

    /// Renders every diagnostic as a JSON array (see [`render_json`]).
    pub fn to_json(&self) -> serde_json::Value {
        render_json(&self.diagnostics, self.source.as_ref())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render(false).trim_end())
    }
}

impl std::error::Error for Error {}

/// Whether `c` is shown as an escape by [`escape_for_terminal`]: a C0 or C1
/// control character, DEL, the line and paragraph separators (U+2028,
/// U+2029), or a bidirectional control: the embeddings and overrides
/// (U+202A to U+202E), the isolates (U+2066 to U+2069) and the marks
/// (U+200E, U+200F, U+061C).
pub(crate) fn is_escaped_for_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{061c}'
        )
}

/// `text` made safe to write to a terminal: every character that could
/// move the cursor, erase or recolour what is shown, start a new line, or
/// reorder the text around it is replaced by a visible escape: `\t`, `\n`,
/// `\r`, `\0`, or `\u{…}` with the code point in hex. Those characters are
/// the C0 and C1 control characters, DEL, the line and paragraph separators
/// (U+2028, U+2029) and the bidirectional controls: embeddings and overrides
/// (U+202A to U+202E), isolates (U+2066 to U+2069) and marks (U+200E,
/// U+200F, U+061C). Other text, backslashes included, is kept as is, so the
/// result is for people to read, not to be parsed back.
///
/// [`render_human`] and the command line's human output pass every text
/// that comes from a policy, a catalog, a request or a file name through it.
/// JSON output does not: JSON escapes the C0 controls itself, and a program
/// that shows strings from it to people should escape them with this
/// function.
///
/// ```
/// let id = "evil\r\x1b[2Kallow good";
/// assert_eq!(eligo::escape_for_terminal(id), r"evil\r\u{1b}[2Kallow good");
/// assert_eq!(eligo::escape_for_terminal("a\u{202e}b"), r"a\u{202e}b");
/// // Text with nothing to escape is borrowed, not copied.
/// assert!(matches!(eligo::escape_for_terminal("openai/gpt-4o"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn escape_for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_escaped_for_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// Appends `c` to `out`, as an escape when [`is_escaped_for_terminal`].
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\0' => out.push_str("\\0"),
        c if is_escaped_for_terminal(c) => {
            // Writing to a `String` cannot fail.
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// Renders diagnostics as human text, compiler style, with the source line
/// and a caret under the span.
///
/// ```
/// use eligo::{Diagnostic, SourceText, Span, render_human};
/// let src = SourceText::new("a.pol", "require soc3;");
/// let d = Diagnostic::error("compile/unknown-attribute", "unknown attribute `soc3`")
///     .with_label(Span::new(8, 12), "not in the attribute schema");
/// let text = render_human(&[d], Some(&src), false);
/// assert!(text.contains(" --> a.pol:1:9"));
/// assert!(text.contains("1 | require soc3;"));
/// assert!(text.contains("  |         ^^^^ not in the attribute schema"));
/// ```
pub fn render_human(
    diagnostics: &[Diagnostic],
    source: Option<&SourceText>,
    color: bool,
) -> String {
    let paint = Paint { on: color };
    let index = source.map(|s| LineIndex::new(s.text()));
    let mut out = String::new();
    if diagnostics.is_empty() {
        out.push_str(&paint.red("error"));
        out.push_str(": unknown error\n");
    }
    for d in diagnostics {
        let head = match d.severity {
            Severity::Error => paint.red(&format!("error[{}]", d.code)),
            Severity::Warning => paint.yellow(&format!("warning[{}]", d.code)),
            Severity::Note => paint.blue(&format!("note[{}]", d.code)),
        };
        out.push_str(&head);
        out.push_str(&paint.bold(&format!(": {}", escape_for_terminal(&d.message))));
        out.push('\n');
        let gutter_width = source
            .zip(index.as_ref())
            .map(|(s, index)| {
                d.primary
                    .iter()
                    .chain(&d.secondary)
                    .map(|l| {
                        index
                            .position(s.text(), l.span.start)
                            .line
                            .to_string()
                            .len()
                    })
                    .max()
                    .unwrap_or(1)
            })
            .unwrap_or(1);
        match (source.zip(index.as_ref()), &d.primary) {
            (Some((src, index)), Some(label)) => {
                snippet(&mut out, src, index, label, '^', gutter_width, &paint);
                for rel in &d.secondary {
                    snippet(&mut out, src, index, rel, '-', gutter_width, &paint);
                }
            }
            (Some((src, _)), None) => {
                out.push_str(&format!(
                    "{} --> {}\n",
                    " ".repeat(gutter_width),
                    escape_for_terminal(src.name())
                ));
            }
            _ => {}
        }
        if let Some(help) = &d.help {
            out.push_str(&format!(
                "{} = {}: {}\n",
                " ".repeat(gutter_width),
                paint.bold("help"),
                escape_for_terminal(help)
            ));
        }
        out.push('\n');
    }
    out
}

fn snippet(
    out: &mut String,
    src: &SourceText,
    index: &LineIndex,
    label: &Label,
    mark: char,
    width: usize,
    paint: &Paint,
) {
    let text = src.text();
    let start = index.position(text, label.span.start);
    let pad = " ".repeat(width);
    out.push_str(&format!(
        "{pad}{} {}:{}:{}\n",
        paint.blue("-->"),
        escape_for_terminal(src.name()),
        start.line,
        start.column
    ));
    let line_text = index.line(text, start.line);
    // Very long lines are shown as a window around the span.
    let skip = start.column.saturating_sub(WINDOW / 2);
    // Underline to the end of the span or of its first line, at least one
    // character (a span at the end of input points just past the text).
    let line_chars = line_text.chars().count();
    let end = index.position(text, label.span.end);
    let end_col = if end.line == start.line {
        end.column
    } else {
        line_chars + 1
    };
    // The window's characters, tabs shown as one space and characters a
    // terminal would act on as escapes; the underline is measured on what
    // is shown, so it stays under the span.
    let first = start.column - 1 - skip;
    let last = end_col
        .saturating_sub(1)
        .saturating_sub(skip)
        .max(first + 1);
    let (mut shown, mut indent, mut len) = (String::new(), 0, 0);
    for (i, c) in line_text.chars().skip(skip).take(WINDOW).enumerate() {
        let before = shown.len();
        let width = if c == '\t' {
            shown.push(' ');
            1
        } else if is_escaped_for_terminal(c) {
            // Escapes are ASCII: one character a byte.
            push_escaped(&mut shown, c);
            shown.len() - before
        } else {
            shown.push(c);
            1
        };
        if i < first {
            indent += width;
        } else if i < last {
            len += width;
        }
    }
    let prefix = if skip > 0 { "…" } else { "" };
    if line_chars > skip + WINDOW {
        shown.push('…');
    }
    let bar = paint.blue("|");
    out.push_str(&format!("{pad} {bar}\n"));
    out.push_str(&format!(
        "{} {bar} {prefix}{shown}\n",
        paint.blue(&format!("{:>width$}", start.line))
    ));
    let marks: String = std::iter::repeat_n(mark, len.max(1)).collect();
    let underline = if mark == '^' {
        paint.red(&marks)
    } else {
        paint.blue(&marks)
    };
    let indent = indent + prefix.chars().count();
    let mut line = format!("{pad} {bar} {}{}", " ".repeat(indent), underline);
    if !label.message.is_empty() {
        line.push(' ');
        line.push_str(&escape_for_terminal(&label.message));
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// Longest stretch of a source line shown in a snippet, in characters.
const WINDOW: usize = 120;

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn red(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.wrap("1;33", s)
    }
    fn blue(&self, s: &str) -> String {
        self.wrap("1;34", s)
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    start: usize,
    end: usize,
    label: &'a str,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    label: Option<&'a str>,
    help: Option<&'a str>,
    related: Vec<JsonLabel<'a>>,
}

/// Renders diagnostics as a JSON array of objects with the fields `code`,
/// `severity`, `message`, `file`, `line`, `column`, `end_line`,
/// `end_column`, `label`, `help` and `related` (secondary spans). Lines and
/// columns are 1-based; absent values are `null`.
///
/// ```
/// let err = eligo::compile("require soc3;").unwrap_err();
/// let json = err.to_json();
/// assert_eq!(json[0]["code"], "compile/unknown-attribute");
/// assert_eq!(json[0]["line"], 1);
/// assert_eq!(json[0]["column"], 9);
/// ```
pub fn render_json(diagnostics: &[Diagnostic], source: Option<&SourceText>) -> serde_json::Value {
    let index = source.map(|s| LineIndex::new(s.text()));
    let pos = |offset: usize| {
        source
            .zip(index.as_ref())
            .map(|(s, index)| index.position(s.text(), offset))
    };
    let items: Vec<JsonDiagnostic<'_>> = diagnostics
        .iter()
        .map(|d| {
            let start = d.primary.as_ref().and_then(|l| pos(l.span.start));
            let end = d.primary.as_ref().and_then(|l| pos(l.span.end));
            JsonDiagnostic {
                code: d.code,
                severity: d.severity,
                message: &d.message,
                file: source.map(|s| s.name()),
                line: start.map(|p| p.line),
                column: start.map(|p| p.column),
                end_line: end.map(|p| p.line),
                end_column: end.map(|p| p.column),
                label: d.primary.as_ref().map(|l| l.message.as_str()),
                help: d.help.as_deref(),
                related: d
                    .secondary
                    .iter()
                    .filter_map(|l| {
                        let (s, e) = (pos(l.span.start)?, pos(l.span.end)?);
                        Some(JsonLabel {
                            line: s.line,
                            column: s.column,
                            end_line: e.line,
                            end_column: e.column,
                            start: l.span.start,
                            end: l.span.end,
                            label: &l.message,
                        })
                    })
                    .collect(),
            }
        })
        .collect();
    serde_json::to_value(items).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    // What broke: the human renderer wrote messages, help, labels, file
    // names and source lines raw (source lines only had C0 controls blanked),
    // so `\r`, escape sequences and bidi overrides from a policy or catalog
    // could rewrite what a terminal showed.
    #[test]
    fn render_human_escapes_what_a_terminal_would_act_on() {
        let text = "require region in [\"\u{202e}\u{2066}\"] and soc3;";
        let src = SourceText::new("a\u{1b}[2K.pol", text);
        let start = text.find("soc3").unwrap();
        let d = Diagnostic::error("compile/unknown-attribute", "target `evil\r\u{1b}[2Kgood`")
            .with_label(Span::new(start, start + 4), "label\u{2028}")
            .with_help("help\u{85}\u{7f}");
        let out = render_human(&[d], Some(&src), false);
        assert_eq!(
            out,
            "error[compile/unknown-attribute]: target `evil\\r\\u{1b}[2Kgood`\n \
             --> a\\u{1b}[2K.pol:1:30\n  |\n\
             1 | require region in [\"\\u{202e}\\u{2066}\"] and soc3;\n  \
             |                                            ^^^^ label\\u{2028}\n  \
             = help: help\\u{85}\\u{7f}\n\n"
        );
    }

    #[test]
    fn escape_for_terminal_escapes_exactly_the_listed_characters() {
        for c in [
            '\0', '\t', '\n', '\r', '\u{1b}', '\u{7f}', '\u{80}', '\u{9b}', '\u{9f}',
        ] {
            assert!(
                matches!(escape_for_terminal(&c.to_string()), Cow::Owned(_)),
                "{c:?}"
            );
        }
        for c in "\u{2028}\u{2029}\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}\u{2066}\u{2067}\u{2068}\u{2069}\u{200e}\u{200f}\u{61c}".chars() {
            assert!(matches!(escape_for_terminal(&c.to_string()), Cow::Owned(_)), "{c:?}");
        }
        for c in [
            ' ', '~', '\\', '\u{a0}', 'é', '→', '…', '\u{200b}', '\u{2065}', '\u{206a}',
        ] {
            assert_eq!(escape_for_terminal(&c.to_string()), c.to_string(), "{c:?}");
        }
        assert_eq!(escape_for_terminal("\t\n\r\0\u{9b}"), r"\t\n\r\0\u{9b}");
    }
}
