//! The engine's costs, one benchmark each: parse, compile, evaluate one
//! target, explain one blocked target, build a catalog (and its fact
//! table), encode a catalog for a policy (bind the policy to the fact
//! table), filter 100 / 10,000 / 1,000,000 targets, route one request, and
//! the memory read bandwidth the large filter is bound by (measured in the
//! same run).
//!
//! Run with `cargo bench --bench engine` (add `-- --quick` for a short run).
//! BENCHMARKS.md explains every number.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eligo::{Catalog, EncodedCatalog, Policy, Request, Target};

#[path = "common/workload.rs"]
mod workload;

use workload::{POLICY, targets};

fn language(c: &mut Criterion) {
    c.bench_function("parse", |b| {
        b.iter(|| eligo::syntax::parse(black_box(POLICY)))
    });
    c.bench_function("compile", |b| b.iter(|| Policy::compile(black_box(POLICY))));
    let shipped = std::fs::read_to_string("policies/regulated-routing.pol")
        .expect("run from the repository root");
    c.bench_function("compile shipped policy", |b| {
        b.iter(|| Policy::compile(black_box(&shipped)))
    });
}

fn one_target(c: &mut Criterion) {
    let policy = Policy::compile(POLICY).expect("bench policy compiles");
    let program = policy.program();
    let allowed = Target::builder("a", "m")
        .attr("soc2", true)
        .attr("trains_on_prompts", false)
        .attr("logs_prompts", false)
        .attr("gdpr", true)
        .attr("retention_days", 0)
        .build();
    assert!(policy.is_allowed(&allowed));
    let row = program.encode(&allowed);
    c.bench_function("evaluate one target (encoded row)", |b| {
        b.iter(|| program.passes(black_box(&row)))
    });
    c.bench_function("evaluate one target (from attributes)", |b| {
        b.iter(|| policy.is_allowed(black_box(&allowed)))
    });
    let blocked = Target::builder("b", "m")
        .attr("soc2", true)
        .attr("trains_on_prompts", true)
        .build();
    assert_eq!(policy.evaluate(&blocked).failures().len(), 4);
    c.bench_function("explain one blocked target", |b| {
        b.iter(|| policy.evaluate(black_box(&blocked)))
    });
}

fn bulk(c: &mut Criterion) {
    let policy = Policy::compile(POLICY).expect("bench policy compiles");
    let mut group = c.benchmark_group("filter");
    for n in [100usize, 10_000, 1_000_000] {
        let catalog = Catalog::new(targets(n)).expect("unique ids");
        let encoded = policy.encode_catalog(&catalog, None);
        let allowed = encoded.filter();
        assert!(allowed.count() > 0 && allowed.count() < n / 2 + 1);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("{n} targets"), |b| {
            b.iter(|| black_box(&encoded).filter())
        });
        if n == 1_000_000 {
            // The bound: reading as many bytes as the filter reads, with
            // nothing else to do (an XOR over the words).
            let bytes = encoded.column_bytes();
            let buffer: Vec<u64> = (0..bytes as u64 / 8).collect();
            group.throughput(Throughput::Bytes(bytes as u64));
            group.bench_function(format!("read {bytes} bytes (bandwidth bound)"), |b| {
                b.iter(|| black_box(&buffer).iter().fold(0u64, |a, w| a ^ w))
            });
        }
    }
    group.finish();

    let catalog = Catalog::new(targets(10_000)).expect("unique ids");
    let mut group = c.benchmark_group("encode catalog");
    group.throughput(Throughput::Elements(10_000));
    // Binding the policy to the catalog's fact table (what
    // `encode_catalog` does), and the same encoding made one target at a
    // time from its attributes, as it was before the fact table.
    group.bench_function("10000 targets", |b| {
        b.iter(|| policy.encode_catalog(black_box(&catalog), None))
    });
    group.bench_function("10000 targets, one target at a time", |b| {
        b.iter(|| {
            EncodedCatalog::encode_by_rows_for_testing(policy.program(), black_box(&catalog), None)
        })
    });
    group.finish();

    // The fact table is built by the catalog's first encoding, once for
    // every policy: a new catalog and its first encoding, and the catalog
    // alone.
    let mut group = c.benchmark_group("catalog facts build, per target");
    group.throughput(Throughput::Elements(10_000));
    let list = targets(10_000);
    group.bench_function("10000 targets, catalog and first encoding", |b| {
        b.iter_batched(
            || list.clone(),
            |list| {
                let catalog = Catalog::new(black_box(list)).expect("unique ids");
                let encoded = policy.encode_catalog(&catalog, None);
                (catalog, encoded)
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("10000 targets, catalog alone", |b| {
        b.iter_batched(
            || list.clone(),
            |list| Catalog::new(black_box(list)),
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();

    // A policy never seen before: compiled outside the loop, then bound to
    // the catalog and filtered, the binding counted.
    let fresh = Policy::compile(
        "require soc2 or iso27001; require !trains_on_prompts; \
         require !logs_prompts; require gdpr; max_retention_days 30; \
         deny provider [\"p1\", \"p2\"]",
    )
    .expect("bench policy compiles");
    let mut group = c.benchmark_group("encode for a new policy + filter");
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("10000 targets", |b| {
        b.iter(|| fresh.encode_catalog(black_box(&catalog), None).filter())
    });
    group.finish();
}

fn routing(c: &mut Criterion) {
    let policy = Policy::from_file("policies/regulated-routing.pol").expect("shipped policy");
    let catalog = Catalog::from_file("policies/catalog.json").expect("shipped catalog");
    let request = Request::model("gpt-4o");
    c.bench_function("route one request (shipped catalog)", |b| {
        b.iter(|| eligo::route(&policy, &catalog, black_box(&request)))
    });
    // 500 targets, 50 models of 10 providers each: a request has 10
    // candidates, some compliant.
    let policy = Policy::compile(POLICY).expect("bench policy compiles");
    let spread: Vec<Target> = targets(500)
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let mut s = Target::new(t.provider(), format!("m{}", i % 50));
            for (name, value) in t.attributes() {
                s.set(name.as_str(), value.clone());
            }
            s
        })
        .collect();
    let catalog = Catalog::new(spread).expect("unique ids");
    let request = (0..50)
        .map(|m| Request::model(format!("m{m}")))
        .find(|r| {
            eligo::route(&policy, &catalog, r).is_ok_and(|d| d.outcome() == eligo::Outcome::Routed)
        })
        .expect("some model is routed");
    c.bench_function("route one request (500-target catalog, routed)", |b| {
        b.iter(|| eligo::route(&policy, &catalog, black_box(&request)))
    });
    // The same request and catalog under the same policy plus two blocks
    // over request attributes that do not hold for it. The blocks test
    // only what the policy tests already (the same predicates), so every
    // candidate costs the same target work: what differs is the request's
    // own literals, decided once a request.
    let conditional = Policy::compile(&format!(
        r#"{POLICY}; when request.data_class in ["phi"] {{ require soc2; }}
           when request.team != "research" {{ max_retention_days 0; }}"#
    ))
    .expect("conditional policy compiles");
    assert_eq!(
        conditional.program().predicate_count(),
        policy.program().predicate_count() + 2,
        "the blocks add only their two request predicates"
    );
    let with_attrs = request
        .clone()
        .with_attr("data_class", "public")
        .with_attr("team", "research");
    let same = |p: &Policy, r: &Request| eligo::route(p, &catalog, r).map(|d| d.targets().to_vec());
    assert_eq!(
        same(&policy, &request).ok(),
        same(&conditional, &with_attrs).ok()
    );
    c.bench_function(
        "route one request (500-target catalog, routed, request attributes)",
        |b| b.iter(|| eligo::route(&conditional, &catalog, black_box(&with_attrs))),
    );
    let catalog = Catalog::new(targets(10_000)).expect("unique ids");
    let request = Request::model("m");
    c.bench_function("route one request (10000 candidates)", |b| {
        b.iter(|| eligo::route(&policy, &catalog, black_box(&request)))
    });
}

/// `n` policies of one to four requirements drawn from a pool, as an
/// organisation's teams write them (many alike, some the same).
fn fleet_policies(n: usize) -> Vec<Policy> {
    const POOL: &[&str] = &[
        "require soc2",
        "require iso27001",
        "require soc2 or iso27001",
        "require !trains_on_prompts",
        "require !logs_prompts",
        "require gdpr",
        "max_retention_days 0",
        "max_retention_days 30",
        "require gdpr and !logs_prompts",
        "require soc2 and !trains_on_prompts",
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as usize
    };
    (0..n)
        .map(|i| {
            let count = 1 + next() % 4;
            let mut text = format!("policy \"team-{i}\";");
            let mut retention = false;
            for _ in 0..count {
                let r = POOL[next() % POOL.len()];
                // One max_retention_days a policy.
                if r.starts_with("max_retention_days") {
                    if retention {
                        continue;
                    }
                    retention = true;
                }
                text.push_str(r);
                text.push(';');
            }
            Policy::compile(&text).expect("fleet policy compiles")
        })
        .collect()
}

fn fleet(c: &mut Criterion) {
    let policies = fleet_policies(10_000);
    let catalog = Catalog::new(targets(1_000)).expect("unique ids");
    let day = eligo::Date::new(2026, 12, 1).expect("a date");
    let mut group = c.benchmark_group("fleet");
    group.sample_size(10);
    group.throughput(Throughput::Elements(10_000 * 1_000));
    group.bench_function(
        "10000 policies x 1000 targets, every verdict, new bindings",
        |b| {
            b.iter(|| {
                policies
                    .iter()
                    .map(|p| {
                        p.encode_catalog(black_box(&catalog), Some(day))
                            .filter()
                            .count()
                    })
                    .sum::<usize>()
            })
        },
    );
    group.bench_function(
        "10000 policies x 1000 targets, every verdict, kept bindings",
        |b| {
            b.iter(|| {
                policies
                    .iter()
                    .map(|p| p.allowed_in(black_box(&catalog), Some(day)).count())
                    .sum::<usize>()
            })
        },
    );
    group.bench_function(
        "10000 policies x 1000 targets, every verdict, shared work",
        |b| b.iter(|| eligo::allowed_by_each(black_box(&policies), &catalog, Some(day))),
    );
    // One provider loses its SOC 2 report.
    let mut changed = targets(1_000);
    if let Some(t) = changed.first_mut() {
        t.set("soc2", false);
    }
    let new = Catalog::new(changed).expect("unique ids");
    let sets: Vec<eligo::PolicySet> = policies.iter().cloned().map(eligo::PolicySet::of).collect();
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("impact of a one-provider change, 10000 policies", |b| {
        b.iter(|| eligo::impact(black_box(&sets), &catalog, &new, Some(day)))
    });
    group.finish();
}

criterion_group!(benches, language, one_target, bulk, routing, fleet);
criterion_main!(benches);
