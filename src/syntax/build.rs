//! Builds the AST from pest's parse tree: one function per grammar rule.
//!
//! The grammar guarantees the shape of the tree; where a pair is missing
//! anyway the builder reports an internal error instead of panicking.

use pest::iterators::{Pair, Pairs};

use super::grammar::Rule;
use super::scan::{MAX_DEPTH, too_deep};
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::schema::AttrKind;
use crate::span::Span;

type Result<T> = std::result::Result<T, Vec<Diagnostic>>;

/// The span of `pair` from its first to its last token (leaf pair). pest's own span of
/// a rule with a repetition at its end also covers the whitespace and
/// comments the repetition skipped before it stopped (`require soc2 # c`
/// would reach past the comment); the last token's end is where the rule's
/// text really ends.
///
/// The last token is found by following the last inner pair down, a few
/// steps: reading every token below each pair instead made building the
/// tree quadratic in the nesting depth.
fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    let mut last = pair.clone();
    while let Some(inner) = last.clone().into_inner().next_back() {
        last = inner;
    }
    Span::new(s.start(), last.as_span().end())
}

fn internal(span: Span, what: &str) -> Vec<Diagnostic> {
    vec![
        Diagnostic::error("syntax/internal", format!("internal parser error: {what}"))
            .with_label(span, ""),
    ]
}

fn next<'i>(pairs: &mut Pairs<'i, Rule>, span: Span, what: &str) -> Result<Pair<'i, Rule>> {
    pairs.next().ok_or_else(|| internal(span, what))
}

/// `policy`: every statement; errors of all statements are collected.
pub(super) fn policy(pair: Pair<'_, Rule>) -> Result<Policy> {
    Ok(Policy {
        statements: body(pair.into_inner())?,
        comments: Vec::new(),
    })
}

/// The statements of a policy or a `when` block (`;`, `{`, `}` and the end
/// of input skipped); errors of all statements are collected.
fn body(pairs: Pairs<'_, Rule>) -> Result<Vec<Statement>> {
    let mut statements = Vec::new();
    let mut errors = Vec::new();
    for p in pairs {
        match p.as_rule() {
            Rule::semi | Rule::EOI | Rule::lbrace | Rule::rbrace => {}
            _ => match statement(p) {
                Ok(s) => statements.push(s),
                Err(mut e) => errors.append(&mut e),
            },
        }
    }
    if errors.is_empty() {
        Ok(statements)
    } else {
        Err(errors)
    }
}

fn statement(pair: Pair<'_, Rule>) -> Result<Statement> {
    let span = span_of(&pair);
    let rule = pair.as_rule();
    let mut inner = pair.into_inner();
    let _keyword = next(&mut inner, span, "statement keyword")?;
    let kind = match rule {
        Rule::policy_stmt => StatementKind::Name(string(next(&mut inner, span, "name")?)?),
        Rule::version_stmt => StatementKind::Version(string(next(&mut inner, span, "version")?)?),
        Rule::mode_stmt => {
            let m = next(&mut inner, span, "mode")?;
            let mode = match m.clone().into_inner().next().map(|p| p.as_rule()) {
                Some(Rule::kw_warn) => Mode::Warn,
                _ => Mode::Block,
            };
            StatementKind::Mode(mode, span_of(&m))
        }
        Rule::require_stmt => {
            StatementKind::Require(expr(next(&mut inner, span, "expression")?, 0)?)
        }
        Rule::max_retention_stmt => {
            StatementKind::MaxRetentionDays(integer(next(&mut inner, span, "days")?)?)
        }
        Rule::list_stmt => {
            // The keyword consumed above is `list_action`.
            let action = match _keyword.into_inner().next().map(|p| p.as_rule()) {
                Some(Rule::kw_deny) => ListAction::Deny,
                _ => ListAction::Allow,
            };
            let field = match next(&mut inner, span, "list field")?
                .into_inner()
                .next()
                .map(|p| p.as_rule())
            {
                Some(Rule::kw_model) => ListField::Model,
                _ => ListField::Provider,
            };
            let items = list(next(&mut inner, span, "list")?)?
                .into_iter()
                .map(|lit| match lit {
                    Literal::Str(s) => Ok(s),
                    Literal::Int(i) => Err(vec![
                        Diagnostic::error(
                            "syntax/expected-string",
                            format!(
                                "{} names are strings, found the number `{}`",
                                field.as_str(),
                                i.value
                            ),
                        )
                        .with_label(i.span, "expected a string")
                        .with_help(format!("write it in quotes: \"{}\"", i.value)),
                    ]),
                })
                .collect::<Vec<_>>();
            let mut errors = Vec::new();
            let mut names = Vec::new();
            for item in items {
                match item {
                    Ok(s) => names.push(s),
                    Err(mut e) => errors.append(&mut e),
                }
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            StatementKind::List {
                action,
                field,
                items: names,
            }
        }
        Rule::when_stmt => {
            let cond = expr(next(&mut inner, span, "condition")?, 0)?;
            StatementKind::When {
                cond,
                body: body(inner)?,
            }
        }
        Rule::attribute_stmt => {
            let name = ident(next(&mut inner, span, "attribute name")?);
            let _colon = next(&mut inner, span, "`:`")?;
            let k = next(&mut inner, span, "attribute kind")?;
            let kind = match k.clone().into_inner().next().map(|p| p.as_rule()) {
                Some(Rule::kw_number) => AttrKind::Number,
                Some(Rule::kw_text) => AttrKind::Text,
                _ => AttrKind::Flag,
            };
            StatementKind::Attribute {
                name,
                kind,
                kind_span: span_of(&k),
            }
        }
        _ => return Err(internal(span, "unexpected statement")),
    };
    Ok(Statement { kind, span })
}

/// `expr`: `and_expr (or and_expr)*`; a single operand is returned as is.
fn expr(pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
    let span = span_of(&pair);
    let operands = pair
        .into_inner()
        .filter(|p| p.as_rule() == Rule::and_expr)
        .map(|p| and_expr(p, depth))
        .collect::<Result<Vec<_>>>()?;
    Ok(join(operands, span, ExprKind::Or))
}

/// `and_expr`: `unary (and unary)*`.
fn and_expr(pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
    let span = span_of(&pair);
    let operands = pair
        .into_inner()
        .filter(|p| p.as_rule() == Rule::unary)
        .map(|p| unary(p, depth))
        .collect::<Result<Vec<_>>>()?;
    Ok(join(operands, span, ExprKind::And))
}

fn join(mut operands: Vec<Expr>, span: Span, make: fn(Vec<Expr>) -> ExprKind) -> Expr {
    if operands.len() == 1 {
        if let Some(only) = operands.pop() {
            return only;
        }
    }
    Expr {
        kind: make(operands),
        span,
    }
}

/// `unary`: `not_op* primary`. Each negation counts as one level of depth.
fn unary(pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
    let span = span_of(&pair);
    let mut nots = Vec::new();
    let mut primary_pair = None;
    for p in pair.into_inner() {
        if p.as_rule() == Rule::not_op {
            nots.push(span_of(&p).start);
            if depth + nots.len() > MAX_DEPTH {
                return Err(vec![too_deep(span_of(&p).start)]);
            }
        } else {
            primary_pair = Some(p);
        }
    }
    let p = primary_pair.ok_or_else(|| internal(span, "missing operand"))?;
    let mut e = primary(p, depth + nots.len())?;
    for start in nots.into_iter().rev() {
        e = Expr {
            span: Span::new(start, e.span.end),
            kind: ExprKind::Not(Box::new(e)),
        };
    }
    Ok(e)
}

fn primary(pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
    let span = span_of(&pair);
    if depth > MAX_DEPTH {
        return Err(vec![too_deep(span.start)]);
    }
    let rule = pair.as_rule();
    if rule == Rule::ident || rule == Rule::attr {
        return Ok(Expr {
            kind: ExprKind::Attr(ident(pair)),
            span,
        });
    }
    let mut inner = pair.into_inner();
    let kind = match rule {
        Rule::group => {
            let _open = next(&mut inner, span, "`(`")?;
            ExprKind::Group(Box::new(expr(
                next(&mut inner, span, "expression")?,
                depth + 1,
            )?))
        }
        Rule::known_call => {
            let _kw = next(&mut inner, span, "`known`")?;
            let _open = next(&mut inner, span, "`(`")?;
            ExprKind::Known(ident(next(&mut inner, span, "attribute")?))
        }
        Rule::comparison => {
            let attr = ident(next(&mut inner, span, "attribute")?);
            let op = cmp_op(next(&mut inner, span, "operator")?);
            let value = literal(next(&mut inner, span, "value")?)?;
            ExprKind::Compare { attr, op, value }
        }
        Rule::membership => {
            let attr = ident(next(&mut inner, span, "attribute")?);
            let _in = next(&mut inner, span, "`in`")?;
            ExprKind::In {
                attr,
                values: list(next(&mut inner, span, "list")?)?,
            }
        }
        _ => return Err(internal(span, "unexpected expression")),
    };
    Ok(Expr { kind, span })
}

fn ident(pair: Pair<'_, Rule>) -> Ident {
    Ident {
        name: pair.as_str().to_string(),
        span: span_of(&pair),
    }
}

fn cmp_op(pair: Pair<'_, Rule>) -> CmpOp {
    match pair.into_inner().next().map(|p| p.as_rule()) {
        Some(Rule::op_lt) => CmpOp::Lt,
        Some(Rule::op_le) => CmpOp::Le,
        Some(Rule::op_gt) => CmpOp::Gt,
        Some(Rule::op_ge) => CmpOp::Ge,
        Some(Rule::op_ne) => CmpOp::Ne,
        _ => CmpOp::Eq,
    }
}

/// `list`: the values between the brackets.
fn list(pair: Pair<'_, Rule>) -> Result<Vec<Literal>> {
    let mut values = Vec::new();
    let mut errors = Vec::new();
    for p in pair.into_inner() {
        if matches!(p.as_rule(), Rule::string | Rule::integer) {
            match literal(p) {
                Ok(v) => values.push(v),
                Err(mut e) => errors.append(&mut e),
            }
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

fn literal(pair: Pair<'_, Rule>) -> Result<Literal> {
    match pair.as_rule() {
        Rule::integer => Ok(Literal::Int(integer(pair)?)),
        _ => Ok(Literal::Str(string(pair)?)),
    }
}

fn integer(pair: Pair<'_, Rule>) -> Result<IntLit> {
    let span = span_of(&pair);
    let text = pair.as_str();
    match text.parse::<i64>() {
        Ok(value) => Ok(IntLit { value, span }),
        Err(_) => Err(vec![
            Diagnostic::error(
                "syntax/integer-out-of-range",
                format!("integer `{}` is out of range", shorten(text)),
            )
            .with_label(span, "does not fit in 64 bits")
            .with_help(format!("integers range from {} to {}", i64::MIN, i64::MAX)),
        ]),
    }
}

fn shorten(text: &str) -> String {
    if text.len() > 24 {
        format!("{}…", &text[..20])
    } else {
        text.to_string()
    }
}

/// `string`: resolves the escapes between the quotes.
fn string(pair: Pair<'_, Rule>) -> Result<StrLit> {
    let span = span_of(&pair);
    let raw = pair.as_str();
    let body = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    let mut value = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some(other) => value.push(other),
                None => {}
            }
        } else {
            value.push(c);
        }
    }
    Ok(StrLit { value, span })
}
