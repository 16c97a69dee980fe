"""Hostile Python values: what they cost and what eligo reads from them."""

from collections.abc import Mapping

import pytest

import eligo

POLICY = eligo.compile("require soc2")


def shared(levels, leaf):
    """A mapping that names the same inner mapping twice at each level:
    `levels` dicts in Python, 2**levels paths to the leaf."""
    node = leaf
    for _ in range(levels):
        node = {"a": node, "b": node}
    return node


# Broke: each reference to a shared inner mapping was converted as a copy,
# so 20 levels of two references cost 2**21 conversions (seconds, and close
# to a gigabyte) before the target was refused.
def test_shared_inner_mappings_cost_a_bounded_number_of_values():
    for attributes in (shared(20, {"soc2": True}), {"soc2": {"value": shared(20, True), "expires": "2099-01-01"}}):
        target = {"provider": "a", "model": "m", "attributes": attributes}
        for call in (POLICY.evaluate, lambda t: POLICY.filter([t]), lambda t: eligo.Catalog.from_targets([t])):
            with pytest.raises(eligo.CatalogError) as info:
                call(target)
            (d,) = info.value.diagnostics
            assert d["code"] == "catalog/invalid-target"
            assert "more than 65536 values in one target" in d["message"], d["message"]
            assert d["message"].startswith("`target") or d["message"].startswith("`targets[0]")


class Recording(Mapping):
    """A mapping that records which keys eligo looks up."""

    def __init__(self, items):
        self.items_ = dict(items)
        self.read = []

    def __getitem__(self, key):
        self.read.append(key)
        return self.items_[key]

    def __iter__(self):
        return iter(self.items_)

    def __len__(self):
        return len(self.items_)


# Broke: a key that is not a target field had its value converted (all of
# it, whatever its size or cost) before the target was refused for the key.
def test_unknown_target_fields_are_refused_before_their_value_is_read():
    target = Recording({"provider": "a", "model": "m", "atributes": shared(16, {"soc2": True})})
    with pytest.raises(eligo.CatalogError) as info:
        POLICY.evaluate(target)
    (d,) = info.value.diagnostics
    assert d["message"] == (
        "`target.atributes`: is not a target field (did you mean `attributes`?); "
        "data-policy attributes go under `attributes`"
    )
    assert "atributes" not in target.read
    with pytest.raises(eligo.CatalogError) as info:
        POLICY.filter([{"provider": "a", "model": "m"}, {"provider": "a", "model": "m", "soc2": object()}])
    assert info.value.diagnostics[0]["message"].startswith("`targets[1].soc2`: is not a target field")


class Denies(dict):
    """A dict subclass whose lookups say `soc2` is false, whatever is stored."""

    def __getitem__(self, key):
        return False if key == "soc2" else super().__getitem__(key)

    def get(self, key, default=None):
        return self[key] if key in self else default


class Affirms(dict):
    """A dict subclass whose lookups say `soc2` is true, whatever is stored."""

    def __getitem__(self, key):
        return True if key == "soc2" else super().__getitem__(key)


# Broke: a dict subclass was read from its storage, not its `__getitem__`,
# so Python code reading `attributes["soc2"]` saw false while eligo read
# the stored true and allowed the target.
def test_dict_subclasses_are_read_as_python_code_reads_them():
    denies = Denies(soc2=True)
    assert denies["soc2"] is False and denies.get("soc2") is False
    target = {"provider": "a", "model": "m", "attributes": denies}
    assert not POLICY.evaluate(target).allowed
    assert POLICY.filter([target]) == []
    assert eligo.Catalog.from_targets([target]).ids == ["a/m"]
    assert POLICY.filter(eligo.Catalog.from_targets([target])) == []
    affirms = Affirms(soc2=False)
    assert POLICY.evaluate({"provider": "a", "model": "m", "attributes": affirms}).allowed
    # The target mapping itself, and common subclasses, read as before.
    from collections import OrderedDict, defaultdict

    top = Denies(provider="a", model="m", attributes={"soc2": True})
    assert POLICY.evaluate(top).allowed
    assert POLICY.evaluate(OrderedDict(provider="a", model="m", attributes=defaultdict(bool, soc2=True))).allowed
    assert not POLICY.evaluate(OrderedDict(provider="a", model="m", attributes=defaultdict(bool))).allowed


# Broke: a nested mapping whose lookup added a key to the dict being read
# made the binding panic ("dictionary changed size during iteration"), an
# exception that `except Exception` does not catch.
def test_a_dict_changed_while_it_is_read_is_read_as_it_was():
    outer = {"provider": "a", "model": "m"}

    class Changes(Mapping):
        def __getitem__(self, key):
            outer["extra"] = key
            return True

        def __iter__(self):
            return iter(["soc2"])

        def __len__(self):
            return 1

    outer["attributes"] = Changes()
    assert POLICY.evaluate(outer).allowed
    assert outer["extra"] == "soc2"


# Broke: TOML dates reached the catalog readers as a mapping with the toml
# crate's private key, and the readers honoured that mapping from every
# front end, so a Python target could pass it off as an expiry date.
def test_the_toml_private_date_key_is_not_a_date():
    target = {
        "provider": "a",
        "model": "m",
        "attributes": {"soc2": {"value": True, "expires": {"$__toml_private_datetime": "2999-01-01"}}},
    }
    with pytest.raises(eligo.CatalogError) as info:
        POLICY.evaluate(target)
    assert "`expires` must be a date" in info.value.diagnostics[0]["message"]
    target["attributes"]["soc2"]["expires"] = "2999-01-01"
    assert POLICY.evaluate(target, date="2026-12-01").allowed


# Broke: gateway YAML honoured merge keys (the later mapping winning) and
# tags; through Python the same YAML is refused.
def test_yaml_merge_keys_and_tags_are_refused(tmp_path):
    path = tmp_path / "gw.yaml"
    for body in ("        <<: {retention_days: 0}\n", "        hipaa: !!str true\n"):
        path.write_text("providers:\n  targets:\n    - provider: a\n      model: m\n      data_policy:\n" + body)
        with pytest.raises(eligo.CatalogError) as info:
            eligo.Catalog.from_file(str(path))
        assert info.value.diagnostics[0]["code"] == "catalog/invalid-yaml"


# Broke: a target serving every model (`*`) was seen with the literal model
# "*", so `deny model [...]` never stopped a request for a denied model.
def test_wildcard_targets_are_judged_as_serving_the_requested_model():
    catalog = eligo.Catalog.from_file("tests/data/catalogs/providers.json")
    deny = eligo.compile('deny model ["gpt-3.5-turbo"]')
    assert deny.route(catalog, "gpt-3.5-turbo").blocked
    assert "canopywave" in deny.route(catalog, "gpt-4o").targets
    assert deny.route(catalog, "gpt-3.5-turbo", pin="canopywave").blocked
    assert not deny.route(catalog, "gpt-4o", pin="canopywave").blocked
    assert deny.preview(catalog, model="gpt-3.5-turbo")["allowed"] == 0
    # With no model named, the model is unknown: a model list cannot pass.
    assert "canopywave" not in deny.filter(catalog)


# Broke: a model field with a slash was always a pin.
def test_model_names_with_a_slash_route_automatically():
    catalog = eligo.Catalog.from_targets(
        [
            {"provider": "together", "model": "meta-llama/Llama-3.3-70B", "attributes": {"soc2": True}},
            {"provider": "azure", "model": "gpt-4o", "attributes": {"soc2": True}},
        ]
    )
    d = POLICY.route(catalog, "meta-llama/Llama-3.3-70B")
    assert d.targets == ["together/meta-llama/Llama-3.3-70B"]
    assert POLICY.route(catalog, "azure/gpt-4o").targets == ["azure/gpt-4o"]
