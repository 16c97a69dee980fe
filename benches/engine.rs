//! Core costs: parse, compile, evaluate one target, explain one blocked
//! target, route one request, and decide a 10,000-target catalog.
//!
//! Run with `cargo bench --bench engine` (add `-- --quick` for a short run).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use eligo::{Catalog, Policy, Request, Target};

const POLICY: &str = "require soc2 or iso27001; require !trains_on_prompts; \
                      require !logs_prompts; require gdpr; max_retention_days 0";

fn targets(n: usize) -> Vec<Target> {
    // A small deterministic generator: about 20% of attributes undeclared.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|i| {
            let mut t = Target::new(format!("p{i}"), "m");
            for name in [
                "soc2",
                "iso27001",
                "trains_on_prompts",
                "logs_prompts",
                "gdpr",
            ] {
                let r = next() % 10;
                if r >= 2 {
                    t.set(name, r % 2 == 0 || name == "soc2");
                }
            }
            if next() % 10 >= 2 {
                t.set("retention_days", (next() % 3) as i64);
            }
            t
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    c.bench_function("parse", |b| {
        b.iter(|| eligo::syntax::parse(black_box(POLICY)))
    });
    let shipped = std::fs::read_to_string("policies/regulated-routing.pol").unwrap_or_default();
    c.bench_function("compile shipped policy", |b| {
        b.iter(|| Policy::compile(black_box(&shipped)))
    });

    let policy = Policy::compile(POLICY).expect("bench policy compiles");
    let allowed = Target::builder("a", "m")
        .attr("soc2", true)
        .attr("trains_on_prompts", false)
        .attr("logs_prompts", false)
        .attr("gdpr", true)
        .attr("retention_days", 0)
        .build();
    c.bench_function("evaluate one target", |b| {
        b.iter(|| policy.is_allowed(black_box(&allowed)))
    });
    let blocked = Target::builder("b", "m")
        .attr("trains_on_prompts", true)
        .build();
    c.bench_function("explain one blocked target", |b| {
        b.iter(|| policy.evaluate(black_box(&blocked)))
    });

    let catalog = Catalog::new(targets(10_000)).expect("unique ids");
    c.bench_function("encode catalog 10k", |b| {
        b.iter(|| policy.encode_catalog(black_box(&catalog), None))
    });
    let encoded = policy.encode_catalog(&catalog, None);
    c.bench_function("filter encoded 10k", |b| {
        b.iter(|| black_box(&encoded).allowed_indices().count())
    });
    let request = Request::model("m");
    c.bench_function("route one request over 10k candidates", |b| {
        b.iter(|| eligo::route(&policy, &catalog, black_box(&request)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
