"""Filter a loaded Catalog of 100,000 targets from Python, call overhead included.

Run with `bash benches/python.sh` (builds the release extension first).
The targets come from the generator in benches/common/workload.rs: about 20% of
attributes undeclared. Prints the best of many timed calls for each path; every call is counted
(encoding the catalog for the policy, the filter, and for `.ids()` the list).
"""

import sys
import time

import eligo

POLICY = (
    "require soc2 or iso27001; require !trains_on_prompts; "
    "require !logs_prompts; require gdpr; max_retention_days 0"
)
MASK = (1 << 64) - 1


def targets(n):
    """The generator of benches/common/workload.rs, step for step."""
    state = 0x9E3779B97F4A7C15

    def nxt():
        nonlocal state
        state ^= (state << 13) & MASK
        state ^= state >> 7
        state ^= (state << 17) & MASK
        return state

    out = []
    for i in range(n):
        attrs = {}
        for name in ["soc2", "iso27001", "trains_on_prompts", "logs_prompts", "gdpr"]:
            if nxt() % 10 >= 2:
                compliant = not name.endswith("prompts")
                attrs[name] = compliant if nxt() % 10 < 8 else not compliant
        if nxt() % 10 >= 2:
            attrs["retention_days"] = 0 if nxt() % 10 < 7 else 30
        out.append({"provider": f"p{i}", "model": "m", "attributes": attrs})
    return out


def best_ns(fn, repeat):
    best = None
    for _ in range(repeat):
        start = time.perf_counter_ns()
        fn()
        elapsed = time.perf_counter_ns() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    policy = eligo.compile(POLICY)
    generated = targets(n)
    catalog = eligo.Catalog.from_targets(generated)
    encode_ns = best_ns(lambda: policy.encode(catalog), 5)
    encoded = policy.encode(catalog)
    allowed = encoded.filter()
    # The bulk path must agree with the row path before it is timed.
    rows = [i for i, t in zip(catalog.ids, generated) if policy.evaluate(t).allowed]
    assert allowed == rows and policy.filter(catalog) == rows
    filter_ns = best_ns(encoded.filter, 2000)
    count_ns = best_ns(lambda: len(encoded.filter()), 2000)
    set_ns = best_ns(lambda: policy.filter(catalog), 2000)
    ids_ns = best_ns(lambda: policy.filter(catalog).ids(), 200)
    print(f"eligo {eligo.__version__}, Python {sys.version.split()[0]}, {n} targets, "
          f"{len(allowed)} allowed")
    print(f"{'path':<52} {'time':>12} {'targets/us':>12}")
    for label, ns in [
        ("EncodedCatalog.filter() -> AllowedSet", filter_ns),
        ("len(EncodedCatalog.filter())", count_ns),
        ("Policy.encode(catalog) (a new binding)", encode_ns),
        ("Policy.filter(catalog) -> AllowedSet (kept binding)", set_ns),
        ("Policy.filter(catalog).ids() -> list", ids_ns),
    ]:
        print(f"{label:<52} {ns / 1000:>10.1f}us {n / (ns / 1000):>12.1f}")
    goal = 10_000
    rate = n / (set_ns / 1000)
    print(f"goal: >= {goal} targets/us for Policy.filter(catalog), the call counted: "
          f"{'met' if rate >= goal else 'missed'} ({rate:.0f}); the first call for a catalog and "
          f"day also binds (Policy.encode above)")


if __name__ == "__main__":
    main()
