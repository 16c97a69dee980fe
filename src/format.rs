//! Canonical formatting of `.pol` text that keeps every comment.
//!
//! [`format`] parses the text and prints it back in canonical form (the
//! same as the AST's `Display`: one statement a line ended by `;`, single
//! spaces, `!` for negation, the author's parentheses kept) with the
//! comments put back:
//!
//! - a comment on its own line stays on its own line before the statement
//!   (or at the end of the file) it preceded;
//! - a comment after a statement on the same line stays at the end of that
//!   statement's line;
//! - a comment inside a list stays with the entry before it on the same line,
//!   or on its own line before the next entry, and the list is printed one
//!   entry a line;
//! - a comment inside an expression moves to its own line before the
//!   statement (an expression is printed on one line);
//! - one blank line is kept where the author left one or more between two
//!   statements or comments.
//!
//! Lists also go one entry a line when they would not fit in
//! [`MAX_WIDTH`] columns. Formatting is idempotent and never changes what a
//! policy means: parsing the output gives the same statements.
//!
//! ```
//! let src = "# who may see prompts\nrequire  soc2 or(iso27001) ;  # either audit\n\n\nmax_retention_days 0";
//! assert_eq!(
//!     eligo::format::format(src)?,
//!     "# who may see prompts\nrequire soc2 or (iso27001); # either audit\n\nmax_retention_days 0;\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::ast::{self, Comment, Statement, StatementKind};
use crate::diagnostic::Error;
use crate::span::Span;
use crate::syntax;

/// A list whose one-line form is longer than this is printed one entry a
/// line.
pub const MAX_WIDTH: usize = 100;

/// The indentation of list entries printed one a line.
const INDENT: &str = "    ";

/// Formats policy text (named `<input>` in errors).
///
/// ```
/// assert_eq!(eligo::format::format("require soc2 # audited\n")?, "require soc2; # audited\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn format(source: &str) -> Result<String, Error> {
    format_named(source, "<input>")
}

/// Formats policy text, naming it `name` in syntax errors. Only syntax is
/// checked: a policy that names an unknown attribute still formats.
///
/// ```
/// let err = eligo::format::format_named("require soc2 or;", "a.pol").unwrap_err();
/// assert!(err.to_string().contains("a.pol:1:16"));
/// ```
pub fn format_named(source: &str, name: &str) -> Result<String, Error> {
    let policy = syntax::parse_named(source, name)?;
    Ok(print(&policy, source))
}

/// Prints a parsed policy canonically with its comments; `source` is the
/// text it was parsed from (blank lines and comment positions are read from
/// it).
///
/// ```
/// let src = "deny model [\"a\" , \"b\"]";
/// let ast = eligo::syntax::parse(src)?;
/// assert_eq!(eligo::format::print(&ast, src), "deny model [\"a\", \"b\"];\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn print(policy: &ast::Policy, source: &str) -> String {
    let mut out = String::new();
    let mut comments = policy.comments.iter().peekable();
    // End of the last thing printed, and whether it was a statement (a
    // comment on the same line after a statement trails it).
    let mut last: Option<(usize, bool)> = None;
    block(
        &mut out,
        source,
        &policy.statements,
        &mut comments,
        &mut last,
        0,
    );
    for c in comments {
        place_comment(&mut out, source, c, &mut last, "");
    }
    out
}

type Comments<'a> = std::iter::Peekable<std::slice::Iter<'a, Comment>>;

/// Prints `statements` at `depth` levels of indentation, with the comments
/// that come before and inside them; a `when` block over several lines,
/// its statements one level in and no `;` after its `}`.
fn block(
    out: &mut String,
    source: &str,
    statements: &[Statement],
    comments: &mut Comments<'_>,
    last: &mut Option<(usize, bool)>,
    depth: usize,
) {
    let pad = INDENT.repeat(depth);
    for stmt in statements {
        // Comments before the statement.
        while let Some(c) = comments.next_if(|c| c.span.start < stmt.span.start) {
            place_comment(out, source, c, last, &pad);
        }
        if let Some((end, _)) = *last {
            if blank_line(source, end, stmt.span.start) {
                out.push('\n');
            }
        }
        if let StatementKind::When { cond, body } = &stmt.kind {
            // A comment inside the condition moves before the block.
            while let Some(c) = comments.next_if(|c| c.span.start < cond.span.end) {
                out.push_str(&pad);
                push_comment(out, c);
                out.push('\n');
            }
            out.push_str(&pad);
            out.push_str(&format!("when {cond} {{"));
            out.push('\n');
            *last = Some((cond.span.end, true));
            block(out, source, body, comments, last, depth + 1);
            let inner = INDENT.repeat(depth + 1);
            while let Some(c) = comments.next_if(|c| c.span.start < stmt.span.end) {
                place_comment(out, source, c, last, &inner);
            }
            out.push_str(&pad);
            out.push_str("}\n");
            *last = Some((stmt.span.end, true));
            continue;
        }
        // Comments inside it.
        let mut inner = Vec::new();
        while let Some(c) = comments.next_if(|c| c.span.start < stmt.span.end) {
            inner.push(c);
        }
        let list_items = match &stmt.kind {
            StatementKind::List { items, .. } => Some(items.as_slice()),
            _ => None,
        };
        let mut text = String::new();
        match list_items {
            Some(items) if !inner.is_empty() || too_wide(stmt, depth) => {
                print_list(&mut text, source, stmt, items, &inner);
            }
            _ => {
                for c in &inner {
                    push_comment(&mut text, c);
                    text.push('\n');
                }
                text.push_str(&stmt.to_string());
                text.push(';');
            }
        }
        for line in text.split('\n') {
            out.push_str(&pad);
            out.push_str(line);
            out.push('\n');
        }
        *last = Some((stmt.span.end, true));
    }
}

/// Prints a comment that is not inside a statement, at `pad` when it is on
/// a line of its own.
fn place_comment(
    out: &mut String,
    source: &str,
    c: &Comment,
    last: &mut Option<(usize, bool)>,
    pad: &str,
) {
    match *last {
        Some((end, true)) if newlines(source, end, c.span.start) == 0 => {
            // Trailing: replace the statement's line end.
            out.pop();
            out.push(' ');
        }
        Some((end, _)) if blank_line(source, end, c.span.start) => {
            out.push('\n');
            out.push_str(pad);
        }
        _ => out.push_str(pad),
    }
    push_comment(out, c);
    out.push('\n');
    *last = Some((c.span.end, false));
}

fn push_comment(out: &mut String, c: &Comment) {
    out.push('#');
    out.push_str(c.text.trim_end());
}

/// Whether a statement's one-line form, at `depth` levels of indentation,
/// is wider than [`MAX_WIDTH`].
fn too_wide(stmt: &Statement, depth: usize) -> bool {
    stmt.to_string().chars().count() + 1 + depth * INDENT.len() > MAX_WIDTH
}

/// Prints a list one entry a line, each comment next to the entry it
/// follows on the same line, or before the next entry.
fn print_list(
    out: &mut String,
    source: &str,
    stmt: &Statement,
    items: &[ast::StrLit],
    comments: &[&Comment],
) {
    let StatementKind::List { action, field, .. } = &stmt.kind else {
        return;
    };
    let action = match action {
        ast::ListAction::Allow => "allow",
        ast::ListAction::Deny => "deny",
    };
    out.push_str(action);
    out.push(' ');
    out.push_str(field.as_str());
    out.push_str(" [");
    let mut comments = comments.iter().peekable();
    // The end of the last item (or of the `[`) in the source.
    let mut prev: Span = Span::new(stmt.span.start, stmt.span.start);
    let mut line_open = true; // the output line has `[` or an item on it
    for item in items {
        while let Some(c) = comments.next_if(|c| c.span.start < item.span.start) {
            place_list_comment(out, source, c, prev, &mut line_open);
            prev = c.span;
        }
        out.push('\n');
        out.push_str(INDENT);
        // Writing into a String cannot fail.
        let _ = ast::write_string(out, &item.value);
        out.push(',');
        prev = item.span;
        line_open = true;
    }
    for c in comments {
        place_list_comment(out, source, c, prev, &mut line_open);
        prev = c.span;
    }
    out.push_str("\n];");
}

fn place_list_comment(
    out: &mut String,
    source: &str,
    c: &Comment,
    prev: Span,
    line_open: &mut bool,
) {
    if *line_open && newlines(source, prev.end, c.span.start) == 0 {
        out.push(' ');
    } else {
        out.push('\n');
        out.push_str(INDENT);
    }
    push_comment(out, c);
    *line_open = false;
}

/// Whether `source[from..to]` has a line holding only whitespace (a `;` on
/// a line of its own is not a blank line).
fn blank_line(source: &str, from: usize, to: usize) -> bool {
    let gap = source.get(from..to.max(from)).unwrap_or("");
    let gap = gap.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = gap.split('\n').collect();
    lines.len() > 2
        && lines
            .get(1..lines.len() - 1)
            .is_some_and(|middle| middle.iter().any(|l| l.trim().is_empty()))
}

/// The number of line ends in `source[from..to]` (`\r\n` counts once).
fn newlines(source: &str, from: usize, to: usize) -> usize {
    let gap = source.get(from..to.max(from)).unwrap_or("");
    gap.matches('\n').count() + gap.matches('\r').count() - gap.matches("\r\n").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(s: &str) -> String {
        format(s).unwrap()
    }

    #[test]
    fn keeps_comments_in_place() {
        let src =
            "# header\n\n# about soc2\nrequire soc2;# trailing\nrequire gdpr; # gdpr\n# end\n";
        assert_eq!(
            fmt(src),
            "# header\n\n# about soc2\nrequire soc2; # trailing\nrequire gdpr; # gdpr\n# end\n"
        );
    }

    #[test]
    fn comments_inside_an_expression_move_before_the_statement() {
        let src = "require soc2 # one\n  or iso27001; # two\n";
        assert_eq!(fmt(src), "# one\nrequire soc2 or iso27001; # two\n");
    }

    #[test]
    fn lists_with_comments_go_one_entry_a_line() {
        let src = "allow provider [ # clouds\n \"azure\", # EU only\n\n # local\n \"onprem\"\n # more soon\n];";
        let want = "allow provider [ # clouds\n    \"azure\", # EU only\n    # local\n    \"onprem\",\n    # more soon\n];\n";
        assert_eq!(fmt(src), want);
        assert_eq!(fmt(want), want);
    }

    #[test]
    fn long_lists_wrap() {
        let names: Vec<String> = (0..12).map(|i| format!("\"provider-{i}\"")).collect();
        let src = format!("deny provider [{}];", names.join(", "));
        let out = fmt(&src);
        assert_eq!(out.lines().count(), 14, "{out}");
        assert_eq!(fmt(&out), out);
    }

    #[test]
    fn blank_lines_collapse_to_one_and_crlf_counts() {
        assert_eq!(
            fmt("require soc2;\r\n\r\n\r\nrequire gdpr;\r\n"),
            "require soc2;\n\nrequire gdpr;\n"
        );
        assert_eq!(
            fmt("require soc2; require gdpr"),
            "require soc2;\nrequire gdpr;\n"
        );
    }

    #[test]
    fn a_semicolon_on_its_own_line_is_not_a_blank_line() {
        assert_eq!(
            fmt("require soc2 # why\n;\nrequire gdpr"),
            "require soc2; # why\nrequire gdpr;\n"
        );
        assert_eq!(
            fmt("require soc2\n;\n\nrequire gdpr"),
            "require soc2;\n\nrequire gdpr;\n"
        );
    }

    #[test]
    fn empty_and_comment_only_texts() {
        assert_eq!(fmt(""), "");
        assert_eq!(fmt("  # only a comment  "), "# only a comment\n");
    }
}
