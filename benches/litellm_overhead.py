"""What eligo.integrations.litellm adds to a LiteLLM request.

Run from the repository root, in a virtual environment with LiteLLM
installed and eligo built in release mode (``pip install 'litellm==1.110.2'
'maturin>=1.9.4,<2'`` then ``maturin develop --release``; a debug build
makes eligo's own rows about ten times slower)::

    python benches/litellm_overhead.py [--requests N] [--rounds R]

Every request is answered by LiteLLM's ``mock_response`` (set on each
deployment), so no network is involved and what is timed is LiteLLM's own
path plus eligo's. The bare ``litellm.Router`` and the governed ``Router``
are built from the same four deployments (two compliant) and timed in the
same run, one request of each in turn (async) or in blocks taking turns
(sync), so that the machine's load and LiteLLM's background work fall on
both alike. Each request is timed on its own; the median and 90th
percentile are printed side by side, with the difference of the medians.

A second table splits the overhead: the bare Router against itself with one
LiteLLM stage that the integration turns on and nothing of eligo's in it (a
routing plugin that changes nothing, which keeps the sync pick closed; a
deployment filter that keeps every deployment). The last rows time eligo's
part alone: the deployment filter LiteLLM awaits for a group request, the
check of a pinned pick, and the eligo decision inside them.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
import warnings

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
warnings.simplefilter("ignore", DeprecationWarning)

import litellm  # noqa: E402
from litellm.integrations.custom_logger import CustomLogger  # noqa: E402

import eligo  # noqa: E402
from eligo.integrations.litellm import Router  # noqa: E402

POLICY = eligo.compile('policy "bench"; require soc2; require !trains_on_prompts; max_retention_days 30;')
MESSAGES = [{"role": "user", "content": "hello"}]


def model_list():
    """Four deployments of one group: a and b compliant, c and d not."""
    compliant = {"soc2": True, "training_opt_out": True, "retention_days": 0}
    declarations = {
        "a": compliant,
        "b": compliant,
        "c": {"soc2": False, "training_opt_out": True, "retention_days": 0},
        "d": {"soc2": True, "training_opt_out": False},
    }
    return [
        {
            "model_name": "gpt",
            "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "sk-bench", "mock_response": f"from {id}"},
            "model_info": {"id": id, "data_policy": data_policy},
        }
        for id, data_policy in declarations.items()
    ]


def percentile(sorted_ns, q):
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))]


def summary(samples):
    ordered = sorted(samples)
    return statistics.median(ordered) / 1000, percentile(ordered, 0.9) / 1000


async def paired(first, second, n, a, b):
    """Times ``n`` requests of each, alternating one by one (and which goes
    first), so that LiteLLM's background work and the machine's load fall
    on both alike."""
    for i in range(n):
        for call, out in ((first, a), (second, b)) if i % 2 == 0 else ((second, b), (first, a)):
            start = time.perf_counter_ns()
            await call()
            out.append(time.perf_counter_ns() - start)


def blocks_sync(first, second, n, rounds, a, b):
    """Times ``n`` sync requests of each in ``rounds`` blocks taking turns:
    LiteLLM's sync path and the facade's private loop each keep LiteLLM's
    logging worker busy their own way, and a host uses one or the other."""
    for _ in range(rounds):
        for call, out in ((first, a), (second, b)):
            for _ in range(max(1, n // rounds)):
                start = time.perf_counter_ns()
                call()
                out.append(time.perf_counter_ns() - start)


async def async_rows(bare, governed, requests, rounds):
    cases = {
        "acompletion, model group": (
            lambda: bare.acompletion(model="gpt", messages=MESSAGES),
            lambda: governed.acompletion("gpt", MESSAGES),
        ),
        "acompletion, pinned deployment id": (
            lambda: bare.acompletion(model="a", messages=MESSAGES),
            lambda: governed.acompletion("a", MESSAGES),
        ),
    }
    samples = {name: ([], []) for name in cases}
    for plain, ruled in cases.values():  # warm up both
        await paired(plain, ruled, 50, [], [])
    per_round = max(1, requests // rounds)
    for _ in range(rounds):
        for name, (plain, ruled) in cases.items():
            await paired(plain, ruled, per_round, *samples[name])
    return [(name, *samples[name]) for name in cases]


class NoOpPlugin:
    async def run(self, context):
        return context


class KeepAll(CustomLogger):
    async def async_filter_deployments(self, model, healthy_deployments, messages, request_kwargs=None, **kwargs):
        return healthy_deployments


async def stage_rows(requests):
    """The bare Router against itself with one LiteLLM stage more, one
    request of each in turn."""
    bare = litellm.Router(model_list=model_list())
    with_plugin = litellm.Router(model_list=model_list(), plugins=[NoOpPlugin()])
    keep_all = KeepAll()  # process-wide: registered only around the filtered side's requests
    manager = litellm.logging_callback_manager

    async def timed(router, out):
        start = time.perf_counter_ns()
        await router.acompletion(model="gpt", messages=MESSAGES)
        out.append(time.perf_counter_ns() - start)

    plugin_rows, filter_rows = ([], []), ([], [])
    for i in range(requests + 50):
        first = i < 50  # warm-up
        a, b = (([], []), ([], [])) if first else (plugin_rows, filter_rows)
        await timed(bare, a[0])
        await timed(with_plugin, a[1])
        await timed(bare, b[0])
        manager.add_litellm_callback(keep_all)
        try:
            await timed(bare, b[1])
        finally:
            manager.remove_callback_from_all_lists(keep_all)
    return [
        ("+ a routing plugin changing nothing", *plugin_rows),
        ("+ a filter keeping every deployment", *filter_rows),
    ]


def sync_rows(bare, governed, requests, rounds):
    plain = lambda: bare.completion(model="gpt", messages=MESSAGES)  # noqa: E731
    ruled = lambda: governed.completion("gpt", MESSAGES)  # noqa: E731
    blocks_sync(plain, ruled, 50, 1, [], [])
    a, b = [], []
    blocks_sync(plain, ruled, requests, rounds, a, b)
    return [("completion (sync), model group", a, b)]


async def hook_rows(governed, calls):
    """eligo's part alone: the hooks LiteLLM awaits, as it awaits them."""
    guard = governed._guard
    healthy = [d for d in governed.router.registry().all()]
    rows = []

    def request(model):  # a fresh request each time: no decision kept from a previous one
        return {"model": model, "metadata": {"eligo_request_id": "bench"}, "litellm_trace_id": "t"}

    samples = []
    for _ in range(calls):
        kwargs = request("gpt")
        start = time.perf_counter_ns()
        kept = await guard.async_filter_deployments("gpt", healthy, MESSAGES, kwargs)
        samples.append(time.perf_counter_ns() - start)
    assert [d["model_info"]["id"] for d in kept] == ["a", "b"]
    rows.append(("deployment filter, group of 4 (2 kept)", samples))

    samples = []
    info = next(d["model_info"] for d in healthy if d["model_info"]["id"] == "a")
    for _ in range(calls):
        kwargs = {**request("a"), "model_info": info}
        start = time.perf_counter_ns()
        await guard.async_pre_call_deployment_hook(kwargs, None)
        samples.append(time.perf_counter_ns() - start)
    rows.append(("pre-call check, pinned deployment", samples))

    catalog = governed.catalog
    samples = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        POLICY.route(catalog, "gpt", pinned=False, request_id="bench")
        samples.append(time.perf_counter_ns() - start)
    rows.append(("Policy.route alone, the same group", samples))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="timed requests per case and side (default 3000)")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    args = parser.parse_args()

    bare = litellm.Router(model_list=model_list())
    governed = Router(model_list(), policy=POLICY)
    loop = asyncio.new_event_loop()
    try:
        rows = loop.run_until_complete(async_rows(bare, governed, args.requests, args.rounds))
        rows += sync_rows(bare, governed, args.requests // 3, args.rounds)
        hooks = loop.run_until_complete(hook_rows(governed, args.requests))
        governed.close()
        stages = loop.run_until_complete(stage_rows(args.requests // 2))
    finally:
        governed.close()
        loop.run_until_complete(cancel_the_rest())
        loop.close()

    print(f"litellm {litellm_version()}, eligo {eligo.__version__}, Python {sys.version.split()[0]}")
    print(f"per request, µs; {args.requests} timed requests per async case and side")
    print()
    print(f"{'case':36} {'bare median':>12} {'p90':>8} {'governed median':>16} {'p90':>8} {'overhead':>9}")
    for name, plain, ruled in rows:
        (pm, p9), (gm, g9) = summary(plain), summary(ruled)
        print(f"{name:36} {pm:12.1f} {p9:8.1f} {gm:16.1f} {g9:8.1f} {gm - pm:+9.1f}")
    print()
    print(f"{'bare Router, model group':36} {'bare median':>12} {'p90':>8} {'with it median':>16} {'p90':>8} {'costs':>9}")
    for name, plain, staged in stages:
        (pm, p9), (sm, s9) = summary(plain), summary(staged)
        print(f"{name:36} {pm:12.1f} {p9:8.1f} {sm:16.1f} {s9:8.1f} {sm - pm:+9.1f}")
    print()
    print(f"{'eligo alone':42} {'median':>8} {'p90':>8}")
    for name, samples in hooks:
        m, p9 = summary(samples)
        print(f"{name:42} {m:8.1f} {p9:8.1f}")


async def cancel_the_rest():
    """Ends what LiteLLM left running on the loop (its logging worker)."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def litellm_version():
    from importlib.metadata import version

    return version("litellm")


if __name__ == "__main__":
    main()
