//! The benchmark workload, shared by `benches/engine.rs` and
//! `benches/peers` (which includes this file by path), so both measure the
//! same policy over the same catalog. `benches/python_filter.py` repeats the
//! generator step for step.

use eligo::Target;

/// The policy the performance goals are stated for.
pub const POLICY: &str = "require soc2 or iso27001; require !trains_on_prompts; \
                          require !logs_prompts; require gdpr; max_retention_days 0";

/// `n` random targets, about 20% of attributes undeclared.
pub fn targets(n: usize) -> Vec<Target> {
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
                if next() % 10 >= 2 {
                    // Mostly the compliant value, so that a good share of
                    // targets pass and the filter's result is not trivial.
                    let compliant = !name.ends_with("prompts");
                    t.set(
                        name,
                        if next() % 10 < 8 {
                            compliant
                        } else {
                            !compliant
                        },
                    );
                }
            }
            if next() % 10 >= 2 {
                t.set("retention_days", if next() % 10 < 7 { 0i64 } else { 30 });
            }
            t
        })
        .collect()
}
