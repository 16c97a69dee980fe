"""The shared semantic suite (tests/data/semantics.toml) through the binding.

The same cases run against the compiled and the reference evaluator in the
Rust tests; here every verdict, and every failure's text, value and
attributes, must come out the same from Python.
"""

import sys
from pathlib import Path

import pytest

import eligo

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SUITE = Path(__file__).resolve().parents[2] / "tests" / "data" / "semantics.toml"
CASES = tomllib.loads(SUITE.read_text(encoding="utf-8"))["case"]


def as_target(table):
    table = dict(table)
    provider = table.pop("provider", "p")
    model = table.pop("model", "m")
    return {"provider": provider, "model": model, "attributes": table}


def run(case):
    """The verdict, or None when the strict target reader refuses the case's
    hand-built target (a flag given as text, a negative retention): the
    binding never evaluates a target it cannot read faithfully, and says
    which field is at fault."""
    policy = eligo.compile(case["policy"])
    try:
        return policy.evaluate(as_target(case["target"]))
    except eligo.CatalogError as e:
        field = str(e).split("attributes.")[1].split("`")[0]
        assert field in case["target"], str(e)
        assert "must be" in str(e), str(e)
        return None


def test_the_suite_is_there_and_mostly_runs():
    assert len(CASES) >= 200
    assert len({c["name"] for c in CASES}) == len(CASES)
    refused = [c["name"] for c in CASES if run(c) is None]
    assert len(CASES) - len(refused) >= 200, refused


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case):
    verdict = run(case)
    if verdict is None:
        return
    assert verdict.allowed is case["allowed"], [r.requirement for r in verdict.reasons]
    assert bool(verdict) is case["allowed"]
    if "failures" in case:
        got = [
            {"text": r.requirement, "value": r.value, "attributes": r.attributes}
            for r in verdict.reasons
        ]
        want = [
            {"text": f["text"], "value": f["value"], "attributes": f.get("attributes")}
            for f in case["failures"]
        ]
        for g, w in zip(got, want):
            if w["attributes"] is None:
                g["attributes"] = None
        assert got == want
    for r in verdict.reasons:
        assert r.value in ("false", "unknown")
        assert r.unknown is (r.value == "unknown")
