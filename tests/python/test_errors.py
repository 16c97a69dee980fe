"""Errors: the exception hierarchy, `.diagnostics` and the rendered text."""

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
    assert missing.value.diagnostics[0]["code"] == "io/read-failed"


def test_bad_targets_never_evaluate():
    p = eligo.compile("require soc2")
    with pytest.raises(eligo.CatalogError):
        p.evaluate({"provider": "a", "model": "m", "attributes": {"soc2": "true"}})
    with pytest.raises(eligo.CatalogError):
        p.evaluate({"provider": "a", "model": "m", "attributes": {"retention_days": 1.5}})
    with pytest.raises(eligo.CatalogError):
        p.evaluate({"model": "m"})
    with pytest.raises(TypeError):
        p.evaluate({"provider": "a", "model": "m", "attributes": {1: True}})
    with pytest.raises(TypeError):
        p.evaluate({"provider": "a", "model": "m", "attributes": {"soc2": object()}})
    with pytest.raises(ValueError):
        p.evaluate({"provider": "a", "model": "m", "attributes": {"retention_days": 2**70}})
    with pytest.raises(ValueError):
        p.evaluate({"provider": "a", "model": "m"}, date="2026-02-30")
    deep = {"provider": "a", "model": "m", "attributes": {}}
    node = deep["attributes"]
    for _ in range(100):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(ValueError):
        p.evaluate(deep)


def test_unknown_model_is_a_request_error(catalog):
    p = eligo.compile("require soc2")
    with pytest.raises(eligo.RequestError) as info:
        p.route(catalog, "gpt-4")
    assert "gpt-4o" in str(info.value)
