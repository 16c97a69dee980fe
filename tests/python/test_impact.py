"""eligo.impact and eligo.expiring agree with Policy.evaluate on both sides
of a catalog change, and refuse bad input."""

import random

import pytest

import eligo

SOC2 = eligo.compile('policy "soc2"; require soc2')
NO_LOGGING = eligo.compile('policy "no-prompt-logging"; require !logs_prompts')
DAY = "2027-01-01"


def random_target(rng, provider, model):
    attributes = {}
    for name in ("soc2", "logs_prompts"):
        pick = rng.randrange(4)
        if pick == 0:
            attributes[name] = True
        elif pick == 1:
            attributes[name] = False
        elif pick == 2:
            attributes[name] = {"value": True, "expires": "2026-12-31"}  # lapsed on DAY
        # pick == 3: undeclared, unknown
    return {"provider": provider, "model": model, "attributes": attributes}


def random_catalogs(rng):
    models = ["m1", "m2", "m3", "m4"]
    old = [random_target(rng, f"p{i}", rng.choice(models)) for i in range(8)]
    new = []
    for t in old:
        edit = rng.randrange(4)
        if edit == 0:
            continue  # removed
        if edit == 1:
            t = random_target(rng, t["provider"], t["model"])  # changed
        new.append(t)
    for i in range(rng.randrange(3)):
        new.append(random_target(rng, f"q{i}", rng.choice(models)))  # added
    rng.shuffle(new)
    return old, new


def compliant(layers, targets):
    return {
        f"{t['provider']}/{t['model']}": t["model"]
        for t in targets
        if all(p.evaluate(t, DAY).allowed for p in layers)
    }


@pytest.mark.parametrize("seed", range(40))
def test_impact_agrees_with_evaluate(seed):
    rng = random.Random(seed)
    old, new = random_catalogs(rng)
    sets = [SOC2, NO_LOGGING, [SOC2, NO_LOGGING]]
    report = eligo.impact(
        eligo.Catalog.from_targets(old), eligo.Catalog.from_targets(new), sets, date=DAY
    )
    assert [r["policy"] for r in report] == ["soc2", "no-prompt-logging", "soc2"]
    old_ids = {f"{t['provider']}/{t['model']}" for t in old}
    new_ids = {f"{t['provider']}/{t['model']}" for t in new}
    for layers, r in zip([[SOC2], [NO_LOGGING], [SOC2, NO_LOGGING]], report):
        before, after = compliant(layers, old), compliant(layers, new)
        assert r["modes"] == ["block"] * len(layers)
        allowed = {t["id"]: t["change"] for t in r["newly_allowed"]}
        blocked = {t["id"]: t["change"] for t in r["newly_blocked"]}
        assert allowed == {
            i: "changed" if i in old_ids else "added" for i in set(after) - set(before)
        }
        assert blocked == {
            i: "changed" if i in new_ids else "removed" for i in set(before) - set(after)
        }
        for t in r["newly_blocked"]:
            # Why it is blocked now; nothing for a removed target.
            assert bool(t["reasons"]) == (t["change"] == "changed")
        for t in r["newly_allowed"]:
            assert bool(t["reasons"]) == (t["change"] == "changed")
        m_before, m_after = set(before.values()), set(after.values())
        assert r["models_losing_all_targets"] == sorted(m_before - m_after)
        assert r["models_gaining_targets"] == sorted(m_after - m_before)


def test_impact_explains_with_the_layer_that_fails():
    old = eligo.Catalog.from_targets(
        [{"provider": "a", "model": "m", "attributes": {"soc2": True, "logs_prompts": False}}]
    )
    new = eligo.Catalog.from_targets(
        [{"provider": "a", "model": "m", "attributes": {"soc2": True, "logs_prompts": True}}]
    )
    (r,) = eligo.impact(old, new, [(SOC2, NO_LOGGING)])
    assert r["policy"] == "soc2"
    (t,) = r["newly_blocked"]
    assert t["id"] == "a/m" and t["change"] == "changed"
    (reason,) = t["reasons"]
    assert reason["policy"] == "no-prompt-logging"
    assert reason["mode"] == "block"
    assert reason["text"] == "require !logs_prompts"
    assert r["models_losing_all_targets"] == ["m"]
    assert eligo.impact(old, old, [SOC2, NO_LOGGING]) == [
        {
            "policy": name,
            "modes": ["block"],
            "newly_allowed": [],
            "newly_blocked": [],
            "models_losing_all_targets": [],
            "models_gaining_targets": [],
        }
        for name in ("soc2", "no-prompt-logging")
    ]


def test_expiring_lists_lost_targets_by_date():
    catalog = eligo.Catalog.from_targets(
        [
            {"provider": "a", "model": "m", "attributes": {"soc2": {"value": True, "expires": "2027-03-31"}}},
            {"provider": "b", "model": "m", "attributes": {"soc2": {"value": True, "expires": "2027-06-30"}}},
            {"provider": "c", "model": "n", "attributes": {"soc2": True}},
        ]
    )
    alerts = eligo.expiring(catalog, [SOC2, NO_LOGGING], until="2027-12-31", from_="2027-01-01")
    assert [(a["date"], a["policy"]) for a in alerts] == [
        ("2027-04-01", "soc2"),
        ("2027-07-01", "soc2"),
    ]
    assert [t["id"] for t in alerts[0]["newly_blocked"]] == ["a/m"]
    assert alerts[0]["models_losing_all_targets"] == []
    assert [t["id"] for t in alerts[1]["newly_blocked"]] == ["b/m"]
    assert alerts[1]["models_losing_all_targets"] == ["m"]
    assert alerts[1]["newly_blocked"][0]["reasons"][0]["text"] == "require soc2"
    # Each agrees with evaluate on the day before and the day itself.
    target = {"provider": "a", "model": "m", "attributes": {"soc2": {"value": True, "expires": "2027-03-31"}}}
    assert SOC2.evaluate(target, "2027-03-31").allowed
    assert not SOC2.evaluate(target, "2027-04-01").allowed
    # The expiry date itself is still covered.
    assert eligo.expiring(catalog, [SOC2], "2027-03-31", "2027-01-01") == []
    assert eligo.expiring(catalog, [], "2027-12-31", "2027-01-01") == []


def test_bad_input():
    c = eligo.Catalog.from_targets([{"provider": "a", "model": "m"}])
    with pytest.raises(TypeError, match="list of Policy"):
        eligo.impact(c, c, SOC2)
    with pytest.raises(TypeError, match=r"policies\[1\]"):
        eligo.impact(c, c, [SOC2, "require soc2"])
    with pytest.raises(TypeError, match=r"policies\[0\]\[1\]"):
        eligo.impact(c, c, [[SOC2, None]])
    with pytest.raises(ValueError, match="at least one"):
        eligo.impact(c, c, [[]])
    with pytest.raises(TypeError):
        eligo.impact(c, [{"provider": "a", "model": "m"}], [SOC2])
    with pytest.raises(ValueError, match="date"):
        eligo.impact(c, c, [SOC2], date="2027-02-30")
    with pytest.raises(ValueError, match="until"):
        eligo.expiring(c, [SOC2], "soon")
    with pytest.raises(ValueError, match="from_"):
        eligo.expiring(c, [SOC2], "2027-01-01", from_="2027-13-01")
    with pytest.raises(ValueError, match="after"):
        eligo.expiring(c, [SOC2], "2027-01-01", from_="2027-06-01")
    with pytest.raises(TypeError):
        eligo.expiring(c, "require soc2", "2027-01-01")
