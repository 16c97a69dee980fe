//! Parsing: `.pol` text → [`ast::Policy`](crate::ast::Policy).
//!
//! This is the only module that knows about pest. pest errors never leave it
//! raw: [`describe_rule`] turns grammar rule names into words ("expected `;`,
//! `or` or `and`"), and a failed parse is retried after the next `;` so that
//! one run reports the syntax errors of several statements.
//!
//! Before pest runs, a lexical pre-scan ([`scan`]) checks the size and the
//! nesting depth of the text, so hostile input cannot exhaust the stack.

mod build;
mod scan;

use pest::Parser as _;
use pest::error::InputLocation;

use crate::ast;
use crate::diagnostic::{Diagnostic, Error, SourceText};
use crate::span::Span;

pub use scan::{MAX_DEPTH, MAX_SOURCE_BYTES};

mod grammar {
    //! The pest parser generated from `grammar/policy.pest`.
    #![allow(missing_docs)]
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/policy.pest"]
    pub struct PolicyParser;
}

use grammar::{PolicyParser, Rule};

/// The words a statement can begin with.
const STATEMENT_KEYWORDS: &[&str] = &[
    "policy",
    "version",
    "mode",
    "require",
    "max_retention_days",
    "allow",
    "deny",
    "attribute",
];

/// At most this many syntax errors are reported for one text.
const MAX_SYNTAX_ERRORS: usize = 20;

/// Reads a policy file's text with the limits [`parse`] applies: at most
/// [`MAX_SOURCE_BYTES`] bytes of UTF-8 (a byte order mark is kept for the
/// parser to skip).
///
/// ```
/// let text = eligo::syntax::read_source("policies/soc2.pol")?;
/// assert!(text.contains("require soc2"));
/// let err = eligo::syntax::read_source("policies/missing.pol").unwrap_err();
/// assert_eq!(err.diagnostics()[0].code(), "io/not-found");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_source(path: impl AsRef<std::path::Path>) -> Result<String, Error> {
    crate::files::read_text(path.as_ref(), MAX_SOURCE_BYTES)
}

/// Parses policy text into an AST, reporting every syntax error found.
///
/// ```
/// let ast = eligo::syntax::parse("require soc2 or iso27001; max_retention_days 0")?;
/// assert_eq!(ast.statements.len(), 2);
///
/// let err = eligo::syntax::parse("require soc2 or;").unwrap_err();
/// assert_eq!(err.diagnostics()[0].message(), "expected an expression, found `;`");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse(source: &str) -> Result<ast::Policy, Error> {
    parse_named(source, "<input>")
}

/// Like [`parse`], naming the source `name` (a file path) in diagnostics.
pub fn parse_named(source: &str, name: &str) -> Result<ast::Policy, Error> {
    let fail = |diags: Vec<Diagnostic>| Error::new(diags, Some(SourceText::new(name, source)));
    let scanned = scan::scan(source).map_err(|d| fail(vec![*d]))?;
    match PolicyParser::parse(Rule::policy, source) {
        Ok(mut pairs) => {
            let Some(top) = pairs.next() else {
                return Err(fail(vec![Diagnostic::error(
                    "syntax/empty-parse",
                    "internal parser error",
                )]));
            };
            let mut policy = build::policy(top).map_err(fail)?;
            policy.comments = scanned.comments;
            Ok(policy)
        }
        Err(first) => Err(fail(recover(source, first, &scanned.semicolons))),
    }
}

/// Turns the first pest error into a diagnostic, then re-parses the text after
/// the next `;` to find the errors of later statements.
fn recover(source: &str, first: pest::error::Error<Rule>, semicolons: &[usize]) -> Vec<Diagnostic> {
    let mut diags = vec![convert(source, 0, &first)];
    let mut at = error_offset(&first);
    while diags.len() < MAX_SYNTAX_ERRORS {
        let Some(&semi) = semicolons.iter().find(|&&s| s >= at) else {
            break;
        };
        let start = semi + 1;
        let rest = &source[start..];
        match PolicyParser::parse(Rule::policy, rest) {
            Ok(_) => break,
            Err(e) => {
                let d = convert(rest, start, &e);
                at = start + error_offset(&e);
                diags.push(d);
            }
        }
    }
    diags
}

fn error_offset(e: &pest::error::Error<Rule>) -> usize {
    match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
}

/// Converts a pest error on `text` (which starts at byte `base` of the whole
/// source) into a diagnostic in words.
fn convert(text: &str, base: usize, e: &pest::error::Error<Rule>) -> Diagnostic {
    let pos = error_offset(e).min(text.len());
    let (found, found_len) = describe_found(&text[pos..]);
    let expected = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut words: Vec<&'static str> =
                positives.iter().map(|&r| describe_rule(r)).collect();
            words.dedup();
            let mut seen = Vec::new();
            words.retain(|w| {
                let new = !seen.contains(w);
                seen.push(*w);
                new
            });
            // "end of input" reads best last.
            words.sort_by_key(|w| *w == "end of input");
            join_or(&words)
        }
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    let first = text[pos..].chars().next();
    let message = match first {
        // A look-alike letter (Cyrillic `с` in `soс2`) is the problem
        // itself, whatever the grammar expected at that point.
        Some(c) if !c.is_ascii() && c.is_alphanumeric() => {
            format!("unexpected non-ASCII character `{c}` (U+{:04X})", c as u32)
        }
        _ if expected.is_empty() => format!("unexpected {found}"),
        _ => format!("expected {expected}, found {found}"),
    };
    let label = if first.is_some_and(|c| !c.is_ascii() && c.is_alphanumeric()) {
        "not an ASCII character".to_string()
    } else if expected.is_empty() {
        "unexpected here".to_string()
    } else {
        format!("expected {expected}")
    };
    let span = Span::new(base + pos, base + pos + found_len);
    let mut d = Diagnostic::error("syntax/unexpected-input", message).with_label(span, label);
    let word = &text[pos..pos + found_len];
    let keyword = crate::schema::suggest(word, STATEMENT_KEYWORDS.iter().copied())
        .filter(|k| expected.contains("a statement") && *k != word);
    if let Some(k) = keyword {
        d = d.with_help(format!("did you mean `{k}`?"));
    } else if let Some(c) = text[pos..].chars().next() {
        if !c.is_ascii() {
            d = d.with_help(format!(
                "`{c}` (U+{:04X}) is not ASCII; names and keywords are written in ASCII letters, digits and `_`",
                c as u32
            ));
        } else if c == '\'' {
            d = d.with_help("strings are written in double quotes: \"eu\"");
        } else if c.is_ascii_control() && !c.is_ascii_whitespace() {
            d = d.with_help(format!(
                "control character U+{:04X} is not allowed here",
                c as u32
            ));
        }
    }
    d
}

/// Describes the text at the error position: a word, one character, or the
/// end of input; and how many bytes to underline.
fn describe_found(rest: &str) -> (String, usize) {
    let Some(c) = rest.chars().next() else {
        return ("end of input".to_string(), 0);
    };
    if c.is_ascii_alphanumeric() || c == '_' {
        let len = rest
            .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
            .unwrap_or(rest.len());
        (format!("`{}`", &rest[..len]), len)
    } else if c == '\n' || c == '\r' {
        ("end of line".to_string(), 0)
    } else if c.is_control() {
        (
            format!("control character U+{:04X}", c as u32),
            c.len_utf8(),
        )
    } else {
        (format!("`{c}`"), c.len_utf8())
    }
}

/// `a`, `a or b`, `a, b or c`.
fn join_or(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Describes a grammar rule in words for error messages. Exhaustive on
/// purpose: a new rule must get a description.
pub(crate) fn describe_rule(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of input",
        Rule::WHITESPACE => "whitespace",
        Rule::COMMENT | Rule::comment_char => "a comment",
        Rule::policy | Rule::body => "a statement",
        Rule::when_stmt | Rule::kw_when => "a statement",
        Rule::statement
        | Rule::policy_stmt
        | Rule::version_stmt
        | Rule::mode_stmt
        | Rule::require_stmt
        | Rule::max_retention_stmt
        | Rule::list_stmt
        | Rule::attribute_stmt => "a statement",
        Rule::mode_name => "`block` or `warn`",
        // A statement can begin with `allow`/`deny`, so where pest reports
        // this rule a statement was expected.
        Rule::list_action => "a statement",
        Rule::list_field => "`provider` or `model`",
        Rule::attr_kind => "`flag`, `number` or `text`",
        Rule::expr | Rule::and_expr | Rule::unary | Rule::group | Rule::primary => "an expression",
        Rule::not_op | Rule::op_not | Rule::kw_not => "`!`",
        Rule::known_call => "`known(…)`",
        Rule::comparison | Rule::membership => "a condition",
        Rule::list => "a list `[…]`",
        Rule::cmp_op
        | Rule::op_le
        | Rule::op_ge
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_lt
        | Rule::op_gt => "a comparison (`<=`, `==`, …)",
        Rule::ident | Rule::attr => "an attribute name",
        Rule::integer => "an integer",
        Rule::value => "a value",
        Rule::ident_char => "a letter, digit or `_`",
        Rule::reserved => "a keyword",
        Rule::control => "a control character",
        Rule::bom => "a byte order mark",
        Rule::string => "a string",
        Rule::escape => "an escape (`\\\"`, `\\\\`, `\\n` or `\\t`)",
        Rule::semi => "`;`",
        Rule::colon => "`:`",
        Rule::comma => "`,`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::kw_policy
        | Rule::kw_version
        | Rule::kw_mode
        | Rule::kw_require
        | Rule::kw_max_retention_days
        | Rule::kw_allow
        | Rule::kw_deny
        | Rule::kw_attribute => "a statement",
        Rule::kw_block => "`block`",
        Rule::kw_warn => "`warn`",
        Rule::kw_provider => "`provider`",
        Rule::kw_model => "`model`",
        Rule::kw_flag => "`flag`",
        Rule::kw_number => "`number`",
        Rule::kw_text => "`text`",
        Rule::kw_or => "`or`",
        Rule::kw_and => "`and`",
        Rule::kw_in => "`in`",
        Rule::kw_known => "`known`",
    }
}

#[cfg(test)]
mod tests;
