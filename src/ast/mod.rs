//! The abstract syntax tree of a policy, with spans.
//!
//! [`crate::syntax::parse`] builds it; [`crate::ir::lower`] resolves its names.
//! `Display` prints canonical `.pol` text: one statement a line, each ended by
//! `;`, single spaces around operators, `!` for negation, the author's
//! parentheses kept. Parsing the printed text gives back the same tree (up to
//! spans and the spelling of `not`).
//!
//! ```
//! let ast = eligo::syntax::parse("require  soc2 or(iso27001)").unwrap();
//! assert_eq!(ast.to_string(), "require soc2 or (iso27001);\n");
//! ```

use std::fmt;

use crate::span::Span;

/// A parsed policy: statements in source order and the comments between them.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Policy {
    /// The statements, in source order.
    pub statements: Vec<Statement>,
    /// Every `#` comment, in source order (kept for the formatter).
    pub comments: Vec<Comment>,
}

/// A `#` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// The comment text without the leading `#` and trailing line end.
    pub text: String,
    /// The span of the whole comment, `#` included.
    pub span: Span,
}

/// One statement (without its `;`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// What the statement says.
    pub kind: StatementKind,
    /// The statement's span, from its keyword to its last token.
    pub span: Span,
}

/// The kinds of statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatementKind {
    /// `policy "name"`.
    Name(StrLit),
    /// `version "text"`.
    Version(StrLit),
    /// `mode block` or `mode warn`.
    Mode(Mode, Span),
    /// `require EXPR`.
    Require(Expr),
    /// `max_retention_days N`.
    MaxRetentionDays(IntLit),
    /// `allow provider [..]`, `deny model [..]`, ….
    List {
        /// `allow` or `deny`.
        action: ListAction,
        /// `provider` or `model`.
        field: ListField,
        /// The listed names.
        items: Vec<StrLit>,
    },
    /// `when CONDITION { STATEMENTS }`: the statements apply unless the
    /// condition (over request attributes) is definitely false.
    When {
        /// The condition.
        cond: Expr,
        /// The statements inside the braces, in source order.
        body: Vec<Statement>,
    },
    /// `attribute NAME: KIND` (or `attribute request.NAME: KIND`).
    Attribute {
        /// The declared name.
        name: Ident,
        /// Its kind.
        kind: crate::schema::AttrKind,
        /// The span of the kind keyword.
        kind_span: Span,
    },
}

/// What the routing layer does with a target the policy blocks.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Remove non-compliant targets; block the request when none is left.
    #[default]
    Block,
    /// Let the request through unfiltered, but report what would be blocked.
    Warn,
}

impl Mode {
    /// `block` or `warn`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Block => "block",
            Mode::Warn => "warn",
        }
    }
}

/// `allow` or `deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListAction {
    /// Only the listed names may be used (when the list is non-empty).
    Allow,
    /// The listed names may never be used; deny wins over allow.
    Deny,
}

/// What an allow or deny list names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListField {
    /// Provider names (`openai`).
    Provider,
    /// Model names (`gpt-4o`).
    Model,
}

impl ListField {
    /// `provider` or `model`, also the name of the attribute the list tests.
    pub fn as_str(self) -> &'static str {
        match self {
            ListField::Provider => "provider",
            ListField::Model => "model",
        }
    }
}

/// An identifier with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name as written.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// A string literal (escapes resolved) with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrLit {
    /// The string's value.
    pub value: String,
    /// The span of the literal, quotes included.
    pub span: Span,
}

/// An integer literal with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntLit {
    /// The value.
    pub value: i64,
    /// The span of the digits.
    pub span: Span,
}

/// A literal value in a comparison or list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// An integer.
    Int(IntLit),
    /// A string.
    Str(StrLit),
}

impl Literal {
    /// The literal's span.
    pub fn span(&self) -> Span {
        match self {
            Literal::Int(i) => i.span,
            Literal::Str(s) => s.span,
        }
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CmpOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl CmpOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }

    /// Whether `left OP right` holds.
    pub fn holds<T: Ord + ?Sized>(self, left: &T, right: &T) -> bool {
        match self {
            CmpOp::Lt => left < right,
            CmpOp::Le => left <= right,
            CmpOp::Gt => left > right,
            CmpOp::Ge => left >= right,
            CmpOp::Eq => left == right,
            CmpOp::Ne => left != right,
        }
    }
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Its span.
    pub span: Span,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// `a or b or …` (two or more operands).
    Or(Vec<Expr>),
    /// `a and b and …` (two or more operands).
    And(Vec<Expr>),
    /// `!a` or `not a`.
    Not(Box<Expr>),
    /// `(a)`, kept so that printing preserves the author's grouping.
    Group(Box<Expr>),
    /// A flag attribute used as a condition.
    Attr(Ident),
    /// `known(attr)`.
    Known(Ident),
    /// `attr OP value`.
    Compare {
        /// The attribute.
        attr: Ident,
        /// The operator.
        op: CmpOp,
        /// The value compared with.
        value: Literal,
    },
    /// `attr in [values]`.
    In {
        /// The attribute.
        attr: Ident,
        /// The listed values.
        values: Vec<Literal>,
    },
}

impl Policy {
    /// The same tree with every span set to zero, for comparing structure.
    pub fn without_spans(&self) -> Policy {
        Policy {
            statements: strip_statements(&self.statements),
            comments: self
                .comments
                .iter()
                .map(|c| Comment {
                    text: c.text.clone(),
                    span: Span::default(),
                })
                .collect(),
        }
    }
}

/// Statements with every span set to zero.
fn strip_statements(statements: &[Statement]) -> Vec<Statement> {
    let z = Span::default();
    statements
        .iter()
        .map(|s| Statement {
            span: z,
            kind: match &s.kind {
                StatementKind::Name(n) => StatementKind::Name(strip_str(n)),
                StatementKind::Version(v) => StatementKind::Version(strip_str(v)),
                StatementKind::Mode(m, _) => StatementKind::Mode(*m, z),
                StatementKind::Require(e) => StatementKind::Require(e.without_spans()),
                StatementKind::MaxRetentionDays(n) => StatementKind::MaxRetentionDays(IntLit {
                    value: n.value,
                    span: z,
                }),
                StatementKind::List {
                    action,
                    field,
                    items,
                } => StatementKind::List {
                    action: *action,
                    field: *field,
                    items: items.iter().map(strip_str).collect(),
                },
                StatementKind::When { cond, body } => StatementKind::When {
                    cond: cond.without_spans(),
                    body: strip_statements(body),
                },
                StatementKind::Attribute { name, kind, .. } => StatementKind::Attribute {
                    name: strip_ident(name),
                    kind: *kind,
                    kind_span: z,
                },
            },
        })
        .collect()
}

fn strip_str(s: &StrLit) -> StrLit {
    StrLit {
        value: s.value.clone(),
        span: Span::default(),
    }
}

fn strip_ident(i: &Ident) -> Ident {
    Ident {
        name: i.name.clone(),
        span: Span::default(),
    }
}

fn strip_literal(l: &Literal) -> Literal {
    match l {
        Literal::Int(i) => Literal::Int(IntLit {
            value: i.value,
            span: Span::default(),
        }),
        Literal::Str(s) => Literal::Str(strip_str(s)),
    }
}

impl Expr {
    /// The same expression with every span set to zero.
    pub fn without_spans(&self) -> Expr {
        let kind = match &self.kind {
            ExprKind::Or(xs) => ExprKind::Or(xs.iter().map(Expr::without_spans).collect()),
            ExprKind::And(xs) => ExprKind::And(xs.iter().map(Expr::without_spans).collect()),
            ExprKind::Not(x) => ExprKind::Not(Box::new(x.without_spans())),
            ExprKind::Group(x) => ExprKind::Group(Box::new(x.without_spans())),
            ExprKind::Attr(i) => ExprKind::Attr(strip_ident(i)),
            ExprKind::Known(i) => ExprKind::Known(strip_ident(i)),
            ExprKind::Compare { attr, op, value } => ExprKind::Compare {
                attr: strip_ident(attr),
                op: *op,
                value: strip_literal(value),
            },
            ExprKind::In { attr, values } => ExprKind::In {
                attr: strip_ident(attr),
                values: values.iter().map(strip_literal).collect(),
            },
        };
        Expr {
            kind,
            span: Span::default(),
        }
    }
}

/// Writes `s` as a double-quoted `.pol` string literal.
pub fn write_string(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl fmt::Display for StrLit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_string(f, &self.value)
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Int(i) => write!(f, "{}", i.value),
            Literal::Str(s) => s.fmt(f),
        }
    }
}

fn write_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    f.write_str("[")?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        item.fmt(f)?;
    }
    f.write_str("]")
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Or(xs) | ExprKind::And(xs) => {
                let sep = if matches!(self.kind, ExprKind::Or(_)) {
                    " or "
                } else {
                    " and "
                };
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    // The parser keeps explicit groups, so an operand only
                    // needs parentheses here when a tree was built by hand.
                    let needs_parens = match (&self.kind, &x.kind) {
                        (_, ExprKind::Or(_)) => true,
                        (ExprKind::Or(_), ExprKind::And(_)) => false,
                        (_, ExprKind::And(_)) => true,
                        _ => false,
                    };
                    if needs_parens {
                        write!(f, "({x})")?;
                    } else {
                        x.fmt(f)?;
                    }
                }
                Ok(())
            }
            ExprKind::Not(x) => match x.kind {
                ExprKind::Or(_) | ExprKind::And(_) => write!(f, "!({x})"),
                _ => write!(f, "!{x}"),
            },
            ExprKind::Group(x) => write!(f, "({x})"),
            ExprKind::Attr(i) => f.write_str(&i.name),
            ExprKind::Known(i) => write!(f, "known({})", i.name),
            ExprKind::Compare { attr, op, value } => {
                write!(f, "{} {} {}", attr.name, op.as_str(), value)
            }
            ExprKind::In { attr, values } => {
                write!(f, "{} in ", attr.name)?;
                write_list(f, values)
            }
        }
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            StatementKind::Name(n) => write!(f, "policy {n}"),
            StatementKind::Version(v) => write!(f, "version {v}"),
            StatementKind::Mode(m, _) => write!(f, "mode {}", m.as_str()),
            StatementKind::Require(e) => write!(f, "require {e}"),
            StatementKind::MaxRetentionDays(n) => write!(f, "max_retention_days {}", n.value),
            StatementKind::List {
                action,
                field,
                items,
            } => {
                let action = match action {
                    ListAction::Allow => "allow",
                    ListAction::Deny => "deny",
                };
                write!(f, "{action} {} ", field.as_str())?;
                write_list(f, items)
            }
            StatementKind::Attribute { name, kind, .. } => {
                write!(f, "attribute {}: {}", name.name, kind.as_str())
            }
            StatementKind::When { cond, body } => {
                write!(f, "when {cond} {{")?;
                for s in body {
                    write!(f, " {s};")?;
                }
                f.write_str(" }")
            }
        }
    }
}

/// Writes statements one a line at `indent` levels of four spaces, a
/// `when` block over several lines with its statements one level in.
fn write_statements(
    f: &mut fmt::Formatter<'_>,
    statements: &[Statement],
    indent: usize,
) -> fmt::Result {
    for s in statements {
        let pad = "    ".repeat(indent);
        match &s.kind {
            StatementKind::When { cond, body } => {
                writeln!(f, "{pad}when {cond} {{")?;
                write_statements(f, body, indent + 1)?;
                writeln!(f, "{pad}}}")?;
            }
            _ => writeln!(f, "{pad}{s};")?,
        }
    }
    Ok(())
}

impl fmt::Display for Policy {
    /// Canonical text: one statement a line, each ended by `;`. Comments are
    /// not printed here; `eligo fmt` keeps them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_statements(f, &self.statements, 0)
    }
}
