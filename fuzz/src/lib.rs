//! The checks behind eligo's fuzz targets.
//!
//! Each target function takes the bytes libFuzzer generates and panics when
//! a check fails; returning means the input passed. The regression tests
//! (`tests/main/fuzz_regressions.rs`) include this file as a module and run
//! saved inputs through [`run`], so an input that once failed keeps failing
//! `cargo test` until the library is fixed. The file therefore uses nothing
//! but `eligo`, `serde_json` and `std`.
//!
//! | target | input | checks |
//! |---|---|---|
//! | `parse` | policy text | parse and compile return `Ok` or `Err`; formatting and printing round-trip; compiled == reference on targets derived from the policy |
//! | `evaluate` | bytes decoded into a policy and targets | compiled == reference, soundness of unknowns, encoded catalogs, routing |
//! | `catalog_*` | catalog text | `Ok` or `Err`; a catalog read is consistent and round-trips |
//! | `target_json` | one target in JSON | `Ok` or `Err`; a target read round-trips |

use std::sync::OnceLock;

use eligo::eval::reference::{self, ReferenceVerdict};
use eligo::ir::{Predicate, RequirementKind};
use eligo::{
    AttrKind, Catalog, CatalogFormat, Date, ErrorKind, Mode, NO_COMPLIANT_PROVIDER, Policy,
    Request, Schema, Target, Tri, Value, ValueRef, Verdict,
};

/// Every fuzz target, by name (`fuzz/fuzz_targets/<name>.rs`).
pub const TARGETS: &[&str] = &[
    "parse",
    "evaluate",
    "catalog_json",
    "catalog_toml",
    "catalog_gateway_yaml",
    "catalog_provider_policies",
    "catalog_litellm",
    "target_json",
];

/// Runs the checks of fuzz target `target` on `data`; `false` when there is
/// no such target.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "parse" => parse(data),
        "evaluate" => evaluate(data),
        "catalog_json" => catalog_json(data),
        "catalog_toml" => catalog_toml(data),
        "catalog_gateway_yaml" => catalog_gateway_yaml(data),
        "catalog_provider_policies" => catalog_provider_policies(data),
        "catalog_litellm" => catalog_litellm(data),
        "target_json" => target_json(data),
        _ => return false,
    }
    true
}

/// The date expiring evidence is read at in date-dependent checks. Generated
/// expiry dates lie around it and far from today, so that evidence read as of
/// today gives the same answer on every run (until 2099).
fn on() -> Date {
    Date::new(2099, 6, 30).unwrap_or_else(|| unreachable!("2099-06-30 exists"))
}

/// Longest id, provider, model or endpoint a catalog accepts
/// (`docs/CATALOG.md`, limits).
const MAX_NAME_BYTES: usize = 1024;

// ------------------------------------------------------------------ targets

/// Arbitrary bytes as policy text: parse and compile never panic, errors
/// render, formatting and canonical printing round-trip, and a policy that
/// compiles decides like the reference evaluator on targets derived from its
/// own constants.
pub fn parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some((policy, equivalents)) = check_source(text) else {
        return;
    };
    let targets = derived_targets(&policy, fnv(data));
    check_policy_on(&policy, &equivalents, &targets, text);
    // Lint is exact but bounded; it must not panic either.
    let _ = eligo::lint::lint(&policy);
}

/// Bytes decoded into a policy (an expression tree over the standard and a
/// few declared attributes, rendered as text) and targets (attributes
/// undeclared, of the wrong kind, or expiring), so that most inputs compile
/// and reach the evaluator. A policy the generator knows to be valid must
/// compile; one that compiles must decide like the reference evaluator.
pub fn evaluate(data: &[u8]) {
    let mut g = Gen::new(data);
    let text = g.policy();
    let targets = g.targets();
    let checked = check_source(&text);
    let Some((policy, equivalents)) = checked else {
        assert!(
            !g.valid,
            "a valid policy does not compile:\n{text}\n{}",
            Policy::compile(&text)
                .err()
                .map_or(String::new(), |e| e.to_string())
        );
        return;
    };
    check_policy_on(&policy, &equivalents, &targets, &text);
}

/// eligo's JSON catalog format.
pub fn catalog_json(data: &[u8]) {
    catalog(data, CatalogFormat::Json, "fuzz.json");
}

/// eligo's catalog format in TOML.
pub fn catalog_toml(data: &[u8]) {
    catalog(data, CatalogFormat::Toml, "fuzz.toml");
}

/// Gateway YAML (`providers.targets[].data_policy`).
pub fn catalog_gateway_yaml(data: &[u8]) {
    catalog(data, CatalogFormat::GatewayYaml, "fuzz.yaml");
}

/// Provider definitions with `dataPolicy` objects.
pub fn catalog_provider_policies(data: &[u8]) {
    catalog(data, CatalogFormat::ProviderPolicies, "fuzz.json");
}

/// A LiteLLM proxy configuration (`model_list`), YAML or JSON.
pub fn catalog_litellm(data: &[u8]) {
    catalog(data, CatalogFormat::LiteLlm, "fuzz.yaml");
}

/// One target in JSON (`Target::from_json`).
pub fn target_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let what = || format!("target JSON:\n{}", excerpt(text));
    let read = Target::from_json(text, "fuzz.json");
    // The `Deserialize` impl reads the same shape with the same rules (it
    // does not skip a byte order mark).
    if !text.starts_with('\u{FEFF}') {
        let serde = serde_json::from_str::<Target>(text);
        match (&read, &serde) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "from_json and serde disagree; {}", what()),
            (Err(_), Err(_)) => {}
            _ => panic!(
                "from_json: {:?}, serde: {:?}; {}",
                read.as_ref().map(Target::id),
                serde.as_ref().map(Target::id),
                what()
            ),
        }
    }
    match read {
        Err(e) => check_error(&e, &[ErrorKind::Catalog], &what),
        Ok(t) => {
            check_target_fields(&t, CatalogFormat::Json, &what);
            let json = serde_json::to_string(&t).unwrap_or_else(|e| panic!("{e}; {}", what()));
            let again = Target::from_json(&json, "round-trip.json")
                .unwrap_or_else(|e| panic!("written target does not read back: {e}\n{json}"));
            assert_eq!(again, t, "round trip changed the target\n{json}");
            check_catalog_decisions(&[t], &what);
        }
    }
}

// ------------------------------------------------------------------ policies

/// Parses and compiles `text`: `Ok` or `Err`, consistently, with errors that
/// render; for text that parses, checks that formatting and canonical
/// printing keep the statements and comments. Returns the policy and the
/// policies compiled from its formatted and canonical text.
fn check_source(text: &str) -> Option<(Policy, Vec<Policy>)> {
    let what = || format!("policy text:\n{text:?}");
    let parsed = eligo::syntax::parse(text);
    let compiled = Policy::compile(text);
    let ast = match parsed {
        Err(e) => {
            check_error(&e, &[ErrorKind::Syntax], &what);
            assert!(compiled.is_err(), "compiles but does not parse; {}", what());
            assert!(
                eligo::format::format(text).is_err(),
                "formats but does not parse; {}",
                what()
            );
            return None;
        }
        Ok(ast) => ast,
    };
    // Text written from this policy: it parses, and compiles exactly when
    // the policy does (with the same fingerprint and header).
    let reread = |how: &str, other: &str| -> (eligo::ast::Policy, Option<Policy>) {
        match &compiled {
            Ok(policy) => {
                let p = Policy::compile(other).unwrap_or_else(|e| {
                    panic!("the {how} text does not compile: {e}\n{other}\n{}", what())
                });
                assert_eq!(p.fingerprint(), policy.fingerprint(), "{how}: {}", what());
                assert_eq!(
                    (p.name(), p.version(), p.mode(), p.requirement_count()),
                    (
                        policy.name(),
                        policy.version(),
                        policy.mode(),
                        policy.requirement_count()
                    ),
                    "{how}: {}",
                    what()
                );
                (p.ast().clone(), Some(p))
            }
            Err(_) => {
                let a = eligo::syntax::parse(other).unwrap_or_else(|e| {
                    panic!("the {how} text does not parse: {e}\n{other}\n{}", what())
                });
                assert!(
                    eligo::ir::lower(&a, &Schema::standard()).is_err(),
                    "the {how} text compiles, the original does not:\n{other}\n{}",
                    what()
                );
                (a, None)
            }
        }
    };

    // Formatting keeps the statements and the comments, and is idempotent.
    let formatted = eligo::format::format(text)
        .unwrap_or_else(|e| panic!("parses but does not format: {e}\n{}", what()));
    let (again, formatted_policy) = reread("formatted", &formatted);
    assert_eq!(
        again.without_spans().statements,
        ast.without_spans().statements,
        "formatting changed the statements; formatted:\n{formatted}\n{}",
        what()
    );
    let comments = |a: &eligo::ast::Policy| -> Vec<String> {
        a.comments
            .iter()
            .map(|c| c.text.trim_end().to_string())
            .collect()
    };
    assert_eq!(
        comments(&again),
        comments(&ast),
        "formatting changed the comments; formatted:\n{formatted}\n{}",
        what()
    );
    let twice = eligo::format::format(&formatted)
        .unwrap_or_else(|e| panic!("formatted text does not format: {e}\n{formatted}"));
    assert_eq!(twice, formatted, "formatting is not idempotent; {}", what());

    // Canonical printing (comments dropped) keeps the statements and is
    // stable.
    let printed = ast.to_string();
    let (reparsed, printed_policy) = reread("canonical", &printed);
    assert_eq!(
        reparsed.without_spans().statements,
        ast.without_spans().statements,
        "printing changed the statements; printed:\n{printed}\n{}",
        what()
    );
    assert_eq!(reparsed.to_string(), printed, "printing is not stable");

    match compiled {
        Err(e) => {
            check_error(&e, &[ErrorKind::Compile], &what);
            None
        }
        Ok(policy) => {
            assert_eq!(policy.canonical_text(), printed);
            let equivalents = formatted_policy.into_iter().chain(printed_policy).collect();
            Some((policy, equivalents))
        }
    }
}

/// Every check of a compiled policy on `targets` (ids unique):
///
/// - the fast path, `evaluate` and the reference evaluator agree, and the
///   program agrees with the reference requirement by requirement;
/// - a blocked verdict names exactly the requirements that are not true,
///   with the right value and attributes;
/// - evidence read as of a date decides as the target without the evidence
///   expired by then;
/// - soundness of unknowns: a target allowed with unknown attributes stays
///   allowed however they are filled in, and a requirement found true or
///   false keeps its value (policies without `known(..)`);
/// - `equivalents` (the formatted and canonical texts) decide the same;
/// - `encode_catalog` and routing agree with the reference.
fn check_policy_on(policy: &Policy, equivalents: &[Policy], targets: &[Target], text: &str) {
    let has_known = policy
        .ir()
        .predicates
        .iter()
        .any(|p| matches!(p, Predicate::Known(_)));
    let mut allowed_today = Vec::with_capacity(targets.len());
    let mut allowed_on = Vec::with_capacity(targets.len());
    for t in targets {
        let what = || format!("policy:\n{text}\ntarget: {t:?}");
        let verdict = check_target(policy, t, has_known, &what);
        allowed_today.push(verdict.is_allowed());
        for other in equivalents {
            assert_eq!(
                summary(&other.evaluate(t)),
                summary(&verdict),
                "the formatted or canonical text decides otherwise:\n{}\n{}",
                other.source(),
                what()
            );
        }

        // Evidence as of a date.
        let date = on();
        let plain = as_of(t, date);
        let verdict_on = policy.evaluate_on(t, date);
        assert_eq!(
            verdict_on,
            policy.evaluate(&plain),
            "evaluate_on differs from the target without expired evidence; {}",
            what()
        );
        assert_eq!(
            policy.is_allowed_on(t, date),
            verdict_on.is_allowed(),
            "{}",
            what()
        );
        let reference_on = check_target(policy, &plain, has_known, &what);
        assert_eq!(verdict_on.is_allowed(), reference_on.is_allowed());
        allowed_on.push(verdict_on.is_allowed());

        if !has_known {
            check_fillings(policy, &plain, &what);
        }
    }

    let what = || format!("policy:\n{text}\ntargets: {targets:#?}");
    let catalog = Catalog::new(targets.to_vec())
        .unwrap_or_else(|e| panic!("generated targets have unique ids: {e}"));
    for (date, expected) in [(Some(on()), &allowed_on), (None, &allowed_today)] {
        let encoded = policy.encode_catalog(&catalog, date);
        let indices: Vec<usize> = expected
            .iter()
            .enumerate()
            .filter(|(_, a)| **a)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(encoded.len(), targets.len());
        assert_eq!(encoded.date(), date.unwrap_or_else(Date::today));
        // Positions past the end are never allowed.
        let one_by_one: Vec<usize> = (0..targets.len() + 2)
            .filter(|&i| encoded.is_allowed(i))
            .collect();
        assert_eq!(one_by_one, indices, "encode_catalog ({date:?}); {}", what());
        // The bit-sliced bulk filter allows exactly the same positions.
        let allowed = encoded.filter();
        let bulk: Vec<usize> = allowed.indices().collect();
        assert_eq!(bulk, indices, "bulk filter ({date:?}); {}", what());
        assert_eq!(allowed.count(), indices.len());
        assert_eq!(allowed.len(), targets.len());
        assert!(!allowed.contains(targets.len()));
    }
    let filtered: Vec<&str> = policy.filter(targets).map(Target::id).collect();
    let expected: Vec<&str> = targets
        .iter()
        .zip(&allowed_today)
        .filter(|(_, a)| **a)
        .map(|(t, _)| t.id())
        .collect();
    assert_eq!(filtered, expected, "filter; {}", what());

    check_routes(policy, &catalog, &allowed_on, &what);
}

/// One target: fast path, verdict, program and reference agree; the verdict
/// explains a block exactly. Returns the verdict.
fn check_target(
    policy: &Policy,
    t: &Target,
    has_known: bool,
    what: &dyn Fn() -> String,
) -> Verdict {
    let r = reference::evaluate(policy.ast(), &Schema::standard(), t);
    let verdict = policy.evaluate(t);
    assert_eq!(
        policy.is_allowed(t),
        verdict.is_allowed(),
        "is_allowed and evaluate disagree; {}",
        what()
    );
    assert_eq!(
        verdict.is_allowed(),
        r.allowed,
        "compiled says allowed={}, reference says allowed={}; {}",
        verdict.is_allowed(),
        r.allowed,
        what()
    );
    check_program(policy, t, &r, what);

    // The explanation: exactly the requirements that are not true.
    let program = policy.program();
    let values = program.predicate_values(t, None);
    let failing: Vec<(usize, Tri)> = (0..program.requirement_count())
        .map(|i| (i, program.requirement_value(i, &values)))
        .filter(|(_, v)| *v != Tri::True)
        .collect();
    let reported: Vec<(usize, Tri)> = verdict
        .failures()
        .iter()
        .map(|f| (f.requirement(), f.value()))
        .collect();
    assert_eq!(reported, failing, "failures; {}", what());
    for f in verdict.failures() {
        assert!(
            !f.attributes().is_empty(),
            "failure without attributes {f:?}; {}",
            what()
        );
        for a in f.attributes() {
            let known = is_known(policy, t, a);
            match f.value() {
                Tri::Unknown => assert!(
                    !known,
                    "`{a}` is declared, yet named unknown in {f:?}; {}",
                    what()
                ),
                // `known(..)` is false on undeclared attributes.
                _ if has_known => {}
                _ => assert!(
                    known,
                    "`{a}` is undeclared, yet named false in {f:?}; {}",
                    what()
                ),
            }
        }
    }
    verdict
}

/// The program against the reference, requirement by requirement: the
/// bitmask check against the Kleene value, and that value against the
/// reference's.
fn check_program(policy: &Policy, t: &Target, r: &ReferenceVerdict, what: &dyn Fn() -> String) {
    let program = policy.program();
    let bits = program.encode(t);
    assert_eq!(program.passes(&bits), r.allowed, "passes; {}", what());
    let values = program.predicate_values(t, None);
    let requirements = &policy.ir().requirements;
    assert_eq!(program.requirement_count(), requirements.len());
    let mut statements = r.requirements.iter();
    let mut lists_pass = true;
    for (i, req) in requirements.iter().enumerate() {
        let value = program.requirement_value(i, &values);
        let pass = program.requirement_passes(i, &bits);
        assert_eq!(
            pass,
            value == Tri::True,
            "requirement {i} `{}`: bitmask says passes={pass}, Kleene value {value:?}; {}",
            req.text,
            what()
        );
        // Every statement inside a `when` block is a requirement of its
        // own, lists included.
        if req.condition.is_some()
            || matches!(
                req.kind,
                RequirementKind::Require | RequirementKind::MaxRetentionDays
            )
        {
            let expected = statements
                .next()
                .unwrap_or_else(|| panic!("the reference lists fewer requirements; {}", what()));
            assert_eq!(
                value,
                *expected,
                "requirement {i} `{}`: compiled {value:?}, reference {expected:?}; {}",
                req.text,
                what()
            );
        } else {
            lists_pass &= pass;
        }
    }
    assert!(
        statements.next().is_none(),
        "the reference lists more requirements; {}",
        what()
    );
    assert_eq!(lists_pass, r.lists_pass, "lists; {}", what());
}

/// Soundness of unknowns on `t` (no expiring evidence): fills in the
/// attributes the policy tests and `t` leaves unknown, with every value of
/// the right kind that matters (all combinations when few, else a sample).
fn check_fillings(policy: &Policy, t: &Target, what: &dyn Fn() -> String) {
    let before = reference::evaluate(policy.ast(), &Schema::standard(), t);
    if !before.allowed && before.requirements.iter().all(|v| *v == Tri::Unknown) {
        return;
    }
    let unknown: Vec<(String, Vec<Value>)> = domain(policy)
        .into_iter()
        .filter(|(name, _, _)| name != "provider" && name != "model" && !is_known(policy, t, name))
        .map(|(name, _, values)| (name, values))
        .collect();
    if unknown.is_empty() {
        return;
    }
    const LIMIT: usize = 32;
    let total = unknown
        .iter()
        .try_fold(1usize, |acc, (_, vs)| acc.checked_mul(vs.len()));
    let mut rng = Rng(fnv(format!("{t:?}").as_bytes()));
    let count = total.map_or(LIMIT, |n| n.min(LIMIT));
    for k in 0..count {
        let mut filled = t.clone();
        let mut rest = k;
        for (name, vs) in &unknown {
            let pick = match total {
                Some(n) if n <= LIMIT => {
                    let i = rest % vs.len();
                    rest /= vs.len();
                    i
                }
                _ => rng.below(vs.len()),
            };
            if let Some(v) = vs.get(pick) {
                filled.set(name.clone(), v.clone());
            }
        }
        let after = reference::evaluate(policy.ast(), &Schema::standard(), &filled);
        if before.allowed {
            assert!(
                after.allowed,
                "allowed with unknowns, blocked once filled in: {filled:?}; {}",
                what()
            );
        }
        for (i, (b, a)) in before
            .requirements
            .iter()
            .zip(&after.requirements)
            .enumerate()
        {
            if *b != Tri::Unknown {
                assert_eq!(
                    a,
                    b,
                    "requirement {i} was {b:?} with unknowns, {a:?} once filled in: {filled:?}; {}",
                    what()
                );
            }
        }
        assert_eq!(
            policy.is_allowed(&filled),
            after.allowed,
            "{filled:?}; {}",
            what()
        );
    }
}

/// Routing over `catalog` agrees with the decisions `allowed` (evidence as
/// of [`on`]): automatic routing keeps exactly the compliant targets serving
/// the model (all of them in `warn` mode) and answers 403 when none remain; a
/// pinned request is blocked exactly when its target is not allowed, in
/// `block` mode; a second `block` layer is applied on top.
fn check_routes(policy: &Policy, catalog: &Catalog, allowed: &[bool], what: &dyn Fn() -> String) {
    let block = policy.mode() == Mode::Block;
    let mut models: Vec<&str> = catalog.targets().iter().map(Target::model).collect();
    models.push("unserved-model");
    models.sort_unstable();
    models.dedup();
    let baseline = baseline();
    let baseline_allows: Vec<bool> = catalog
        .targets()
        .iter()
        .map(|t| baseline.is_allowed_on(t, on()))
        .collect();
    for model in models {
        let serving: Vec<usize> = catalog.serving(model).map(|(i, _)| i).collect();
        let request = Request::model(model).on(on());
        let decision = match eligo::route(policy, catalog, &request) {
            Err(e) => {
                assert!(
                    serving.is_empty(),
                    "route failed for `{model}`: {e}; {}",
                    what()
                );
                check_error(&e, &[ErrorKind::Request], what);
                continue;
            }
            Ok(d) => d,
        };
        assert!(!serving.is_empty(), "routed an unserved model; {}", what());
        let ids = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
            serving
                .iter()
                .filter(|&&i| keep(i))
                .filter_map(|&i| catalog.targets().get(i))
                .map(|t| t.id().to_string())
                .collect()
        };
        let ok = |i: usize| allowed.get(i).copied().unwrap_or(false);
        let candidates: Vec<String> = decision.candidates().iter().map(|c| c.id.clone()).collect();
        assert_eq!(candidates, ids(&|_| true), "candidates; {}", what());
        for (c, &i) in decision.candidates().iter().zip(&serving) {
            assert_eq!(c.compliant, ok(i), "candidate {}; {}", c.id, what());
            assert_eq!(c.routed, ok(i) || !block, "candidate {}; {}", c.id, what());
            assert_eq!(
                c.failures.is_empty(),
                ok(i),
                "candidate {}; {}",
                c.id,
                what()
            );
        }
        let expected = ids(&|i| ok(i) || !block);
        assert_eq!(
            decision.targets(),
            expected.as_slice(),
            "routed; {}",
            what()
        );
        let blocked = expected.is_empty();
        assert_eq!(decision.is_blocked(), blocked, "{}", what());
        assert_eq!(decision.status(), if blocked { 403 } else { 200 });
        assert_eq!(decision.code(), blocked.then_some(NO_COMPLIANT_PROVIDER));
        assert_eq!(decision.error_body().is_some(), blocked);
        assert_eq!(
            decision.would_block(),
            !block && ids(&ok).is_empty(),
            "{}",
            what()
        );
        if blocked || decision.would_block() {
            let event = decision
                .event()
                .unwrap_or_else(|| panic!("a block without an event; {}", what()));
            let _ = event.to_json();
        }

        // Two layers: the policy and a `block` baseline.
        let layers = [policy.clone(), baseline.clone()];
        let layered = eligo::route_layered(&layers, catalog, &request)
            .unwrap_or_else(|e| panic!("layered route failed: {e}; {}", what()));
        for (c, &i) in layered.candidates().iter().zip(&serving) {
            let base = baseline_allows.get(i).copied().unwrap_or(false);
            assert_eq!(c.compliant, ok(i) && base, "layered {}; {}", c.id, what());
            assert_eq!(
                c.routed,
                (ok(i) || !block) && base,
                "layered {}; {}",
                c.id,
                what()
            );
        }
    }

    for (i, t) in catalog.targets().iter().enumerate() {
        let request = Request::pin(t.id()).on(on());
        let decision = eligo::route(policy, catalog, &request)
            .unwrap_or_else(|e| panic!("pinned route to `{}` failed: {e}; {}", t.id(), what()));
        let ok = allowed.get(i).copied().unwrap_or(false);
        assert_eq!(decision.candidates().len(), 1, "{}", what());
        assert_eq!(
            decision.is_blocked(),
            block && !ok,
            "pinned `{}`; {}",
            t.id(),
            what()
        );
        let expected: Vec<String> = if block && !ok {
            Vec::new()
        } else {
            vec![t.id().to_string()]
        };
        assert_eq!(
            decision.targets(),
            expected.as_slice(),
            "pinned; {}",
            what()
        );
    }
}

/// A second policy layer for routing checks.
fn baseline() -> &'static Policy {
    static BASELINE: OnceLock<Policy> = OnceLock::new();
    BASELINE.get_or_init(|| {
        Policy::compile("policy \"baseline\"; require !trains_on_prompts")
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

/// A verdict without spans: whether allowed, and each failure's
/// requirement, value, attributes and text.
type Summary = (bool, Vec<(usize, Tri, Vec<String>, String)>);

fn summary(v: &Verdict) -> Summary {
    (
        v.is_allowed(),
        v.failures()
            .iter()
            .map(|f| {
                (
                    f.requirement(),
                    f.value(),
                    f.attributes().to_vec(),
                    f.text().to_string(),
                )
            })
            .collect(),
    )
}

/// Whether `t` declares `name` (today) with the kind the policy's schema
/// gives it.
fn is_known(policy: &Policy, t: &Target, name: &str) -> bool {
    let Some(kind) = policy.schema().get(name).map(|d| d.kind()) else {
        return false;
    };
    t.get(name).is_some_and(|v| kind_of(v) == kind)
}

fn kind_of(v: ValueRef<'_>) -> AttrKind {
    match v {
        ValueRef::Flag(_) => AttrKind::Flag,
        ValueRef::Number(_) => AttrKind::Number,
        ValueRef::Text(_) => AttrKind::Text,
    }
}

/// The same target with the evidence that expired before `date` removed
/// and the rest declared plainly.
fn as_of(t: &Target, date: Date) -> Target {
    let mut b = Target::builder(t.provider(), t.model()).id(t.id());
    if let Some(e) = t.endpoint() {
        b = b.endpoint(e);
    }
    for (name, value) in t.attributes() {
        if t.expires(name).is_none_or(|e| e >= date) {
            b = b.attr(name.clone(), value.clone());
        }
    }
    b.build()
}

/// The attributes the policy tests, each with its kind and the values that
/// matter to it: both flags, each number constant and its neighbours, each
/// string constant and one other string.
fn domain(policy: &Policy) -> Vec<(String, AttrKind, Vec<Value>)> {
    let program = policy.program();
    let mut out: Vec<(String, AttrKind, Vec<Value>)> = Vec::new();
    for (p, pred) in policy.ir().predicates.iter().enumerate() {
        let Some(name) = program.predicate_attr(p) else {
            continue;
        };
        let Some(kind) = policy.schema().get(name).map(|d| d.kind()) else {
            continue;
        };
        let at = match out.iter().position(|(n, _, _)| n == name) {
            Some(at) => at,
            None => {
                let defaults = match kind {
                    AttrKind::Flag => vec![Value::Flag(true), Value::Flag(false)],
                    AttrKind::Number => vec![Value::Number(0)],
                    AttrKind::Text => vec![Value::from("other")],
                };
                out.push((name.to_string(), kind, defaults));
                out.len() - 1
            }
        };
        let new: Vec<Value> = match pred {
            Predicate::NumCmp(_, _, n) => [n.checked_sub(1), Some(*n), n.checked_add(1)]
                .into_iter()
                .flatten()
                .map(Value::Number)
                .collect(),
            Predicate::NumIn(_, ns) => ns.iter().map(|n| Value::Number(*n)).collect(),
            Predicate::TextIn(_, ss) => ss.iter().map(|s| Value::from(s.as_str())).collect(),
            _ => Vec::new(),
        };
        if let Some((_, _, values)) = out.get_mut(at) {
            for v in new {
                if !values.contains(&v) && values.len() < 16 {
                    values.push(v);
                }
            }
        }
    }
    out
}

/// Targets for a policy read from arbitrary text: each attribute it tests
/// undeclared, of the wrong kind, or with one of the values that matter;
/// plus a target that declares nothing.
fn derived_targets(policy: &Policy, seed: u64) -> Vec<Target> {
    let domain = domain(policy);
    let mut rng = Rng(seed);
    let names = |field: &str| -> Vec<String> {
        let mut v: Vec<String> = domain
            .iter()
            .filter(|(n, _, _)| n == field)
            .flat_map(|(_, _, vs)| vs.iter())
            .filter_map(|v| match v {
                Value::Text(s) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
            .collect();
        v.push(if field == "provider" { "p" } else { "m" }.to_string());
        v
    };
    let (providers, models) = (names("provider"), names("model"));
    let mut out = vec![Target::builder("p", "m").id("t0").build()];
    for k in 1..8 {
        let provider = providers
            .get(rng.below(providers.len()))
            .map_or("p", String::as_str);
        let model = models
            .get(rng.below(models.len()))
            .map_or("m", String::as_str);
        let mut b = Target::builder(provider, model).id(format!("t{k}"));
        for (name, kind, values) in &domain {
            if name == "provider" || name == "model" {
                continue;
            }
            match rng.below(8) {
                0 | 1 => {}
                2 => b = b.attr(name.clone(), wrong_kind(*kind)),
                _ => {
                    if let Some(v) = values.get(rng.below(values.len())) {
                        b = b.attr(name.clone(), v.clone());
                    }
                }
            }
        }
        out.push(b.build());
    }
    out
}

fn wrong_kind(kind: AttrKind) -> Value {
    match kind {
        AttrKind::Flag => Value::Number(1),
        AttrKind::Number => Value::from("0"),
        AttrKind::Text => Value::Flag(true),
    }
}

// ------------------------------------------------------------------ errors

/// An error has diagnostics, comes from one of the expected stages, and
/// renders as text and JSON.
fn check_error(e: &eligo::Error, kinds: &[ErrorKind], what: &dyn Fn() -> String) {
    assert!(
        !e.diagnostics().is_empty(),
        "an error without diagnostics; {}",
        what()
    );
    assert!(
        kinds.contains(&e.kind()),
        "error of kind {:?}, expected one of {kinds:?}: {e}; {}",
        e.kind(),
        what()
    );
    for d in e.diagnostics() {
        assert!(!d.message().is_empty(), "empty message; {}", what());
    }
    let _ = e.render(true);
    let _ = e.to_json();
    let _ = e.to_string();
}

// ------------------------------------------------------------------ catalogs

fn catalog(data: &[u8], format: CatalogFormat, name: &str) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let what = || format!("{format:?} catalog:\n{}", excerpt(text));
    match Catalog::from_str_as(text, name, format) {
        Err(e) => check_error(&e, &[ErrorKind::Catalog], &what),
        Ok(c) => {
            // Every target costs some bytes of input (aliases cannot repeat
            // one: ids must be unique).
            assert!(
                c.len() <= text.len(),
                "{} targets from {} bytes",
                c.len(),
                text.len()
            );
            for (i, t) in c.targets().iter().enumerate() {
                assert_eq!(
                    c.position(t.id()),
                    Some(i),
                    "index of `{}`; {}",
                    t.id(),
                    what()
                );
                assert!(
                    c.get(t.id()).is_some_and(|g| std::ptr::eq(g, t)),
                    "get(`{}`); {}",
                    t.id(),
                    what()
                );
                check_target_fields(t, format, &what);
            }
            // What was read is written and read back as eligo JSON unchanged.
            let json =
                serde_json::json!({ "catalog": c.name(), "targets": c.targets() }).to_string();
            let again = Catalog::from_json(&json, "round-trip.json").unwrap_or_else(|e| {
                panic!(
                    "the catalog read does not read back as eligo JSON: {e}\n{json}\n{}",
                    what()
                )
            });
            assert_eq!(again.targets(), c.targets(), "round trip; {}", what());
            assert_eq!(again.name(), c.name(), "round trip; {}", what());
            check_catalog_decisions(c.targets(), &what);
        }
    }
}

/// At most 800 characters of `text`, for messages (inputs with long names
/// would drown them).
fn excerpt(text: &str) -> String {
    let count = text.chars().count();
    if count <= 800 {
        return text.to_string();
    }
    let head: String = text.chars().take(800).collect();
    format!("{head}… ({count} characters in all)")
}

/// What every reader guarantees of a target it returns.
fn check_target_fields(t: &Target, format: CatalogFormat, what: &dyn Fn() -> String) {
    let head = [
        ("id", Some(t.id())),
        ("provider", Some(t.provider())),
        ("model", Some(t.model())),
        ("endpoint", t.endpoint()),
    ];
    for (field, value) in head {
        let Some(value) = value else { continue };
        assert!(!value.is_empty(), "empty `{field}`; {}", what());
        assert!(
            value.len() <= MAX_NAME_BYTES,
            "`{field}` of {} bytes, over the {MAX_NAME_BYTES}-byte limit; {}",
            value.len(),
            what()
        );
    }
    assert_eq!(t.get("provider"), Some(ValueRef::Text(t.provider())));
    // A target serving every model has no model until a request names one.
    let model = (!t.is_wildcard()).then(|| ValueRef::Text(t.model()));
    assert_eq!(t.get("model"), model);
    let standard = Schema::standard();
    for (name, value) in t.attributes() {
        assert!(
            eligo::schema::is_valid_name(name),
            "attribute name {name:?}; {}",
            what()
        );
        assert!(
            name != "provider" && name != "model",
            "`{name}` as an attribute; {}",
            what()
        );
        if let Some(def) = standard.get(name) {
            assert_eq!(
                value.kind(),
                def.kind(),
                "standard attribute `{name}` = {value}; {}",
                what()
            );
        }
        if let (Value::Number(n), "retention_days") = (value, name.as_str()) {
            assert!(*n >= 0, "retention_days {n}; {}", what());
        }
        if let (Value::Text(hq), "headquarters", CatalogFormat::ProviderPolicies) =
            (value, name.as_str(), format)
        {
            assert!(
                hq.len() == 2 && hq.bytes().all(|b| b.is_ascii_uppercase()),
                "headquarters {hq:?}; {}",
                what()
            );
        }
    }
}

/// The shipped policies decide every target read as the reference does,
/// through `encode_catalog` too (the first 64 targets).
fn check_catalog_decisions(targets: &[Target], what: &dyn Fn() -> String) {
    let targets = targets.get(..targets.len().min(64)).unwrap_or(targets);
    let Ok(catalog) = Catalog::new(targets.to_vec()) else {
        panic!("a catalog read has duplicate ids; {}", what());
    };
    let date = on();
    for policy in shipped_policies() {
        let encoded = policy.encode_catalog(&catalog, Some(date));
        for (i, t) in targets.iter().enumerate() {
            let plain = as_of(t, date);
            let r = reference::evaluate(policy.ast(), &Schema::standard(), &plain);
            assert_eq!(
                policy.is_allowed_on(t, date),
                r.allowed,
                "{}: target `{}`; {}",
                policy.display_name(),
                t.id(),
                what()
            );
            assert_eq!(
                encoded.is_allowed(i),
                r.allowed,
                "encode_catalog; {}",
                what()
            );
            check_program(policy, &plain, &r, what);
        }
    }
}

/// The policies under `policies/`, compiled once.
fn shipped_policies() -> &'static [Policy] {
    static POLICIES: OnceLock<Vec<Policy>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        [
            include_str!("../../policies/eu-residency.pol"),
            include_str!("../../policies/gdpr.pol"),
            include_str!("../../policies/hipaa.pol"),
            include_str!("../../policies/iso27001.pol"),
            include_str!("../../policies/no-prompt-logging.pol"),
            include_str!("../../policies/no-training.pol"),
            include_str!("../../policies/regulated-routing.pol"),
            include_str!("../../policies/soc2-or-iso27001.pol"),
            include_str!("../../policies/soc2.pol"),
        ]
        .iter()
        .map(|src| Policy::compile(src).unwrap_or_else(|e| panic!("{e}")))
        .collect()
    })
}

// ------------------------------------------------------------------ input decoding

/// FNV-1a: a seed from the input, for choices the input does not encode.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// xorshift64*: small, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0 | 1;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// The fuzzer's bytes read as choices; past the end every choice is 0,
/// which always means the simplest option, so decoding ends.
struct Bytes<'a> {
    data: &'a [u8],
}

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// A choice below `n` (at most 256).
    fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            0
        } else {
            usize::from(self.byte()) % n
        }
    }

    fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    fn pick<'s, T: ?Sized>(&mut self, items: &[&'s T]) -> &'s T {
        items[self.below(items.len())]
    }

    fn raw_i64(&mut self) -> i64 {
        let mut v = [0u8; 8];
        for b in &mut v {
            *b = self.byte();
        }
        i64::from_le_bytes(v)
    }
}

/// Flag attributes of generated policies and targets (the last two are
/// declared by the policy).
const FLAGS: &[&str] = &[
    "soc2",
    "iso27001",
    "gdpr",
    "hipaa",
    "trains_on_prompts",
    "logs_prompts",
    "zero_data_retention",
    "in_memory_only",
    "internet_egress",
    "fedramp",
    "audited",
];
const NUMBERS: &[&str] = &["retention_days", "tier"];
/// Text attributes; `provider` and `model` are always declared.
const TEXTS: &[&str] = &["region", "headquarters", "cloud", "provider", "model"];
/// The attributes a generated policy declares, usually.
const CUSTOM: &[(&str, &str)] = &[
    ("fedramp", "flag"),
    ("audited", "flag"),
    ("tier", "number"),
    ("cloud", "text"),
];
/// Strings, with every escape the language has.
const STRINGS: &[&str] = &[
    "eu",
    "us",
    "uk",
    "EU",
    "",
    "a",
    "x",
    "on\"prem\\",
    "tab\there",
    "line\nbreak",
    "é",
    "zz",
];
const PROVIDERS: &[&str] = &["a", "b", "c"];
const MODELS: &[&str] = &["x", "y", "z"];
const INTS: &[i64] = &[
    i64::MIN,
    i64::MIN + 1,
    -31,
    -1,
    0,
    1,
    2,
    7,
    30,
    31,
    365,
    i64::MAX - 1,
    i64::MAX,
];
const NUM_OPS: &[&str] = &["<", "<=", ">", ">=", "==", "!="];
const SEPARATORS: &[&str] = &[
    ";\n",
    "; ",
    ";",
    " ;\n\n",
    ";  # a comment\n",
    ";\r\n\t",
    " # before the semicolon\n;\n",
];
/// Expiry dates around [`on`].
const EXPIRIES: &[(i32, u8, u8)] = &[(2000, 1, 1), (2099, 6, 29), (2099, 6, 30), (2999, 12, 31)];

/// How an expression binds, for parentheses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Atom,
    And,
    Or,
}

/// Decodes a policy and targets from bytes.
struct Gen<'a> {
    b: Bytes<'a>,
    /// Whether the policy is valid as far as the generator knows: it must
    /// then compile.
    valid: bool,
    custom_used: [bool; 4],
    /// Numbers the policy mentions, for target values around them.
    ints: Vec<i64>,
}

impl<'a> Gen<'a> {
    fn new(data: &'a [u8]) -> Gen<'a> {
        Gen {
            b: Bytes { data },
            valid: true,
            custom_used: [false; 4],
            ints: Vec::new(),
        }
    }

    fn int(&mut self) -> i64 {
        let n = match self.b.below(8) {
            7 => self.b.raw_i64(),
            6 if !self.ints.is_empty() => {
                let base = self.ints[self.b.below(self.ints.len())];
                base.saturating_add(self.b.below(3) as i64 - 1)
            }
            _ => INTS[self.b.below(INTS.len())],
        };
        if self.ints.len() < 32 {
            self.ints.push(n);
        }
        n
    }

    fn string(&mut self) -> String {
        quote(self.b.pick(STRINGS))
    }

    fn use_attr(&mut self, name: &str) {
        if let Some(i) = CUSTOM.iter().position(|(n, _)| *n == name) {
            self.custom_used[i] = true;
        }
    }

    fn policy(&mut self) -> String {
        let mut statements: Vec<String> = Vec::new();
        let (mut retention, mut name, mut version, mut mode) = (false, false, false, false);
        for _ in 0..self.b.below(7) {
            let s = match self.b.below(10) {
                0..=5 => {
                    let mut budget = 24;
                    let (e, _) = self.expr(0, &mut budget);
                    format!("require {e}")
                }
                6 => {
                    let n = self.int();
                    if retention || n < 0 {
                        self.valid = false;
                    }
                    retention = true;
                    format!("max_retention_days {n}")
                }
                7 => {
                    let action = if self.b.flag() { "allow" } else { "deny" };
                    let (field, pool) = if self.b.flag() {
                        ("model", MODELS)
                    } else {
                        ("provider", PROVIDERS)
                    };
                    let items: Vec<String> = (0..self.b.below(4))
                        .map(|_| match self.b.below(4) {
                            3 => self.string(),
                            _ => quote(self.b.pick(pool)),
                        })
                        .collect();
                    format!("{action} {field} [{}]", items.join(", "))
                }
                8 => {
                    let (seen, s) = match self.b.below(4) {
                        0 => (&mut name, format!("policy {}", self.string())),
                        1 => (&mut version, format!("version {}", self.string())),
                        2 => (&mut mode, "mode warn".to_string()),
                        _ => (&mut mode, "mode block".to_string()),
                    };
                    if *seen {
                        self.valid = false;
                    }
                    *seen = true;
                    s
                }
                _ => match self.b.below(3) {
                    // A standard attribute or a declared one, again.
                    0 => {
                        self.valid = false;
                        "attribute soc2: flag".to_string()
                    }
                    1 => {
                        self.valid = false;
                        "attribute tier: text".to_string()
                    }
                    _ => "attribute unused_extra: number".to_string(),
                },
            };
            statements.push(s);
        }
        for (i, (attr, kind)) in CUSTOM.iter().enumerate() {
            if self.b.below(16) == 15 {
                if self.custom_used[i] {
                    self.valid = false;
                }
                continue;
            }
            let at = self.b.below(statements.len() + 1);
            statements.insert(at, format!("attribute {attr}: {kind}"));
        }
        // `attribute unused_extra` twice is a duplicate.
        if statements
            .iter()
            .filter(|s| s.starts_with("attribute unused_extra"))
            .count()
            > 1
        {
            self.valid = false;
        }
        let mut out = String::new();
        if self.b.below(16) == 15 {
            out.push('\u{FEFF}');
        }
        for (i, s) in statements.iter().enumerate() {
            if i > 0 {
                out.push_str(self.b.pick(SEPARATORS));
            }
            out.push_str(s);
        }
        if self.b.flag() && !statements.is_empty() {
            out.push(';');
        }
        out
    }

    /// An expression and how it binds.
    fn expr(&mut self, depth: u32, budget: &mut u32) -> (String, Shape) {
        if depth >= 6 || *budget == 0 || self.b.below(3) != 1 {
            return (self.leaf(), Shape::Atom);
        }
        *budget -= 1;
        match self.b.below(4) {
            0 => {
                let (x, shape) = self.expr(depth + 1, budget);
                let not = if self.b.flag() { "not " } else { "!" };
                if shape == Shape::Atom && self.b.flag() {
                    (format!("{not}{x}"), Shape::Atom)
                } else {
                    (format!("{not}({x})"), Shape::Atom)
                }
            }
            1 => {
                let (x, _) = self.expr(depth + 1, budget);
                (format!("({x})"), Shape::Atom)
            }
            k => {
                let is_and = k == 2;
                let n = 2 + self.b.below(4);
                let mut parts = Vec::with_capacity(n);
                for _ in 0..n {
                    let (x, shape) = self.expr(depth + 1, budget);
                    // `and` binds tighter than `or`: an `or` inside an `and`
                    // needs parentheses; the others may have them.
                    let parens = match shape {
                        Shape::Atom => false,
                        Shape::Or if is_and => true,
                        _ => self.b.flag(),
                    };
                    parts.push(if parens { format!("({x})") } else { x });
                }
                let (sep, shape) = if is_and {
                    (" and ", Shape::And)
                } else {
                    (" or ", Shape::Or)
                };
                (parts.join(sep), shape)
            }
        }
    }

    fn leaf(&mut self) -> String {
        match self.b.below(12) {
            0..=3 => {
                let a = self.b.pick(FLAGS);
                self.use_attr(a);
                a.to_string()
            }
            4 => {
                let all: Vec<&str> = FLAGS.iter().chain(NUMBERS).chain(TEXTS).copied().collect();
                let a = self.b.pick(&all);
                self.use_attr(a);
                format!("known({a})")
            }
            5 | 6 => {
                let a = self.b.pick(NUMBERS);
                self.use_attr(a);
                let op = self.b.pick(NUM_OPS);
                format!("{a} {op} {}", self.int())
            }
            7 | 8 => {
                let a = self.b.pick(TEXTS);
                self.use_attr(a);
                let op = if self.b.flag() { "!=" } else { "==" };
                format!("{a} {op} {}", self.string())
            }
            9 => {
                let a = self.b.pick(NUMBERS);
                self.use_attr(a);
                let values: Vec<String> = (0..self.b.below(5))
                    .map(|_| self.int().to_string())
                    .collect();
                format!("{a} in [{}]", values.join(", "))
            }
            10 => {
                let a = self.b.pick(TEXTS);
                self.use_attr(a);
                let values: Vec<String> = (0..self.b.below(5)).map(|_| self.string()).collect();
                format!("{a} in [{}]", values.join(", "))
            }
            _ => {
                // Ill-typed or unknown: compile errors, never a panic.
                self.valid = false;
                let s = self.string();
                let pick = self.b.below(8);
                let n = self.int();
                match pick {
                    0 => format!("soc2 == {n}"),
                    1 => "retention_days".to_string(),
                    2 => format!("region < {s}"),
                    3 => format!("region == {n}"),
                    4 => format!("retention_days in [{s}]"),
                    5 => "gdpr in []".to_string(),
                    6 => format!("region in [{s}, {n}]"),
                    _ => "soc3".to_string(),
                }
            }
        }
    }

    /// One to six targets with ids `t0`, `t1`, ….
    fn targets(&mut self) -> Vec<Target> {
        let n = 1 + self.b.below(6);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let provider = match self.b.below(4) {
                3 => "other",
                k => PROVIDERS[k],
            };
            let model = match self.b.below(4) {
                3 => "*",
                k => MODELS[k],
            };
            let mut t = Target::builder(provider, model).id(format!("t{i}")).build();
            let names = FLAGS
                .iter()
                .chain(NUMBERS)
                .chain(TEXTS.iter().filter(|a| **a != "provider" && **a != "model"));
            for name in names {
                let kind = if FLAGS.contains(name) {
                    AttrKind::Flag
                } else if NUMBERS.contains(name) {
                    AttrKind::Number
                } else {
                    AttrKind::Text
                };
                match self.b.below(8) {
                    0..=2 => {}
                    3..=5 => {
                        let v = self.value(kind);
                        t.set(*name, v);
                    }
                    6 => t.set(*name, wrong_kind(kind)),
                    _ => {
                        let v = self.value(kind);
                        let (y, m, d) = EXPIRIES[self.b.below(EXPIRIES.len())];
                        if let Some(date) = Date::new(y, m, d) {
                            t.set_expiring(*name, v, date);
                        }
                    }
                }
            }
            out.push(t);
        }
        out
    }

    /// A value of `kind`: numbers around those the policy mentions.
    fn value(&mut self, kind: AttrKind) -> Value {
        match kind {
            AttrKind::Flag => Value::Flag(self.b.flag()),
            AttrKind::Number => {
                let n = match self.ints.len() {
                    0 => INTS[self.b.below(INTS.len())],
                    len => self.ints[self.b.below(len)],
                };
                Value::Number(n.saturating_add(self.b.below(3) as i64 - 1))
            }
            AttrKind::Text => Value::from(match self.b.below(STRINGS.len() + 1) {
                0 => "other",
                k => STRINGS[k - 1],
            }),
        }
    }
}

/// A string literal in policy syntax.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
