//! Evaluation: verdicts and their explanations.
//!
//! The decision (allowed or blocked) comes from the compiled [`Program`]'s
//! bitmask check. Only a blocked target pays for an explanation: every failed
//! requirement with its text and span, whether it failed because it was false
//! or because of unknown attributes, and which attributes those were.

mod encoded;
pub mod reference;
pub(crate) mod row;

pub use encoded::{AllowedSet, BLOCK, EncodedCatalog};
pub use row::predicate_value;

use std::collections::HashSet;
use std::sync::Arc;

use serde::Serialize;

use crate::ast::Mode;
use crate::compile::{Program, Tri, formula_value, lit_value};
use crate::ir::{Formula, Lit};
use crate::ir::{Ir, RequirementKind};
use crate::span::Span;

/// Why a target failed one requirement.
///
/// ```
/// let policy = eligo::compile("require soc2 or iso27001; require !trains_on_prompts")?;
/// let t = eligo::Target::builder("p", "m").attr("iso27001", false).build();
/// let verdict = policy.evaluate(&t);
/// let f = &verdict.failures()[0];
/// assert_eq!(f.text(), "require soc2 or iso27001");
/// assert_eq!(f.value(), eligo::Tri::Unknown);
/// assert_eq!(f.attributes(), ["soc2"]);
/// assert_eq!(verdict.failures()[1].attributes(), ["trains_on_prompts"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Failure {
    requirement: usize,
    #[serde(serialize_with = "ser_kind")]
    kind: RequirementKind,
    text: Arc<str>,
    span: Span,
    value: Tri,
    attributes: Arc<[String]>,
    /// The `when` condition the requirement stands under, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    condition: Option<Arc<str>>,
}

/// One failed requirement of one policy layer, as routing decisions and
/// security events list them.
///
/// ```
/// use eligo::{Catalog, Request, Target};
/// let policy = eligo::compile(r#"policy "org"; require soc2"#)?;
/// let catalog = Catalog::new(vec![Target::new("a", "m")])?;
/// let d = eligo::route(&policy, &catalog, &Request::model("m"))?;
/// let f = &d.candidates()[0].failures[0];
/// assert_eq!((&*f.policy, f.failure.text()), ("org", "require soc2"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct LayerFailure {
    /// The display name of the policy layer.
    pub policy: Arc<str>,
    /// That layer's mode.
    pub mode: Mode,
    /// The failed requirement.
    #[serde(flatten)]
    pub failure: Failure,
}

fn ser_kind<S: serde::Serializer>(k: &RequirementKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind_name(*k))
}

/// A short name for a requirement kind: `require`, `max_retention_days`,
/// `allow_provider`, `deny_model`, ….
pub fn kind_name(k: RequirementKind) -> &'static str {
    use crate::ast::ListField::{Model, Provider};
    match k {
        RequirementKind::Require => "require",
        RequirementKind::MaxRetentionDays => "max_retention_days",
        RequirementKind::Allow(Provider) => "allow_provider",
        RequirementKind::Allow(Model) => "allow_model",
        RequirementKind::Deny(Provider) => "deny_provider",
        RequirementKind::Deny(Model) => "deny_model",
    }
}

impl Failure {
    /// Index of the failed requirement in the policy.
    pub fn requirement(&self) -> usize {
        self.requirement
    }

    /// The kind of statement it comes from.
    pub fn kind(&self) -> RequirementKind {
        self.kind
    }

    /// The requirement as written (whitespace folded), or the merged list.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where the requirement stands in the policy source.
    pub fn span(&self) -> Span {
        self.span
    }

    /// [`Tri::False`] when the target's declarations contradict the
    /// requirement, [`Tri::Unknown`] when it failed for want of declarations.
    pub fn value(&self) -> Tri {
        self.value
    }

    /// Whether it failed because of unknown (undeclared) attributes.
    pub fn is_unknown(&self) -> bool {
        self.value == Tri::Unknown
    }

    /// For a false requirement, the attributes whose values made it false;
    /// for an unknown one, the undeclared attributes it depends on.
    pub fn attributes(&self) -> &[String] {
        &self.attributes
    }

    /// The `when` condition the requirement stands under, in canonical
    /// form (`request.data_class in ["phi"]`; nested blocks joined with
    /// `and`), or `None` for a requirement that always applies. The
    /// requirement failed because the condition held or was unknown (an
    /// attribute it reads was not given): `attributes` then names it.
    pub fn condition(&self) -> Option<&str> {
        self.condition.as_deref()
    }

    /// One line for people: `require soc2 (unknown: soc2)`.
    pub fn describe(&self) -> String {
        let why = match self.value {
            Tri::Unknown => "unknown",
            _ => "false",
        };
        if self.attributes.is_empty() {
            format!("{} ({why})", self.text)
        } else {
            format!("{} ({why}: {})", self.text, self.attributes.join(", "))
        }
    }
}

/// The outcome of evaluating a policy on one target.
///
/// ```
/// let policy = eligo::compile("max_retention_days 0")?;
/// let t = eligo::Target::builder("p", "m").attr("retention_days", 0).build();
/// assert!(policy.evaluate(&t).is_allowed());
/// let u = eligo::Target::new("p", "m");
/// let v = policy.evaluate(&u);
/// assert!(v.is_blocked());
/// assert_eq!(v.failures()[0].describe(), "max_retention_days 0 (unknown: retention_days)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    allowed: bool,
    failures: Vec<Failure>,
}

impl Verdict {
    /// Whether the target passes every requirement.
    pub fn is_allowed(&self) -> bool {
        self.allowed
    }

    /// Whether the target fails some requirement.
    pub fn is_blocked(&self) -> bool {
        !self.allowed
    }

    /// Every failed requirement, in policy order (empty when allowed).
    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }

    /// A blocking verdict with these failures. Blocked whatever they are:
    /// an explanation never turns a block into an allow.
    pub(crate) fn block(failures: Vec<Failure>) -> Verdict {
        Verdict {
            allowed: false,
            failures,
        }
    }

    /// An allowing verdict.
    pub(crate) fn allow() -> Verdict {
        Verdict {
            allowed: true,
            failures: Vec::new(),
        }
    }
}

/// Every failed requirement of a target whose literal bits are `bits`.
/// The bits hold each predicate's value, all an explanation reads, so
/// equal bits always get equal explanations.
pub(crate) fn failures_of(ir: &Ir, program: &Program, bits: &[u64]) -> Vec<Failure> {
    let values = program.values_of_bits(bits);
    let mut failures = Vec::new();
    for (i, req) in ir.requirements.iter().enumerate() {
        let value = program.requirement_value(i, &values);
        if value == Tri::True {
            continue;
        }
        let mut lits = Vec::new();
        deciding(&req.formula, value, &values, &mut lits);
        // Each attribute once, in order of first appearance. A set of the
        // names seen keeps this linear: searching the list for each name
        // was quadratic in the number of attributes.
        let mut seen: HashSet<&str> = HashSet::new();
        let mut attributes: Vec<String> = Vec::new();
        for lit in lits {
            if let Some(name) = program.predicate_attr(lit.pred) {
                if seen.insert(name) {
                    attributes.push(name.to_string());
                }
            }
        }
        failures.push(Failure {
            requirement: i,
            kind: req.kind,
            text: req.text.as_str().into(),
            span: req.span,
            value,
            attributes: attributes.into(),
            condition: req.condition.as_ref().map(|c| c.text.as_str().into()),
        });
    }
    failures
}

/// Collects the literals that decide why `f` has `value` (false or unknown):
/// for a false `and`, its false operands; for a false `or`, all operands;
/// for an unknown one, only its unknown operands (a true operand of an
/// unknown `and`, or a false operand of an unknown `or`, changes nothing).
fn deciding(f: &Formula, value: Tri, values: &[Tri], out: &mut Vec<Lit>) {
    match f {
        Formula::Lit(l) => {
            if lit_value(*l, values) == value {
                out.push(*l);
            }
        }
        Formula::And(xs) | Formula::Or(xs) => {
            for x in xs {
                if formula_value(x, values) == value {
                    deciding(x, value, values, out);
                }
            }
        }
    }
}
