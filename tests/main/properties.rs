//! Property tests over random policies (generated as text from a small
//! AST-like model) and random targets.
//!
//! - compiled == reference, decision and requirement by requirement;
//! - soundness of unknowns: a decision reached with unknowns, and every
//!   requirement found true or false, holds for every filling-in;
//! - no unknown when every attribute is declared with the right kind;
//! - print → parse round trip of the AST;
//! - `is_allowed` agrees with `evaluate`, and a block always says why;
//! - a deliberately broken compiler is caught by the same check;
//! - requirements compiled to mask programs agree with the reference;
//! - the bit-sliced bulk filter agrees with the reference on catalogs that
//!   span several words and blocks, and with the row path;
//! - at scale: `ELIGO_PROPTEST_CASES` × 500 (policy, target) pairs, 10
//!   million in CI, decided alike by the reference, row path and filter.
//!
//! `ELIGO_PROPTEST_CASES` sets the number of cases (2000 by default).

use std::fmt::Write as _;

use eligo::eval::reference;
use eligo::{Policy, Request, Schema, Target, Tri, Value};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRng, TestRunner};

use crate::common::{check_against_reference, check_against_reference_for, summary};

fn cases() -> u32 {
    std::env::var("ELIGO_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000)
}

fn config() -> Config {
    Config {
        cases: cases(),
        ..Config::default()
    }
}

// ------------------------------------------------------------------ vocabulary

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Flag,
    Number,
    Text,
}

/// The attributes random policies and targets use. `provider` and `model`
/// are always declared, so they are not in this list (targets pick them from
/// [`PROVIDERS`] and [`MODELS`]).
const ATTRS: &[(&str, Kind)] = &[
    ("soc2", Kind::Flag),
    ("iso27001", Kind::Flag),
    ("gdpr", Kind::Flag),
    ("trains_on_prompts", Kind::Flag),
    ("fedramp", Kind::Flag),
    ("audited", Kind::Flag),
    // Not in random policies (see FLAGS), but shipped ones use them.
    ("hipaa", Kind::Flag),
    ("logs_prompts", Kind::Flag),
    ("retention_days", Kind::Number),
    ("tier", Kind::Number),
    ("region", Kind::Text),
    ("cloud", Kind::Text),
];

/// Declarations of the custom attributes in [`ATTRS`]; every random policy
/// has them, at random places.
const DECLARATIONS: &[&str] = &[
    "attribute fedramp: flag",
    "attribute audited: flag",
    "attribute tier: number",
    "attribute cloud: text",
];

const FLAGS: &[&str] = &[
    "soc2",
    "iso27001",
    "gdpr",
    "trains_on_prompts",
    "fedramp",
    "audited",
];
const NUMBERS: &[&str] = &["retention_days", "tier"];
const TEXTS: &[&str] = &["region", "cloud", "provider", "model"];
const PROVIDERS: &[&str] = &["a", "b", "c"];
const MODELS: &[&str] = &["x", "y", "z"];
/// Models targets serve: those of [`MODELS`], or every model (`*`), whose
/// `model` is unknown until a request names one.
const TARGET_MODELS: &[&str] = &["x", "y", "z", "*"];
const NUM_OPS: &[&str] = &["<", "<=", ">", ">=", "==", "!="];
/// Numbers written in policies.
const NUM_CONSTS: &[i64] = &[-5, -1, 0, 1, 7, 30, 31];
/// Numbers targets declare: around every constant.
const NUM_VALUES: &[i64] = &[-6, -5, -4, -1, 0, 1, 2, 6, 7, 8, 30, 31, 32, 45];

/// Strings targets declare for a text attribute.
fn text_values(attr: &str) -> &'static [&'static str] {
    match attr {
        "region" => &["eu", "us", "uk"],
        "cloud" => &["aws", "gcp", "on\"prem\\"],
        "provider" => PROVIDERS,
        _ => MODELS,
    }
}

/// Strings policies write for a text attribute: the declared ones and one
/// that no target has.
fn text_consts(attr: &str) -> Vec<&'static str> {
    let mut v = text_values(attr).to_vec();
    v.push("zz");
    v
}

fn kind_of(attr: &str) -> Kind {
    ATTRS
        .iter()
        .find(|(a, _)| *a == attr)
        .map_or(Kind::Text, |(_, k)| *k)
}

// ------------------------------------------------------------------ policies

#[derive(Clone, Debug)]
enum Lit {
    Int(i64),
    Str(&'static str),
}

impl Lit {
    fn render(&self, out: &mut String) {
        match self {
            Lit::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Lit::Str(s) => {
                out.push('"');
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
        }
    }
}

#[derive(Clone, Debug)]
enum Expr {
    Flag(&'static str),
    Known(&'static str),
    Cmp(&'static str, &'static str, Lit),
    In(&'static str, Vec<Lit>),
    /// `true`: spelled `not`, else `!`.
    Not(bool, Box<Expr>),
    Group(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

impl Expr {
    fn render(&self, out: &mut String) {
        match self {
            Expr::Flag(a) => out.push_str(a),
            Expr::Known(a) => {
                let _ = write!(out, "known({a})");
            }
            Expr::Cmp(a, op, v) => {
                let _ = write!(out, "{a} {op} ");
                v.render(out);
            }
            Expr::In(a, vs) => {
                let _ = write!(out, "{a} in [");
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.render(out);
                }
                out.push(']');
            }
            Expr::Not(keyword, x) => {
                out.push_str(if *keyword { "not " } else { "!" });
                if matches!(**x, Expr::And(_) | Expr::Or(_)) {
                    out.push('(');
                    x.render(out);
                    out.push(')');
                } else {
                    x.render(out);
                }
            }
            Expr::Group(x) => {
                out.push('(');
                x.render(out);
                out.push(')');
            }
            Expr::And(xs) | Expr::Or(xs) => {
                let is_and = matches!(self, Expr::And(_));
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(if is_and { " and " } else { " or " });
                    }
                    // `and` binds tighter than `or`, so only an `or` inside an
                    // `and` (and any same-kind nesting) needs parentheses.
                    let parens = match x {
                        Expr::Or(_) => true,
                        Expr::And(_) => is_and,
                        _ => false,
                    };
                    if parens {
                        out.push('(');
                    }
                    x.render(out);
                    if parens {
                        out.push(')');
                    }
                }
            }
        }
    }

    fn attrs(&self, out: &mut Vec<&'static str>) {
        match self {
            Expr::Flag(a) | Expr::Known(a) | Expr::Cmp(a, _, _) | Expr::In(a, _) => out.push(a),
            Expr::Not(_, x) | Expr::Group(x) => x.attrs(out),
            Expr::And(xs) | Expr::Or(xs) => xs.iter().for_each(|x| x.attrs(out)),
        }
    }
}

#[derive(Clone, Debug)]
enum Stmt {
    Require(Expr),
    MaxRetention(i64),
    List {
        allow: bool,
        provider: bool,
        items: Vec<&'static str>,
    },
    Declare(&'static str),
    Name,
    Version,
    Mode(bool),
    /// `when COND { STATEMENTS }`, the condition over request attributes.
    When(Expr, Vec<Stmt>),
}

/// Request attributes conditions read, with the values requests give.
const REQUEST_ATTRS: &[(&str, &[&str])] = &[
    ("request.data_class", &["public", "pii", "phi"]),
    ("request.team", &["research", "ops"]),
    ("request.app", &["a", "b"]),
    ("request.kind", &["chat", "embedding"]),
];

fn request_values(attr: &str) -> &'static [&'static str] {
    REQUEST_ATTRS
        .iter()
        .find(|(a, _)| *a == attr)
        .map_or(&[], |(_, v)| v)
}

/// Request attributes: each of [`REQUEST_ATTRS`] not given, given one of
/// its values (or one no policy names), or given with the wrong kind.
fn request_attrs() -> impl Strategy<Value = eligo::RequestAttrs> {
    prop::collection::vec((0u8..4, any::<Index>()), REQUEST_ATTRS.len()).prop_map(|picks| {
        let mut attrs = eligo::RequestAttrs::new();
        for ((name, values), (how, i)) in REQUEST_ATTRS.iter().zip(picks) {
            match how {
                0 => {}
                1 => attrs.set(name, Value::Number(1)),
                _ => {
                    let mut pool = values.to_vec();
                    pool.push("zz");
                    attrs.set(name, pool[i.index(pool.len())]);
                }
            }
        }
        attrs
    })
}

/// A condition's leaf over request attributes.
fn cond_leaf() -> BoxedStrategy<Expr> {
    let names: Vec<&'static str> = REQUEST_ATTRS.iter().map(|(a, _)| *a).collect();
    let consts = |a: &'static str, i: &Index| {
        let mut v = request_values(a).to_vec();
        v.push("zz");
        Lit::Str(v[i.index(v.len())])
    };
    let cmp = (
        select(names.clone()),
        select(&["==", "!="][..]),
        any::<Index>(),
    )
        .prop_map(move |(a, op, i)| Expr::Cmp(a, op, consts(a, &i)));
    let member = (
        select(names.clone()),
        prop::collection::vec(any::<Index>(), 1..3),
    )
        .prop_map(move |(a, is)| Expr::In(a, is.iter().map(|i| consts(a, i)).collect()));
    let known = select(names).prop_map(Expr::Known);
    prop_oneof![3 => cmp, 3 => member, 1 => known].boxed()
}

fn cond() -> BoxedStrategy<Expr> {
    cond_leaf()
        .prop_recursive(2, 6, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..3).prop_map(Expr::And),
                prop::collection::vec(inner.clone(), 2..3).prop_map(Expr::Or),
                (any::<bool>(), inner).prop_map(|(k, x)| Expr::Not(k, Box::new(x))),
            ]
        })
        .boxed()
}

/// A `when` block: a condition and one to three requirements, now and
/// then a nested block.
fn when_stmt(with_known: bool) -> BoxedStrategy<Stmt> {
    let inner = prop_oneof![
        4 => expr(with_known).prop_map(Stmt::Require),
        1 => select(&[0i64, 7, 30][..]).prop_map(Stmt::MaxRetention),
        1 => list_stmt(),
    ];
    let flat = (cond(), prop::collection::vec(inner, 1..4)).prop_map(|(c, b)| Stmt::When(c, b));
    (flat.clone(), prop::option::weighted(0.25, flat))
        .prop_map(|(outer, nested)| match (outer, nested) {
            (Stmt::When(c, mut body), Some(n)) => {
                body.push(n);
                Stmt::When(c, body)
            }
            (s, _) => s,
        })
        .boxed()
}

/// Renders the statements of a `when` block, `; ` between them.
fn render_body(stmts: &[Stmt], out: &mut String) {
    for (i, s) in stmts.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        render_stmt(s, out);
    }
}

fn render_stmt(s: &Stmt, out: &mut String) {
    match s {
        Stmt::Require(e) => {
            out.push_str("require ");
            e.render(out);
        }
        Stmt::MaxRetention(n) => {
            let _ = write!(out, "max_retention_days {n}");
        }
        Stmt::List {
            allow,
            provider,
            items,
        } => {
            out.push_str(if *allow { "allow " } else { "deny " });
            out.push_str(if *provider { "provider [" } else { "model [" });
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                Lit::Str(item).render(out);
            }
            out.push(']');
        }
        Stmt::Declare(d) => out.push_str(d),
        Stmt::Name => out.push_str("policy \"random\""),
        Stmt::Version => out.push_str("version \"0.1\""),
        Stmt::Mode(warn) => out.push_str(if *warn { "mode warn" } else { "mode block" }),
        Stmt::When(c, body) => {
            out.push_str("when ");
            c.render(out);
            out.push_str(" { ");
            render_body(body, out);
            out.push_str(" }");
        }
    }
}

#[derive(Clone, Debug)]
struct PolicySpec {
    stmts: Vec<Stmt>,
    sep: &'static str,
    trailing: bool,
}

impl PolicySpec {
    fn text(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.stmts.iter().enumerate() {
            if i > 0 {
                out.push_str(self.sep);
            }
            render_stmt(s, &mut out);
        }
        if self.trailing && !self.stmts.is_empty() {
            out.push(';');
        }
        out
    }

    /// The attributes the policy tests.
    fn attrs(&self) -> Vec<&'static str> {
        fn walk(stmts: &[Stmt], out: &mut Vec<&'static str>) {
            for s in stmts {
                match s {
                    Stmt::Require(e) => e.attrs(out),
                    Stmt::MaxRetention(_) => out.push("retention_days"),
                    Stmt::When(_, body) => walk(body, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.stmts, &mut out);
        out.sort_unstable();
        out.dedup();
        out.retain(|a| *a != "provider" && *a != "model");
        out
    }

    fn compile(&self) -> Result<Policy, TestCaseError> {
        let text = self.text();
        Policy::compile(&text)
            .map_err(|e| TestCaseError::fail(format!("does not compile:\n{text}\n{e}")))
    }
}

fn text_lit(attr: &'static str, i: &Index) -> Lit {
    let consts = text_consts(attr);
    Lit::Str(consts[i.index(consts.len())])
}

fn leaf(with_known: bool) -> BoxedStrategy<Expr> {
    let flag = select(FLAGS).prop_map(Expr::Flag);
    let known = select(
        ATTRS
            .iter()
            .map(|(a, _)| *a)
            .chain(["provider", "model"])
            .collect::<Vec<_>>(),
    )
    .prop_map(Expr::Known);
    let num_cmp = (select(NUMBERS), select(NUM_OPS), select(NUM_CONSTS))
        .prop_map(|(a, op, n)| Expr::Cmp(a, op, Lit::Int(n)));
    let text_cmp = (select(TEXTS), select(&["==", "!="][..]), any::<Index>())
        .prop_map(|(a, op, i)| Expr::Cmp(a, op, text_lit(a, &i)));
    let num_in = (
        select(NUMBERS),
        prop::collection::vec(select(NUM_CONSTS), 0..4),
    )
        .prop_map(|(a, ns)| Expr::In(a, ns.into_iter().map(Lit::Int).collect()));
    let text_in = (select(TEXTS), prop::collection::vec(any::<Index>(), 0..4))
        .prop_map(|(a, is)| Expr::In(a, is.iter().map(|i| text_lit(a, i)).collect()));
    if with_known {
        prop_oneof![4 => flag, 1 => known, 2 => num_cmp, 2 => text_cmp, 1 => num_in, 1 => text_in]
            .boxed()
    } else {
        prop_oneof![4 => flag, 2 => num_cmp, 2 => text_cmp, 1 => num_in, 1 => text_in].boxed()
    }
}

fn expr(with_known: bool) -> BoxedStrategy<Expr> {
    leaf(with_known)
        .prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
                (any::<bool>(), inner.clone()).prop_map(|(k, x)| Expr::Not(k, Box::new(x))),
                inner.prop_map(|x| Expr::Group(Box::new(x))),
            ]
        })
        .boxed()
}

fn list_stmt() -> impl Strategy<Value = Stmt> {
    (any::<bool>(), any::<bool>(), any::<Index>(), 0..3usize).prop_map(
        |(allow, provider, start, len)| {
            let pool = if provider { PROVIDERS } else { MODELS };
            let start = start.index(pool.len());
            Stmt::List {
                allow,
                provider,
                items: (0..len).map(|k| pool[(start + k) % pool.len()]).collect(),
            }
        },
    )
}

/// Random policies, `when` blocks among their statements.
fn policy(with_known: bool) -> impl Strategy<Value = PolicySpec> {
    policy_with(with_known, true)
}

fn policy_with(with_known: bool, with_when: bool) -> impl Strategy<Value = PolicySpec> {
    let whens = if with_when { 0..3usize } else { 0..1usize };
    (
        prop::collection::vec(expr(with_known), 0..4),
        prop::option::of(select(&[0i64, 1, 7, 30, 31][..])),
        prop::collection::vec(list_stmt(), 0..3),
        (
            any::<bool>(),
            any::<bool>(),
            prop::option::of(any::<bool>()),
        ),
    )
        .prop_flat_map(move |x| {
            (
                Just(x),
                prop::collection::vec(when_stmt(with_known), whens.clone()),
            )
        })
        .prop_map(|((reqs, max, lists, (name, version, mode)), whens)| {
            let mut stmts: Vec<Stmt> = reqs.into_iter().map(Stmt::Require).collect();
            stmts.extend(whens);
            stmts.extend(max.map(Stmt::MaxRetention));
            stmts.extend(lists);
            stmts.extend(DECLARATIONS.iter().map(|d| Stmt::Declare(d)));
            if name {
                stmts.push(Stmt::Name);
            }
            if version {
                stmts.push(Stmt::Version);
            }
            stmts.extend(mode.map(Stmt::Mode));
            stmts
        })
        .prop_shuffle()
        .prop_flat_map(|stmts| {
            (
                Just(stmts),
                select(
                    &[
                        ";\n",
                        "; ",
                        " ;\n\n",
                        ";  # a comment\n",
                        ";\r\n\t",
                        " # before the semicolon\n;\n",
                    ][..],
                ),
                any::<bool>(),
            )
        })
        .prop_map(|(stmts, sep, trailing)| PolicySpec {
            stmts,
            sep,
            trailing,
        })
}

// ------------------------------------------------------------------ targets

#[derive(Clone, Debug)]
struct TargetSpec {
    provider: &'static str,
    model: &'static str,
    /// One entry for each of [`ATTRS`]: `None` when undeclared.
    values: Vec<Option<Value>>,
}

impl TargetSpec {
    fn build(&self) -> Target {
        let mut b = Target::builder(self.provider, self.model);
        for ((name, _), v) in ATTRS.iter().zip(&self.values) {
            if let Some(v) = v {
                b = b.attr(*name, v.clone());
            }
        }
        b.build()
    }

    /// Whether attribute `attr` is declared with the right kind.
    fn is_known(&self, attr: &str) -> bool {
        match attr {
            "provider" => return true,
            "model" => return self.model != "*",
            _ => {}
        }
        let i = ATTRS.iter().position(|(a, _)| *a == attr);
        i.and_then(|i| self.values[i].as_ref())
            .is_some_and(|v| v.kind() == kind_to_eligo(kind_of(attr)))
    }

    /// The target with attribute `i` undeclared where `hide[i]` is 1 and
    /// declared with a value of the wrong kind where it is 2 or 3.
    fn hide(&self, hide: &[u8]) -> TargetSpec {
        let mut t = self.clone();
        for (i, ((name, _), h)) in ATTRS.iter().zip(hide).enumerate() {
            match h {
                1 => t.values[i] = None,
                2 | 3 => t.values[i] = Some(wrong_values(name)[usize::from(*h - 2)].clone()),
                _ => {}
            }
        }
        t
    }

    fn with(&self, attr: &str, value: Value) -> TargetSpec {
        let mut t = self.clone();
        if let Some(i) = ATTRS.iter().position(|(a, _)| *a == attr) {
            t.values[i] = Some(value);
        }
        t
    }
}

fn kind_to_eligo(k: Kind) -> eligo::AttrKind {
    match k {
        Kind::Flag => eligo::AttrKind::Flag,
        Kind::Number => eligo::AttrKind::Number,
        Kind::Text => eligo::AttrKind::Text,
    }
}

/// Right-kind values an attribute can take.
fn right_values(attr: &str) -> Vec<Value> {
    match kind_of(attr) {
        Kind::Flag => vec![Value::Flag(false), Value::Flag(true)],
        Kind::Number => NUM_VALUES.iter().map(|n| Value::Number(*n)).collect(),
        // "zz" is the constant policies write that targets rarely hold:
        // now and then a target holds it, so that a test against it can
        // come out both ways.
        Kind::Text => text_values(attr)
            .iter()
            .chain(&["other", "zz"])
            .map(|s| Value::from(*s))
            .collect(),
    }
}

fn right_value(attr: &'static str) -> BoxedStrategy<Value> {
    select(right_values(attr)).boxed()
}

/// Values of the wrong kind for an attribute.
fn wrong_values(attr: &str) -> Vec<Value> {
    match kind_of(attr) {
        Kind::Flag => vec![Value::from("true"), Value::Number(1)],
        Kind::Number => vec![Value::from("0"), Value::Flag(false)],
        Kind::Text => vec![Value::Number(0), Value::Flag(true)],
    }
}

fn wrong_value(attr: &'static str) -> BoxedStrategy<Value> {
    select(wrong_values(attr)).boxed()
}

/// Targets where each attribute is declared (mostly), undeclared, or (now
/// and then) declared with the wrong kind; with `all_known`, every attribute
/// is declared with the right kind.
fn target(all_known: bool) -> impl Strategy<Value = TargetSpec> {
    let slots: Vec<BoxedStrategy<Option<Value>>> = ATTRS
        .iter()
        .map(|(a, _)| {
            if all_known {
                right_value(a).prop_map(Some).boxed()
            } else {
                prop_oneof![
                    3 => right_value(a).prop_map(Some),
                    2 => Just(None),
                    1 => wrong_value(a).prop_map(Some),
                ]
                .boxed()
            }
        })
        .collect();
    let models = if all_known { MODELS } else { TARGET_MODELS };
    (select(PROVIDERS), select(models), slots).prop_map(|(provider, model, values)| TargetSpec {
        provider,
        model,
        values,
    })
}

// ------------------------------------------------------------------ properties

/// Fillings of the unknown attributes of `target` among `attrs`: all of them
/// when there are few, else `limit` drawn with `seed`.
fn fillings(
    target: &TargetSpec,
    attrs: &[&'static str],
    seed: u64,
    limit: usize,
) -> Vec<TargetSpec> {
    let unknown: Vec<(&str, Vec<Value>)> = attrs
        .iter()
        .filter(|a| !target.is_known(a))
        .map(|a| (*a, right_values(a)))
        .collect();
    let total = unknown
        .iter()
        .try_fold(1usize, |acc, (_, vs)| acc.checked_mul(vs.len()));
    let mut out = Vec::new();
    match total {
        Some(n) if n <= limit => {
            for mut k in 0..n {
                let mut t = target.clone();
                for (a, vs) in &unknown {
                    t = t.with(a, vs[k % vs.len()].clone());
                    k /= vs.len();
                }
                out.push(t);
            }
        }
        _ => {
            // xorshift64*: a tiny deterministic generator for sampling.
            let mut state = seed | 1;
            let mut next = move || {
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                state.wrapping_mul(0x2545_F491_4F6C_DD1D)
            };
            for _ in 0..limit {
                let mut t = target.clone();
                for (a, vs) in &unknown {
                    t = t.with(a, vs[(next() % vs.len() as u64) as usize].clone());
                }
                out.push(t);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(config())]

    /// (a) The compiled program agrees with the reference evaluator, on the
    /// decision and on every requirement's value; the canonical text of the
    /// policy decides the same way.
    #[test]
    fn compiled_agrees_with_reference(p in policy(true), t in target(false)) {
        let policy = p.compile()?;
        let target = t.build();
        check_against_reference(&policy, policy.program(), &target).map_err(TestCaseError::fail)?;
        let verdict = policy.evaluate(&target);
        let reference = reference::evaluate(policy.ast(), &Schema::standard(), &target);
        prop_assert_eq!(verdict.is_allowed(), reference.allowed);
        let canonical = Policy::compile(&policy.canonical_text())
            .map_err(|e| TestCaseError::fail(format!("canonical text does not compile: {e}")))?;
        prop_assert_eq!(summary(&canonical.evaluate(&target)), summary(&verdict));
    }

    /// (b) Soundness of unknowns: a target allowed with some attributes
    /// unknown stays allowed however they are filled in, and every
    /// requirement found true or false keeps its value. (`known()` is left
    /// out: it is meant to observe declarations, see
    /// `known_is_outside_the_soundness_property`.)
    ///
    /// The target is a fully declared one with some attributes hidden
    /// (undeclared or of the wrong kind); to test allowed targets often, the
    /// first of several fully declared targets that the policy allows is
    /// used, when there is one. The fully declared target is one of the
    /// fillings, so it is checked too.
    #[test]
    fn decisions_with_unknowns_hold_for_every_filling(
        p in policy(false),
        full in prop::collection::vec(target(true), 8),
        hide in prop::collection::vec(select(&[0u8, 0, 0, 0, 1, 1, 2, 3][..]), ATTRS.len()),
        seed in any::<u64>(),
    ) {
        let policy = p.compile()?;
        let base = full.iter().find(|t| policy.is_allowed(&t.build())).unwrap_or(&full[0]);
        let partial = base.hide(&hide);
        let target = partial.build();
        let verdict = policy.evaluate(&target);
        let program = policy.program();
        let values = program.predicate_values(&target, None);
        let before: Vec<Tri> = (0..program.requirement_count())
            .map(|i| program.requirement_value(i, &values))
            .collect();
        for f in verdict.failures() {
            prop_assert_eq!(f.value(), before[f.requirement()], "failure {:?}", f);
        }
        let reference_before = reference::evaluate(policy.ast(), &Schema::standard(), &target);
        let mut all = fillings(&partial, &p.attrs(), seed, 64);
        all.push(base.clone());
        for filled in all {
            let filled_target = filled.build();
            let after = policy.evaluate(&filled_target);
            if verdict.is_allowed() {
                prop_assert!(
                    after.is_allowed(),
                    "allowed with unknowns, blocked once filled in:\n{}\n{:?}\n{:?}",
                    p.text(), target, filled_target
                );
            }
            for f in verdict.failures().iter().filter(|f| f.value() == Tri::False) {
                let still = after.failures().iter().find(|g| g.requirement() == f.requirement());
                prop_assert!(
                    still.is_some_and(|g| g.value() == Tri::False),
                    "requirement `{}` false with unknowns, {:?} once filled in: {:?}",
                    f.text(), still.map(|g| g.value()), filled_target
                );
            }
            let filled_values = program.predicate_values(&filled_target, None);
            for (i, v) in before.iter().enumerate() {
                if *v != Tri::Unknown {
                    prop_assert_eq!(program.requirement_value(i, &filled_values), *v, "requirement {}", i);
                }
            }
            let reference_after = reference::evaluate(policy.ast(), &Schema::standard(), &filled_target);
            for (b, a) in reference_before.requirements.iter().zip(&reference_after.requirements) {
                if *b != Tri::Unknown {
                    prop_assert_eq!(a, b);
                }
            }
        }
    }

    /// (c) With every attribute declared with the right kind nothing is
    /// unknown.
    #[test]
    fn nothing_is_unknown_when_everything_is_declared(p in policy_with(true, false), t in target(true)) {
        let policy = p.compile()?;
        let target = t.build();
        let program = policy.program();
        let values = program.predicate_values(&target, None);
        prop_assert!(!values.contains(&Tri::Unknown), "predicate values {:?}", values);
        for i in 0..program.requirement_count() {
            prop_assert_ne!(program.requirement_value(i, &values), Tri::Unknown);
        }
        for f in policy.evaluate(&target).failures() {
            prop_assert!(!f.is_unknown(), "unknown failure {:?}", f);
        }
        let reference = reference::evaluate(policy.ast(), &Schema::standard(), &target);
        prop_assert!(!reference.requirements.contains(&Tri::Unknown));
    }

    /// (d) Printing the AST and parsing the text gives back the same tree
    /// (comments aside: the canonical text drops them), and printing is
    /// stable.
    #[test]
    fn print_parse_round_trip(p in policy(true)) {
        let text = p.text();
        let ast = eligo::syntax::parse(&text)
            .map_err(|e| TestCaseError::fail(format!("does not parse:\n{text}\n{e}")))?;
        let printed = ast.to_string();
        let again = eligo::syntax::parse(&printed)
            .map_err(|e| TestCaseError::fail(format!("printed text does not parse:\n{printed}\n{e}")))?;
        prop_assert_eq!(&again.without_spans().statements, &ast.without_spans().statements, "printed:\n{}", printed);
        prop_assert_eq!(again.to_string(), printed);
        prop_assert_eq!(ast.statements.len(), p.stmts.len());
    }

    /// (e) The fast path agrees with `evaluate`, and a blocked verdict
    /// always names at least one failed requirement (an allowed one none).
    #[test]
    fn is_allowed_agrees_with_evaluate(p in policy(true), ts in prop::collection::vec(target(false), 1..6)) {
        let policy = p.compile()?;
        let targets: Vec<Target> = ts.iter().map(TargetSpec::build).collect();
        let verdicts = policy.evaluate_many(&targets);
        let filtered: Vec<&str> = policy.filter(&targets).map(|t| t.id()).collect();
        let mut expect_filtered = Vec::new();
        for (target, verdict) in targets.iter().zip(&verdicts) {
            prop_assert_eq!(policy.is_allowed(target), verdict.is_allowed());
            prop_assert_eq!(verdict, &policy.evaluate(target));
            if verdict.is_blocked() {
                prop_assert!(!verdict.failures().is_empty(), "blocked without a reason: {:?}", target);
                for f in verdict.failures() {
                    prop_assert_ne!(f.value(), Tri::True);
                    prop_assert!(f.requirement() < policy.requirement_count());
                }
            } else {
                prop_assert!(verdict.failures().is_empty());
                expect_filtered.push(target.id());
            }
        }
        prop_assert_eq!(filtered, expect_filtered);
    }
}

proptest! {
    #![proptest_config(config())]

    /// (f) A target keeps an index of its attributes for the row path,
    /// built on its first decision. Every edit after that (declare,
    /// redeclare with the wrong kind, undeclare, declare as evidence that
    /// has or has not expired) is seen by the next decision, which agrees
    /// with the reference (which reads attributes by name).
    #[test]
    fn a_target_edited_after_a_decision_is_decided_afresh(
        p in policy(true),
        t in target(false),
        edits in prop::collection::vec((0..ATTRS.len(), 0u8..5, any::<Index>()), 1..10),
    ) {
        let policy = p.compile()?;
        let mut target = t.build();
        let (past, future) = ("2001-01-01".parse().unwrap(), "2099-01-01".parse().unwrap());
        for (i, op, pick) in edits {
            let reference = reference::evaluate(policy.ast(), &Schema::standard(), &target);
            prop_assert_eq!(policy.is_allowed(&target), reference.allowed, "{:?}", target);
            let (name, _) = ATTRS[i];
            let right = right_values(name);
            let right = pick.get(&right).clone();
            match op {
                0 => {
                    target.unset(name);
                }
                1 => target.set(name, right),
                2 => target.set(name, pick.get(&wrong_values(name)).clone()),
                3 => target.set_expiring(name, right, past),
                _ => target.set_expiring(name, right, future),
            }
        }
        let reference = reference::evaluate(policy.ast(), &Schema::standard(), &target);
        prop_assert_eq!(policy.is_allowed(&target), reference.allowed, "{:?}", target);
        prop_assert_eq!(policy.evaluate(&target).is_allowed(), reference.allowed);
    }
}

// ------------------------------------------------------------------ mutation

/// Runs the compiled-vs-reference check on random targets against a
/// tampered copy of `src`'s program, and returns whether it found a
/// counterexample.
fn mutation_is_caught(src: &str, cases: u32) -> bool {
    let policy = Policy::compile(src).unwrap_or_else(|e| panic!("{src}\n{e}"));
    let mut broken = policy.program().clone();
    assert!(broken.corrupt_for_testing(), "nothing to corrupt in {src}");
    assert_ne!(&broken, policy.program());
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&(target(false), request_attrs()), |(t, attrs)| {
        check_against_reference_for(&policy, &broken, &t.build(), &attrs)
            .map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => false,
        Err(TestError::Fail(..)) => true,
        Err(e) => panic!("unexpected test runner error: {e}"),
    }
}

#[test]
fn a_broken_compiler_is_caught() {
    // The untampered program passes the same check.
    let policy = Policy::compile("require soc2 or iso27001").unwrap();
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    runner
        .run(&target(false), |t| {
            check_against_reference(&policy, policy.program(), &t.build())
                .map_err(TestCaseError::fail)
        })
        .unwrap();

    for src in [
        "require soc2",
        "require soc2 or iso27001; require !trains_on_prompts; max_retention_days 0",
        "require !(soc2 and gdpr)",
        "attribute tier: number; require tier >= 2 and region in [\"eu\", \"uk\"]",
        "allow provider [\"a\"]; require soc2",
        "require known(region) or retention_days != 7",
        include_str!("../../policies/hipaa.pol"),
    ] {
        assert!(
            mutation_is_caught(src, 500),
            "a corrupted program for {src:?} went unnoticed"
        );
    }
}

#[test]
fn broken_compilers_are_caught_for_random_policies() {
    // The same over random policies: every corruption is found.
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(Config::default().rng_algorithm),
    );
    let strategy = policy(true);
    let mut tried = 0;
    let mut missed = Vec::new();
    while tried < 40 {
        let spec = strategy
            .new_tree(&mut runner)
            .expect("policy strategy")
            .current();
        let text = spec.text();
        let policy = Policy::compile(&text).unwrap_or_else(|e| panic!("{text}\n{e}"));
        if policy.program().clone().corrupt_for_testing() {
            tried += 1;
            if !mutation_is_caught(&text, 1000) {
                missed.push(text);
            }
        }
    }
    assert!(
        missed.is_empty(),
        "{} of {tried} corrupted programs went unnoticed:\n{}",
        missed.len(),
        missed.join("\n---\n")
    );
}

// ------------------------------------------------------------------ known()

#[test]
fn known_is_outside_the_soundness_property() {
    // `known()` observes declarations, so filling in an unknown can change a
    // decision reached with it; this is why the soundness property leaves it
    // out.
    let policy = Policy::compile("require !known(soc2)").unwrap();
    assert!(policy.is_allowed(&Target::new("p", "m")));
    assert!(!policy.is_allowed(&Target::builder("p", "m").attr("soc2", true).build()));
}

// ------------------------------------------------------------------ mask programs

/// A requirement whose clause form exceeds `MAX_CLAUSES`: an `or` of 7 to 9
/// `and`s of 2 or 3 leaves (2^7 = 128 > 64 clauses before simplification).
fn wide_expr() -> impl Strategy<Value = Expr> {
    prop::collection::vec(
        prop::collection::vec(
            prop_oneof![3 => leaf(true), 1 => expr(true).prop_map(|e| Expr::Group(Box::new(e)))],
            2..4,
        )
        .prop_map(Expr::And),
        7..10,
    )
    .prop_map(Expr::Or)
}

proptest! {
    #![proptest_config(Config { cases: (cases() / 4).max(1), ..Config::default() })]

    /// Requirements compiled to mask programs agree with the reference.
    #[test]
    fn mask_programs_agree_with_reference(
        wide in wide_expr(),
        rest in policy(true),
        ts in prop::collection::vec(target(false), 1..8),
    ) {
        let mut spec = rest;
        spec.stmts.push(Stmt::Require(wide));
        let policy = spec.compile()?;
        prop_assume!(policy.program().mask_program_count() > 0);
        for t in &ts {
            check_against_reference(&policy, policy.program(), &t.build()).map_err(TestCaseError::fail)?;
        }
    }
}

#[test]
fn mask_program_agrees_on_every_target() {
    // Exhaustive over 3^8 targets: 8 flags, each true, false or undeclared.
    let names = [
        "soc2",
        "iso27001",
        "gdpr",
        "hipaa",
        "logs_prompts",
        "in_memory_only",
        "fedramp",
        "audited",
    ];
    let src = "attribute fedramp: flag; attribute audited: flag;
        require (soc2 and iso27001) or (gdpr and !hipaa) or (!logs_prompts and in_memory_only)
             or (fedramp and soc2) or (audited and !gdpr) or (iso27001 and hipaa)
             or (!fedramp and !audited) or (logs_prompts and !in_memory_only);
        require soc2 or gdpr";
    let policy = Policy::compile(src).unwrap();
    assert_eq!(policy.program().mask_program_count(), 1);
    let mut allowed = 0;
    for mut k in 0..3usize.pow(names.len() as u32) {
        let mut b = Target::builder("p", "m");
        for name in names {
            match k % 3 {
                0 => b = b.attr(name, true),
                1 => b = b.attr(name, false),
                _ => {}
            }
            k /= 3;
        }
        let t = b.build();
        check_against_reference(&policy, policy.program(), &t).unwrap();
        allowed += usize::from(policy.is_allowed(&t));
    }
    // Not a degenerate policy: some targets pass, most do not.
    assert!(allowed > 100 && allowed < 3000, "{allowed} allowed");
}

// ------------------------------------------------------------------ bulk filter

proptest! {
    #![proptest_config(Config { cases: (cases() / 10).max(1), ..Config::default() })]

    /// The bulk filter over a catalog's literal columns allows exactly the
    /// targets the reference evaluator allows, in catalog order, for
    /// catalogs of 1 to 9,000 targets (several 64-target words, and up to
    /// three 4,096-target blocks with a partial last one), with and without
    /// a mask-program requirement;
    /// the encoded row path agrees too.
    #[test]
    fn bulk_filter_agrees_with_reference(
        p in policy(true),
        wide in prop::option::weighted(0.3, wide_expr()),
        distinct in prop::collection::vec(target(false), 1..24),
        n in prop_oneof![8 => 1usize..200, 3 => 1usize..2200, 1 => 4000usize..9000],
    ) {
        let mut spec = p;
        if let Some(w) = wide {
            spec.stmts.push(Stmt::Require(w));
        }
        let policy = spec.compile()?;
        let schema = Schema::standard();
        let built: Vec<Target> = distinct.iter().map(TargetSpec::build).collect();
        let want: Vec<bool> = built
            .iter()
            .map(|t| reference::evaluate(policy.ast(), &schema, t).allowed)
            .collect();
        let targets: Vec<Target> = (0..n)
            .map(|i| {
                let mut t = built[i % built.len()].clone();
                t.set_id(format!("t{i}"));
                t
            })
            .collect();
        let catalog = eligo::Catalog::new(targets).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let encoded = policy.encode_catalog(&catalog, None);
        let allowed = encoded.filter();
        prop_assert_eq!(allowed.len(), n);
        let mut count = 0;
        for i in 0..n {
            let w = want[i % want.len()];
            prop_assert_eq!(allowed.contains(i), w, "target {} of {}:\n{}\n{:?}", i, n, spec.text(), built[i % built.len()]);
            count += usize::from(w);
        }
        prop_assert_eq!(allowed.count(), count);
        prop_assert_eq!(allowed.indices().count(), count);
        prop_assert!(allowed.indices().all(|i| i < n));
        prop_assert!(!allowed.contains(n));
        for (i, w) in want.iter().enumerate().take(n) {
            prop_assert_eq!(encoded.is_allowed(i), *w, "row path, target {}", i);
        }
        prop_assert!(!encoded.is_allowed(n));
    }
}

proptest! {
    #![proptest_config(Config { cases: (cases() / 10).max(1), ..Config::default() })]

    /// Expiring evidence, on both sides of each expiry: targets declare some
    /// attributes as evidence expiring around a day `d0`. On every day `d`
    /// from `d0 - 1` to `d0 + 3`, the row path, the route and a fresh
    /// encoding agree with the reference evaluated on the target as of `d`
    /// (expired evidence removed); an encoding made for `d0` and asked about
    /// a later day never allows what the reference blocks on that day.
    #[test]
    fn expiring_evidence_is_read_on_the_day_asked(
        p in policy(true),
        specs in prop::collection::vec(
            (target(false), prop::collection::vec(prop::option::of(-2i64..4), ATTRS.len())),
            1..40,
        ),
    ) {
        let policy = p.compile()?;
        let schema = Schema::standard();
        let d0 = eligo::Date::new(2026, 12, 10).unwrap();
        let shift = |days: i64| -> eligo::Date {
            eligo::Timestamp::from_unix(1_796_860_800 + days * 86_400).date()
        };
        prop_assert_eq!(shift(0), d0);
        // (target, its attributes' expiries in days from d0)
        let built: Vec<(Target, Vec<Option<i64>>)> = specs
            .iter()
            .enumerate()
            .map(|(i, (spec, expiries))| {
                let mut t = Target::builder(spec.provider, spec.model).id(format!("t{i}"));
                for (((name, _), v), e) in ATTRS.iter().zip(&spec.values).zip(expiries) {
                    if let Some(v) = v {
                        t = match e {
                            Some(days) => t.expiring(*name, v.clone(), shift(*days)),
                            None => t.attr(*name, v.clone()),
                        };
                    }
                }
                (t.build(), expiries.clone())
            })
            .collect();
        let as_of = |t: &Target, expiries: &[Option<i64>], day: i64| -> Target {
            let mut plain = t.clone();
            for ((name, _), e) in ATTRS.iter().zip(expiries) {
                match e {
                    Some(x) if *x < day => {
                        plain.unset(name);
                    }
                    _ => {
                        if let Some(v) = t.attributes().get(*name) {
                            plain.unset(name);
                            plain.set(*name, v.clone());
                        }
                    }
                }
            }
            plain
        };
        let catalog = eligo::Catalog::new(built.iter().map(|(t, _)| t.clone()).collect())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bound = policy.encode_catalog(&catalog, Some(d0));
        for day in -1i64..=3 {
            let date = shift(day);
            let want: Vec<bool> = built
                .iter()
                .map(|(t, e)| reference::evaluate(policy.ast(), &schema, &as_of(t, e, day)).allowed)
                .collect();
            let fresh = policy.encode_catalog(&catalog, Some(date)).filter();
            let late = bound.filter_on(date);
            for (i, (t, _)) in built.iter().enumerate() {
                prop_assert_eq!(policy.is_allowed_on(t, date), want[i], "row path, day {}, {:?}", day, t);
                prop_assert_eq!(fresh.contains(i), want[i], "fresh encoding, day {}", day);
                if day >= 0 && late.contains(i) {
                    prop_assert!(want[i], "an encoding for d0 allowed {:?} on day {}:\n{}", t, day, p.text());
                }
                if day == 0 {
                    prop_assert_eq!(late.contains(i), want[i]);
                }
            }
            if policy.mode() == eligo::Mode::Block {
                for model in MODELS {
                    let routed = match eligo::route(&policy, &catalog, &Request::model(*model).on(date)) {
                        Ok(d) => d.targets().to_vec(),
                        Err(_) => continue, // no target serves the model
                    };
                    let expected: Vec<String> = built
                        .iter()
                        .filter(|(t, _)| t.model() == *model || t.is_wildcard())
                        .filter(|(t, e)| {
                            reference::evaluate(policy.ast(), &schema, &as_of(t, e, day).serving_as(model)).allowed
                        })
                        .map(|(t, _)| t.id().to_string())
                        .collect();
                    prop_assert_eq!(routed, expected, "route {} on day {}", model, day);
                }
            }
        }
        // Policy::allowed_in keeps its bindings by catalog and day: days
        // out of order, a clone of the catalog, and another catalog (the
        // same targets reversed) in between must each get their own day's
        // answer, never one kept for another day or catalog.
        let reversed = eligo::Catalog::new(built.iter().rev().map(|(t, _)| t.clone()).collect())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for day in [2i64, -1, 3, 0, 1, 2, -1] {
            let date = shift(day);
            let want: Vec<bool> = built
                .iter()
                .map(|(t, e)| reference::evaluate(policy.ast(), &schema, &as_of(t, e, day)).allowed)
                .collect();
            let n = want.len();
            for (c, rev) in [(&catalog, false), (&reversed, true), (&catalog.clone(), false)] {
                let got = policy.allowed_in(c, Some(date));
                for (i, w) in want.iter().enumerate() {
                    let at = if rev { n - 1 - i } else { i };
                    prop_assert_eq!(got.contains(at), *w, "allowed_in, day {}, reversed {}", day, rev);
                }
            }
        }
    }
}

#[test]
fn a_broken_compiler_is_caught_by_the_bulk_filter() {
    // The same tampering as `a_broken_compiler_is_caught`, seen through the
    // bulk path: the literal read for `soc2` is flipped to `!soc2`.
    let policy = Policy::compile("require soc2; require !trains_on_prompts").unwrap();
    let catalog = eligo::Catalog::new(vec![
        Target::builder("a", "m")
            .attr("soc2", true)
            .attr("trains_on_prompts", false)
            .build(),
        Target::builder("b", "m")
            .attr("soc2", false)
            .attr("trains_on_prompts", false)
            .build(),
    ])
    .unwrap();
    let good = policy.encode_catalog(&catalog, None).filter();
    assert_eq!(good.indices().collect::<Vec<_>>(), [0]);
    let mut broken = policy.program().clone();
    assert!(broken.corrupt_for_testing());
    let broken = policy.with_program_for_testing(broken);
    let allowed = broken.encode_catalog(&catalog, None).filter();
    assert_eq!(allowed.indices().collect::<Vec<_>>(), [1], "a wrong allow");
}

// ------------------------------------------------------------------ at scale

/// Millions of (policy, target) pairs: random policies from the same
/// generator as above, each with 500 fresh targets drawn by a cheap
/// generator (each attribute undeclared, of the wrong kind, or any right
/// value), decided by the reference, the row path and the bulk filter.
/// `ELIGO_PROPTEST_CASES` × 500 pairs: 10 million in CI (20,000 cases),
/// in two halves with seeds of their own, so that they run side by side.
#[test]
fn millions_of_pairs_agree_with_the_reference() {
    pairs_agree_with_the_reference(0, (cases() as usize).div_ceil(2));
}

/// The second half of `millions_of_pairs_agree_with_the_reference`.
#[test]
fn millions_of_pairs_agree_with_the_reference_second_half() {
    pairs_agree_with_the_reference(1, cases() as usize / 2);
}

/// `policies` random policies (drawn with seed `half`), 500 targets each.
fn pairs_agree_with_the_reference(half: u8, policies: usize) {
    const PER_POLICY: usize = 500;
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &[half; 32]),
    );
    let strategy = (policy(true), prop::option::weighted(0.1, wide_expr()));
    let mut state = 0x5DEE_CE66_D1CE_4E5Bu64 ^ u64::from(half) << 32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let choices: Vec<(Vec<Value>, Vec<Value>)> = ATTRS
        .iter()
        .map(|(a, _)| (right_values(a), wrong_values(a)))
        .collect();
    let schema = Schema::standard();
    let (mut pairs, mut allowed, mut routed) = (0usize, 0usize, 0usize);
    let day = eligo::Date::new(2026, 12, 1).unwrap();
    for _ in 0..policies {
        let (mut spec, wide) = strategy.new_tree(&mut runner).unwrap().current();
        if let Some(w) = wide {
            spec.stmts.push(Stmt::Require(w));
        }
        let policy = spec.compile().unwrap();
        let targets: Vec<Target> = (0..PER_POLICY)
            .map(|i| {
                let values = choices
                    .iter()
                    .map(|(right, wrong)| match next() % 8 {
                        0 | 1 => None,
                        2 => Some(wrong[(next() % 2) as usize].clone()),
                        _ => Some(right[(next() as usize) % right.len()].clone()),
                    })
                    .collect();
                let provider = PROVIDERS[(next() % 3) as usize];
                let model = TARGET_MODELS[(next() % 4) as usize];
                let mut t = TargetSpec {
                    provider,
                    model,
                    values,
                }
                .build();
                t.set_id(format!("t{i}"));
                t
            })
            .collect();
        let catalog = eligo::Catalog::new(targets).unwrap();
        let bulk = policy.encode_catalog(&catalog, None).filter();
        for (i, t) in catalog.targets().iter().enumerate() {
            let want = reference::evaluate(policy.ast(), &schema, t).allowed;
            assert_eq!(
                policy.is_allowed(t),
                want,
                "row path:\n{}\n{t:?}",
                spec.text()
            );
            assert_eq!(
                bulk.contains(i),
                want,
                "bulk filter:\n{}\n{t:?}",
                spec.text()
            );
            allowed += usize::from(want);
            pairs += 1;
        }
        // Route one request: the targets serving the model (a wildcard one
        // judged as serving it), compliant ones in catalog order.
        let model = MODELS[(next() % 3) as usize];
        let decision = eligo::route(&policy, &catalog, &Request::model(model).on(day)).unwrap();
        let want: Vec<&str> = catalog
            .serving(model)
            .filter(|(_, t)| {
                reference::evaluate(policy.ast(), &schema, &t.serving_as(model)).allowed
            })
            .map(|(_, t)| t.id())
            .collect();
        if policy.mode() == eligo::Mode::Block {
            assert_eq!(decision.targets(), want, "route {model}:\n{}", spec.text());
        } else {
            assert_eq!(decision.targets().len(), catalog.serving(model).count());
        }
        let compliant: Vec<&str> = decision
            .candidates()
            .iter()
            .filter(|c| c.compliant)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(
            compliant,
            want,
            "route {model}, compliant:\n{}",
            spec.text()
        );
        routed += want.len();
    }
    assert_eq!(pairs, policies * PER_POLICY);
    assert!(routed > 0, "no request was ever routed");
    // Not a degenerate run: both outcomes are common.
    assert!(
        allowed > pairs / 100 && allowed < pairs * 99 / 100,
        "{allowed} of {pairs} allowed"
    );
}

// ------------------------------------------------------------------ lint and fmt

/// For each requirement of `policy` that comes from a statement, its value
/// on `target` according to the reference evaluator, keyed by its span.
fn reference_values_by_span(policy: &Policy, target: &Target) -> Vec<(eligo::Span, Tri)> {
    let reference = reference::evaluate(policy.ast(), &Schema::standard(), target);
    policy
        .ir()
        .requirements
        .iter()
        .filter(|r| crate::common::is_statement_requirement(r))
        .map(|r| r.span)
        .zip(reference.requirements.iter().copied())
        .collect()
}

fn value_at(values: &[(eligo::Span, Tri)], span: Option<eligo::Span>) -> Option<Tri> {
    let span = span?;
    values.iter().find(|(s, _)| *s == span).map(|(_, v)| *v)
}

proptest! {
    #![proptest_config(config())]

    /// What `lint` claims about requirements holds for every target the
    /// reference evaluator is asked about: a requirement said never to pass
    /// never passes, one said always to pass always does, one said to hold
    /// for every declared value holds on fully declared targets, a
    /// redundant one passes whenever the one said to imply it does, and two
    /// conflicting ones never pass together.
    #[test]
    fn lint_claims_hold(
        p in policy(true),
        partial in prop::collection::vec(target(false), 4),
        full in prop::collection::vec(target(true), 4),
    ) {
        let policy = p.compile()?;
        let warnings = eligo::lint::lint(&policy);
        for t in partial.iter().chain(&full) {
            let target = t.build();
            let values = reference_values_by_span(&policy, &target);
            let all_known = full.iter().any(|f| std::ptr::eq(f, t));
            for w in &warnings {
                let primary = value_at(&values, w.span());
                let secondary = value_at(&values, w.related().first().map(|l| l.span()));
                let why = || format!("{}\n{}\npolicy:\n{}\ntarget: {:?}", w.code(), w.message(), p.text(), target);
                match w.code() {
                    "lint/never-passes" => prop_assert_ne!(primary, Some(Tri::True), "{}", why()),
                    "lint/always-passes" => prop_assert_eq!(primary, Some(Tri::True), "{}", why()),
                    "lint/fails-when-undeclared" => {
                        // The attributes named after the claim.
                        let named = |after: &str| -> Vec<String> {
                            w.message()
                                .split(after)
                                .nth(1)
                                .unwrap_or("")
                                .split('`')
                                .skip(1)
                                .step_by(2)
                                .map(str::to_string)
                                .collect()
                        };
                        let msg = w.message();
                        if all_known {
                            prop_assert_eq!(primary, Some(Tri::True), "{}", why());
                        } else if msg.contains(" only checks that ") {
                            let names = named(" only checks that ");
                            let declared = names.iter().all(|n| t.is_known(n));
                            prop_assert_eq!(primary == Some(Tri::True), declared, "{}", why());
                        } else if msg.contains(" blocks targets that do not declare ") {
                            let names = named(" blocks targets that do not declare ");
                            if names.iter().any(|n| !t.is_known(n)) {
                                prop_assert_ne!(primary, Some(Tri::True), "{}", why());
                            }
                        }
                    }
                    // The secondary implies the primary.
                    "lint/redundant-requirement" if secondary == Some(Tri::True) => {
                        prop_assert_eq!(primary, Some(Tri::True), "{}", why());
                    }
                    "lint/conflicting-requirements" => {
                        let all_pass = primary == Some(Tri::True)
                            && w.related().iter().all(|l| value_at(&values, Some(l.span())) == Some(Tri::True));
                        prop_assert!(!all_pass, "{}", why());
                    }
                    _ => {}
                }
            }
        }
    }

    /// Formatting keeps the statements (up to spans) and the comments, in
    /// order, and formatting the output again changes nothing.
    #[test]
    fn format_keeps_meaning_and_comments(
        p in policy(true),
        notes in prop::collection::vec((any::<Index>(), select(&["# note", "#", "# ünïcode  ", "#  indented"][..])), 0..4),
    ) {
        // Comment lines at random statement boundaries, on top of the
        // trailing comments some separators carry.
        let mut text = p.text();
        for (at, note) in &notes {
            let cuts: Vec<usize> = std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect();
            let cut = cuts[at.index(cuts.len())];
            text.insert_str(cut, &format!("{note}\n"));
        }
        let ast = eligo::syntax::parse(&text)
            .map_err(|e| TestCaseError::fail(format!("does not parse:\n{text}\n{e}")))?;
        let formatted = eligo::format::format(&text)
            .map_err(|e| TestCaseError::fail(format!("does not format:\n{text}\n{e}")))?;
        let again = eligo::syntax::parse(&formatted)
            .map_err(|e| TestCaseError::fail(format!("formatted text does not parse:\n{formatted}\n{e}")))?;
        prop_assert_eq!(&again.without_spans().statements, &ast.without_spans().statements, "formatted:\n{}", formatted);
        let comments = |a: &eligo::ast::Policy| -> Vec<String> {
            a.comments.iter().map(|c| c.text.trim_end().to_string()).collect()
        };
        prop_assert_eq!(comments(&again), comments(&ast), "source:\n{}\nformatted:\n{}", text, formatted);
        // Every comment stays after the same statements (counted by where
        // they start, so a too-wide statement span cannot hide a move; the
        // generator puts no comment inside an expression, the one place the
        // formatter moves comments to).
        let places = |a: &eligo::ast::Policy| -> Vec<usize> {
            a.comments
                .iter()
                .map(|c| a.statements.iter().filter(|st| st.span.start < c.span.start).count())
                .collect()
        };
        prop_assert_eq!(places(&again), places(&ast), "source:\n{}\nformatted:\n{}", text, formatted);
        let twice = eligo::format::format(&formatted).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&twice, &formatted, "not idempotent; source:\n{}", text);
    }
}

// ------------------------------------------------------------------ request attributes

proptest! {
    #![proptest_config(config())]

    /// (g) Request attributes. `when C { R }` is `!C or R` in Kleene logic,
    /// `C` read from the request: on the row path (decision, explanation
    /// and the condition it names), the bulk path (a fresh binding and a
    /// kept one) and through route, every target agrees
    /// with the reference for random requests: attributes given, not
    /// given, or given with the wrong kind. And not saying is never
    /// looser: a target allowed for a request that gives no attributes is
    /// allowed for any request (unless a condition tests
    /// `known(request.…)`, which says what to do when one is not given).
    #[test]
    fn request_attributes_agree_with_the_reference(
        p in policy(true),
        p2 in policy(true),
        ts in prop::collection::vec(target(false), 1..12),
        attrs in request_attrs(),
    ) {
        let policy = p.compile()?;
        let schema = Schema::standard();
        let none = eligo::RequestAttrs::new();
        let targets: Vec<Target> = ts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut t = t.build();
                t.set_id(format!("t{i}"));
                t
            })
            .collect();
        let tests_known = p.text().contains("known(request.");
        for t in &targets {
            check_against_reference_for(&policy, policy.program(), t, &attrs)
                .map_err(TestCaseError::fail)?;
            let want = reference::evaluate_for(policy.ast(), &schema, t, &attrs).allowed;
            prop_assert_eq!(policy.is_allowed_for(t, &attrs, None), want);
            let v = policy.evaluate_for(t, &attrs, None);
            prop_assert_eq!(v.is_allowed(), want);
            for f in v.failures() {
                let req = &policy.ir().requirements[f.requirement()];
                prop_assert_eq!(f.condition(), req.condition.as_ref().map(|c| c.text.as_str()));
            }
            if !tests_known && policy.is_allowed_for(t, &none, None) {
                prop_assert!(want, "allowed when nothing is said, blocked for {:?}:\n{}", attrs, p.text());
            }
        }
        // The bulk path: a fresh binding and the policy's kept one.
        let catalog = eligo::Catalog::new(targets.clone())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let day = eligo::Date::new(2026, 12, 1).unwrap();
        let fresh = policy.encode_catalog(&catalog, Some(day)).filter_for(&attrs, day);
        let kept = policy.allowed_in_for(&catalog, &attrs, Some(day));
        for (i, t) in targets.iter().enumerate() {
            let want = reference::evaluate_for(policy.ast(), &schema, t, &attrs).allowed;
            prop_assert_eq!(fresh.contains(i), want, "bulk, fresh binding: {:?}", t);
            prop_assert_eq!(kept.contains(i), want, "bulk, kept binding: {:?}", t);
        }
        if policy.mode() == eligo::Mode::Block {
            let read = policy.program().request_attributes();
            for model in MODELS {
                let request = Request::model(*model).with_attrs(attrs.clone());
                let Ok(d) = eligo::route(&policy, &catalog, &request) else {
                    continue; // no target serves the model
                };
                let expected: Vec<String> = targets
                    .iter()
                    .filter(|t| t.model() == *model || t.is_wildcard())
                    .filter(|t| {
                        reference::evaluate_for(policy.ast(), &schema, &t.serving_as(model), &attrs).allowed
                    })
                    .map(|t| t.id().to_string())
                    .collect();
                prop_assert_eq!(d.targets(), expected.as_slice(), "route {}", model);
                // Layered with a second policy (both in block mode): a
                // candidate is routed when it passes both, each with the
                // same request.
                let second = p2.compile()?;
                if second.mode() == eligo::Mode::Block {
                    let layers = [policy.clone(), second.clone()];
                    if let Ok(d) = eligo::route_layered(&layers, &catalog, &request) {
                        let expected: Vec<String> = targets
                            .iter()
                            .filter(|t| t.model() == *model || t.is_wildcard())
                            .filter(|t| {
                                let judged = t.serving_as(model);
                                layers.iter().all(|l| {
                                    reference::evaluate_for(l.ast(), &schema, &judged, &attrs).allowed
                                })
                            })
                            .map(|t| t.id().to_string())
                            .collect();
                        prop_assert_eq!(d.targets(), expected.as_slice(), "layered route {}", model);
                    }
                }
                if let Some(e) = d.event() {
                    for name in &e.request.missing {
                        prop_assert!(attrs.get(name).is_none());
                        let full = format!("request.{}", name);
                        prop_assert!(read.contains(&full.as_str()));
                    }
                    for (name, v) in e.request.attributes.iter() {
                        prop_assert_eq!(attrs.get(name), Some(v.as_ref()));
                    }
                }
            }
        }
    }
}

#[test]
fn a_request_that_does_not_say_its_class_gets_the_strictest_treatment() {
    let policy = Policy::compile(
        r#"when request.data_class in ["phi"] { require hipaa; max_retention_days 0; }
           when request.data_class in ["pii", "phi", "confidential"] { require zero_data_retention; }
           when request.team != "research" { deny model ["experimental"]; }"#,
    )
    .unwrap();
    let cloud = Target::builder("cloud", "m")
        .attr("zero_data_retention", true)
        .attr("retention_days", 30)
        .build();
    let clinic = Target::builder("clinic", "m")
        .attr("hipaa", true)
        .attr("zero_data_retention", true)
        .attr("retention_days", 0)
        .build();
    let lab = Target::new("lab", "experimental");
    let with = |pairs: &[(&str, &str)]| {
        let mut a = eligo::RequestAttrs::new();
        for (k, v) in pairs {
            a.set(k, *v);
        }
        a
    };
    let allowed = |attrs: &eligo::RequestAttrs| -> Vec<&str> {
        [&cloud, &clinic, &lab]
            .into_iter()
            .filter(|t| policy.is_allowed_for(t, attrs, None))
            .map(|t| t.provider())
            .collect()
    };
    let research_public = with(&[("data_class", "public"), ("team", "research")]);
    assert_eq!(allowed(&research_public), ["cloud", "clinic", "lab"]);
    assert_eq!(
        allowed(&with(&[("data_class", "pii"), ("team", "research")])),
        ["cloud", "clinic"]
    );
    assert_eq!(
        allowed(&with(&[("data_class", "phi"), ("team", "research")])),
        ["clinic"]
    );
    // Nothing said: every block applies.
    assert_eq!(allowed(&eligo::RequestAttrs::new()), ["clinic"]);
    // A value of the wrong kind is as good as nothing said.
    let wrong = with(&[("team", "research")]).with("data_class", 3);
    assert_eq!(allowed(&wrong), ["clinic"]);
    // The explanation names the condition.
    let v = policy.evaluate_for(&cloud, &eligo::RequestAttrs::new(), None);
    assert_eq!(v.failures()[0].text(), "require hipaa");
    assert_eq!(
        v.failures()[0].condition(),
        Some(r#"request.data_class in ["phi"]"#)
    );
    assert_eq!(v.failures()[0].value(), Tri::Unknown);
    assert!(
        v.failures()[0]
            .attributes()
            .contains(&"request.data_class".to_string())
    );
}

// ------------------------------------------------------------------ compliance alerts

proptest! {
    #![proptest_config(config())]

    /// (h) `impact` against brute force: every set (one policy, and a
    /// baseline with a project layer) decided by the reference on every
    /// target of an old and a new catalog (declarations edited, targets
    /// added and removed); what each set newly allows and blocks, why, and
    /// which models lose their last compliant target or gain a first one,
    /// wildcard targets judged for each model the catalogs name.
    #[test]
    fn impact_agrees_with_brute_force(
        p1 in policy(true),
        p2 in policy(true),
        old_specs in prop::collection::vec(target(false), 1..10),
        edits in prop::collection::vec((any::<Index>(), 0u8..4, any::<Index>(), any::<Index>()), 0..8),
    ) {
        let (a, b) = (p1.compile()?, p2.compile()?);
        let sets = [
            eligo::PolicySet::of(a.clone()),
            eligo::PolicySet { name: "layered".into(), layers: vec![a.clone(), b.clone()] },
        ];
        let old: Vec<Target> = old_specs
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut t = t.build();
                t.set_id(format!("t{i}"));
                t
            })
            .collect();
        let mut new = old.clone();
        for (k, op, attr, value) in &edits {
            match op {
                0 => {
                    // Remove a target.
                    if !new.is_empty() {
                        new.remove(k.index(new.len()));
                    }
                }
                1 => {
                    // Add one.
                    let mut t = Target::new("z", MODELS[value.index(MODELS.len())]);
                    t.set_id(format!("added{}", new.len()));
                    if new.iter().all(|x| x.id() != t.id()) {
                        new.push(t);
                    }
                }
                _ => {
                    // Change a declaration.
                    if new.is_empty() {
                        continue;
                    }
                    let i = k.index(new.len());
                    let (name, _) = ATTRS[attr.index(ATTRS.len())];
                    if *op == 2 {
                        new[i].unset(name);
                    } else {
                        let vs = right_values(name);
                        new[i].set(name, value.get(&vs).clone());
                    }
                }
            }
        }
        let day = eligo::Date::new(2026, 12, 1).unwrap();
        let old_c = eligo::Catalog::new(old.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let new_c = eligo::Catalog::new(new.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let report = eligo::impact(&sets, &old_c, &new_c, Some(day));
        prop_assert_eq!(report.len(), sets.len());
        let schema = Schema::standard();
        // A fleet's verdicts at once, alike policies sharing their work
        // (the same text compiled again, and under another name).
        let renamed = Policy::compile(&format!("policy \"other\"; {}", p1.text().replace("policy \"random\"", "")))
            .unwrap_or_else(|_| a.clone());
        let fleet = [a.clone(), b.clone(), Policy::compile(a.source()).unwrap(), renamed];
        let each = eligo::allowed_by_each(&fleet, &new_c, Some(day));
        prop_assert_eq!(each.len(), fleet.len());
        for (p, set) in fleet.iter().zip(&each) {
            for (i, t) in new.iter().enumerate() {
                let want = reference::evaluate(p.ast(), &schema, t).allowed;
                prop_assert_eq!(set.contains(i), want, "fleet verdict for {}", t.id());
            }
        }
        let passes = |set: &eligo::PolicySet, t: &Target| {
            set.layers.iter().all(|l| reference::evaluate(l.ast(), &schema, t).allowed)
        };
        let mut models: Vec<&str> = old.iter().chain(&new).filter(|t| !t.is_wildcard()).map(|t| t.model()).collect();
        models.sort_unstable();
        models.dedup();
        let compliant = |set: &eligo::PolicySet, ts: &[Target]| -> Vec<String> {
            models
                .iter()
                .filter(|m| {
                    ts.iter().any(|t| {
                        (t.model() == **m && passes(set, t))
                            || (t.is_wildcard() && passes(set, &t.serving_as(m)))
                    })
                })
                .map(|m| m.to_string())
                .collect()
        };
        for (set, got) in sets.iter().zip(&report) {
            let mut want_allowed = Vec::new();
            for t in &new {
                let before = old.iter().find(|o| o.id() == t.id());
                match before {
                    Some(o) if !passes(set, o) && passes(set, t) => want_allowed.push((t.id().to_string(), eligo::Presence::Changed)),
                    None if passes(set, t) => want_allowed.push((t.id().to_string(), eligo::Presence::Added)),
                    _ => {}
                }
            }
            let mut want_blocked = Vec::new();
            for o in &old {
                if !passes(set, o) {
                    continue;
                }
                match new.iter().find(|t| t.id() == o.id()) {
                    Some(t) if !passes(set, t) => want_blocked.push((o.id().to_string(), eligo::Presence::Changed)),
                    None => want_blocked.push((o.id().to_string(), eligo::Presence::Removed)),
                    _ => {}
                }
            }
            let have = |v: &[eligo::TargetChange]| -> Vec<(String, eligo::Presence)> {
                v.iter().map(|c| (c.id.clone(), c.change)).collect()
            };
            prop_assert_eq!(have(&got.newly_allowed), want_allowed);
            prop_assert_eq!(have(&got.newly_blocked), want_blocked);
            for c in &got.newly_blocked {
                if c.change == eligo::Presence::Changed {
                    prop_assert!(!c.reasons.is_empty(), "blocked without a reason: {}", c.id);
                }
            }
            let (before, after) = (compliant(set, &old), compliant(set, &new));
            let losing: Vec<String> = before.iter().filter(|m| !after.contains(m)).cloned().collect();
            let gaining: Vec<String> = after.iter().filter(|m| !before.contains(m)).cloned().collect();
            prop_assert_eq!(&got.models_losing_all_targets, &losing);
            prop_assert_eq!(&got.models_gaining_targets, &gaining);
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// (i) `expiring` against brute force: for every day of the window, the
    /// reference decides every target with the evidence that still holds;
    /// the report lists exactly the days on which targets the policy
    /// allowed the day before are blocked, and those targets.
    #[test]
    fn expiring_agrees_with_brute_force(
        p in policy(true),
        specs in prop::collection::vec(
            (target(false), prop::collection::vec(prop::option::of(0i64..6), ATTRS.len())),
            1..8,
        ),
    ) {
        let policy = p.compile()?;
        let shift = |days: i64| eligo::Timestamp::from_unix(1_796_860_800 + days * 86_400).date();
        let built: Vec<(Target, Vec<Option<i64>>)> = specs
            .iter()
            .enumerate()
            .map(|(i, (spec, expiries))| {
                let mut t = Target::builder(spec.provider, spec.model).id(format!("t{i}"));
                for (((name, _), v), e) in ATTRS.iter().zip(&spec.values).zip(expiries) {
                    if let Some(v) = v {
                        t = match e {
                            Some(days) => t.expiring(*name, v.clone(), shift(*days)),
                            None => t.attr(*name, v.clone()),
                        };
                    }
                }
                (t.build(), expiries.clone())
            })
            .collect();
        let schema = Schema::standard();
        // Allowed on day `d` (days from shift(0)): expired evidence removed.
        let allowed_on = |t: &Target, expiries: &[Option<i64>], d: i64| -> bool {
            let mut plain = t.clone();
            for ((name, _), e) in ATTRS.iter().zip(expiries) {
                if matches!(e, Some(x) if *x < d) {
                    plain.unset(name);
                }
            }
            reference::evaluate(policy.ast(), &schema, &plain).allowed
        };
        let catalog = eligo::Catalog::new(built.iter().map(|(t, _)| t.clone()).collect())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let report = eligo::expiring(&[eligo::PolicySet::of(policy.clone())], &catalog, shift(-1), shift(10));
        let mut want: Vec<(eligo::Date, Vec<String>)> = Vec::new();
        for d in 0..=10 {
            let lost: Vec<String> = built
                .iter()
                .filter(|(t, e)| allowed_on(t, e, d - 1) && !allowed_on(t, e, d))
                .map(|(t, _)| t.id().to_string())
                .collect();
            if !lost.is_empty() {
                want.push((shift(d), lost));
            }
        }
        let have: Vec<(eligo::Date, Vec<String>)> = report
            .iter()
            .filter(|r| !r.newly_blocked.is_empty())
            .map(|r| (r.date, r.newly_blocked.iter().map(|c| c.id.clone()).collect()))
            .collect();
        prop_assert_eq!(have, want, "{}", p.text());
    }
}

// ------------------------------------------------------------------ differential corpus

/// Request attributes for the differential corpus: each of
/// [`REQUEST_ATTRS`] not given or given one of its values (or one no
/// policy names), as a JSON object by bare name. Never of the wrong kind:
/// the bindings refuse those before deciding.
fn corpus_request() -> impl Strategy<Value = serde_json::Map<String, serde_json::Value>> {
    prop::collection::vec((any::<bool>(), any::<Index>()), REQUEST_ATTRS.len()).prop_map(|picks| {
        let mut out = serde_json::Map::new();
        for ((name, values), (given, i)) in REQUEST_ATTRS.iter().zip(picks) {
            if given {
                let mut pool = values.to_vec();
                pool.push("zz");
                let bare = name.trim_start_matches("request.");
                out.insert(bare.into(), pool[i.index(pool.len())].into());
            }
        }
        out
    })
}

/// Writes the differential corpus that the Python and Node.js bindings are
/// held to (`tests/python/test_differential.py`,
/// `node/test/differential.test.js`): random policies, each over a few
/// random targets and a random request, with this library's verdicts and
/// reasons, and the ids its bulk filter allows. Run by `.ci/test`:
///
/// ```sh
/// ELIGO_DIFF_CORPUS=target/differential.json cargo test --test main write_differential_corpus -- --ignored
/// ```
///
/// `ELIGO_DIFF_CASES` sets the number of cases (3000 by default); the seed
/// is fixed, so the corpus is the same on every machine. Targets are given
/// as the strict target reader reads them back: a target the reader
/// refuses (a wrong-kind value for a standard attribute, which the
/// bindings refuse before any decision, as they should) is given without
/// its wrong-kind values.
#[test]
#[ignore = "writes the differential corpus for the binding tests; run by .ci/test"]
fn write_differential_corpus() {
    let Ok(path) = std::env::var("ELIGO_DIFF_CORPUS") else {
        panic!("set ELIGO_DIFF_CORPUS to the file to write");
    };
    let n: usize = std::env::var("ELIGO_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let seed = *b"eligo differential corpus seed 1";
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &seed),
    );
    let strategy = (
        policy(true),
        prop::collection::vec(target(false), 1..6),
        corpus_request(),
    );
    let date = "2026-06-01";
    let day: eligo::Date = date.parse().unwrap();
    let mut cases = Vec::new();
    while cases.len() < n {
        let (p, ts, request) = strategy.new_tree(&mut runner).unwrap().current();
        let text = p.text();
        let policy = Policy::compile(&text).unwrap();
        let mut attrs = eligo::RequestAttrs::new();
        for (name, v) in &request {
            attrs.set(name, v.as_str().unwrap());
        }
        let mut targets = Vec::new();
        let mut json_targets = Vec::new();
        for (i, t) in ts.iter().enumerate() {
            // As the bindings read it: a value of the wrong kind for a
            // standard attribute is refused by the strict reader, so such
            // values are left out (undeclared) when the reader refuses them.
            let mut right = t.clone();
            for (slot, (_, kind)) in right.values.iter_mut().zip(ATTRS) {
                if slot
                    .as_ref()
                    .is_some_and(|v| v.kind() != kind_to_eligo(*kind))
                {
                    *slot = None;
                }
            }
            for spec in [t, &right] {
                let mut json = serde_json::to_value(spec.build()).unwrap();
                json["id"] = format!("t{i}").into();
                if let Ok(read) = Target::from_json_value(&json, "target") {
                    targets.push(read);
                    json_targets.push(json);
                    break;
                }
            }
        }
        if targets.is_empty() {
            continue;
        }
        let verdicts: Vec<serde_json::Value> = targets
            .iter()
            .map(|t| {
                let v = policy.evaluate_for(t, &attrs, Some(day));
                let reasons: Vec<serde_json::Value> = v
                    .failures()
                    .iter()
                    .map(|f| {
                        serde_json::json!({
                            "requirement": f.text(),
                            "kind": eligo::eval::kind_name(f.kind()),
                            "value": f.value().as_str(),
                            "attributes": f.attributes(),
                            "index": f.requirement(),
                            "condition": f.condition(),
                        })
                    })
                    .collect();
                serde_json::json!({"allowed": v.is_allowed(), "reasons": reasons})
            })
            .collect();
        let catalog = eligo::Catalog::new(targets.clone()).unwrap();
        let allowed: Vec<&str> = policy
            .allowed_in_for(&catalog, &attrs, Some(day))
            .indices()
            .map(|i| targets[i].id())
            .collect();
        cases.push(serde_json::json!({
            "policy": text,
            "date": date,
            "request": request,
            "targets": json_targets,
            "verdicts": verdicts,
            "allowed": allowed,
        }));
    }
    let corpus = serde_json::json!({
        "seed": String::from_utf8_lossy(&seed),
        "cases": cases,
    });
    if let Some(dir) = std::path::Path::new(&path).parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(&path, serde_json::to_string(&corpus).unwrap()).unwrap();
    eprintln!("wrote {n} differential cases to {path}");
}
