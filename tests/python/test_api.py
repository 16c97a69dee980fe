"""The Python API: policies, verdicts, catalogs, filter, route, preview, diff."""

import pytest

import eligo

ONPREM = {
    "provider": "onprem",
    "model": "llama-3",
    "attributes": {"iso27001": True, "trains_on_prompts": False, "retention_days": 0},
}
VAGUE = {"provider": "vague", "model": "m", "attributes": {"trains_on_prompts": False}}
POLICY = "policy \"strict\"; version \"3\"; require soc2 or iso27001; require !trains_on_prompts; max_retention_days 0;"


def test_policy_properties(root):
    p = eligo.compile(POLICY)
    assert (p.name, p.version, p.mode) == ("strict", "3", "block")
    assert p.fingerprint.startswith("sha256:") and len(p.fingerprint) == 7 + 64
    assert p.source == POLICY
    assert "require soc2 or iso27001;" in p.canonical_text
    assert eligo.compile("require   soc2").fingerprint == eligo.compile("require soc2").fingerprint
    loaded = eligo.load(root / "policies" / "eu-residency.pol")
    assert (loaded.name, loaded.mode) == ("eu-residency", "warn")
    assert eligo.load(str(root / "policies" / "soc2.pol")).name == "soc2"


def test_evaluate_explains_false_and_unknown():
    p = eligo.compile(POLICY)
    assert p.evaluate(ONPREM).allowed
    v = p.evaluate(VAGUE)
    assert not v.allowed and v.target == "vague/m"
    assert [(r.requirement, r.value, r.attributes) for r in v.reasons] == [
        ("require soc2 or iso27001", "unknown", ["soc2", "iso27001"]),
        ("max_retention_days 0", "unknown", ["retention_days"]),
    ]
    trains = dict(VAGUE, attributes={"trains_on_prompts": True, "soc2": True, "retention_days": 0})
    (r,) = p.evaluate(trains).reasons
    assert (r.requirement, r.value, r.unknown, r.kind) == ("require !trains_on_prompts", "false", False, "require")


def test_evaluate_reads_expiring_evidence_as_of_a_date():
    p = eligo.compile("require soc2")
    t = {"provider": "a", "model": "m", "attributes": {"soc2": {"value": True, "expires": "2026-12-31"}}}
    assert p.evaluate(t, date="2026-12-31").allowed
    assert not p.evaluate(t, date="2027-01-01").allowed


def test_filter_returns_the_mappings_themselves_in_order():
    p = eligo.compile(POLICY)
    a, b, c = dict(ONPREM), dict(VAGUE), dict(ONPREM, model="other")
    out = p.filter([a, b, c])
    assert out == [a, c]
    assert out[0] is a and out[1] is c
    assert p.filter(iter([b])) == []


def test_filter_over_a_catalog_returns_ids(catalog):
    regulated = eligo.compile(open_policy("regulated-routing"))
    assert regulated.filter(catalog) == ["onprem/deepseek-v3.2", "onprem/llama-3.3-70b"]
    assert len(catalog) == 14 and "openai/gpt-4o" in catalog
    assert catalog.ids[0] == "openai/gpt-4o"


def test_encoded_catalog_filter_agrees_with_evaluate(catalog):
    for name in ["regulated-routing", "soc2-or-iso27001", "gdpr", "eu-residency"]:
        policy = eligo.compile(open_policy(name))
        encoded = policy.encode(catalog)
        allowed = encoded.filter()
        assert len(encoded) == len(catalog) == allowed.size
        assert allowed.ids() == policy.filter(catalog), name
        want = [i for i, _ in enumerate(catalog.ids) if encoded.is_allowed(i)]
        assert allowed.indices() == want
        assert len(allowed) == len(want)
        assert all(allowed.contains_position(i) == (i in want) for i in range(len(catalog) + 3))
        bits = allowed.to_bytes()
        assert len(bits) == (len(catalog) + 7) // 8
        assert [i for i in range(len(catalog)) if bits[i // 8] >> (i % 8) & 1] == want
        assert encoded.catalog is catalog


def test_encoded_catalog_reads_evidence_on_the_date():
    c = eligo.Catalog.from_targets([
        {"provider": "a", "model": "m",
         "attributes": {"soc2": {"value": True, "expires": "2026-12-31"}}},
    ])
    p = eligo.compile("require soc2")
    assert p.encode(c, date="2026-12-31").filter().ids() == ["a/m"]
    assert p.encode(c, date="2027-01-01").filter().ids() == []
    with pytest.raises(ValueError):
        p.encode(c, date="not a date")


def open_policy(name):
    from pathlib import Path

    return (Path(__file__).resolve().parents[2] / "policies" / f"{name}.pol").read_text()


def test_catalog_constructors():
    c = eligo.Catalog.from_targets([ONPREM, VAGUE])
    assert c.ids == ["onprem/llama-3", "vague/m"]
    j = eligo.Catalog.from_json('{"targets": [{"provider": "a", "model": "m"}]}')
    assert j.ids == ["a/m"]
    assert repr(j) == "Catalog(1 targets)"


def test_route_automatic_pinned_and_blocked(catalog):
    p = eligo.compile(open_policy("regulated-routing"))
    d = p.route(catalog, "deepseek-v3.2")
    assert (d.outcome, d.blocked, d.status) == ("routed", False, 200)
    assert d.targets == ["onprem/deepseek-v3.2"]
    assert d.code is None and d.error_body is None and d.event is None
    assert {c.id for c in d.candidates} >= {"deepseek/deepseek-v3.2", "onprem/deepseek-v3.2"}

    blocked = p.route(catalog, "deepseek/deepseek-v3.2")  # an OpenAI-style pinned model field
    assert (blocked.outcome, blocked.blocked, blocked.status, blocked.code) == (
        "blocked",
        True,
        403,
        "no_compliant_provider",
    )
    assert blocked.targets == []
    assert "regulated-routing" in blocked.message and "deepseek/deepseek-v3.2" in blocked.message
    assert blocked.error_body["error"]["code"] == "no_compliant_provider"
    assert blocked.error_body["error"]["type"] == "permission_denied"
    assert blocked.event.schema == "eligo.security_event/2"
    assert blocked.event.request.pinned == "deepseek/deepseek-v3.2"
    same = p.route(catalog, "deepseek-v3.2", pin="deepseek/deepseek-v3.2")
    assert same.blocked and same.event.request.pinned == "deepseek/deepseek-v3.2"


def test_warn_mode_routes_and_records_an_event(catalog):
    p = eligo.compile(open_policy("eu-residency"))
    d = p.route(catalog, "gpt-4o")
    assert d.status == 200 and not d.blocked
    assert d.event is not None and d.event.action in ("warn", "block")


def test_preview_and_diff(catalog):
    soc2 = eligo.compile(open_policy("soc2"))
    either = eligo.compile(open_policy("soc2-or-iso27001"))
    p = soc2.preview(catalog)
    assert p["allowed"] + p["blocked"] == len(catalog) == len(p["rows"])
    row = next(r for r in p["rows"] if r["id"] == "onprem/llama-3.3-70b")
    assert row["allowed"] is False and row["failures"][0]["value"] == "unknown"
    d = eligo.diff(soc2, either, catalog)
    assert [r["id"] for r in d["newly_allowed"]] == ["onprem/deepseek-v3.2", "onprem/llama-3.3-70b"]
    assert d["newly_blocked"] == []


def test_lint_and_format():
    warnings = eligo.compile("require soc2 and !soc2").lint()
    assert [w["code"] for w in warnings] == ["lint/never-passes"]
    assert warnings[0]["line"] == 1
    assert eligo.format("require  soc2 # why") == "require soc2; # why\n"


def test_module_metadata():
    assert eligo.__version__
    assert set(eligo.__all__) <= set(dir(eligo))
