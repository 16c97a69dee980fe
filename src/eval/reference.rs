//! The reference evaluator: a plain tree walk over the AST, written for
//! obviousness rather than speed, used as the oracle in tests.
//!
//! It shares nothing with the IR or the compiled program: it reads the
//! statements as parsed and applies the Kleene rules directly. Names must
//! resolve in `schema` (a compiled policy's schema does); a target value of
//! the wrong kind counts as undeclared, as in the compiled evaluator.

use crate::ast::{self, ExprKind, ListAction, ListField, Literal, StatementKind};
use crate::compile::Tri;
use crate::request::RequestAttrs;
use crate::schema::{AttrKind, Schema, is_request_attribute};
use crate::target::{Target, ValueRef};

/// The value of every requirement-like statement, and the overall decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferenceVerdict {
    /// Whether the target passes the policy.
    pub allowed: bool,
    /// `require` and `max_retention_days` statements' values, and those of
    /// every statement inside a `when` block (`!C or R`), in order.
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
    evaluate_for(policy, schema, target, &RequestAttrs::new())
}

/// [`evaluate`] for a request with attributes `attrs`: `when C { R }` is
/// `!C or R` for each requirement `R` of the block, with `C` read from
/// `attrs` (an attribute not given, or of the wrong kind, is unknown), and
/// nested blocks' conditions joined with `and`. An allow or deny list
/// inside a block is a requirement of its own, not merged with others.
///
/// ```
/// use eligo::{RequestAttrs, Schema, Target, Tri};
/// use eligo::eval::reference;
/// let ast = eligo::syntax::parse(r#"when request.data_class == "phi" { require hipaa; }"#)?;
/// let t = Target::new("p", "m");
/// let schema = Schema::standard();
/// let public = RequestAttrs::new().with("data_class", "public");
/// assert!(reference::evaluate_for(&ast, &schema, &t, &public).allowed);
/// assert!(!reference::evaluate_for(&ast, &schema, &t, &RequestAttrs::new()).allowed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evaluate_for(
    policy: &ast::Policy,
    schema: &Schema,
    target: &Target,
    attrs: &RequestAttrs,
) -> ReferenceVerdict {
    // The policy's own attribute declarations extend the schema.
    let mut schema = schema.clone();
    for s in &policy.statements {
        if let StatementKind::Attribute { name, kind, .. } = &s.kind {
            let _ = schema.add(&name.name, *kind);
        }
    }
    let env = Env {
        schema: &schema,
        target,
        attrs,
    };
    let mut requirements = Vec::new();
    let mut allow: [Option<Vec<&str>>; 2] = [None, None];
    let mut deny: [Vec<&str>; 2] = [Vec::new(), Vec::new()];
    for s in &policy.statements {
        match &s.kind {
            StatementKind::Require(e) => requirements.push(env.expr(e)),
            StatementKind::MaxRetentionDays(n) => requirements.push(env.retention(n.value)),
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
            StatementKind::When { cond, body } => {
                env.when(env.expr(cond), body, &mut requirements);
            }
            _ => {}
        }
    }
    let fields = [Some(target.provider()), env.model()];
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

/// What a reference evaluation reads.
struct Env<'a> {
    schema: &'a Schema,
    target: &'a Target,
    attrs: &'a RequestAttrs,
}

impl<'a> Env<'a> {
    /// The target's model; a target serving every model (`*`) has none
    /// until a request names one.
    fn model(&self) -> Option<&'a str> {
        (self.target.model() != "*").then(|| self.target.model())
    }

    /// `max_retention_days n`.
    fn retention(&self, n: i64) -> Tri {
        match self.value("retention_days") {
            Some(ValueRef::Number(days)) => Tri::from_bool(days <= n),
            _ => Tri::Unknown,
        }
    }

    /// The requirements of a `when` block whose condition (with the outer
    /// ones) has the value `c`: each is `!c or R`.
    fn when(&self, c: Tri, body: &[ast::Statement], out: &mut Vec<Tri>) {
        for s in body {
            let r = match &s.kind {
                StatementKind::Require(e) => self.expr(e),
                StatementKind::MaxRetentionDays(n) => self.retention(n.value),
                StatementKind::List {
                    action,
                    field,
                    items,
                } => {
                    if items.is_empty() {
                        continue;
                    }
                    let value = match field {
                        ListField::Provider => Some(self.target.provider()),
                        ListField::Model => self.model(),
                    };
                    match value {
                        None => Tri::Unknown,
                        Some(v) => {
                            let listed = items.iter().any(|i| i.value == v);
                            Tri::from_bool(listed == (*action == ListAction::Allow))
                        }
                    }
                }
                StatementKind::When { cond, body } => {
                    self.when(c.and(self.expr(cond)), body, out);
                    continue;
                }
                _ => continue,
            };
            out.push((!c).or(r));
        }
    }

    /// The value of `name`, if declared with the schema's kind: a request
    /// attribute from the request, any other from the target.
    fn value(&self, name: &str) -> Option<ValueRef<'a>> {
        let kind = self.schema.get(name)?.kind();
        let v = if is_request_attribute(name) {
            self.attrs.get(name)?
        } else {
            self.target.get(name)?
        };
        let matches = match v {
            ValueRef::Flag(_) => kind == AttrKind::Flag,
            ValueRef::Number(_) => kind == AttrKind::Number,
            ValueRef::Text(_) => kind == AttrKind::Text,
        };
        matches.then_some(v)
    }

    fn expr(&self, e: &ast::Expr) -> Tri {
        match &e.kind {
            ExprKind::Or(xs) => {
                let mut acc = Tri::False;
                for x in xs {
                    acc = acc.or(self.expr(x));
                }
                acc
            }
            ExprKind::And(xs) => {
                let mut acc = Tri::True;
                for x in xs {
                    acc = acc.and(self.expr(x));
                }
                acc
            }
            ExprKind::Not(x) => !self.expr(x),
            ExprKind::Group(x) => self.expr(x),
            ExprKind::Attr(i) => match self.value(&i.name) {
                Some(ValueRef::Flag(b)) => Tri::from_bool(b),
                _ => Tri::Unknown,
            },
            ExprKind::Known(i) => Tri::from_bool(self.value(&i.name).is_some()),
            ExprKind::Compare {
                attr,
                op,
                value: lit,
            } => match (self.value(&attr.name), lit) {
                (Some(ValueRef::Number(v)), Literal::Int(n)) => {
                    Tri::from_bool(op.holds(&v, &n.value))
                }
                (Some(ValueRef::Text(v)), Literal::Str(s)) => {
                    Tri::from_bool(op.holds(v, s.value.as_str()))
                }
                _ => Tri::Unknown,
            },
            ExprKind::In { attr, values } => match self.value(&attr.name) {
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
}
