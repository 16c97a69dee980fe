//! One `Policy`, `Catalog` and `EncodedCatalog` shared by many threads that
//! evaluate, filter and route at once give exactly the results one thread
//! gets.

use std::sync::{Arc, Barrier};
use std::thread;

use eligo::{Catalog, Policy, Request, Target};

const THREADS: usize = 8;
const ROUNDS: usize = 40;

/// 3,000 targets with a mix of true, false and undeclared attributes.
fn catalog() -> Catalog {
    let names = [
        "soc2",
        "iso27001",
        "gdpr",
        "trains_on_prompts",
        "logs_prompts",
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let targets = (0..3000)
        .map(|i| {
            let mut t = Target::new(format!("p{}", i % 50), format!("m{}", i % 7));
            t.set_id(format!("t{i}"));
            for name in names {
                match next() % 3 {
                    0 => t.set(name, true),
                    1 => t.set(name, false),
                    _ => {}
                }
            }
            if next() % 2 == 0 {
                t.set("retention_days", (next() % 3) as i64);
            }
            t
        })
        .collect();
    Catalog::new(targets).unwrap()
}

/// Everything one thread computes: verdicts, the bulk filter, a route.
fn work(policy: &Policy, catalog: &Catalog, encoded: &eligo::EncodedCatalog) -> Vec<String> {
    let mut out: Vec<String> = catalog
        .targets()
        .iter()
        .map(|t| format!("{:?}", policy.evaluate(t)))
        .collect();
    out.push(format!("{:?}", encoded.filter().as_words()));
    let decision = eligo::route(policy, catalog, &Request::model("m3")).expect("m3 is served");
    out.push(format!("{:?} {:?}", decision.outcome(), decision.targets()));
    out
}

#[test]
fn shared_policy_and_catalog_give_the_same_results_on_many_threads() {
    let policy = Policy::compile(
        "require soc2 or iso27001; require !trains_on_prompts; max_retention_days 1",
    )
    .unwrap();
    let catalog = catalog();
    let encoded = policy.encode_catalog(&catalog, None);
    let expected = work(&policy, &catalog, &encoded);
    let allowed = encoded.filter().count();
    assert!(allowed > 50 && allowed < 2000, "{allowed} allowed");

    let shared = Arc::new((policy, catalog, encoded));
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let shared = Arc::clone(&shared);
            let start = Arc::clone(&start);
            thread::spawn(move || {
                let (policy, catalog, encoded) = &*shared;
                start.wait();
                (0..ROUNDS)
                    .map(|_| work(policy, catalog, encoded))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for h in handles {
        for result in h.join().expect("no thread panics") {
            assert!(result == expected, "a thread saw different results");
        }
    }
}

#[test]
fn encoding_on_many_threads_at_once_gives_the_same_columns() {
    let policy =
        Policy::compile("require gdpr and !logs_prompts; require soc2 or iso27001 or gdpr")
            .unwrap();
    let catalog = Arc::new(catalog());
    let expected = policy.encode_catalog(&catalog, None).filter();
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (policy, catalog) = (policy.clone(), Arc::clone(&catalog));
            thread::spawn(move || policy.encode_catalog(&catalog, None).filter())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), expected);
    }
}
