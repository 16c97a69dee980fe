//! eligo side by side with the engines a user would otherwise pick: Cedar
//! (`cedar-policy`), Rego (`regorus`) and CEL (`cel`), on one random catalog
//! and one policy, with the same fail-closed meaning in every engine.
//!
//! In one process, in this order:
//!
//! 1. generate the catalog (`benches/common/workload.rs`, shared with `benches/engine.rs`);
//! 2. decide every target with every engine and abort unless each allowed
//!    set equals `EncodedCatalog::filter()`'s, which must itself equal
//!    `Policy::is_allowed` on every target;
//! 3. time every engine per target, eligo's bulk filter over the whole
//!    catalog, and a plain read of as many bytes as the filter reads;
//! 4. print the table, then eligo's filter against the read bound at
//!    1,000,000 targets (peers are skipped there: see the output).
//!
//! `cargo run --release -- --help` lists the flags; README.md explains
//! every number.

use std::collections::HashMap;
use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use eligo::{Catalog, EncodedCatalog, Policy, Target, Value};

// The policy and the catalog generator are `benches/engine.rs`'s,
// shared by path, so both benchmarks see the same workload.
#[path = "../../common/workload.rs"]
mod workload;

use workload::{POLICY, targets};

/// Cedar, target attributes in the request context. `has` before every
/// read: a missing attribute makes its conjunct false, never an error, and
/// never a pass. `!trains_on_prompts` is "declared and false".
const CEDAR_CONTEXT: &str = r#"
permit (principal, action, resource)
when {
  ((context has soc2 && context.soc2) || (context has iso27001 && context.iso27001)) &&
  (context has trains_on_prompts && !context.trains_on_prompts) &&
  (context has logs_prompts && !context.logs_prompts) &&
  (context has gdpr && context.gdpr) &&
  (context has retention_days && context.retention_days <= 0)
};
"#;

/// Cedar, targets as entities in the entity store (the catalog loaded
/// once); a request names its target as the resource.
const CEDAR_ENTITY: &str = r#"
permit (principal, action, resource)
when {
  ((resource has soc2 && resource.soc2) || (resource has iso27001 && resource.iso27001)) &&
  (resource has trains_on_prompts && !resource.trains_on_prompts) &&
  (resource has logs_prompts && !resource.logs_prompts) &&
  (resource has gdpr && resource.gdpr) &&
  (resource has retention_days && resource.retention_days <= 0)
};
"#;

/// Rego: a reference to a missing input field is undefined, which fails
/// the rule body, so `allow` falls back to its default. `== false` asks for
/// a declared false (`not input.trains_on_prompts` would pass a target that
/// says nothing).
const REGO: &str = r#"
package eligo

default allow := false

allow if {
	certified
	input.trains_on_prompts == false
	input.logs_prompts == false
	input.gdpr == true
	input.retention_days <= 0
}

certified if input.soc2 == true

certified if input.iso27001 == true
"#;

/// The rule every Rego decision asks for.
const REGO_RULE: &str = "data.eligo.allow";

/// CEL over a map `t` of the target's attributes: `has(t.x)` before every
/// read, so a missing key is false rather than an evaluation error.
const CEL: &str = "(has(t.soc2) && t.soc2 == true || has(t.iso27001) && t.iso27001 == true) \
                   && has(t.trains_on_prompts) && t.trains_on_prompts == false \
                   && has(t.logs_prompts) && t.logs_prompts == false \
                   && has(t.gdpr) && t.gdpr == true \
                   && has(t.retention_days) && t.retention_days <= 0";

/// Peers are timed on at most this many targets (all of them are checked).
const PEER_TIMED_MAX: usize = 10_000;

/// Bytes of the buffer the DRAM bandwidth is read from: far larger than any
/// cache.
const DRAM_BYTES: usize = 256 << 20;

/// Attributes the generator may declare, for the undeclared share.
const ATTRIBUTES: usize = 6;

struct Args {
    targets: usize,
    large: usize,
    eligo_only: bool,
    budget: Duration,
}

const USAGE: &str = "usage: eligo-peers [--targets N] [--large N] [--eligo-only] [--budget-ms MS]

  --targets N     catalog size for the side-by-side table (default 10000)
  --large N       second size for eligo's filter against the read bound
                  (default 1000000; 0 to skip)
  --eligo-only    skip the peer engines
  --budget-ms MS  least time spent timing each row (default 1000)";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        targets: 10_000,
        large: 1_000_000,
        eligo_only: false,
        budget: Duration::from_secs(1),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut number = |flag: &str| -> Result<usize, String> {
            let v = it.next().ok_or(format!("{flag} needs a number"))?;
            v.replace('_', "")
                .parse()
                .map_err(|_| format!("{flag}: not a number: {v}"))
        };
        match a.as_str() {
            "--targets" => args.targets = number("--targets")?,
            "--large" => args.large = number("--large")?,
            "--budget-ms" => args.budget = Duration::from_millis(number("--budget-ms")? as u64),
            "--eligo-only" => args.eligo_only = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.targets == 0 {
        return Err("--targets must be at least 1".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}\n");
            }
            eprintln!("{USAGE}");
            return if e.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nABORTED: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let policy = Policy::compile(POLICY).map_err(|e| format!("eligo policy: {e}"))?;
    print_header(args);

    let generated = targets(args.targets);
    let undeclared: usize = generated
        .iter()
        .map(|t| ATTRIBUTES - t.attributes().len())
        .sum();
    let catalog = Catalog::new(generated).map_err(|e| format!("catalog: {e}"))?;
    let n = catalog.len();
    println!(
        "catalog: {} targets from benches/engine.rs's generator, {:.1}% of attributes undeclared",
        group(n),
        100.0 * undeclared as f64 / (ATTRIBUTES * n) as f64
    );

    // Step 1: eligo's two paths agree, and every peer agrees with them.
    let encoded = policy.encode_catalog(&catalog, None);
    let expected = eligo_agrees(&policy, &catalog, &encoded)?;
    let allowed = expected.iter().filter(|&&a| a).count();
    let mut peers = Vec::new();
    if !args.eligo_only {
        peers = prepare_peers(&catalog)?;
        for peer in &mut peers {
            peer.check(&catalog, &expected)?;
        }
    }
    let agree = if args.eligo_only {
        "EncodedCatalog::filter() agrees with Policy::is_allowed on every target".to_string()
    } else {
        format!(
            "all {} peer configurations agree with EncodedCatalog::filter() and Policy::is_allowed on every target",
            peers.len()
        )
    };
    println!(
        "allowed: {} of {} targets; {agree}",
        group(allowed),
        group(n)
    );
    println!();

    // Step 2: timing.
    let bench = EligoBench::measure(&policy, &catalog, &encoded, args.budget, true);
    let timed = n.min(PEER_TIMED_MAX);
    // The fair comparison first: every engine deciding one target at a
    // time, as a gateway does per request. The bulk filter is another
    // thing (a whole catalog at once) and is shown apart.
    let mut rows = vec![Row {
        engine: format!("eligo {}", env!("PEERS_ELIGO")),
        how: "Policy::is_allowed(&Target), row path".into(),
        timed: n,
        ns: bench.row.per(n),
    }];
    for peer in &mut peers {
        let t = peer.time(timed, args.budget);
        rows.push(Row {
            engine: peer.engine.clone(),
            how: peer.how.into(),
            timed,
            ns: t.per(timed),
        });
    }
    println!("per request, one target at a time (the fair comparison):");
    print_table(&rows, bench.row.per(n));
    println!();
    let filter = bench.filter.per(n);
    println!(
        "not comparable, shown apart: eligo's bulk filter (EncodedCatalog::filter, the whole catalog in one call): \
         {} ns/target (best {}), {} targets/µs, {}x faster than its own row path",
        fmt_ns(filter.median),
        fmt_ns(filter.best),
        fmt_rate(1e3 / filter.median),
        fmt_ratio(bench.row.per(n).median / filter.median),
    );
    println!();
    if !args.eligo_only && timed < n {
        println!(
            "peers timed on the first {} of {} targets (all were checked)\n",
            group(timed),
            group(n)
        );
    }

    // Step 3: the bandwidth bound, at this size and the large one, and
    // the DRAM figure for columns that are not in any cache.
    let dram = dram_bandwidth(args.budget);
    let dram_gbs = DRAM_BYTES as f64 / dram.best;
    println!(
        "eligo's filter against a plain read of the same bytes (best of the samples, both warm in cache):"
    );
    print_bound(n, &bench, dram_gbs);
    let slowest_peer = rows.iter().skip(1).map(|r| r.ns.median).fold(0.0, f64::max);
    if args.large > 0 && args.large != n {
        drop((catalog, encoded));
        let large = Catalog::new(targets(args.large)).map_err(|e| format!("catalog: {e}"))?;
        let encoded = policy.encode_catalog(&large, None);
        eligo_agrees(&policy, &large, &encoded)?;
        let big = EligoBench::measure(&policy, &large, &encoded, args.budget, false);
        print_bound(args.large, &big, dram_gbs);
        let fastest_peer = rows
            .iter()
            .skip(2)
            .map(|r| r.ns.median)
            .fold(f64::INFINITY, f64::min);
        if fastest_peer.is_finite() {
            println!(
                "  peers skipped at {}: at the measured ns/target one pass would take {:.1} s (fastest) to {:.1} s (slowest)",
                group(args.large),
                fastest_peer * args.large as f64 / 1e9,
                slowest_peer * args.large as f64 / 1e9,
            );
            println!(
                "  eligo's filter there: {} targets/µs (median), {}x the fastest peer's {} targets/µs",
                fmt_rate(1e3 / big.filter.per(args.large).median),
                fmt_ratio(fastest_peer / big.filter.per(args.large).median),
                fmt_rate(1e3 / fastest_peer),
            );
        } else {
            println!("  peers skipped at {} (--eligo-only)", group(args.large));
        }
    }

    println!(
        "\nDRAM: reading {} MiB runs at {:.1} GB/s (best; median {:.1} GB/s)",
        DRAM_BYTES >> 20,
        dram_gbs,
        DRAM_BYTES as f64 / dram.median,
    );
    Ok(())
}

/// Figures a reader needs to quote the numbers: the machine and versions.
fn print_header(args: &Args) {
    println!("eligo against Cedar, Rego (regorus) and CEL: one policy, one catalog");
    println!("machine: {}", machine());
    println!(
        "build: {}, release; eligo {}, cedar-policy {}, regorus {}, cel {}",
        env!("PEERS_RUSTC"),
        env!("PEERS_ELIGO"),
        env!("PEERS_CEDAR"),
        env!("PEERS_REGORUS"),
        env!("PEERS_CEL"),
    );
    println!("policy: {POLICY}");
    println!(
        "timing: median of at least 7 samples and at least {} ms a row, std::time::Instant; single thread",
        args.budget.as_millis()
    );
}

/// CPU model, core count and cache sizes, from /proc and /sys on Linux.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| format!("{} CPU (model unknown)", std::env::consts::ARCH));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut caches = Vec::new();
    for index in 0..8 {
        let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{index}");
        let read =
            |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).map(|s| s.trim().to_string());
        if let (Ok(level), Ok(kind), Ok(size)) = (read("level"), read("type"), read("size"))
            && kind != "Instruction"
        {
            caches.push(format!("L{level} {size}"));
        }
    }
    let caches = if caches.is_empty() {
        String::new()
    } else {
        format!("; {}", caches.join(", "))
    };
    format!("{model}, {cores} cores available{caches}")
}

/// Median and best time of one call, in nanoseconds.
#[derive(Clone, Copy, Debug)]
struct Timing {
    median: f64,
    best: f64,
}

impl Timing {
    /// Per unit, for a call that does `units` units of work.
    fn per(self, units: usize) -> Timing {
        Timing {
            median: self.median / units as f64,
            best: self.best / units as f64,
        }
    }
}

/// Times `call`: a warm-up that also picks how many calls one sample makes
/// (enough for 10 ms), then samples until there are at least 7 and at least
/// `budget` has passed. Returns nanoseconds per call.
fn measure(budget: Duration, mut call: impl FnMut()) -> Timing {
    const MIN_SAMPLE: Duration = Duration::from_millis(10);
    const MIN_SAMPLES: usize = 7;
    const MAX_SAMPLES: usize = 1_000;
    let mut k = 1usize;
    loop {
        let start = Instant::now();
        for _ in 0..k {
            call();
        }
        let spent = start.elapsed();
        if spent >= MIN_SAMPLE || k >= 1 << 30 {
            break;
        }
        let scale = (MIN_SAMPLE.as_secs_f64() / spent.as_secs_f64().max(1e-9)).ceil();
        k = k.saturating_mul((scale as usize).clamp(2, 1_000));
    }
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < MIN_SAMPLES || (start.elapsed() < budget && samples.len() < MAX_SAMPLES) {
        let t = Instant::now();
        for _ in 0..k {
            call();
        }
        samples.push(t.elapsed().as_secs_f64() * 1e9 / k as f64);
    }
    samples.sort_by(f64::total_cmp);
    Timing {
        median: samples[samples.len() / 2],
        best: samples[0],
    }
}

/// Checks eligo's bulk filter against its row path on every target and
/// returns the allowed flags.
fn eligo_agrees(
    policy: &Policy,
    catalog: &Catalog,
    encoded: &EncodedCatalog,
) -> Result<Vec<bool>, String> {
    let allowed = encoded.filter();
    let expected: Vec<bool> = (0..catalog.len()).map(|i| allowed.contains(i)).collect();
    if allowed.count() != expected.iter().filter(|&&a| a).count() {
        return Err("AllowedSet::count disagrees with AllowedSet::contains".into());
    }
    if allowed.indices().ne(expected
        .iter()
        .enumerate()
        .filter(|(_, a)| **a)
        .map(|(i, _)| i))
    {
        return Err("AllowedSet::indices disagrees with AllowedSet::contains".into());
    }
    for (i, t) in catalog.targets().iter().enumerate() {
        if policy.is_allowed(t) != expected[i] {
            return Err(format!(
                "eligo's filter says {} but Policy::is_allowed says {} for target {i} {}",
                verdict(expected[i]),
                verdict(!expected[i]),
                describe(t)
            ));
        }
    }
    Ok(expected)
}

fn verdict(allowed: bool) -> &'static str {
    if allowed { "allowed" } else { "blocked" }
}

/// A target's id and declared attributes, for error messages.
fn describe(t: &Target) -> String {
    let attrs: Vec<String> = t
        .attributes()
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    format!("{} {{{}}}", t.id(), attrs.join(", "))
}

/// eligo's figures for one catalog.
struct EligoBench {
    /// One `filter()` over the whole catalog.
    filter: Timing,
    /// One pass of `Policy::is_allowed` over every target (NaN when not
    /// measured).
    row: Timing,
    column_bytes: usize,
    /// One XOR read over a buffer of `column_bytes` bytes.
    read: Timing,
}

impl EligoBench {
    fn measure(
        policy: &Policy,
        catalog: &Catalog,
        encoded: &EncodedCatalog,
        budget: Duration,
        with_row: bool,
    ) -> EligoBench {
        // Output allocation included: filter() returns a fresh AllowedSet.
        let filter = measure(budget, || {
            black_box(black_box(encoded).filter());
        });
        let row = if with_row {
            measure(budget, || {
                for t in catalog.targets() {
                    black_box(policy.is_allowed(black_box(t)));
                }
            })
        } else {
            Timing {
                median: f64::NAN,
                best: f64::NAN,
            }
        };
        let column_bytes = encoded.column_bytes();
        let buffer = filled(column_bytes / 8);
        let read = measure(budget, || {
            black_box(xor_read(black_box(&buffer)));
        });
        EligoBench {
            filter,
            row,
            column_bytes,
            read,
        }
    }
}

/// `words` words of varied data (every page written, so none is shared).
fn filled(words: usize) -> Vec<u64> {
    (0..words as u64)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        .collect()
}

/// XOR of every word, eight independent accumulators so the loop
/// vectorises: a read of the buffer with nothing else to do.
fn xor_read(words: &[u64]) -> u64 {
    let mut acc = [0u64; 8];
    let chunks = words.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (a, w) in acc.iter_mut().zip(chunk) {
            *a ^= w;
        }
    }
    acc.iter().chain(rest).fold(0, |x, w| x ^ w)
}

/// The DRAM figure: one read over `DRAM_BYTES` (nanoseconds per read).
fn dram_bandwidth(budget: Duration) -> Timing {
    let buffer = filled(DRAM_BYTES / 8);
    measure(budget, || {
        black_box(xor_read(black_box(&buffer)));
    })
}

/// eligo's filter time against the time to read its column bytes: warm
/// (the buffer read just as the filter reads its columns, repeatedly) and
/// at the DRAM rate `dram_gbs` (columns in no cache).
fn print_bound(n: usize, b: &EligoBench, dram_gbs: f64) {
    println!(
        "  {:>9} targets: filter {} µs = {:.3} ns/target; reading its {} column bytes takes {} µs ({:.1} GB/s): \
         filter = {:.2}x the read; from DRAM the read would take {} µs",
        group(n),
        fmt_us(b.filter.best),
        b.filter.best / n as f64,
        group(b.column_bytes),
        fmt_us(b.read.best),
        b.column_bytes as f64 / b.read.best,
        b.filter.best / b.read.best,
        fmt_us(b.column_bytes as f64 / dram_gbs),
    );
}

/// One line of the table.
struct Row {
    engine: String,
    how: String,
    timed: usize,
    /// Nanoseconds per target.
    ns: Timing,
}

/// The table: medians, with the best sample beside; the ratio is of
/// medians ("x eligo row": how many times slower per target than eligo
/// deciding one `Target` at a time).
fn print_table(rows: &[Row], row_ns: Timing) {
    let w_engine = rows
        .iter()
        .map(|r| r.engine.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    let w_how = rows
        .iter()
        .map(|r| r.how.chars().count())
        .max()
        .unwrap_or(0)
        .max(13);
    println!(
        "{:<w_engine$}  {:<w_how$}  {:>7}  {:>9}  {:>8}  {:>10}  {:>11}",
        "engine", "what is timed", "targets", "ns/target", "(best)", "targets/µs", "x eligo row"
    );
    println!(
        "{}",
        "-".repeat(w_engine + w_how + 7 + 9 + 8 + 10 + 11 + 12)
    );
    for r in rows {
        println!(
            "{:<w_engine$}  {:<w_how$}  {:>7}  {:>9}  {:>8}  {:>10}  {:>11}",
            r.engine,
            r.how,
            group(r.timed),
            fmt_ns(r.ns.median),
            fmt_ns(r.ns.best),
            fmt_rate(1e3 / r.ns.median),
            if r.ns.median < row_ns.median {
                "-".to_string()
            } else {
                format!("{}x", fmt_ratio(r.ns.median / row_ns.median))
            },
        );
    }
}

/// A peer configuration: its per-target inputs are built, its policy
/// compiled; `decide(i)` is one authorization of target `i`.
struct Peer {
    engine: String,
    how: &'static str,
    decide: Box<dyn FnMut(usize) -> Result<bool, String>>,
}

impl Peer {
    /// Decides every target once and compares with eligo's allowed set.
    fn check(&mut self, catalog: &Catalog, expected: &[bool]) -> Result<(), String> {
        for (i, t) in catalog.targets().iter().enumerate() {
            let got = (self.decide)(i).map_err(|e| {
                format!(
                    "{} ({}): target {i} {}: {e}",
                    self.engine,
                    self.how,
                    describe(t)
                )
            })?;
            if got != expected[i] {
                return Err(format!(
                    "{} ({}) {} target {i} {}, eligo {} it",
                    self.engine,
                    self.how,
                    verdict(got),
                    describe(t),
                    verdict(expected[i]),
                ));
            }
        }
        Ok(())
    }

    /// One pass over the first `n` targets, timed.
    fn time(&mut self, n: usize, budget: Duration) -> Timing {
        let decide = &mut self.decide;
        measure(budget, || {
            for i in 0..n {
                black_box(decide(black_box(i)).unwrap_or(false));
            }
        })
    }
}

/// Compiles the peer policies and builds every per-target input once.
fn prepare_peers(catalog: &Catalog) -> Result<Vec<Peer>, String> {
    Ok(vec![
        cedar_context(catalog)?,
        cedar_entities(catalog)?,
        rego_engine(catalog)?,
        rego_vm(catalog)?,
        cel_program(catalog)?,
    ])
}

fn cedar_value(v: &Value) -> cedar_policy::RestrictedExpression {
    use cedar_policy::RestrictedExpression as R;
    match v {
        Value::Flag(b) => R::new_bool(*b),
        Value::Number(n) => R::new_long(*n),
        Value::Text(s) => R::new_string(s.clone()),
    }
}

fn cedar_uid(text: &str) -> Result<cedar_policy::EntityUid, String> {
    text.parse().map_err(|e| format!("cedar uid {text}: {e}"))
}

/// Cedar with the target's attributes as the request context. Timed: one
/// `Authorizer::is_authorized` on a prebuilt `Request` (its context built
/// ahead), an empty entity store.
fn cedar_context(catalog: &Catalog) -> Result<Peer, String> {
    use cedar_policy::{Authorizer, Context, Decision, Entities, PolicySet, Request};
    let policies: PolicySet = CEDAR_CONTEXT
        .parse()
        .map_err(|e| format!("cedar policy: {e}"))?;
    let principal = cedar_uid(r#"Gateway::"gw""#)?;
    let action = cedar_uid(r#"Action::"route""#)?;
    let resource = cedar_uid(r#"Target::"any""#)?;
    let requests = catalog
        .targets()
        .iter()
        .map(|t| {
            let context = Context::from_pairs(
                t.attributes()
                    .iter()
                    .map(|(k, v)| (k.clone(), cedar_value(v))),
            )
            .map_err(|e| format!("cedar context: {e}"))?;
            Request::new(
                principal.clone(),
                action.clone(),
                resource.clone(),
                context,
                None,
            )
            .map_err(|e| format!("cedar request: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let entities = Entities::empty();
    let authorizer = Authorizer::new();
    Ok(Peer {
        engine: format!("cedar-policy {}", env!("PEERS_CEDAR")),
        how: "is_authorized, attributes in context",
        decide: Box::new(move |i| {
            let response = authorizer.is_authorized(&requests[i], &policies, &entities);
            if let Some(e) = response.diagnostics().errors().next() {
                return Err(format!("evaluation error: {e}"));
            }
            Ok(response.decision() == Decision::Allow)
        }),
    })
}

/// Cedar with every target an entity of one store (the catalog, loaded
/// once). Timed: one `Authorizer::is_authorized` on a prebuilt `Request`
/// naming the target as its resource.
fn cedar_entities(catalog: &Catalog) -> Result<Peer, String> {
    use cedar_policy::{Authorizer, Context, Decision, Entities, Entity, PolicySet, Request};
    let policies: PolicySet = CEDAR_ENTITY
        .parse()
        .map_err(|e| format!("cedar policy: {e}"))?;
    let principal = cedar_uid(r#"Gateway::"gw""#)?;
    let action = cedar_uid(r#"Action::"route""#)?;
    let mut entities = Vec::with_capacity(catalog.len());
    let mut requests = Vec::with_capacity(catalog.len());
    for t in catalog.targets() {
        let uid = cedar_uid(&format!("Target::{:?}", t.id()))?;
        let attrs: HashMap<String, _> = t
            .attributes()
            .iter()
            .map(|(k, v)| (k.clone(), cedar_value(v)))
            .collect();
        entities.push(
            Entity::new(uid.clone(), attrs, Default::default())
                .map_err(|e| format!("cedar entity: {e}"))?,
        );
        requests.push(
            Request::new(
                principal.clone(),
                action.clone(),
                uid,
                Context::empty(),
                None,
            )
            .map_err(|e| format!("cedar request: {e}"))?,
        );
    }
    let entities =
        Entities::from_entities(entities, None).map_err(|e| format!("cedar entities: {e}"))?;
    let authorizer = Authorizer::new();
    Ok(Peer {
        engine: format!("cedar-policy {}", env!("PEERS_CEDAR")),
        how: "is_authorized, targets in entity store",
        decide: Box::new(move |i| {
            let response = authorizer.is_authorized(&requests[i], &policies, &entities);
            if let Some(e) = response.diagnostics().errors().next() {
                return Err(format!("evaluation error: {e}"));
            }
            Ok(response.decision() == Decision::Allow)
        }),
    })
}

/// A target's attributes as one JSON object, the input Rego reads.
fn rego_input(t: &Target) -> Result<regorus::Value, String> {
    let object: serde_json::Map<String, serde_json::Value> = t
        .attributes()
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::Flag(b) => serde_json::Value::from(*b),
                Value::Number(n) => serde_json::Value::from(*n),
                Value::Text(s) => serde_json::Value::from(s.as_str()),
            };
            (k.clone(), v)
        })
        .collect();
    regorus::Value::from_json_str(&serde_json::Value::Object(object).to_string())
        .map_err(|e| format!("rego input: {e}"))
}

fn rego_engine_with_policy() -> Result<regorus::Engine, String> {
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("eligo.rego".into(), REGO.into())
        .map_err(|e| format!("rego policy: {e}"))?;
    Ok(engine)
}

/// regorus's interpreter, the documented way: one `Engine` with the policy
/// loaded; per decision `set_input` (a prebuilt input value, cloned by
/// reference count) and `eval_rule("data.eligo.allow")`.
fn rego_engine(catalog: &Catalog) -> Result<Peer, String> {
    let inputs = catalog
        .targets()
        .iter()
        .map(rego_input)
        .collect::<Result<Vec<_>, _>>()?;
    let mut engine = rego_engine_with_policy()?;
    let yes = regorus::Value::from(true);
    Ok(Peer {
        engine: format!("regorus {}", env!("PEERS_REGORUS")),
        how: "Engine::eval_rule (interpreter)",
        decide: Box::new(move |i| {
            engine.set_input(inputs[i].clone());
            let v = engine
                .eval_rule(REGO_RULE.to_string())
                .map_err(|e| e.to_string())?;
            Ok(v == yes)
        }),
    })
}

/// regorus's Rego VM: the policy compiled once to an RVM program, one VM
/// loaded with it; per decision `set_input` and `execute`.
fn rego_vm(catalog: &Catalog) -> Result<Peer, String> {
    use regorus::languages::rego::compiler::Compiler;
    use regorus::rvm::vm::RegoVM;
    let inputs = catalog
        .targets()
        .iter()
        .map(rego_input)
        .collect::<Result<Vec<_>, _>>()?;
    let mut engine = rego_engine_with_policy()?;
    let entry: regorus::Rc<str> = REGO_RULE.into();
    let compiled = engine
        .compile_with_entrypoint(&entry)
        .map_err(|e| format!("rego compile: {e}"))?;
    let program = Compiler::compile_from_policy(&compiled, &[REGO_RULE])
        .map_err(|e| format!("rvm compile: {e}"))?;
    let mut vm = RegoVM::new_with_policy(compiled);
    vm.load_program(program);
    let yes = regorus::Value::from(true);
    Ok(Peer {
        engine: format!("regorus {}", env!("PEERS_REGORUS")),
        how: "RegoVM::execute (compiled program)",
        decide: Box::new(move |i| {
            vm.set_input(inputs[i].clone());
            let v = vm.execute().map_err(|e| e.to_string())?;
            Ok(v == yes)
        }),
    })
}

/// CEL: the expression compiled once; per target a prebuilt `Context`
/// binding `t` to a map of its attributes. Timed: one `Program::execute`.
fn cel_program(catalog: &Catalog) -> Result<Peer, String> {
    use std::sync::Arc;
    let env = Arc::new(cel::Env::stdlib());
    let program = env.compile(CEL).map_err(|e| format!("cel compile: {e}"))?;
    let contexts: Vec<cel::Context<'static, 'static>> = catalog
        .targets()
        .iter()
        .map(|t| {
            let map: HashMap<String, cel::Value> = t
                .attributes()
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::Flag(b) => cel::Value::Bool(*b),
                        Value::Number(n) => cel::Value::Int(*n),
                        Value::Text(s) => cel::Value::from(s.as_str()),
                    };
                    (k.clone(), v)
                })
                .collect();
            let mut context = cel::Context::with_env(Arc::clone(&env));
            context.add_variable_from_value("t", map);
            context
        })
        .collect();
    Ok(Peer {
        engine: format!("cel {}", env!("PEERS_CEL")),
        how: "Program::execute",
        decide: Box::new(move |i| match program.execute(&contexts[i]) {
            Ok(cel::Value::Bool(b)) => Ok(b),
            Ok(other) => Err(format!("not a bool: {other:?}")),
            Err(e) => Err(format!("evaluation error: {e}")),
        }),
    })
}

/// `n` with thousands separators.
fn group(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 100.0 {
        format!("{:.0}", ns)
    } else if ns >= 1.0 {
        format!("{ns:.2}")
    } else {
        format!("{ns:.4}")
    }
}

fn fmt_us(ns: f64) -> String {
    let us = ns / 1e3;
    if us >= 100.0 {
        format!("{us:.0}")
    } else {
        format!("{us:.2}")
    }
}

fn fmt_rate(per_us: f64) -> String {
    if per_us >= 100.0 {
        group(per_us.round() as usize)
    } else if per_us >= 1.0 {
        format!("{per_us:.2}")
    } else {
        format!("{per_us:.4}")
    }
}

fn fmt_ratio(r: f64) -> String {
    if r >= 100.0 {
        group(r.round() as usize)
    } else {
        format!("{r:.1}")
    }
}
