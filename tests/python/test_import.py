"""Policies of other gateways, translated through the binding: the result
decides as the source gateway does on its own provider catalogue."""

import json
from pathlib import Path

import pytest

import eligo

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "llmgateway"
ROOT = DATA.parents[2]


def test_llmgateway_policies_allow_what_llmgateway_allows_on_its_catalogue():
    catalog = eligo.Catalog.from_file(ROOT / "policies" / "llmgateway-providers.json")
    matrix = json.loads((DATA / "catalogue-matrix.json").read_text())
    assert len(matrix["policies"]) >= 8
    for case in matrix["policies"]:
        text = eligo.import_policy("llmgateway", json.dumps(case["policy"]), "policy.json")
        policy = eligo.compile(text)
        assert list(policy.filter(catalog, "2026-12-01")) == case["allowed"], case["name"]


def test_imported_text_is_commented_and_formatted():
    text = eligo.import_policy("llmgateway", (DATA / "org-policy.json").read_text(), "org-policy.json")
    assert "requireSoc2OrIso27001" in text and "blockStealthProviders" in text
    assert eligo.format(text) == text
    source = DATA.parent / "keeptrusts" / "zero-data-retention.yaml"
    keeptrusts = eligo.import_policy("keeptrusts", source.read_text(), source.name)
    assert "require zero_data_retention;" in keeptrusts
    eligo.compile(keeptrusts)


def test_import_refuses_what_it_cannot_express():
    with pytest.raises(eligo.PolicyImportError) as info:
        eligo.import_policy("llmgateway", '{"enabled": true, "dataResidency": "eu"}')
    assert info.value.diagnostics[0]["code"] == "import/unsupported"
    with pytest.raises(eligo.PolicyImportError, match="did you mean"):
        eligo.import_policy("llmgateway", '{"enabled": true, "requireSoc": true}')
    with pytest.raises(eligo.PolicyImportError):
        eligo.import_policy("llmgateway", '{"enabled": true, "enabled": false}')
    with pytest.raises(ValueError):
        eligo.import_policy("openrouter", "{}")
