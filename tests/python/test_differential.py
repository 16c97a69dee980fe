"""The differential corpus through the Python binding.

The Rust test ``write_differential_corpus`` writes random policies over
random targets and requests, with the library's verdicts, reasons and
allowed ids, to ``$ELIGO_DIFF_CORPUS`` (``.ci/test`` does). The binding
must decide every case alike; the Node.js binding runs the same corpus
(``node/test/differential.test.js``).
"""

import json
import os

import pytest

import eligo

CORPUS = os.environ.get("ELIGO_DIFF_CORPUS")


@pytest.mark.skipif(not CORPUS, reason="ELIGO_DIFF_CORPUS is not set (.ci/test writes the corpus)")
def test_random_policies_targets_and_requests_decide_as_in_rust():
    with open(CORPUS, encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    assert cases
    for n, case in enumerate(cases):
        where = f"case {n}: {case['policy']!r}"
        policy = eligo.compile(case["policy"])
        date, request = case["date"], case["request"]
        for target, want in zip(case["targets"], case["verdicts"]):
            v = policy.evaluate(target, date, request=request)
            assert v.allowed is want["allowed"], (where, target["id"])
            got = [
                {
                    "requirement": r.requirement,
                    "kind": r.kind,
                    "value": r.value,
                    "attributes": r.attributes,
                    "index": r.index,
                    "condition": r.condition,
                }
                for r in v.reasons
            ]
            assert got == want["reasons"], (where, target["id"])
        catalog = eligo.Catalog.from_targets(case["targets"])
        assert policy.filter(catalog, date, request=request) == case["allowed"], where
        kept = policy.filter(case["targets"], date, request=request)
        assert [t["id"] for t in kept] == case["allowed"], where
