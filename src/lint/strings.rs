//! Strings that do not read as what they are: invisible characters, letters
//! that look like Latin ones, and letters from more than one script.
//!
//! `deny provider ["deep\u{200B}seek"]` (with a zero-width space) or
//! `["dееpseek"]` (with Cyrillic `е`) shows a reviewer the name `deepseek`,
//! but matches no target of that name: the deny list denies nothing. These
//! checks run on every string of a policy: list entries, comparison and
//! membership values, the policy's name and version.

use crate::ast::{Expr, ExprKind, Literal, StatementKind, StrLit};
use crate::diagnostic::Diagnostic;
use crate::policy::Policy;

/// Adds a warning for each string that does not read as what it is.
pub(super) fn strings(policy: &Policy, out: &mut Vec<Diagnostic>) {
    statements(&policy.ast().statements, out);
}

fn statements(stmts: &[crate::ast::Statement], out: &mut Vec<Diagnostic>) {
    for stmt in stmts {
        match &stmt.kind {
            StatementKind::Name(s) | StatementKind::Version(s) => check(s, out),
            StatementKind::List { items, .. } => items.iter().for_each(|s| check(s, out)),
            StatementKind::Require(e) => expr(e, out),
            StatementKind::When { cond, body } => {
                expr(cond, out);
                statements(body, out);
            }
            StatementKind::Mode(..)
            | StatementKind::MaxRetentionDays(_)
            | StatementKind::Attribute { .. } => {}
        }
    }
}

fn expr(e: &Expr, out: &mut Vec<Diagnostic>) {
    match &e.kind {
        ExprKind::Or(xs) | ExprKind::And(xs) => xs.iter().for_each(|x| expr(x, out)),
        ExprKind::Not(x) | ExprKind::Group(x) => expr(x, out),
        ExprKind::Compare { value, .. } => literal(value, out),
        ExprKind::In { values, .. } => values.iter().for_each(|v| literal(v, out)),
        ExprKind::Attr(_) | ExprKind::Known(_) => {}
    }
}

fn literal(l: &Literal, out: &mut Vec<Diagnostic>) {
    if let Literal::Str(s) = l {
        check(s, out);
    }
}

fn check(s: &StrLit, out: &mut Vec<Diagnostic>) {
    if s.value.is_ascii() {
        return;
    }
    let shown = visible(&s.value);
    if let Some(c) = s.value.chars().find(|&c| invisible(c)) {
        out.push(
            Diagnostic::warning(
                "lint/invisible-character",
                format!(
                    "`{shown}` contains the invisible character U+{:04X}",
                    u32::from(c)
                ),
            )
            .with_label(
                s.span,
                "a reader does not see every character of this string",
            )
            .with_help("remove the character, or write the name as the catalog spells it"),
        );
        return;
    }
    let lookalikes: Vec<char> = s
        .value
        .chars()
        .filter(|&c| latin_lookalike(c).is_some())
        .collect();
    if let Some(&first) = lookalikes.first() {
        let skeleton: String = s
            .value
            .chars()
            .map(|c| latin_lookalike(c).unwrap_or(c))
            .collect();
        out.push(
            Diagnostic::warning(
                "lint/confusable-string",
                format!(
                    "`{shown}` looks like `{}` but contains U+{:04X} ({})",
                    visible(&skeleton),
                    u32::from(first),
                    script(first).map_or("not Latin", Script::name),
                ),
            )
            .with_label(s.span, "this string is not the ASCII text it looks like")
            .with_help("retype the name in plain ASCII if that is what is meant"),
        );
        return;
    }
    let mut scripts = s.value.chars().filter_map(script);
    if let Some(first) = scripts.next()
        && let Some(other) = scripts.find(|&x| x != first)
    {
        out.push(
            Diagnostic::warning(
                "lint/mixed-scripts",
                format!(
                    "`{shown}` mixes letters of two scripts ({} and {})",
                    first.name(),
                    other.name()
                ),
            )
            .with_label(s.span, "letters from more than one script")
            .with_help("check that the name is spelled as the catalog spells it"),
        );
    }
}

/// The string with invisible characters written as `\u{…}` escapes.
fn visible(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if invisible(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters that take no visible space of their own, or look like a plain
/// space: format characters, variation selectors, fillers and spaces other
/// than U+0020.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00A0}' | '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{1680}'
        | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{2000}'..='\u{200F}'
        | '\u{202A}'..='\u{202F}' | '\u{205F}'..='\u{206F}' | '\u{3000}' | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// The script of a letter, for the scripts whose letters are mistaken for
/// one another; `None` for digits, punctuation and other scripts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
    Armenian,
}

impl Script {
    fn name(self) -> &'static str {
        match self {
            Script::Latin => "Latin",
            Script::Greek => "Greek",
            Script::Cyrillic => "Cyrillic",
            Script::Armenian => "Armenian",
        }
    }
}

fn script(c: char) -> Option<Script> {
    match c {
        'a'..='z' | 'A'..='Z' => Some(Script::Latin),
        '\u{00C0}'..='\u{024F}' if c != '\u{00D7}' && c != '\u{00F7}' => Some(Script::Latin),
        '\u{1E00}'..='\u{1EFF}' | '\u{2C60}'..='\u{2C7F}' | '\u{A720}'..='\u{A7FF}' => {
            Some(Script::Latin)
        }
        '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => Some(Script::Latin),
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Some(Script::Greek),
        '\u{0400}'..='\u{052F}' | '\u{1C80}'..='\u{1C8F}' | '\u{2DE0}'..='\u{2DFF}' => {
            Some(Script::Cyrillic)
        }
        '\u{A640}'..='\u{A69F}' => Some(Script::Cyrillic),
        '\u{0530}'..='\u{058F}' => Some(Script::Armenian),
        _ => None,
    }
}

/// The ASCII letter or digit a non-ASCII character is commonly mistaken
/// for: Cyrillic and Greek homoglyphs, and fullwidth forms.
fn latin_lookalike(c: char) -> Option<char> {
    Some(match c {
        // Fullwidth ASCII.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0)?,
        // Cyrillic.
        'а' => 'a',
        'с' => 'c',
        'ԁ' => 'd',
        'е' | 'ё' => 'e',
        'һ' => 'h',
        'і' | 'ӏ' => 'i',
        'ј' => 'j',
        'о' => 'o',
        'р' => 'p',
        'ԛ' => 'q',
        'ѕ' => 's',
        'т' => 't',
        'ѵ' => 'v',
        'ԝ' => 'w',
        'х' => 'x',
        'у' => 'y',
        'А' => 'A',
        'В' => 'B',
        'С' => 'C',
        'Е' => 'E',
        'Н' => 'H',
        'І' => 'I',
        'Ј' => 'J',
        'К' => 'K',
        'М' => 'M',
        'О' => 'O',
        'Р' => 'P',
        'Ѕ' => 'S',
        'Т' => 'T',
        'Х' => 'X',
        'У' => 'Y',
        // Greek.
        'α' => 'a',
        'ε' => 'e',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'υ' => 'u',
        'χ' => 'x',
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    fn codes(src: &str) -> Vec<&'static str> {
        super::super::lint(&crate::compile(src).unwrap())
            .iter()
            .map(crate::diagnostic::Diagnostic::code)
            .collect()
    }

    /// What broke: `deny provider ["deep\u{200B}seek"]` and a Cyrillic
    /// look-alike showed a reviewer `deepseek` but denied nothing, and lint
    /// said nothing (identifiers are ASCII-only; strings were not checked).
    #[test]
    fn strings_that_do_not_read_as_what_they_are() {
        assert_eq!(
            codes("deny provider [\"deep\u{200B}seek\"]"),
            ["lint/invisible-character"]
        );
        assert_eq!(
            codes("deny provider [\"d\u{0435}\u{0435}pseek\"]"),
            ["lint/confusable-string"]
        );
        assert_eq!(
            codes("allow model [\"\u{043E}\u{0440}\u{0435}n\u{0430}i\"]"),
            ["lint/confusable-string"]
        );
        assert_eq!(
            codes("require region == \"e\u{00A0}u\""),
            ["lint/invisible-character"]
        );
        assert_eq!(
            codes("require region in [\"eu\", \"\u{FF45}\u{FF55}\"]"),
            ["lint/confusable-string"]
        );
        assert_eq!(
            codes("policy \"n\u{200D}o\"; require soc2"),
            ["lint/invisible-character"]
        );
        // Latin with Cyrillic that has no Latin look-alike.
        assert_eq!(
            codes("allow provider [\"ab\u{0436}\"]"),
            ["lint/mixed-scripts"]
        );
        // Plain non-ASCII names are fine.
        assert!(codes("allow provider [\"mistral\", \"z\u{00FC}rich\", \"\u{0436}\u{0436}\", \"\u{6587}\"]").is_empty());
        let d =
            &super::super::lint(&crate::compile("deny provider [\"deep\u{200B}seek\"]").unwrap())
                [0];
        assert_eq!(
            d.message(),
            "`deep\\u{200b}seek` contains the invisible character U+200B"
        );
        let d =
            &super::super::lint(&crate::compile("deny provider [\"d\u{0435}epseek\"]").unwrap())[0];
        assert_eq!(
            d.message(),
            "`d\u{0435}epseek` looks like `deepseek` but contains U+0435 (Cyrillic)"
        );
    }
}
