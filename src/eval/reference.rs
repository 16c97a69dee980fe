//! The reference evaluator: a plain tree walk over the AST, written for
//! obviousness rather than speed, used as the oracle in tests.
//!
//! It shares nothing with the IR or the compiled program: it reads the
//! statements as parsed and applies the Kleene rules directly. Names must
//! resolve in `schema` (a compiled policy's schema does); a target value of
//! the wrong kind counts as undeclared, as in the compiled evaluator.

use crate::ast::{self, ExprKind, ListAction, ListField, Literal, StatementKind};
use crate::compile::Tri;
use crate::schema::{AttrKind, Schema};
use crate::target::{Target, ValueRef};

/// The value of every requirement-like statement, and the overall decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferenceVerdict {
    /// Whether the target passes the policy.
    pub allowed: bool,
    /// `require` and `max_retention_days` statements' values, in order.
    pub requirements: Vec<Tri>,
    /// Whether the merged allow/deny lists pass.
    pub lists_pass: bool,
}

/// Evaluates `policy` on `target` by walking the AST.
///
/// ```
/// use eligo::{Schema, Target, Tri};
/// use eligo::eval::reference;
/// let ast = eligo::syntax::parse("require soc2 or iso27001")?;
/// let t = Target::builder("p", "m").attr("iso27001", true).build();
/// let v = reference::evaluate(&ast, &Schema::standard(), &t);
/// assert!(v.allowed);
/// assert_eq!(v.requirements, vec![Tri::True]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evaluate(policy: &ast::Policy, schema: &Schema, target: &Target) -> ReferenceVerdict {
    // The policy's own attribute declarations extend the schema.
    let mut schema = schema.clone();
    for s in &policy.statements {
        if let StatementKind::Attribute { name, kind, .. } = &s.kind {
            let _ = schema.add(&name.name, *kind);
        }
    }
    let mut requirements = Vec::new();
    let mut allow: [Option<Vec<&str>>; 2] = [None, None];
    let mut deny: [Vec<&str>; 2] = [Vec::new(), Vec::new()];
    for s in &policy.statements {
        match &s.kind {
            StatementKind::Require(e) => requirements.push(expr(e, &schema, target)),
            StatementKind::MaxRetentionDays(n) => {
                let v = match value(&schema, target, "retention_days") {
                    Some(ValueRef::Number(days)) => Tri::from_bool(days <= n.value),
                    _ => Tri::Unknown,
                };
                requirements.push(v);
            }
            StatementKind::List {
                action,
                field,
                items,
            } => {
                let i = field_index(*field);
                let names = items.iter().map(|s| s.value.as_str());
                match action {
                    ListAction::Allow => {
                        if let Some(a) = allow.get_mut(i) {
                            a.get_or_insert_with(Vec::new).extend(names);
                        }
                    }
                    ListAction::Deny => {
                        if let Some(d) = deny.get_mut(i) {
                            d.extend(names);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // A target serving every model (`*`) has no model until a request
    // names one: a non-empty list cannot tell whether it holds it.
    let fields = [
        Some(target.provider()),
        (target.model() != "*").then(|| target.model()),
    ];
    let lists_pass = allow
        .iter()
        .zip(&deny)
        .zip(fields)
        .all(|((allow, deny), field)| {
            let allowed = match (allow, field) {
                (Some(list), Some(field)) if !list.is_empty() => list.contains(&field),
                (Some(list), None) if !list.is_empty() => false,
                _ => true,
            };
            let denied = match field {
                Some(field) => deny.contains(&field),
                None => !deny.is_empty(),
            };
            allowed && !denied
        });
    ReferenceVerdict {
        allowed: lists_pass && requirements.iter().all(|v| *v == Tri::True),
        requirements,
        lists_pass,
    }
}

fn field_index(f: ListField) -> usize {
    match f {
        ListField::Provider => 0,
        ListField::Model => 1,
    }
}

/// The target's value for `name`, if declared with the schema's kind.
fn value<'t>(schema: &Schema, target: &'t Target, name: &str) -> Option<ValueRef<'t>> {
    let kind = schema.get(name)?.kind();
    let v = target.get(name)?;
    let matches = match v {
        ValueRef::Flag(_) => kind == AttrKind::Flag,
        ValueRef::Number(_) => kind == AttrKind::Number,
        ValueRef::Text(_) => kind == AttrKind::Text,
    };
    matches.then_some(v)
}

fn expr(e: &ast::Expr, schema: &Schema, target: &Target) -> Tri {
    match &e.kind {
        ExprKind::Or(xs) => {
            let mut acc = Tri::False;
            for x in xs {
                acc = acc.or(expr(x, schema, target));
            }
            acc
        }
        ExprKind::And(xs) => {
            let mut acc = Tri::True;
            for x in xs {
                acc = acc.and(expr(x, schema, target));
            }
            acc
        }
        ExprKind::Not(x) => !expr(x, schema, target),
        ExprKind::Group(x) => expr(x, schema, target),
        ExprKind::Attr(i) => match value(schema, target, &i.name) {
            Some(ValueRef::Flag(b)) => Tri::from_bool(b),
            _ => Tri::Unknown,
        },
        ExprKind::Known(i) => Tri::from_bool(value(schema, target, &i.name).is_some()),
        ExprKind::Compare {
            attr,
            op,
            value: lit,
        } => match (value(schema, target, &attr.name), lit) {
            (Some(ValueRef::Number(v)), Literal::Int(n)) => Tri::from_bool(op.holds(&v, &n.value)),
            (Some(ValueRef::Text(v)), Literal::Str(s)) => {
                Tri::from_bool(op.holds(v, s.value.as_str()))
            }
            _ => Tri::Unknown,
        },
        ExprKind::In { attr, values } => match value(schema, target, &attr.name) {
            Some(ValueRef::Number(v)) => Tri::from_bool(
                values
                    .iter()
                    .any(|l| matches!(l, Literal::Int(n) if n.value == v)),
            ),
            Some(ValueRef::Text(v)) => Tri::from_bool(
                values
                    .iter()
                    .any(|l| matches!(l, Literal::Str(s) if s.value == v)),
            ),
            _ => Tri::Unknown,
        },
    }
}
