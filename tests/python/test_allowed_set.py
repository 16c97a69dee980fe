"""`Policy.filter(catalog)` returns an AllowedSet from the bitmap filter: a
read-only sequence of the allowed ids that agrees with the row path."""

import random

import pytest

import eligo

TARGETS = [
    {"provider": "a", "model": "m", "attributes": {"soc2": True, "gdpr": True, "region": "eu"}},
    {"provider": "b", "model": "*", "attributes": {"soc2": True, "region": "us"}},
    {"provider": "c", "model": "gpt-4o", "attributes": {"soc2": False, "gdpr": True}},
    {"provider": "d", "model": "m", "attributes": {"soc2": True, "gdpr": True, "region": "eu"}},
    {"provider": "e", "model": "*", "id": "e-any", "attributes": {"soc2": True}},
    {"provider": "f", "model": "m", "attributes": {}},
    {"provider": "g", "model": "m2", "attributes": {"soc2": True, "gdpr": False}},
]


def row_path(policy, targets, ids, date=None):
    """The ids the target-by-target path allows, in catalog order."""
    return [i for i, t in zip(ids, targets) if policy.evaluate(t, date=date).allowed]


@pytest.fixture
def small():
    catalog = eligo.Catalog.from_targets(TARGETS)
    return catalog, eligo.compile("require soc2").filter(catalog)


def test_is_a_sequence_of_ids_in_catalog_order(small):
    catalog, s = small
    want = ["a/m", "b/*", "d/m", "e-any", "g/m2"]
    assert isinstance(s, eligo.AllowedSet)
    assert len(s) == 5 and bool(s)
    assert list(s) == want and s.ids() == want
    assert s == want and s == tuple(want) and want == s
    assert s != want[:-1] and s != want[::-1] and s != [*want[:-1], 5]
    assert s != "a/m" and s != set(want)
    assert [s[i] for i in range(5)] == want
    assert [s[-i] for i in range(1, 6)] == want[::-1]
    assert s[1:3] == want[1:3] and s[::-2] == want[::-2]
    assert s.indices() == [0, 1, 3, 4, 6]
    assert s.index("d/m") == 2 and s.count("d/m") == 1 and s.count("c/gpt-4o") == 0
    with pytest.raises(ValueError):
        s.index("c/gpt-4o")
    for i in (5, 6, -6, 100):
        with pytest.raises(IndexError):
            s[i]
    with pytest.raises(TypeError):
        s["a/m"]
    with pytest.raises(TypeError):
        hash(s)


def test_membership_by_id_and_by_position(small):
    catalog, s = small
    assert "a/m" in s and "e-any" in s
    assert "c/gpt-4o" not in s and "nope/m" not in s and "a" not in s
    # Positions are asked with contains_position.
    assert [i for i in range(len(catalog) + 3) if s.contains_position(i)] == s.indices()
    # Only ids are members: a position is asked with contains_position.
    assert 0 not in s and -1 not in s and None not in s and 1.0 not in s and b"a/m" not in s
    assert not s.contains_position(-1)
    # A huge slice step ends the slice (it used to overflow past the end).
    import sys
    assert s[1::sys.maxsize] == [s[1]]


def test_equals_another_set_with_the_same_ids(small):
    catalog, s = small
    assert s == eligo.compile("require soc2").filter(catalog)
    assert s == eligo.compile("require soc2").encode(catalog).filter()
    assert s != eligo.compile("require gdpr").filter(catalog)
    # Another catalog with the same ids compares by id.
    other = eligo.Catalog.from_targets(TARGETS)
    assert s == eligo.compile("require soc2").filter(other)
    assert s != eligo.compile("require soc2").filter(eligo.Catalog.from_targets(TARGETS[:4]))


def test_repr_lists_a_few_ids(small):
    catalog, s = small
    assert repr(s) == "AllowedSet(['a/m', 'b/*', 'd/m', 'e-any', 'g/m2'], 5 of 7 allowed)"
    big = eligo.Catalog.from_targets(
        {"provider": f"p{i}", "model": "m", "attributes": {"soc2": True}} for i in range(20)
    )
    r = repr(eligo.compile("require soc2").filter(big))
    assert r.startswith("AllowedSet(['p0/m', 'p1/m', ") and r.endswith("... 15 more], 20 of 20 allowed)")
    assert repr(eligo.compile("require gdpr").filter(big)) == "AllowedSet([], 0 of 20 allowed)"


def test_ids_are_the_same_str_objects_on_every_call(small):
    catalog, s = small
    again = eligo.compile("require soc2 or gdpr").filter(catalog)
    assert s[0] is again[0]
    assert s.ids()[3] is again[again.index("e-any")]
    assert next(iter(s)) is s[0] is s[0:1][0]
    assert all(a is b for a, b in zip(s, s.ids()))


def test_a_list_of_mappings_still_gives_the_mappings(small):
    maps = [dict(t) for t in TARGETS]
    out = eligo.compile("require soc2").filter(maps)
    assert type(out) is list
    assert out == [maps[i] for i in (0, 1, 3, 4, 6)]
    assert all(a is maps[i] for a, i in zip(out, (0, 1, 3, 4, 6)))


def test_agrees_with_the_row_path_on_wildcards_and_model_lists():
    catalog = eligo.Catalog.from_targets(TARGETS)
    for text in [
        "require soc2",
        "allow model [\"m\"]",
        "allow model [\"gpt-4o\", \"m2\"]; require soc2 or gdpr",
        "deny model [\"m\"]",
        "deny provider [\"b\"]; require region in [\"eu\"]",
        "allow provider [\"a\", \"e\"]; allow model [\"m\"]",
        "",
    ]:
        policy = eligo.compile(text)
        assert policy.filter(catalog) == row_path(policy, TARGETS, catalog.ids), text


def test_reads_expiring_evidence_on_both_sides_of_the_expiry():
    targets = [
        {"provider": "a", "model": "m",
         "attributes": {"soc2": {"value": True, "expires": "2026-12-31"}}},
        {"provider": "b", "model": "*",
         "attributes": {"soc2": {"value": True, "expires": "2027-06-30"}, "gdpr": True}},
        {"provider": "c", "model": "m", "attributes": {"soc2": True}},
    ]
    catalog = eligo.Catalog.from_targets(targets)
    policy = eligo.compile("require soc2")
    for date, want in [
        ("2026-12-30", ["a/m", "b/*", "c/m"]),
        ("2026-12-31", ["a/m", "b/*", "c/m"]),
        ("2027-01-01", ["b/*", "c/m"]),
        ("2027-06-30", ["b/*", "c/m"]),
        ("2027-07-01", ["c/m"]),
    ]:
        got = policy.filter(catalog, date=date)
        assert got == want, date
        assert got == row_path(policy, targets, catalog.ids, date=date), date
    with pytest.raises(ValueError):
        policy.filter(catalog, date="2027-13-01")


POLICIES = [
    "require soc2 or iso27001; require !trains_on_prompts; max_retention_days 0",
    "require gdpr and region in [\"eu\", \"uk\"]; deny provider [\"p3\"]",
    "allow model [\"m1\", \"m3\"]; require !(logs_prompts or trains_on_prompts)",
    "require known(soc2) and !soc2 or hipaa; max_retention_days 30",
    "deny model [\"m2\"]; require soc2",
]


def random_target(rng, i):
    attrs = {}
    for name in ["soc2", "iso27001", "gdpr", "hipaa", "trains_on_prompts", "logs_prompts"]:
        roll = rng.random()
        if roll < 0.15:
            day = rng.choice(["2026-06-30", "2026-12-31", "2027-03-01"])
            attrs[name] = {"value": rng.random() < 0.7, "expires": day}
        elif roll < 0.8:
            attrs[name] = rng.random() < 0.6
    if rng.random() < 0.8:
        attrs["retention_days"] = rng.choice([0, 0, 7, 30, 90])
    if rng.random() < 0.7:
        attrs["region"] = rng.choice(["eu", "us", "uk", "apac"])
    model = rng.choice(["m1", "m2", "m3", "*"])
    t = {"provider": f"p{rng.randrange(6)}", "model": model, "attributes": attrs}
    if rng.random() < 0.5 or model == "*":
        t["id"] = f"t{i}"
    return t


def test_agrees_with_evaluate_over_a_random_catalog():
    rng = random.Random(20261201)
    targets, seen = [], set()
    while len(targets) < 600:
        t = random_target(rng, len(targets))
        key = t.get("id", f"{t['provider']}/{t['model']}")
        if key not in seen:
            seen.add(key)
            targets.append(t)
    catalog = eligo.Catalog.from_targets(targets)
    for text in POLICIES:
        policy = eligo.compile(text)
        for date in ["2026-06-01", "2026-09-01", "2027-01-15", "2027-06-01"]:
            got = policy.filter(catalog, date=date)
            want = row_path(policy, targets, catalog.ids, date=date)
            assert got == want, (text, date)
            assert got.ids() == want and len(got) == len(want)
            assert got.ids() == [catalog.ids[i] for i in got.indices()]


def test_kept_bindings_answer_only_for_their_catalog_and_day():
    # Policy.filter keeps its binding to a catalog for each catalog and
    # day; asked again out of order, and alternating between two catalogs
    # of the same targets in two orders, each call must give that
    # catalog's answer for that day.
    rng = random.Random(7)
    targets, seen = [], set()
    while len(targets) < 200:
        t = random_target(rng, len(targets))
        key = t.get("id", f"{t['provider']}/{t['model']}")
        if key not in seen:
            seen.add(key)
            targets.append(t)
    forward = eligo.Catalog.from_targets(targets)
    backward = eligo.Catalog.from_targets(list(reversed(targets)))
    policy = eligo.compile(POLICIES[0])
    for date in ["2027-01-15", "2026-06-01", "2027-06-01", "2026-06-01", "2026-12-31", "2027-01-15"]:
        for catalog, ts in [(forward, targets), (backward, list(reversed(targets)))]:
            want = row_path(policy, ts, catalog.ids, date=date)
            assert policy.filter(catalog, date=date) == want, date
