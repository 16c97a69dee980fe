//! The intermediate representation: AST → IR.
//!
//! [`lower`] resolves attribute names against the schema (standard attributes,
//! attributes given through the API and those the policy declares), checks
//! types, and rewrites every requirement into a [`Formula`] in negation normal
//! form: `and`/`or` over [`Lit`]erals, each a deduplicated [`Predicate`] or its
//! negation. Under Kleene logic De Morgan's laws and double negation hold, so
//! the rewrite keeps the three-valued meaning exactly.
//!
//! Every error in the policy is reported, not only the first.

use std::collections::HashMap;

use indexmap::{IndexMap, IndexSet};

use crate::ast::{self, CmpOp, ExprKind, ListAction, ListField, Literal, Mode, StatementKind};
use crate::diagnostic::Diagnostic;
use crate::schema::{AttrKind, Schema};
use crate::span::Span;

/// Index of an attribute in the policy's [`Schema`].
pub type AttrId = usize;

/// Index of a predicate in [`Ir::predicates`].
pub type PredId = usize;

/// An atomic test on one attribute of a target. Evaluates to true, false or
/// (when the attribute is undeclared) unknown; [`Predicate::Known`] is never
/// unknown.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Predicate {
    /// A flag attribute's value.
    Flag(AttrId),
    /// Whether the target declares the attribute.
    Known(AttrId),
    /// `number OP value`; `!=` is lowered to a negated `==`.
    NumCmp(AttrId, CmpOp, i64),
    /// `number in [..]`, values sorted and deduplicated.
    NumIn(AttrId, Vec<i64>),
    /// `text in [..]` (and `==`, `!=`), values sorted and deduplicated.
    TextIn(AttrId, Vec<String>),
}

impl Predicate {
    /// The attribute the predicate tests.
    pub fn attr(&self) -> AttrId {
        match self {
            Predicate::Flag(a)
            | Predicate::Known(a)
            | Predicate::NumCmp(a, _, _)
            | Predicate::NumIn(a, _)
            | Predicate::TextIn(a, _) => *a,
        }
    }
}

/// A predicate or its negation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lit {
    /// The predicate.
    pub pred: PredId,
    /// `false` for the negated predicate.
    pub positive: bool,
}

/// A requirement's condition in negation normal form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Formula {
    /// One literal.
    Lit(Lit),
    /// All operands must hold (two or more, none an `And`).
    And(Vec<Formula>),
    /// One operand must hold (two or more, none an `Or`).
    Or(Vec<Formula>),
}

impl Formula {
    /// Every literal in the formula, left to right.
    pub fn literals(&self) -> Vec<Lit> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(f) = stack.pop() {
            match f {
                Formula::Lit(l) => out.push(*l),
                Formula::And(xs) | Formula::Or(xs) => stack.extend(xs.iter().rev()),
            }
        }
        out
    }

    fn and(parts: Vec<Formula>) -> Formula {
        Formula::join(parts, true)
    }

    fn or(parts: Vec<Formula>) -> Formula {
        Formula::join(parts, false)
    }

    /// Builds `and`/`or` flattening nested operands of the same kind.
    fn join(parts: Vec<Formula>, is_and: bool) -> Formula {
        let mut flat = Vec::with_capacity(parts.len());
        for p in parts {
            match p {
                Formula::And(xs) if is_and => flat.extend(xs),
                Formula::Or(xs) if !is_and => flat.extend(xs),
                other => flat.push(other),
            }
        }
        if flat.len() == 1 {
            if let Some(only) = flat.pop() {
                return only;
            }
        }
        if is_and {
            Formula::And(flat)
        } else {
            Formula::Or(flat)
        }
    }
}

/// What kind of statement a requirement comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequirementKind {
    /// `require EXPR`.
    Require,
    /// `max_retention_days N`.
    MaxRetentionDays,
    /// The merged `allow provider`/`allow model` lists.
    Allow(ListField),
    /// The merged `deny provider`/`deny model` lists.
    Deny(ListField),
}

/// One requirement a target must pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// Where it comes from.
    pub kind: RequirementKind,
    /// The text shown in explanations: the statement in canonical form
    /// (comments and layout dropped, strings exact), or the merged list for
    /// allow/deny lists.
    pub text: String,
    /// The span of the (first) statement.
    pub span: Span,
    /// The condition a target must meet. For a requirement inside `when C
    /// { … }` this is already `!C or R`: the request's literals stand
    /// beside the target's, so an unknown request attribute leaves `!C`
    /// unknown and the requirement applies.
    pub formula: Formula,
    /// The `when` condition(s) the requirement stands under, if any.
    pub condition: Option<Condition>,
}

/// The condition of a `when` block (nested blocks joined with `and`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// The condition over request attributes, in negation normal form.
    pub formula: Formula,
    /// The condition as written, in canonical form, e.g.
    /// `request.data_class in ["phi"]`.
    pub text: String,
    /// The span of the innermost block's condition.
    pub span: Span,
}

/// A policy with names resolved and conditions normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ir {
    /// `policy "…"`, if given.
    pub name: Option<String>,
    /// `version "…"`, if given.
    pub version: Option<String>,
    /// `mode …`, block by default.
    pub mode: Mode,
    /// The schema names resolve against, including declared attributes.
    pub schema: Schema,
    /// Every distinct predicate, in order of first use.
    pub predicates: Vec<Predicate>,
    /// Every requirement, in source order.
    pub requirements: Vec<Requirement>,
}

/// Lowers a parsed policy against `schema` (usually [`Schema::standard`]).
///
/// ```
/// use eligo::ir::{Formula, Lit};
/// let ast = eligo::syntax::parse("require !(soc2 and iso27001)")?;
/// let ir = eligo::ir::lower(&ast, &eligo::Schema::standard())
///     .map_err(|d| d[0].message().to_string())?;
/// // De Morgan: !soc2 or !iso27001
/// assert_eq!(
///     ir.requirements[0].formula,
///     Formula::Or(vec![
///         Formula::Lit(Lit { pred: 0, positive: false }),
///         Formula::Lit(Lit { pred: 1, positive: false }),
///     ])
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn lower(policy: &ast::Policy, schema: &Schema) -> Result<Ir, Vec<Diagnostic>> {
    let mut cx = Lowering {
        schema: schema.clone(),
        preds: IndexSet::new(),
        errors: Vec::new(),
        in_condition: false,
    };
    cx.declare(policy);

    let mut name = None;
    let mut version = None;
    let mut mode = None;
    let mut retention: Option<Span> = None;
    let mut requirements = Vec::new();
    // Merged allow/deny lists: (action, field) → index in `requirements`
    // and the names. In source order of each list's first statement, so
    // that their predicates are numbered the same way on every compile (a
    // `HashMap` here made two compiles of one text give unequal programs).
    let mut lists: IndexMap<(ListAction, ListField), (usize, Vec<String>)> = IndexMap::new();

    for stmt in &policy.statements {
        match &stmt.kind {
            StatementKind::Name(n) => {
                cx.once(&mut name, stmt.span, "policy", n.value.clone());
            }
            StatementKind::Version(v) => {
                cx.once(&mut version, stmt.span, "version", v.value.clone());
            }
            StatementKind::Mode(m, _) => {
                cx.once(&mut mode, stmt.span, "mode", *m);
            }
            StatementKind::Attribute { .. } => {}
            StatementKind::When { cond, body } => cx.when(cond, body, None, &mut requirements),
            StatementKind::Require(e) => {
                if let Some(formula) = cx.expr(e, true) {
                    requirements.push(Requirement {
                        kind: RequirementKind::Require,
                        text: stmt.to_string(),
                        span: stmt.span,
                        formula,
                        condition: None,
                    });
                }
            }
            StatementKind::MaxRetentionDays(n) => {
                if let Some(first) = retention {
                    cx.errors
                        .push(duplicate("max_retention_days", stmt.span, first));
                    continue;
                }
                retention = Some(stmt.span);
                let Some(formula) = cx.retention(n) else {
                    continue;
                };
                requirements.push(Requirement {
                    kind: RequirementKind::MaxRetentionDays,
                    text: stmt.to_string(),
                    span: stmt.span,
                    formula,
                    condition: None,
                });
            }
            StatementKind::List {
                action,
                field,
                items,
            } => {
                let names: Vec<String> = items.iter().map(|s| s.value.clone()).collect();
                if names.is_empty() {
                    // An empty list restricts nothing (`lint` warns about an
                    // empty allow list). An empty deny list denies nothing
                    // even where the field is unknown (the model of a
                    // target serving every model).
                    continue;
                }
                match lists.get_mut(&(*action, *field)) {
                    Some((_, merged)) => merged.extend(names),
                    None => {
                        let kind = match action {
                            ListAction::Allow => RequirementKind::Allow(*field),
                            ListAction::Deny => RequirementKind::Deny(*field),
                        };
                        lists.insert((*action, *field), (requirements.len(), names));
                        // The formula is filled in once every list is merged.
                        requirements.push(Requirement {
                            kind,
                            text: String::new(),
                            span: stmt.span,
                            formula: Formula::And(Vec::new()),
                            condition: None,
                        });
                    }
                }
            }
        }
    }

    for ((action, field), (index, mut names)) in lists {
        names.sort();
        names.dedup();
        let Some(attr) = cx.schema.index_of(field.as_str()) else {
            continue;
        };
        let mut text = format!(
            "{} {} ",
            if action == ListAction::Allow {
                "allow"
            } else {
                "deny"
            },
            field.as_str()
        );
        text.push('[');
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            // Writing into a String cannot fail.
            let _ = ast::write_string(&mut text, n);
        }
        text.push(']');
        let pred = cx.pred(Predicate::TextIn(attr, names));
        if let Some(req) = requirements.get_mut(index) {
            req.text = text;
            req.formula = Formula::Lit(Lit {
                pred,
                positive: action == ListAction::Allow,
            });
        }
    }

    if cx.errors.is_empty() {
        Ok(Ir {
            name: name.map(|(n, _)| n),
            version: version.map(|(v, _)| v),
            mode: mode.map(|(m, _)| m).unwrap_or_default(),
            schema: cx.schema,
            predicates: cx.preds.into_iter().collect(),
            requirements,
        })
    } else {
        cx.errors.sort_by_key(|d| d.span().map_or(0, |s| s.start));
        Err(cx.errors)
    }
}

/// The negation of a formula in negation normal form (De Morgan; Kleene
/// logic keeps the meaning exactly).
fn negate(f: &Formula) -> Formula {
    match f {
        Formula::Lit(l) => Formula::Lit(Lit {
            pred: l.pred,
            positive: !l.positive,
        }),
        Formula::And(xs) => Formula::or(xs.iter().map(negate).collect()),
        Formula::Or(xs) => Formula::and(xs.iter().map(negate).collect()),
    }
}

fn duplicate(what: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::error(
        "compile/duplicate-statement",
        format!("`{what}` is given twice"),
    )
    .with_label(span, "given again here")
    .with_secondary(first, "first given here")
    .with_help("keep one of them")
}

struct Lowering {
    schema: Schema,
    preds: IndexSet<Predicate>,
    errors: Vec<Diagnostic>,
    /// Whether an expression being lowered is a `when` condition (request
    /// attributes only) or a requirement (target attributes only).
    in_condition: bool,
}

impl Lowering {
    /// Adds the policy's `attribute` declarations to the schema.
    fn declare(&mut self, policy: &ast::Policy) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for stmt in &policy.statements {
            let StatementKind::Attribute { name, kind, .. } = &stmt.kind else {
                continue;
            };
            if let Some(&first) = seen.get(name.name.as_str()) {
                self.errors.push(
                    Diagnostic::error(
                        "compile/duplicate-attribute",
                        format!("attribute `{}` is declared twice", name.name),
                    )
                    .with_label(name.span, "declared again here")
                    .with_secondary(first, "first declared here"),
                );
                continue;
            }
            seen.insert(&name.name, name.span);
            if let Some(def) = self.schema.get(&name.name) {
                let (what, help) = if def.is_builtin() {
                    (
                        "a standard attribute",
                        "choose another name, or drop the declaration",
                    )
                } else {
                    (
                        "already in the schema given to the compiler",
                        "drop the declaration",
                    )
                };
                self.errors.push(
                    Diagnostic::error(
                        "compile/attribute-exists",
                        format!("attribute `{}` is {what}", name.name),
                    )
                    .with_label(name.span, format!("`{}` is a {}", name.name, def.kind()))
                    .with_help(help),
                );
                continue;
            }
            if let Err(e) = self.schema.add(&name.name, *kind) {
                self.errors.push(
                    Diagnostic::error("compile/invalid-attribute", e.to_string())
                        .with_label(name.span, ""),
                );
            }
        }
    }

    fn once<T>(&mut self, slot: &mut Option<(T, Span)>, span: Span, what: &str, value: T)
    where
        T: Clone,
    {
        match slot {
            Some((_, first)) => self.errors.push(duplicate(what, span, *first)),
            None => *slot = Some((value, span)),
        }
    }

    fn pred(&mut self, p: Predicate) -> PredId {
        self.preds.insert_full(p).0
    }

    fn lit(&mut self, p: Predicate, positive: bool) -> Formula {
        let pred = self.pred(p);
        Formula::Lit(Lit { pred, positive })
    }

    /// `max_retention_days N` as `retention_days <= N`; a negative `N` is
    /// an error.
    fn retention(&mut self, n: &ast::IntLit) -> Option<Formula> {
        if n.value < 0 {
            self.errors.push(
                Diagnostic::error(
                    "compile/negative-retention",
                    format!(
                        "`max_retention_days` must be 0 or more, found `{}`",
                        n.value
                    ),
                )
                .with_label(n.span, "a negative number of days")
                .with_help("use `max_retention_days 0` to require that nothing is retained"),
            );
            return None;
        }
        let attr = self.schema.index_of("retention_days")?;
        Some(self.lit(Predicate::NumCmp(attr, CmpOp::Le, n.value), true))
    }

    /// Lowers the requirements of `when cond { body }` (inside `outer`, for
    /// a nested block): each becomes `!C or R`, `C` the conditions so far.
    fn when(
        &mut self,
        cond: &ast::Expr,
        body: &[ast::Statement],
        outer: Option<&Condition>,
        out: &mut Vec<Requirement>,
    ) {
        self.in_condition = true;
        let lowered = self.expr(cond, true);
        self.in_condition = false;
        let written = match cond.kind {
            ExprKind::Or(_) => format!("({cond})"),
            _ => cond.to_string(),
        };
        let condition = lowered.map(|f| match outer {
            Some(o) => Condition {
                formula: Formula::and(vec![o.formula.clone(), f]),
                text: format!("{} and {written}", o.text),
                span: cond.span,
            },
            None => Condition {
                formula: f,
                text: written,
                span: cond.span,
            },
        });
        for stmt in body {
            let (kind, target) = match &stmt.kind {
                StatementKind::Require(e) => (RequirementKind::Require, self.expr(e, true)),
                StatementKind::MaxRetentionDays(n) => {
                    (RequirementKind::MaxRetentionDays, self.retention(n))
                }
                StatementKind::List {
                    action,
                    field,
                    items,
                } => {
                    let mut names: Vec<String> = items.iter().map(|s| s.value.clone()).collect();
                    if names.is_empty() {
                        continue;
                    }
                    names.sort();
                    names.dedup();
                    let Some(attr) = self.schema.index_of(field.as_str()) else {
                        continue;
                    };
                    let allow = *action == ListAction::Allow;
                    let kind = if allow {
                        RequirementKind::Allow(*field)
                    } else {
                        RequirementKind::Deny(*field)
                    };
                    (kind, Some(self.lit(Predicate::TextIn(attr, names), allow)))
                }
                StatementKind::When { cond, body } => {
                    if let Some(c) = &condition {
                        self.when(cond, body, Some(c), out);
                    }
                    continue;
                }
                StatementKind::Name(_)
                | StatementKind::Version(_)
                | StatementKind::Mode(..)
                | StatementKind::Attribute { .. } => {
                    let word = stmt.to_string();
                    let word = word.split(' ').next().unwrap_or("");
                    self.errors.push(
                        Diagnostic::error(
                            "compile/not-a-requirement",
                            format!("`{word}` cannot stand inside `when`: only requirements can"),
                        )
                        .with_label(stmt.span, "not a requirement")
                        .with_help("move it out of the block, to the top level of the policy"),
                    );
                    continue;
                }
            };
            let (Some(c), Some(target)) = (&condition, target) else {
                continue;
            };
            out.push(Requirement {
                kind,
                text: stmt.to_string(),
                span: stmt.span,
                formula: Formula::or(vec![negate(&c.formula), target]),
                condition: Some(c.clone()),
            });
        }
    }

    /// Resolves `ident`, reporting unknown names with a suggestion, and a
    /// target attribute in a `when` condition or a request attribute in a
    /// requirement.
    fn resolve(&mut self, ident: &ast::Ident) -> Option<(usize, AttrKind)> {
        if let Some(i) = self.schema.index_of(&ident.name) {
            let kind = self.schema.at(i).map(|d| d.kind())?;
            let is_request = crate::schema::is_request_attribute(&ident.name);
            if is_request != self.in_condition {
                self.errors.push(if is_request {
                    Diagnostic::error(
                        "compile/request-attribute-in-requirement",
                        format!(
                            "`{}` is a request attribute: a requirement reads only the target's attributes",
                            ident.name
                        ),
                    )
                    .with_label(ident.span, "a request attribute")
                    .with_help(format!(
                        "test it in a `when` condition, e.g. `when {} == \"…\" {{ require …; }}`",
                        ident.name
                    ))
                } else {
                    Diagnostic::error(
                        "compile/target-attribute-in-condition",
                        format!(
                            "`{}` is a target attribute: a `when` condition reads only request attributes",
                            ident.name
                        ),
                    )
                    .with_label(ident.span, "a target attribute")
                    .with_help(format!(
                        "require it inside the block instead, e.g. `when request.data_class == \"phi\" {{ require {}; }}`",
                        ident.name
                    ))
                });
                return None;
            }
            return Some((i, kind));
        }
        let mut d = Diagnostic::error(
            "compile/unknown-attribute",
            format!("unknown attribute `{}`", ident.name),
        )
        .with_label(ident.span, "not in the attribute schema");
        d = match self.schema.suggest(&ident.name) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!(
                "declare it first, e.g. `attribute {}: flag;`, or see the schema in docs/LANGUAGE.md",
                ident.name
            )),
        };
        self.errors.push(d);
        None
    }

    fn type_error(&mut self, span: Span, message: String, label: &str, help: String) {
        self.errors.push(
            Diagnostic::error("compile/type-mismatch", message)
                .with_label(span, label)
                .with_help(help),
        );
    }

    /// Lowers `e` (negated when `positive` is false) into NNF.
    fn expr(&mut self, e: &ast::Expr, positive: bool) -> Option<Formula> {
        match &e.kind {
            ExprKind::Group(x) => self.expr(x, positive),
            ExprKind::Not(x) => self.expr(x, !positive),
            ExprKind::Or(xs) | ExprKind::And(xs) => {
                let is_or = matches!(e.kind, ExprKind::Or(_));
                // Lower every operand so that all errors are reported.
                let parts: Vec<Option<Formula>> =
                    xs.iter().map(|x| self.expr(x, positive)).collect();
                let parts: Vec<Formula> = parts.into_iter().collect::<Option<_>>()?;
                // De Morgan: a negated `or` is an `and` of negations.
                Some(if is_or == positive {
                    Formula::or(parts)
                } else {
                    Formula::and(parts)
                })
            }
            ExprKind::Attr(ident) => {
                let (attr, kind) = self.resolve(ident)?;
                if kind != AttrKind::Flag {
                    let example = match kind {
                        AttrKind::Number => format!("`{} <= 30`", ident.name),
                        _ => format!(
                            "`{} == \"eu\"` or `{} in [\"eu\", \"uk\"]`",
                            ident.name, ident.name
                        ),
                    };
                    self.type_error(
                        ident.span,
                        format!("`{}` is a {kind} attribute, not a flag", ident.name),
                        "cannot be used as a condition on its own",
                        format!(
                            "compare it, e.g. {example}; or test `known({})`",
                            ident.name
                        ),
                    );
                    return None;
                }
                Some(self.lit(Predicate::Flag(attr), positive))
            }
            ExprKind::Known(ident) => {
                let (attr, _) = self.resolve(ident)?;
                Some(self.lit(Predicate::Known(attr), positive))
            }
            ExprKind::Compare {
                attr: ident,
                op,
                value,
            } => {
                let (attr, kind) = self.resolve(ident)?;
                match (kind, value) {
                    (AttrKind::Number, Literal::Int(n)) => Some(match op {
                        CmpOp::Ne => {
                            self.lit(Predicate::NumCmp(attr, CmpOp::Eq, n.value), !positive)
                        }
                        _ => self.lit(Predicate::NumCmp(attr, *op, n.value), positive),
                    }),
                    (AttrKind::Text, Literal::Str(s)) => match op {
                        CmpOp::Eq => {
                            Some(self.lit(Predicate::TextIn(attr, vec![s.value.clone()]), positive))
                        }
                        CmpOp::Ne => Some(
                            self.lit(Predicate::TextIn(attr, vec![s.value.clone()]), !positive),
                        ),
                        _ => {
                            self.type_error(
                                e.span,
                                format!(
                                    "`{}` is text; `{}` does not apply to text",
                                    ident.name,
                                    op.as_str()
                                ),
                                "text is compared with `==`, `!=` or `in`",
                                format!(
                                    "write `{} == \"…\"` or `{} in [\"…\"]`",
                                    ident.name, ident.name
                                ),
                            );
                            None
                        }
                    },
                    _ => {
                        self.mismatch(ident, kind, value);
                        None
                    }
                }
            }
            ExprKind::In {
                attr: ident,
                values,
            } => {
                let (attr, kind) = self.resolve(ident)?;
                if kind == AttrKind::Flag {
                    self.type_error(
                        e.span,
                        format!(
                            "`{}` is a flag; `in` applies to text and number attributes",
                            ident.name
                        ),
                        "a flag cannot be in a list",
                        format!(
                            "a flag is a condition on its own: `{0}` or `!{0}`",
                            ident.name
                        ),
                    );
                    return None;
                }
                let mut ok = true;
                for v in values {
                    let fits = matches!(
                        (kind, v),
                        (AttrKind::Number, Literal::Int(_)) | (AttrKind::Text, Literal::Str(_))
                    );
                    if !fits {
                        self.mismatch(ident, kind, v);
                        ok = false;
                    }
                }
                if !ok {
                    return None;
                }
                let pred = match kind {
                    AttrKind::Number => {
                        let mut ns: Vec<i64> = values
                            .iter()
                            .filter_map(|v| match v {
                                Literal::Int(n) => Some(n.value),
                                Literal::Str(_) => None,
                            })
                            .collect();
                        ns.sort_unstable();
                        ns.dedup();
                        Predicate::NumIn(attr, ns)
                    }
                    _ => {
                        let mut ss: Vec<String> = values
                            .iter()
                            .filter_map(|v| match v {
                                Literal::Str(s) => Some(s.value.clone()),
                                Literal::Int(_) => None,
                            })
                            .collect();
                        ss.sort();
                        ss.dedup();
                        Predicate::TextIn(attr, ss)
                    }
                };
                Some(self.lit(pred, positive))
            }
        }
    }

    fn mismatch(&mut self, ident: &ast::Ident, kind: AttrKind, value: &Literal) {
        let (found, help) = match (kind, value) {
            (AttrKind::Flag, _) => (
                "a value",
                format!(
                    "a flag is a condition on its own: `{0}` or `!{0}`",
                    ident.name
                ),
            ),
            (AttrKind::Number, _) => (
                "a string",
                format!(
                    "compare it with a whole number, e.g. `{} <= 30`",
                    ident.name
                ),
            ),
            (AttrKind::Text, Literal::Int(n)) => (
                "a number",
                format!("write the value in quotes: \"{}\"", n.value),
            ),
            (AttrKind::Text, Literal::Str(_)) => ("a string", String::new()),
        };
        self.type_error(
            value.span(),
            format!(
                "`{}` is a {kind} attribute and cannot be compared with {found}",
                ident.name
            ),
            &format!("{found} here"),
            help,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lower_src(src: &str) -> Result<Ir, Vec<Diagnostic>> {
        let ast = crate::syntax::parse(src).map_err(|e| e.diagnostics().to_vec())?;
        lower(&ast, &Schema::standard())
    }

    #[test]
    fn double_negation_and_de_morgan() {
        let ir = lower_src("require !!soc2; require not (gdpr or !hipaa)").unwrap();
        assert_eq!(
            ir.requirements[0].formula,
            Formula::Lit(Lit {
                pred: 0,
                positive: true
            })
        );
        assert_eq!(
            ir.requirements[1].formula,
            Formula::And(vec![
                Formula::Lit(Lit {
                    pred: 1,
                    positive: false
                }),
                Formula::Lit(Lit {
                    pred: 2,
                    positive: true
                }),
            ])
        );
    }

    #[test]
    fn predicates_are_shared() {
        let ir = lower_src("require soc2; require soc2 or gdpr; require region != \"eu\"; require region == \"eu\"").unwrap();
        assert_eq!(ir.predicates.len(), 3);
    }

    #[test]
    fn when_lowers_to_not_c_or_r_and_keeps_attributes_in_their_place() {
        let ir = lower_src(
            r#"attribute request.tier: number;
               when request.data_class == "phi" and request.tier > 1 { require hipaa; deny provider ["x"] }"#,
        )
        .unwrap();
        assert_eq!(ir.requirements.len(), 2);
        let c = ir.requirements[0].condition.as_ref().unwrap();
        assert_eq!(
            c.text,
            r#"request.data_class == "phi" and request.tier > 1"#
        );
        // !(dc == phi) or !(tier > 1) or hipaa
        let Formula::Or(parts) = &ir.requirements[0].formula else {
            panic!("{:?}", ir.requirements[0].formula)
        };
        assert_eq!(parts.len(), 3);
        assert!(matches!(
            ir.requirements[1].kind,
            RequirementKind::Deny(ListField::Provider)
        ));
        let codes = |src: &str| -> Vec<&'static str> {
            lower_src(src)
                .unwrap_err()
                .iter()
                .map(|d| d.code())
                .collect()
        };
        assert_eq!(
            codes("when soc2 { require gdpr }"),
            ["compile/target-attribute-in-condition"]
        );
        assert_eq!(
            codes(r#"require request.team == "a""#),
            ["compile/request-attribute-in-requirement"]
        );
        assert_eq!(
            codes(r#"when request.team == "a" { mode warn }"#),
            ["compile/not-a-requirement"]
        );
        assert_eq!(
            codes(r#"when request.teem == "a" { require soc2 }"#),
            ["compile/unknown-attribute"]
        );
        assert_eq!(
            codes("attribute request.data_class: text;"),
            ["compile/attribute-exists"]
        );
    }

    #[test]
    fn every_error_is_reported() {
        let errs = lower_src(
            "require soc3; require retention_days; require region <= \"eu\"; require soc2 == 1",
        )
        .unwrap_err();
        let codes: Vec<_> = errs.iter().map(|d| d.code()).collect();
        assert_eq!(
            codes,
            [
                "compile/unknown-attribute",
                "compile/type-mismatch",
                "compile/type-mismatch",
                "compile/type-mismatch"
            ]
        );
    }

    #[test]
    fn duplicates_point_at_both() {
        let errs = lower_src("max_retention_days 1;\nmax_retention_days 2").unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].span(), Some(Span::new(22, 42)));
        assert_eq!(errs[0].related()[0].span(), Span::new(0, 20));
    }

    /// Regression: `flag in []` skipped the type check (no element to check)
    /// and lowered to a text test that could never pass.
    #[test]
    fn flags_cannot_be_in_lists() {
        for src in [
            "require soc2 in []",
            "require !(soc2 in [])",
            "require soc2 in [\"x\"]",
        ] {
            let errs = lower_src(src).unwrap_err();
            assert_eq!(errs[0].code(), "compile/type-mismatch", "{src}");
        }
    }

    /// Explanation text is the canonical statement: no comments, strings
    /// exactly as written.
    #[test]
    fn requirement_text_is_canonical() {
        let ir = lower_src("require   soc2 # why; see wiki\n or region == \"a  b\"").unwrap();
        assert_eq!(
            ir.requirements[0].text,
            "require soc2 or region == \"a  b\""
        );
    }

    // Regression: merged allow/deny lists were numbered while walking a
    // `HashMap`, so their predicates came in a different order from one
    // compile to the next and two compiles of one text could give unequal
    // programs.
    #[test]
    fn compiling_twice_gives_equal_programs() {
        let policies = [
            "deny model [\"m\"]; allow provider [\"a\"]; deny provider [\"d\"]; allow model [\"x\", \"y\"]",
            "allow model [\"x\"]; require soc2; deny provider [\"d\"]; allow provider [\"a\", \"b\"]; deny model [\"m\"]; allow model [\"z\"]",
            "require region in [\"eu\"]; deny provider [\"d\"]; allow model [\"x\"]; deny model [\"m\"]; allow provider [\"a\"]; max_retention_days 0",
        ];
        for src in policies {
            let first = lower_src(src).unwrap();
            let program = crate::compile::compile(&first);
            for _ in 0..32 {
                let again = lower_src(src).unwrap();
                assert_eq!(again, first, "{src}");
                assert_eq!(crate::compile::compile(&again), program, "{src}");
            }
        }
        // In source order: each list's predicate follows the predicates
        // before its first statement.
        let ir = lower_src(policies[0]).unwrap();
        let texts: Vec<&str> = ir
            .predicates
            .iter()
            .map(|p| match p {
                Predicate::TextIn(_, names) => names[0].as_str(),
                _ => "",
            })
            .collect();
        assert_eq!(texts, ["m", "a", "d", "x"]);
    }

    #[test]
    fn lists_merge() {
        let ir = lower_src("allow provider [\"b\"]; deny provider [\"c\"]; allow provider [\"a\", \"b\"]; allow model []").unwrap();
        assert_eq!(ir.requirements.len(), 2);
        assert_eq!(ir.requirements[0].text, "allow provider [\"a\", \"b\"]");
        assert_eq!(ir.requirements[1].text, "deny provider [\"c\"]");
    }
}
