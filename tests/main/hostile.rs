//! Hostile inputs, one test each, with the documented outcome: a clear
//! error or a bounded result, never a panic, a hang or unbounded memory.
//!
//! | input | outcome |
//! |---|---|
//! | nesting 100,000 deep (`(`, `[`, `!`) | `syntax/too-deep`, before the recursive parser runs |
//! | a 10 MB policy | `syntax/too-large` (text) or `io/too-large` (file), limit 1 MiB |
//! | a million requirements | cannot fit in 1 MiB; the most that fit (~70,000) compile and evaluate |
//! | integers beyond 64 bits | `syntax/integer-out-of-range` |
//! | negative / huge retention days | `compile/negative-retention`; `i64::MAX` compiles and works |
//! | non-UTF-8 bytes in a file | `syntax/invalid-utf8` pointing at the first bad byte |
//! | NUL in a policy | a syntax error at the NUL |
//! | a byte order mark, CRLF line ends | accepted; the same policy as without |
//! | look-alike Unicode identifiers | a syntax error whose help names the look-alike |
//! | duplicate keys, wrong types in catalogs | `catalog/…` errors naming target and field |
//! | a catalog of a million targets | read, encoded and filtered |
//! | a target id of 1 MB | `catalog/…` error: over the 1 KiB name limit |
//! | one `or` of 112,000 operands | compiled and linted in linear time |
//! | `(a and b) or` 24,000 more operands | a mask program, in linear time |
//! | nesting 60 deep, repeated up to 64 KiB | parsed in time linear in the size, whatever the depth |
//! | a target blocked for 28,000 unknown attributes | explained (and linted against a catalog) in linear time |
//!
//! The time checks compare an input with one 8 times as large: linear work
//! takes about 8 times as long, quadratic work 64 times. They allow 32
//! times (caches make large inputs a little slower per item), plus 20 ms
//! for scheduling noise, and take the fastest of three runs, so that a busy
//! machine does not fail them.

use std::time::{Duration, Instant};

use eligo::{Catalog, Policy, Target};

fn codes(e: &eligo::Error) -> Vec<&'static str> {
    e.diagnostics().iter().map(|d| d.code()).collect()
}

#[test]
fn nesting_100_000_deep_is_refused_before_parsing() {
    for (open, close) in [("(", ")"), ("!", "")] {
        let src = format!(
            "require {}soc2{}",
            open.repeat(100_000),
            close.repeat(100_000)
        );
        let err = Policy::compile(&src).unwrap_err();
        assert_eq!(codes(&err), ["syntax/too-deep"], "{err}");
    }
    let list = format!(
        "require region in {}\"eu\"{}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(
        codes(&Policy::compile(&list).unwrap_err()),
        ["syntax/too-deep"]
    );
}

#[test]
fn a_10_mb_policy_is_refused() {
    let src = "require soc2;\n".repeat(10 << 20 >> 4);
    assert!(src.len() >= 10 << 20 >> 1);
    let err = Policy::compile(&src).unwrap_err();
    assert_eq!(codes(&err), ["syntax/too-large"], "{err}");
    let dir = std::env::temp_dir().join(format!("eligo-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.pol");
    std::fs::write(&path, &src).unwrap();
    let err = Policy::from_file(&path).unwrap_err();
    assert_eq!(codes(&err), ["io/too-large"], "{err}");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn as_many_requirements_as_fit_compile_and_evaluate() {
    // A million requirements cannot fit in the 1 MiB limit; the most that
    // do, all distinct, compile and decide.
    let mut src = String::new();
    let mut n = 0u64;
    while src.len() < (1 << 20) - 64 {
        src.push_str(&format!("require retention_days != {n};\n"));
        n += 1;
    }
    assert!(n > 30_000, "{n}");
    let policy = Policy::compile(&src).unwrap();
    assert_eq!(policy.requirement_count() as u64, n);
    let ok = Target::builder("p", "m").attr("retention_days", -1).build();
    assert!(policy.evaluate(&ok).is_allowed());
    let bad = Target::builder("p", "m").attr("retention_days", 7).build();
    let v = policy.evaluate(&bad);
    assert_eq!(v.failures().len(), 1);
    assert_eq!(v.failures()[0].text(), "require retention_days != 7");
}

#[test]
fn integers_beyond_64_bits() {
    let err = Policy::compile("max_retention_days 9223372036854775808").unwrap_err();
    assert_eq!(codes(&err), ["syntax/integer-out-of-range"], "{err}");
    let err = Policy::compile("require retention_days > -99999999999999999999").unwrap_err();
    assert_eq!(codes(&err), ["syntax/integer-out-of-range"], "{err}");
}

#[test]
fn negative_and_huge_retention_days() {
    let err = Policy::compile("max_retention_days -1").unwrap_err();
    assert_eq!(codes(&err), ["compile/negative-retention"], "{err}");
    let policy = Policy::compile("max_retention_days 9223372036854775807").unwrap();
    let t = Target::builder("p", "m")
        .attr("retention_days", i64::MAX)
        .build();
    assert!(policy.evaluate(&t).is_allowed());
    let err = Catalog::from_json(
        r#"{"targets": [{"provider": "a", "model": "m", "attributes": {"retention_days": -1}}]}"#,
        "c.json",
    )
    .unwrap_err();
    assert!(err.to_string().contains("must be 0 or more"), "{err}");
}

#[test]
fn non_utf8_nul_bom_and_crlf() {
    let dir = std::env::temp_dir().join(format!("eligo-hostile-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("latin1.pol");
    std::fs::write(&path, b"require soc2; # caf\xe9\n").unwrap();
    let err = Policy::from_file(&path).unwrap_err();
    assert_eq!(codes(&err), ["syntax/invalid-utf8"], "{err}");
    assert!(err.to_string().contains("latin1.pol:1:20"), "{err}");
    std::fs::remove_file(&path).unwrap();

    let err = Policy::compile("require soc2\0;").unwrap_err();
    assert!(codes(&err)[0].starts_with("syntax/"), "{err}");

    let plain = Policy::compile("require soc2;\nrequire gdpr;\n").unwrap();
    for variant in [
        "\u{FEFF}require soc2;\nrequire gdpr;\n",
        "require soc2;\r\nrequire gdpr;\r\n",
    ] {
        let p = Policy::compile(variant).unwrap();
        assert_eq!(p.fingerprint(), plain.fingerprint(), "{variant:?}");
    }
}

#[test]
fn lookalike_identifiers_are_named() {
    // Cyrillic `о` in `sоc2`.
    let err = Policy::compile("require s\u{43e}c2").unwrap_err();
    let text = err.to_string();
    assert!(codes(&err)[0].starts_with("syntax/"), "{text}");
    assert!(text.contains("U+043E"), "{text}");
}

#[test]
fn catalogs_with_duplicate_keys_and_wrong_types() {
    let err = Catalog::from_json(
        r#"{"targets": [{"provider": "a", "model": "m", "attributes": {"soc2": true, "soc2": false}}]}"#,
        "dup.json",
    )
    .unwrap_err();
    assert!(err.to_string().contains("given twice"), "{err}");
    let err = Catalog::from_json(
        r#"{"targets": [{"provider": "a", "model": "m", "attributes": {"soc2": "yes", "retention_days": "30"}}]}"#,
        "types.json",
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("target #1") && text.contains("attributes.soc2"),
        "{text}"
    );
    assert!(text.contains("attributes.retention_days"), "{text}");
}

#[test]
fn a_catalog_of_a_million_targets() {
    let mut json = String::from("{\"targets\": [");
    for i in 0..1_000_000u32 {
        if i > 0 {
            json.push(',');
        }
        let soc2 = i % 2 == 0;
        json.push_str(&format!(
            "{{\"provider\":\"p{i}\",\"model\":\"m\",\"attributes\":{{\"soc2\":{soc2}}}}}"
        ));
    }
    json.push_str("]}");
    let catalog = Catalog::from_json(&json, "million.json").unwrap();
    assert_eq!(catalog.len(), 1_000_000);
    let policy = Policy::compile("require soc2").unwrap();
    let allowed = policy.encode_catalog(&catalog, None).filter();
    assert_eq!(allowed.count(), 500_000);
    assert_eq!(allowed.indices().nth(1), Some(2));
}

#[test]
fn a_target_id_of_1_mb() {
    let id = "x".repeat(1 << 20);
    let err = Catalog::from_json(
        &format!(r#"{{"targets": [{{"id": "{id}", "provider": "a", "model": "m"}}]}}"#),
        "huge.json",
    )
    .unwrap_err();
    assert!(err.to_string().contains("more than the limit"), "{err}");
    assert!(
        err.to_string().len() < 10_000,
        "the message does not repeat the id"
    );
}

/// The fastest of three runs of `run` on `input`, stopping early once one is
/// within `enough`.
fn fastest<T>(input: &T, run: &impl Fn(&T), enough: Duration) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        run(input);
        best = best.min(start.elapsed());
        if best <= enough {
            break;
        }
    }
    best
}

/// Checks that `run` does linear work in `n`: on `make(8 * n)` it may take
/// at most 32 times as long as on `make(n)`, plus 20 ms (see the module
/// docs). Building the inputs is not timed.
fn assert_linear<T>(what: &str, n: usize, make: impl Fn(usize) -> T, run: impl Fn(&T)) {
    let (small, large) = (make(n), make(8 * n));
    let t_small = fastest(&small, &run, Duration::ZERO);
    let bound = t_small * 32 + Duration::from_millis(20);
    let t_large = fastest(&large, &run, bound);
    assert!(
        t_large <= bound,
        "{what}: {t_small:?} for n = {n}, {t_large:?} for 8n (at most {bound:?} if linear)"
    );
}

/// Attribute names `x0`, `x1`, …
fn name(i: usize) -> String {
    format!("x{i}")
}

/// One `require` whose `or` has `n` operands, mixing declared and standard
/// flags, negations, comparisons, memberships and `known`.
fn long_or(n: usize) -> String {
    let operands = [
        "x0",
        "!x1",
        "x2",
        "!x0",
        "soc2",
        "x1",
        "!x2",
        "retention_days <= 3",
        "x0",
        "!x1",
        "region in [\"eu\"]",
        "x2",
        "known(x2)",
        "!(x1)",
        "!gdpr",
        "x1",
    ];
    let mut src =
        String::from("attribute x0: flag; attribute x1: flag; attribute x2: flag;\nrequire ");
    for i in 0..n {
        if i > 0 {
            src.push_str(" or ");
        }
        src.push_str(operands[i % operands.len()]);
    }
    src
}

/// Compiles `src`, panicking with the diagnostic codes only (not the text).
fn compiled(src: &str) -> Policy {
    Policy::compile(src).unwrap_or_else(|e| panic!("{:?}", codes(&e)))
}

fn lowered(src: &str) -> eligo::ir::Ir {
    compiled(src).ir().clone()
}

// Regression: compiling an `or` copied the clause built so far for each
// operand, so a 1 MiB `require a or b or …` took seconds to compile
// (quadratic: 0.6 s for this one in a release build, 64 times the time
// of the small one).
#[test]
fn a_long_or_compiles_in_linear_time() {
    let src = long_or(112_000);
    assert!(src.len() < eligo::syntax::MAX_SOURCE_BYTES, "{}", src.len());
    assert_linear(
        "compile",
        112_000 / 8,
        |n| lowered(&long_or(n)),
        |ir| {
            let program = eligo::compile::compile(ir);
            assert_eq!(program.clause_count(), 1);
        },
    );
    let policy = compiled(&src);
    let t = Target::builder("p", "m").attr("x2", true).build();
    assert!(policy.evaluate(&t).is_allowed());
    let none = policy.evaluate(&Target::new("p", "m"));
    assert!(none.failures()[0].is_unknown());
}

// Regression: lint counted one step per requirement for each combination
// of attribute values it tried, but evaluated every literal of it, so one
// long `or` over a few attributes escaped the work bound: 2.3 s for a
// 16 KiB policy in a release build, minutes for 1 MiB.
#[test]
fn a_long_or_lints_in_linear_time() {
    let policy = |n: usize| compiled(&long_or(n));
    assert_linear("lint", 112_000 / 8, policy, |p| {
        let codes: Vec<&str> = eligo::lint::lint(p).iter().map(|d| d.code()).collect();
        assert_eq!(codes, ["lint/analysis-limit"]);
    });
    // Short, it is analysed as before.
    let short = Policy::compile("require soc2 or !soc2 or soc2").unwrap();
    let codes: Vec<&str> = eligo::lint::lint(&short).iter().map(|d| d.code()).collect();
    assert_eq!(codes, ["lint/fails-when-undeclared"]);
}

/// `(x0 and x1) or … or (x10 and x11)`, then `n` more flags in the `or`.
fn copied_or(n: usize) -> String {
    let mut src = String::new();
    let mut ops = Vec::new();
    for i in 0..12 + n {
        src.push_str(&format!("attribute {}: flag;\n", name(i)));
        if i < 12 && i % 2 == 1 {
            ops.push(format!("({} and {})", name(i - 1), name(i)));
        } else if i >= 12 {
            ops.push(name(i));
        }
    }
    src.push_str(&format!("require {}", ops.join(" or ")));
    src
}

// Regression: in clause form, `(a and b) or x1 or … or xn` copies every `x`
// into each of its up to 64 clauses, and dropping subsumed clauses compared
// them all pairwise: a 1 MiB policy of this shape took 32 s to compile in
// a release build. Past a small bound on the copies it is now a mask
// program, with the same verdicts.
#[test]
fn copies_in_an_or_are_bounded() {
    let src = copied_or(24_000);
    assert!(src.len() < eligo::syntax::MAX_SOURCE_BYTES, "{}", src.len());
    assert_linear(
        "compile",
        24_000 / 8,
        |n| lowered(&copied_or(n)),
        |ir| {
            let program = eligo::compile::compile(ir);
            assert_eq!(program.mask_program_count(), 1);
        },
    );
    let policy = compiled(&src);
    let pair = Target::builder("p", "m")
        .attr("x4", true)
        .attr("x5", true)
        .build();
    assert!(policy.evaluate(&pair).is_allowed());
    let last = Target::builder("p", "m")
        .attr(name(12 + 23_999), true)
        .build();
    assert!(policy.evaluate(&last).is_allowed());
    let half = Target::builder("p", "m").attr("x4", true).build();
    assert!(policy.evaluate(&half).is_blocked());
    // A small one still becomes clauses.
    let small = compiled(&copied_or(3));
    assert_eq!(small.program().mask_program_count(), 0);
}

/// `require` of `(gdpr or (gdpr and (… soc2)))` nested `depth` deep,
/// repeated with `or` up to about `bytes` bytes.
fn nested(depth: usize, bytes: usize) -> String {
    let mut one = String::from("soc2");
    for d in 0..depth {
        let op = if d % 2 == 0 { "or" } else { "and" };
        one = format!("(gdpr {op} {one})");
    }
    let copies = bytes / (one.len() + 4);
    format!("require {}", vec![one; copies.max(1)].join(" or "))
}

// Regression: building the syntax tree found where each node ends by
// reading every token below it, so the work was the size times the nesting
// depth: 10 s for 1 MiB nested 60 deep in a release build, and 4 times as
// long as the same size nested once.
#[test]
fn deep_nesting_parses_in_linear_time() {
    let bytes = 64 << 10;
    let (shallow, deep) = (nested(1, bytes), nested(60, bytes));
    let parse = |src: &String| {
        let parsed = eligo::syntax::parse(src);
        assert!(parsed.is_ok());
    };
    let t_shallow = fastest(&shallow, &parse, Duration::ZERO);
    // Both are about `bytes` long; the deep text has more tokens per byte
    // and takes about 1.3 times as long. The old cost was 4 times.
    let bound = t_shallow * 2 + Duration::from_millis(20);
    let t_deep = fastest(&deep, &parse, bound);
    assert!(
        t_deep <= bound,
        "{t_shallow:?} nested once, {t_deep:?} nested 60 deep (at most {bound:?})"
    );
    let policy = compiled(&deep);
    let t = Target::builder("p", "m").attr("gdpr", true).build();
    assert!(policy.evaluate(&t).is_allowed());
}

/// `n` declared flags and one `require` of their `or`.
fn many_attributes(n: usize) -> Policy {
    let mut src = String::new();
    for i in 0..n {
        src.push_str(&format!("attribute {}: flag;\n", name(i)));
    }
    let names: Vec<String> = (0..n).map(name).collect();
    src.push_str(&format!("require {}", names.join(" or ")));
    compiled(&src)
}

// Regression: an explanation listed each attribute once by searching the
// list for every name, quadratic in the attributes: 1.25 s per blocked
// target with 31,000 of them in a release build.
#[test]
fn explaining_many_unknown_attributes_is_linear() {
    let none = Target::new("p", "m");
    assert_linear("explain", 28_000 / 8, many_attributes, |p| {
        let v = p.evaluate(&none);
        assert!(v.failures()[0].is_unknown());
    });
    let v = many_attributes(28_000).evaluate(&none);
    let attrs = v.failures()[0].attributes();
    assert_eq!(attrs.len(), 28_000);
    assert_eq!(attrs[..3], ["x0", "x1", "x2"]);
    assert_eq!(attrs[27_999], "x27999");
}

// Regression: `lint_catalog` listed a target's unknown attributes the same
// quadratic way, on top of the explanation: seconds for one target with
// 28,000 of them in a release build.
#[test]
fn a_metadata_gap_of_many_attributes_is_linted_in_linear_time() {
    let catalog = Catalog::new(vec![Target::new("p", "m")]).unwrap();
    assert_linear("lint_catalog", 28_000 / 8, many_attributes, |p| {
        let found = eligo::lint::lint_catalog(p, &catalog, "c.json", None);
        assert_eq!(found[0].code(), "lint/metadata-gap");
    });
}
