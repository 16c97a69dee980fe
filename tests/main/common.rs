//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};

use eligo::eval::reference;
use eligo::ir::{Requirement, RequirementKind};
use eligo::{Policy, Program, RequestAttrs, Schema, Target, Tri, Verdict};

/// A path relative to the package root.
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Whether a requirement comes from a `require` or `max_retention_days`
/// statement, or from any statement inside a `when` block: the
/// requirements the reference evaluator lists, in order.
pub fn is_statement_requirement(req: &Requirement) -> bool {
    req.condition.is_some()
        || matches!(
            req.kind,
            RequirementKind::Require | RequirementKind::MaxRetentionDays
        )
}

/// Checks `program` (normally `policy.program()`, or a tampered copy of it)
/// against the reference evaluator on `target`: the overall decision, and
/// requirement by requirement both the bitmask check and the Kleene value.
pub fn check_against_reference(
    policy: &Policy,
    program: &Program,
    target: &Target,
) -> Result<(), String> {
    check_against_reference_for(policy, program, target, &RequestAttrs::new())
}

/// [`check_against_reference`] for a request with attributes `attrs`.
pub fn check_against_reference_for(
    policy: &Policy,
    program: &Program,
    target: &Target,
    attrs: &RequestAttrs,
) -> Result<(), String> {
    let reference = reference::evaluate_for(policy.ast(), &Schema::standard(), target, attrs);
    let bits = program.encode_for(target, attrs, None);
    let passes = program.passes(&bits);
    if passes != reference.allowed {
        return Err(format!(
            "compiled says allowed={passes}, reference says allowed={}\npolicy:\n{}\ntarget: {target:?}\nrequest: {attrs:?}",
            reference.allowed,
            policy.source()
        ));
    }
    let values = program.predicate_values_for(target, attrs, None);
    let requirements = &policy.ir().requirements;
    if program.requirement_count() != requirements.len() {
        return Err(format!(
            "program has {} requirements, IR has {}",
            program.requirement_count(),
            requirements.len()
        ));
    }
    let mut statements = reference.requirements.iter();
    let mut lists_pass = true;
    for (i, req) in requirements.iter().enumerate() {
        let value = program.requirement_value(i, &values);
        let bit_pass = program.requirement_passes(i, &bits);
        if bit_pass != (value == Tri::True) {
            return Err(format!(
                "requirement {i} `{}`: bitmask says passes={bit_pass}, Kleene value is {value:?}\npolicy:\n{}\ntarget: {target:?}",
                req.text,
                policy.source()
            ));
        }
        if is_statement_requirement(req) {
            let Some(&expected) = statements.next() else {
                return Err(format!(
                    "reference lists fewer requirements than the IR\npolicy:\n{}",
                    policy.source()
                ));
            };
            if value != expected {
                return Err(format!(
                    "requirement {i} `{}`: compiled value {value:?}, reference value {expected:?}\npolicy:\n{}\ntarget: {target:?}",
                    req.text,
                    policy.source()
                ));
            }
        } else {
            lists_pass &= bit_pass;
        }
    }
    if statements.next().is_some() {
        return Err(format!(
            "reference lists more requirements than the IR\npolicy:\n{}",
            policy.source()
        ));
    }
    if lists_pass != reference.lists_pass {
        return Err(format!(
            "compiled lists pass={lists_pass}, reference lists pass={}\npolicy:\n{}\ntarget: {target:?}",
            reference.lists_pass,
            policy.source()
        ));
    }
    Ok(())
}

/// A verdict without source spans and texts, to compare verdicts of the
/// same policy written two ways: whether allowed, and for each failure the
/// requirement index, its value and the attributes named.
pub fn summary(v: &Verdict) -> (bool, Vec<(usize, Tri, Vec<String>)>) {
    (
        v.is_allowed(),
        v.failures()
            .iter()
            .map(|f| (f.requirement(), f.value(), f.attributes().to_vec()))
            .collect(),
    )
}
