//! `when` blocks that cannot do what they seem to: a condition no request
//! can meet, or one every request meets; a requirement a block repeats
//! from the top level; and (against a catalog) a block no target can serve.
//!
//! A condition reads a few request attributes, each compared with a few
//! constants. Every request falls into one of finitely many classes: for
//! each attribute, not given, or one of the constants (and the values just
//! beside a number), or some other value. Evaluating the condition on one
//! request of each class decides these claims exactly, as long as there are
//! at most [`MAX_CLASSES`] classes; past that, the claims are not made.

use std::collections::{BTreeMap, HashSet};

use indexmap::IndexSet;

use crate::catalog::Catalog;
use crate::compile::{Tri, formula_value};
use crate::diagnostic::Diagnostic;
use crate::eval::predicate_value;
use crate::ir::{Condition, Formula, Ir, Predicate};
use crate::policy::Policy;
use crate::request::RequestAttrs;
use crate::schema::AttrKind;
use crate::target::Value;
use crate::time::Date;

/// The most classes of requests one condition is evaluated on.
pub const MAX_CLASSES: usize = 4096;

/// Every distinct condition of the policy's blocks, with the requirements
/// under it, in source order.
fn blocks(ir: &Ir) -> Vec<(&Condition, Vec<usize>)> {
    let mut out: Vec<(&Condition, Vec<usize>)> = Vec::new();
    for (i, r) in ir.requirements.iter().enumerate() {
        let Some(c) = &r.condition else { continue };
        match out
            .iter_mut()
            .find(|(k, _)| k.text == c.text && k.span == c.span)
        {
            Some((_, reqs)) => reqs.push(i),
            None => out.push((c, vec![i])),
        }
    }
    out
}

/// One request of every class the formulas tell apart, or `None` when
/// there are more than [`MAX_CLASSES`].
fn classes(ir: &Ir, formulas: &[&Formula]) -> Option<Vec<RequestAttrs>> {
    // The values worth trying for each attribute the formulas read.
    let mut tried: BTreeMap<usize, (AttrKind, IndexSet<Value>)> = BTreeMap::new();
    for lit in formulas.iter().flat_map(|f| f.literals()) {
        let pred = ir.predicates.get(lit.pred)?;
        let def = ir.schema.at(pred.attr())?;
        let entry = tried
            .entry(pred.attr())
            .or_insert_with(|| (def.kind(), IndexSet::new()));
        match pred {
            Predicate::Flag(_) => {
                entry.1.extend([Value::Flag(false), Value::Flag(true)]);
            }
            Predicate::NumCmp(_, _, n) => {
                entry
                    .1
                    .extend([n.saturating_sub(1), *n, n.saturating_add(1)].map(Value::Number));
            }
            Predicate::NumIn(_, ns) => {
                for n in ns {
                    entry
                        .1
                        .extend([n.saturating_sub(1), *n, n.saturating_add(1)].map(Value::Number));
                }
            }
            Predicate::TextIn(_, ss) => {
                entry.1.extend(ss.iter().map(|s| Value::Text(s.clone())));
            }
            Predicate::Known(_) => {}
        }
    }
    // Every attribute may also be some other value, or not given (`None`).
    let mut axes: Vec<(String, Vec<Option<Value>>)> = Vec::new();
    let mut count: usize = 1;
    for (attr, (kind, values)) in tried {
        let name = ir.schema.at(attr)?.name().to_string();
        let mut vs: Vec<Option<Value>> = values.into_iter().map(Some).collect();
        match kind {
            AttrKind::Text => vs.push(Some(Value::Text(other_text(&vs)))),
            AttrKind::Number if vs.is_empty() => vs.push(Some(Value::Number(0))),
            AttrKind::Flag if vs.is_empty() => vs.push(Some(Value::Flag(true))),
            _ => {}
        }
        vs.push(None);
        count = count.checked_mul(vs.len()).filter(|&c| c <= MAX_CLASSES)?;
        axes.push((name, vs));
    }
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        let mut attrs = RequestAttrs::new();
        let mut rest = k;
        for (name, vs) in &axes {
            let len = vs.len().max(1);
            if let Some(Some(v)) = vs.get(rest % len) {
                attrs.set(name, v.clone());
            }
            rest /= len;
        }
        out.push(attrs);
    }
    Some(out)
}

/// A text no constant of the condition equals.
fn other_text(values: &[Option<Value>]) -> String {
    let mut s = String::from("other");
    while values
        .iter()
        .any(|v| matches!(v, Some(Value::Text(t)) if *t == s))
    {
        s.push('_');
    }
    s
}

/// The condition's value for a request.
fn value_for(ir: &Ir, formula: &Formula, attrs: &RequestAttrs) -> Tri {
    let values: Vec<Tri> = ir
        .predicates
        .iter()
        .map(|p| {
            let name = ir.schema.at(p.attr()).map_or("", |d| d.name());
            let kind = ir.schema.at(p.attr()).map(|d| d.kind());
            let v = attrs.get(name).filter(|v| Some(v.kind()) == kind);
            predicate_value(p, v)
        })
        .collect();
    formula_value(formula, &values)
}

/// Conditions that no request meets or every request meets, and
/// requirements a block repeats from the top level.
pub(super) fn conditions(policy: &Policy, out: &mut Vec<Diagnostic>) {
    let ir = policy.ir();
    let top: HashSet<&str> = ir
        .requirements
        .iter()
        .filter(|r| r.condition.is_none())
        .map(|r| r.text.as_str())
        .collect();
    for (cond, reqs) in blocks(ir) {
        if let Some(classes) = classes(ir, &[&cond.formula]) {
            let values: Vec<Tri> = classes
                .iter()
                .map(|a| value_for(ir, &cond.formula, a))
                .collect();
            if !values.contains(&Tri::True) {
                out.push(
                    Diagnostic::warning(
                        "lint/condition-never-holds",
                        format!("no request meets `when {}`", cond.text),
                    )
                    .with_label(cond.span, "never true")
                    .with_help(
                        "its requirements apply only to requests that leave an attribute it reads unsaid; check the values it compares with",
                    ),
                );
            } else if !values.contains(&Tri::False) {
                // Never false: the block applies to every request.
                out.push(
                    Diagnostic::warning(
                        "lint/condition-always-holds",
                        format!("every request meets `when {}`", cond.text),
                    )
                    .with_label(cond.span, "never false")
                    .with_help(
                        "its requirements apply to every request: write them at the top level",
                    ),
                );
            }
        }
        for &r in &reqs {
            let Some(req) = ir.requirements.get(r) else {
                continue;
            };
            if top.contains(req.text.as_str()) {
                out.push(
                    Diagnostic::warning(
                        "lint/already-required",
                        format!(
                            "`{}` is required at the top level already, for every request",
                            req.text
                        ),
                    )
                    .with_label(req.span, "repeats a requirement that always applies")
                    .with_help("drop it from the block"),
                );
            }
        }
    }
}

/// Blocks that no target of `catalog` can serve: for every kind of request
/// that meets the block's condition, every target fails the policy.
pub(super) fn unservable(
    policy: &Policy,
    catalog: &Catalog,
    catalog_name: &str,
    date: Option<Date>,
    out: &mut Vec<Diagnostic>,
) {
    /// The most (request class, target) pairs evaluated for one block.
    const MAX_PAIRS: usize = 1_000_000;
    let ir = policy.ir();
    let blocks = blocks(ir);
    // Requests of every class any condition tells apart: a request that
    // meets one block's condition may or may not meet the others'.
    let all: Vec<&Formula> = blocks.iter().map(|(c, _)| &c.formula).collect();
    let Some(classes) = classes(ir, &all) else {
        return;
    };
    for (cond, _) in &blocks {
        let meeting: Vec<&RequestAttrs> = classes
            .iter()
            .filter(|a| value_for(ir, &cond.formula, a) == Tri::True)
            .collect();
        if meeting.is_empty()
            || catalog.is_empty()
            || meeting.len().saturating_mul(catalog.len()) > MAX_PAIRS
        {
            continue;
        }
        let served = meeting.iter().any(|a| {
            catalog
                .targets()
                .iter()
                .any(|t| policy.is_allowed_for(t, a, date))
        });
        if !served {
            out.push(
                Diagnostic::warning(
                    "lint/unservable-condition",
                    format!(
                        "no target in `{catalog_name}` can serve a request that meets `when {}`",
                        cond.text
                    ),
                )
                .with_label(cond.span, "every target fails the policy for these requests")
                .with_help(
                    "such requests are always blocked: declare the attributes the block requires in the catalog, or add targets that meet them",
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Catalog, Policy, Target};

    fn codes(src: &str) -> Vec<&'static str> {
        let policy = Policy::compile(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        crate::lint::lint(&policy)
            .iter()
            .map(|d| d.code())
            .collect()
    }

    #[test]
    fn conditions_that_never_or_always_hold() {
        let never = r#"when request.team == "a" and request.team == "b" { require soc2 }"#;
        assert_eq!(codes(never), ["lint/condition-never-holds"]);
        let never = r#"when request.team in ["a"] and !(request.team != "b" or request.team == "a") { require soc2 }"#;
        assert_eq!(codes(never), ["lint/condition-never-holds"]);
        let always = r#"when request.team == "a" or request.team != "a" { require soc2 }"#;
        assert_eq!(codes(always), ["lint/condition-always-holds"]);
        let always =
            "attribute request.n: number; when request.n <= 3 or request.n > 2 { require soc2 }";
        assert_eq!(codes(always), ["lint/condition-always-holds"]);
        // Fine conditions: some requests meet them and some do not.
        for ok in [
            r#"when request.team == "a" { require soc2 }"#,
            r#"when request.data_class in ["pii", "phi"] and request.team != "research" { require soc2 }"#,
            "attribute request.n: number; when request.n <= 3 { require soc2 }",
            "attribute request.f: flag; when request.f { require soc2 }",
            // `known` holds for some requests (those that say) and not others.
            "when known(request.team) { require soc2 }",
        ] {
            assert!(codes(ok).is_empty(), "{ok}: {:?}", codes(ok));
        }
    }

    #[test]
    fn a_block_repeating_a_top_level_requirement() {
        let src = r#"require soc2; when request.team == "a" { require soc2; require gdpr }"#;
        assert_eq!(codes(src), ["lint/already-required"]);
    }

    #[test]
    fn a_block_no_target_can_serve() {
        let policy = Policy::compile(
            r#"when request.data_class == "phi" { require hipaa }
               when request.team == "a" { require soc2 }"#,
        )
        .unwrap();
        let catalog = Catalog::new(vec![
            Target::builder("x", "m").attr("soc2", true).build(),
            Target::new("y", "m"),
        ])
        .unwrap();
        let found = crate::lint::lint_catalog(&policy, &catalog, "c.json", None);
        let unservable: Vec<&str> = found
            .iter()
            .filter(|d| d.code() == "lint/unservable-condition")
            .map(|d| d.message())
            .collect();
        assert_eq!(
            unservable,
            [
                r#"no target in `c.json` can serve a request that meets `when request.data_class == "phi"`"#
            ]
        );
    }
}
