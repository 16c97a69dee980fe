"""Errors: the exception hierarchy, `.diagnostics` and the rendered text."""

from collections.abc import Mapping

import pytest

import eligo


def test_hierarchy():
    for cls in (eligo.PolicySyntaxError, eligo.PolicyCompileError, eligo.CatalogError, eligo.RequestError):
        assert issubclass(cls, eligo.PolicyError)
    assert issubclass(eligo.PolicyError, ValueError)


def test_syntax_error_carries_position_and_rendering():
    with pytest.raises(eligo.PolicySyntaxError) as info:
        eligo.compile("require soc2 or;", name="strict.pol")
    e = info.value
    (d,) = e.diagnostics
    assert d["code"] == "syntax/unexpected-input"
    assert (d["line"], d["column"]) == (1, 16)
    assert d["file"] == "strict.pol"
    assert d["message"] == "expected an expression, found `;`"
    text = str(e)
    assert text.startswith("error[syntax/unexpected-input]")
    assert " --> strict.pol:1:16" in text
    assert "1 | require soc2 or;" in text


def test_compile_error_suggests_a_name():
    with pytest.raises(eligo.PolicyCompileError) as info:
        eligo.compile("require soc3;\nrequire gdpr and hipa;")
    codes = [d["code"] for d in info.value.diagnostics]
    assert codes == ["compile/unknown-attribute", "compile/unknown-attribute"]
    assert info.value.diagnostics[0]["help"] == "did you mean `soc2`?"
    assert info.value.diagnostics[1]["line"] == 2
    assert isinstance(info.value, ValueError)


def test_catalog_errors_name_the_file_target_and_field(root):
    with pytest.raises(eligo.CatalogError) as info:
        eligo.Catalog.from_json('{"targets": [{"provider": "a", "model": "m", "attributes": {"soc2": "yes"}}]}', "c.json")
    text = str(info.value)
    assert "target #1" in text and "attributes.soc2" in text
    assert info.value.diagnostics[0]["file"] == "c.json"
    with pytest.raises(eligo.PolicyError) as missing:
        eligo.Catalog.from_file(root / "no" / "such.json")
    assert missing.value.diagnostics[0]["code"] == "io/not-found"
    # Also a FileNotFoundError, as Python code expects of a missing file.
    assert isinstance(missing.value, FileNotFoundError)
    assert str(missing.value.filename) == str(root / "no" / "such.json")


def test_bad_targets_never_evaluate():
    p = eligo.compile("require soc2")
    ok = {"provider": "a", "model": "m"}
    bad = [
        {"attributes": {"soc2": "true"}},  # a flag given as text
        {"attributes": {"retention_days": 1.5}},  # a float
        {"attributes": {"soc2": float("nan")}},  # never "undeclared"
        {"attributes": {"retention_days": float("inf")}},
        {"attributes": {"retention_days": 2**70}},  # beyond 64 bits
        {"attributes": {1: True}},  # a key that is not text
        {"attributes": {"soc2": object()}},
        {"attributes": {"soc2": [True]}},  # lists never appear in a target
        {"attributes": {"soc2": b"yes"}},
        {"model": None},  # provider/model required
    ]
    for extra in bad:
        with pytest.raises(eligo.CatalogError) as info:
            p.evaluate({**ok, **extra})
        assert info.value.diagnostics, extra
    with pytest.raises(ValueError):
        p.evaluate(ok, date="2026-02-30")
    deep = {"provider": "a", "model": "m", "attributes": {}}
    node = deep["attributes"]
    for _ in range(100):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(eligo.CatalogError):
        p.evaluate(deep)


def test_not_known_cannot_be_fooled_by_nan():
    p = eligo.compile("require !known(soc2)")
    with pytest.raises(eligo.CatalogError):
        p.evaluate({"provider": "a", "model": "m", "attributes": {"soc2": float("nan")}})
    assert p.evaluate({"provider": "a", "model": "m", "attributes": {"soc2": None}}).allowed


class Pairs(Mapping):
    """A mapping whose items() lists a key twice (as JSON text can)."""

    def __init__(self, pairs):
        self.pairs = pairs

    def __getitem__(self, key):
        return next(v for k, v in self.pairs if k == key)

    def __iter__(self):
        return (k for k, _ in self.pairs)

    def __len__(self):
        return len(self.pairs)


def test_a_key_given_twice_is_refused_as_in_json():
    p = eligo.compile("require soc2")
    m = Pairs([("provider", "evil"), ("model", "m"), ("attributes", {"soc2": False}),
               ("provider", "good"), ("attributes", {"soc2": True})])
    for call in (p.evaluate, lambda x: p.filter([x]), lambda x: eligo.Catalog.from_targets([x])):
        with pytest.raises(eligo.CatalogError) as info:
            call(m)
        assert "is given twice" in str(info.value)


def test_other_mappings_are_read_as_callers_read_them():
    p = eligo.compile("require soc2")
    m = Pairs([("provider", "a"), ("model", "m"), ("attributes", Pairs([("soc2", True)]))])
    assert p.evaluate(m).allowed
    assert p.filter([m]) == [m]


def test_errors_name_the_target_and_field():
    p = eligo.compile("require soc2")
    good = {"provider": "a", "model": "m"}
    with pytest.raises(eligo.CatalogError) as info:
        p.filter([good, good, {"provider": "b", "model": "m", "attributes": {"retention_days": 0.5}}])
    assert "`targets[2].attributes.retention_days`" in str(info.value)


def test_exceptions_pickle_with_their_diagnostics():
    import pickle

    with pytest.raises(eligo.PolicyCompileError) as info:
        eligo.compile("require soc3")
    assert type(info.value).__module__ == "eligo"
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is eligo.PolicyCompileError
    assert again.diagnostics == info.value.diagnostics


def test_from_json_reads_json_only():
    with pytest.raises(eligo.CatalogError):
        eligo.Catalog.from_json("providers: {targets: []}", name="x.yaml")


def test_route_pin_and_model_must_agree(catalog):
    p = eligo.compile("require soc2")
    assert not p.route(catalog, "gpt-4o", pin="azure/gpt-4o").blocked
    with pytest.raises(eligo.RequestError) as info:
        p.route(catalog, "gpt-4o", pin="deepseek/deepseek-v3.2")
    assert "serves the model `deepseek-v3.2`, not `gpt-4o`" in str(info.value)


def test_unknown_model_is_a_request_error(catalog):
    p = eligo.compile("require soc2")
    with pytest.raises(eligo.RequestError) as info:
        p.route(catalog, "gpt-4")
    assert "gpt-4o" in str(info.value)
