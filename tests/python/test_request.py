"""Request attributes (`request=`) and `when` blocks through the binding.

`when C { R }` means `!C or R` in Kleene logic, `C` read from the request
(docs/LANGUAGE.md §3.1): a request that does not give an attribute leaves
`C` unknown, and `R` applies. The random cases here are held to that
meaning by a second policy in which every request attribute `request.x`
becomes a target attribute `rq_x` and every block requirement is written
out as `require !C or R`; the binding's row path, bulk path, routing and
preview must all agree with it.
"""

import doctest
import random
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import pytest

import eligo

PHI = 'when request.data_class in ["phi"] { require hipaa; }'


def target(provider="p", model="m", **attributes):
    return {"provider": provider, "model": model, "attributes": attributes}


# -- the truth table -----------------------------------------------------


@pytest.mark.parametrize(
    "request_attrs, hipaa, allowed",
    [
        # C true: the requirement applies.
        ({"data_class": "phi"}, True, True),
        ({"data_class": "phi"}, False, False),
        ({"data_class": "phi"}, None, False),
        # C false: it does not apply, whatever the target says.
        ({"data_class": "public"}, True, True),
        ({"data_class": "public"}, False, True),
        ({"data_class": "public"}, None, True),
        # C unknown (not given): it applies, the strictest treatment.
        ({}, True, True),
        ({}, False, False),
        ({}, None, False),
        (None, False, False),
        ({"data_class": None}, None, False),
        ({"team": "research"}, None, False),  # another attribute says nothing of C
    ],
)
def test_the_truth_table_of_a_when_block(request_attrs, hipaa, allowed):
    policy = eligo.compile(PHI)
    t = target() if hipaa is None else target(hipaa=hipaa)
    v = policy.evaluate(t, request=request_attrs)
    assert v.allowed is allowed
    if not allowed:
        (r,) = v.reasons
        assert r.condition == 'request.data_class in ["phi"]'
        said_phi = (request_attrs or {}).get("data_class") == "phi"
        # `!C or R`: false only when C is true and R false; else unknown.
        assert r.value == ("false" if said_phi and hipaa is False else "unknown")
        if not said_phi:
            # Applied because the request did not say: the reason names it.
            assert "request.data_class" in r.attributes


def test_a_request_that_says_nothing_gets_the_strictest_result():
    policy = eligo.compile(
        'when request.data_class in ["pii", "phi"] { require zero_data_retention; }\n'
        'when request.team != "research" { deny provider ["lab"]; }\n'
        "require !trains_on_prompts;"
    )
    targets = [
        target("zdr", zero_data_retention=True, trains_on_prompts=False),
        target("keeps", zero_data_retention=False, trains_on_prompts=False),
        target("lab", zero_data_retention=True, trains_on_prompts=False),
        target("trains", zero_data_retention=True, trains_on_prompts=True),
    ]
    catalog = eligo.Catalog.from_targets(targets)
    strictest = ["zdr/m"]
    assert policy.filter(catalog) == strictest
    assert policy.filter(catalog, request={}) == strictest
    assert policy.filter(catalog, request={"app": "chatbot"}) == strictest
    assert [t["provider"] + "/m" for t in policy.filter(targets, request=None)] == strictest
    # Every request that says something gets at least as much.
    for request in [
        {"data_class": "public"},
        {"team": "research"},
        {"data_class": "phi", "team": "ops"},
        {"data_class": "public", "team": "research"},
    ]:
        got = policy.filter(catalog, request=request)
        assert set(strictest) <= set(got), request
    assert policy.filter(catalog, request={"data_class": "public", "team": "research"}) == [
        "zdr/m", "keeps/m", "lab/m"
    ]
    assert policy.filter(catalog, request={"data_class": "phi", "team": "research"}) == ["zdr/m", "lab/m"]
    assert policy.filter(catalog, request={"data_class": "public", "team": "ops"}) == ["zdr/m", "keeps/m"]


def test_known_tests_whether_the_request_said():
    # `known(request.x)` is false when not given: a block under it applies
    # only to requests that say their class (looser for the silent ones).
    policy = eligo.compile('when known(request.data_class) and request.data_class != "public" { require hipaa; }')
    t = target()
    assert policy.evaluate(t).allowed
    assert policy.evaluate(t, request={"data_class": "public"}).allowed
    assert not policy.evaluate(t, request={"data_class": "phi"}).allowed


def test_names_with_and_without_the_prefix_and_custom_attributes():
    policy = eligo.compile(
        "attribute request.tier: number; attribute request.urgent: flag; attribute request.region_of_user: text;\n"
        "when request.tier >= 2 { require soc2; }\n"
        "when request.urgent { require !logs_prompts; }\n"
        'when request.region_of_user == "eu" { require gdpr; }'
    )
    t = target(soc2=False, logs_prompts=True, gdpr=False)
    say_no = {"tier": 1, "urgent": False, "region_of_user": "us"}
    assert policy.evaluate(t, request=say_no).allowed
    assert policy.evaluate(t, request={"request." + k: v for k, v in say_no.items()}).allowed
    for name, value, failing in [
        ("tier", 2, "require soc2"),
        ("urgent", True, "require !logs_prompts"),
        ("region_of_user", "eu", "require gdpr"),
    ]:
        v = policy.evaluate(t, request={**say_no, name: value})
        assert [r.requirement for r in v.reasons] == [failing], name
        v = policy.evaluate(t, request={**say_no, name: None})
        assert [r.requirement for r in v.reasons] == [failing], name
    # A mapping other than a dict is read through its keys.
    assert policy.evaluate(t, request=Attrs(say_no)).allowed


class Attrs(Mapping):
    """A read-only mapping that records which names were looked up."""

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


# -- errors --------------------------------------------------------------


def request_error(call, code):
    with pytest.raises(eligo.RequestError) as info:
        call()
    (d,) = info.value.diagnostics
    assert d["code"] == code, d
    assert isinstance(info.value, ValueError)
    return d


def test_unknown_names_raise_with_a_suggestion():
    policy = eligo.compile("attribute request.tier: number;\n" + PHI)
    t = target()
    d = request_error(lambda: policy.evaluate(t, request={"data_clas": "phi"}), "request/unknown-attribute")
    assert d["message"] == "unknown request attribute `request.data_clas`"
    assert d["help"] == "did you mean `request.data_class`?"
    d = request_error(lambda: policy.evaluate(t, request={"request.teir": 2}), "request/unknown-attribute")
    assert d["help"] == "did you mean `request.tier`?"
    # A target attribute is not a request attribute.
    d = request_error(lambda: policy.evaluate(t, request={"hipaa": True}), "request/unknown-attribute")
    assert "`hipaa` is a target attribute" in d["help"]
    # A custom name another policy declares is unknown to this one.
    request_error(lambda: eligo.compile(PHI).evaluate(t, request={"tier": 2}), "request/unknown-attribute")
    d = request_error(lambda: policy.evaluate(t, request={"\x1b[31mred": "x"}), "request/unknown-attribute")
    assert "\x1b" not in d["message"]


def test_values_of_the_wrong_type_raise():
    policy = eligo.compile("attribute request.tier: number; attribute request.urgent: flag;\n" + PHI)
    t = target()
    for request, fragment in [
        ({"tier": True}, "`request.tier` is a number request attribute: give an int or None, found `bool`"),
        ({"tier": False}, "found `bool`"),  # a bool is never an int
        ({"tier": "2"}, "found `str`"),
        ({"tier": 2.0}, "found `float`"),
        ({"urgent": 1}, "`request.urgent` is a flag request attribute: give a bool or None, found `int`"),
        ({"urgent": "true"}, "found `str`"),
        ({"data_class": 3}, "`request.data_class` is a text request attribute: give a str or None, found `int`"),
        ({"data_class": b"phi"}, "found `bytes`"),
        ({"data_class": ["phi"]}, "found `list`"),
        ({"data_class": {"value": "phi"}}, "found `dict`"),
        ({"tier": 2**63}, "does not fit in 64 bits"),
        ({"data_class": "\ud800"}, "not valid Unicode"),
    ]:
        d = request_error(lambda: policy.evaluate(t, request=request), "request/invalid-value")
        assert fragment in d["message"], (request, d["message"])
    # The ends of the 64-bit range are numbers.
    for n in (2**63 - 1, -(2**63)):
        assert policy.evaluate(target(hipaa=True), request={"tier": n, "data_class": "x"}).allowed


def test_malformed_request_mappings_raise():
    policy = eligo.compile(PHI)
    t = target()
    for request in [["data_class"], "data_class=phi", 3, object()]:
        d = request_error(lambda: policy.evaluate(t, request=request), "request/invalid-attribute")
        assert "must be a mapping" in d["message"]
    d = request_error(lambda: policy.evaluate(t, request={1: "x"}), "request/invalid-attribute")
    assert "must be text" in d["message"]
    d = request_error(
        lambda: policy.evaluate(t, request={"data_class": "public", "request.data_class": "phi"}),
        "request/invalid-attribute",
    )
    assert "`request.data_class` is given twice" in d["message"]
    request_error(lambda: policy.evaluate(t, request={f"x{i}": 1 for i in range(100_001)}), "request/invalid-attribute")


def test_every_entry_point_checks_the_request():
    policy = eligo.compile(PHI)
    catalog = eligo.Catalog.from_targets([target()])
    bad = {"data_clas": "phi"}
    for call in [
        lambda: policy.evaluate(target(), request=bad),
        lambda: policy.filter(catalog, request=bad),
        lambda: policy.filter([target()], request=bad),
        lambda: policy.route(catalog, "m", request=bad),
        lambda: policy.route(catalog, "p/m", request=bad),
        lambda: policy.preview(catalog, request=bad),
        lambda: policy.preview(catalog, model="m", request=bad),
    ]:
        request_error(call, "request/unknown-attribute")
    # Keyword only: a positional third argument is not a request.
    with pytest.raises(TypeError):
        policy.evaluate(target(), None, {"data_class": "phi"})


def test_an_unknown_name_is_refused_before_its_value_is_read():
    policy = eligo.compile(PHI)
    attrs = Attrs({"data_class": "phi", "nope": "x"})
    request_error(lambda: policy.evaluate(target(), request=attrs), "request/unknown-attribute")
    assert attrs.read == ["data_class"]


# -- verdict reasons -----------------------------------------------------


def test_reasons_name_their_condition():
    policy = eligo.compile(
        "require !trains_on_prompts;\n"
        'when request.data_class in ["phi"] { require hipaa; when request.team == "ops" { max_retention_days 0; } }'
    )
    v = policy.evaluate(target(trains_on_prompts=True), request={"data_class": "phi", "team": "ops"})
    assert [(r.requirement, r.condition) for r in v.reasons] == [
        ("require !trains_on_prompts", None),
        ("require hipaa", 'request.data_class in ["phi"]'),
        ("max_retention_days 0", 'request.data_class in ["phi"] and request.team == "ops"'),
    ]
    assert [r.attributes for r in v.reasons] == [["trains_on_prompts"], ["hipaa"], ["retention_days"]]
    assert "condition=" in repr(v.reasons[1]) and "condition=" not in repr(v.reasons[0])
    # Not said: the request attributes not given are named.
    v = policy.evaluate(target(trains_on_prompts=False))
    assert [r.attributes for r in v.reasons] == [
        ["request.data_class", "hipaa"],
        ["request.data_class", "request.team", "retention_days"],
    ]


# -- route and preview ---------------------------------------------------


ROUTED = (
    'policy "classes"; version "1";\n'
    'when request.data_class in ["phi"] { require hipaa; }\n'
    'when request.data_class != "public" { require zero_data_retention; }\n'
)
CLINIC_TARGETS = [
    target("cloud", "m", zero_data_retention=False),
    target("zdr", "m", zero_data_retention=True),
    target("clinic", "m", zero_data_retention=True, hipaa=True),
]


def test_route_follows_the_request_attributes():
    policy = eligo.compile(ROUTED)
    catalog = eligo.Catalog.from_targets(CLINIC_TARGETS)
    for request, want in [
        ({"data_class": "public"}, ["cloud/m", "zdr/m", "clinic/m"]),
        ({"data_class": "internal"}, ["zdr/m", "clinic/m"]),
        ({"data_class": "phi"}, ["clinic/m"]),
        ({}, ["clinic/m"]),
        (None, ["clinic/m"]),
    ]:
        d = policy.route(catalog, "m", request=request)
        assert d.targets == want, request
        assert d.event is None  # routed in block mode: no event
        preview = policy.preview(catalog, model="m", request=request)
        assert [r["id"] for r in preview["rows"] if r["allowed"]] == want
        assert policy.filter(catalog, request=request) == want
    # Pinned: blocked for phi, routed for public.
    assert policy.route(catalog, "cloud/m", request={"data_class": "public"}).targets == ["cloud/m"]
    assert policy.route(catalog, "cloud/m", request={"data_class": "phi"}).blocked


def test_route_event_names_the_attributes_given_and_missing():
    policy = eligo.compile(
        'policy "classes"; when request.data_class in ["phi"] { require hipaa; }\n'
        'when request.team == "ops" { require soc2; }'
    )
    catalog = eligo.Catalog.from_targets([target("cloud", "m")])
    d = policy.route(catalog, "m", request={"data_class": "phi", "app": "chatbot"}, date="2026-12-01")
    assert d.blocked and d.status == 403
    event = d.event.to_dict()
    # `app` is read by no condition: it is not in the event.
    assert event["request"] == {
        "id": None,
        "model": "m",
        "pinned": None,
        "attributes": {"data_class": "phi"},
        "missing": ["team"],
    }
    (group,) = event["groups"]
    assert [(f["text"], f.get("condition"), f["attributes"]) for f in group["failures"]] == [
        ("require hipaa", 'request.data_class in ["phi"]', ["hipaa"]),
        ("require soc2", 'request.team == "ops"', ["request.team", "soc2"]),
    ]
    (candidate,) = d.candidates
    assert [f.condition for f in candidate.failures] == ['request.data_class in ["phi"]', 'request.team == "ops"']

    d = policy.route(catalog, "cloud/m", request=None)
    assert d.event.request.to_dict() == {
        "id": None,
        "model": "m",
        "pinned": "cloud/m",
        "attributes": {},
        "missing": ["data_class", "team"],
    }
    d = policy.route(catalog, "m", request={"data_class": "phi", "team": "ops"})
    assert d.event.request.attributes == {"data_class": "phi", "team": "ops"}
    assert d.event.request.missing == []

    # Warn mode: routed, and the event still names them.
    warn = eligo.compile('policy "w"; mode warn; when request.data_class in ["phi"] { require hipaa; }')
    d = warn.route(catalog, "m", request={"request.data_class": "phi"})
    assert (d.outcome, d.targets) == ("warned", ["cloud/m"])
    assert d.event.request.attributes == {"data_class": "phi"}


def test_preview_rows_carry_conditions():
    policy = eligo.compile(ROUTED)
    catalog = eligo.Catalog.from_targets(CLINIC_TARGETS)
    p = policy.preview(catalog, request={"data_class": "phi"})
    assert (p["allowed"], p["blocked"]) == (1, 2)
    cloud = p["rows"][0]
    assert [(f["text"], f["condition"]) for f in cloud["failures"]] == [
        ("require hipaa", 'request.data_class in ["phi"]'),
        ("require zero_data_retention", 'request.data_class != "public"'),
    ]
    assert policy.preview(catalog, request={"data_class": "public"})["allowed"] == 3
    assert policy.preview(catalog)["allowed"] == 1


# -- random cases against `!C or R` ----------------------------------------

REQUEST_DECLS = (
    "attribute request.tier: number; attribute request.urgent: flag; attribute request.region_of_user: text;\n"
)
ORACLE_DECLS = (
    "attribute rq_data_class: text; attribute rq_team: text; attribute rq_app: text; attribute rq_kind: text;\n"
    "attribute rq_tier: number; attribute rq_urgent: flag; attribute rq_region_of_user: text;\n"
)
REQUEST_VALUES = {
    "data_class": ["public", "internal", "pii", "phi"],
    "team": ["research", "ops"],
    "app": ["a", "b"],
    "kind": ["chat", "embedding"],
    "tier": [0, 1, 2, 3],
    "urgent": [True, False],
    "region_of_user": ["eu", "us"],
}
FLAGS = ["soc2", "hipaa", "gdpr", "zero_data_retention", "trains_on_prompts", "logs_prompts"]


def random_leaf(rng):
    name = rng.choice(list(REQUEST_VALUES))
    a = "request." + name
    values = REQUEST_VALUES[name]
    roll = rng.random()
    if roll < 0.1:
        return f"known({a})"
    if name == "urgent":
        return a if roll < 0.55 else f"!{a}"
    if name == "tier":
        return f"{a} {rng.choice(['<', '<=', '>', '>=', '==', '!='])} {rng.choice(values)}"
    if roll < 0.5:
        chosen = rng.sample(values, rng.randint(1, len(values)))
        return f"{a} in [{', '.join(repr_str(v) for v in chosen)}]"
    return f"{a} {rng.choice(['==', '!='])} {repr_str(rng.choice(values))}"


def repr_str(v):
    return f'"{v}"' if isinstance(v, str) else str(v)


def random_condition(rng, depth=0):
    if depth < 2 and rng.random() < 0.35:
        op = rng.choice(["and", "or"])
        return f"({random_condition(rng, depth + 1)} {op} {random_condition(rng, depth + 1)})"
    if depth < 2 and rng.random() < 0.1:
        return f"!({random_condition(rng, depth + 1)})"
    return random_leaf(rng)


def random_requirement(rng):
    """A requirement as the policy writes it, and as `require` over targets."""
    roll = rng.random()
    if roll < 0.15:
        n = rng.choice([0, 7, 30])
        return f"max_retention_days {n}", f"retention_days <= {n}"
    if roll < 0.25:
        providers = rng.sample(["p0", "p1", "p2", "p3"], rng.randint(1, 2))
        names = ", ".join(f'"{p}"' for p in providers)
        return f"deny provider [{names}]", f"!(provider in [{names}])"
    a, b = rng.sample(FLAGS, 2)
    expr = rng.choice([a, f"!{a}", f"{a} or {b}", f"{a} and !{b}"])
    return f"require {expr}", expr


def random_policy(rng):
    """Policy text with `when` blocks, and the same policy written out as
    `require !C or R` over `rq_*` target attributes."""
    text, oracle = [REQUEST_DECLS], [ORACLE_DECLS]
    for _ in range(rng.randint(0, 2)):
        written, expr = random_requirement(rng)
        if not written.startswith("require"):
            # Top-level lists merge and a second max_retention_days is an error.
            written, expr = "require soc2 or gdpr", "soc2 or gdpr"
        text.append(written + ";\n")
        oracle.append(f"require {expr};\n")
    for _ in range(rng.randint(1, 3)):
        cond = random_condition(rng)
        inner_cond = random_condition(rng) if rng.random() < 0.3 else None
        reqs = [random_requirement(rng) for _ in range(rng.randint(1, 2))]
        if sum(w.startswith("max_retention") for w, _ in reqs) > 1:
            reqs = reqs[:1]
        if sum(w.startswith("deny") for w, _ in reqs) > 1:
            reqs = reqs[:1]
        body = " ".join(w + ";" for w, _ in reqs)
        full = cond
        if inner_cond is not None:
            body = f"when {inner_cond} {{ {body} }}"
            full = f"({cond}) and ({inner_cond})"
        text.append(f"when {cond} {{ {body} }}\n")
        oracle_cond = re.sub(r"request\.", "rq_", full)
        for _, expr in reqs:
            oracle.append(f"require !({oracle_cond}) or ({expr});\n")
    return "".join(text), "".join(oracle)


def random_request(rng):
    request = {}
    for name, values in REQUEST_VALUES.items():
        roll = rng.random()
        if roll < 0.3:
            continue  # not given
        key = name if rng.random() < 0.5 else "request." + name
        request[key] = None if roll < 0.4 else rng.choice(values)
    return request


def random_targets(rng, n):
    targets, seen = [], set()
    while len(targets) < n:
        attrs = {}
        for name in FLAGS:
            roll = rng.random()
            if roll < 0.1:
                attrs[name] = {"value": rng.random() < 0.7, "expires": rng.choice(["2026-06-30", "2027-01-31"])}
            elif roll < 0.8:
                attrs[name] = rng.random() < 0.6
        if rng.random() < 0.8:
            attrs["retention_days"] = rng.choice([0, 0, 7, 30, 90])
        t = {"provider": f"p{rng.randrange(4)}", "model": rng.choice(["m1", "m2"]), "attributes": attrs}
        t["id"] = f"t{len(targets)}"
        if t["id"] not in seen:
            seen.add(t["id"])
            targets.append(t)
    return targets


def as_oracle_target(t, request):
    """The target with the request's attributes as `rq_*` target attributes."""
    attrs = dict(t["attributes"])
    for key, value in request.items():
        if value is not None:
            attrs["rq_" + key.removeprefix("request.")] = value
    return dict(t, attributes=attrs)


def test_random_policies_agree_with_not_c_or_r():
    rng = random.Random(20261215)
    targets = random_targets(rng, 40)
    catalog = eligo.Catalog.from_targets(targets)
    for _ in range(40):
        text, oracle_text = random_policy(rng)
        policy, oracle = eligo.compile(text), eligo.compile(oracle_text)
        # The request attributes the conditions read (the declarations aside).
        read = set(re.findall(r"request\.(\w+)", text[len(REQUEST_DECLS):]))
        for _ in range(5):
            request = random_request(rng)
            date = rng.choice(["2026-06-01", "2026-12-01", "2027-03-01"])
            want = []
            for t in targets:
                v = policy.evaluate(t, date=date, request=request)
                o = oracle.evaluate(as_oracle_target(t, request), date=date)
                assert v.allowed == o.allowed, (text, request, t)
                # One requirement each, in the same order, failing alike.
                assert [(r.index, r.value) for r in v.reasons] == [(r.index, r.value) for r in o.reasons], (
                    text,
                    request,
                    t,
                )
                if v.allowed:
                    want.append(t["id"])
            # The bulk path and the list path agree with the row path.
            assert policy.filter(catalog, date=date, request=request) == want, (text, request)
            assert [t["id"] for t in policy.filter(targets, date=date, request=request)] == want
            # Routing and the model preview agree too (the date as the day).
            for model in ("m1", "m2"):
                serving = [t["id"] for t in targets if t["model"] == model]
                routed = policy.route(catalog, model, date=date, request=request)
                allowed_here = [i for i in want if i in serving]
                if allowed_here:
                    assert routed.targets == allowed_here, (text, request)
                else:
                    assert routed.blocked
                    given = {k.removeprefix("request."): v for k, v in request.items() if v is not None}
                    assert routed.event.request.attributes == {k: given[k] for k in given if k in read}
                    assert routed.event.request.missing == sorted(read - set(given))
                preview = policy.preview(catalog, date=date, model=model, request=request)
                assert [r["id"] for r in preview["rows"] if r["allowed"]] == allowed_here


def test_filter_over_a_catalog_agrees_with_evaluate_over_a_random_catalog():
    rng = random.Random(77)
    targets = random_targets(rng, 300)
    catalog = eligo.Catalog.from_targets(targets)
    for _ in range(6):
        text, _ = random_policy(rng)
        policy = eligo.compile(text)
        for date in ("2026-06-01", "2027-03-01"):
            silent = [t["id"] for t in targets if policy.evaluate(t, date=date).allowed]
            for _ in range(4):
                request = random_request(rng)
                got = policy.filter(catalog, date=date, request=request)
                want = [t["id"] for t in targets if policy.evaluate(t, date=date, request=request).allowed]
                assert got == want, (text, request, date)
                if "known(" not in text:  # `known(request.x)` is what may make saying nothing looser
                    assert set(silent) <= set(want), (text, request, date)
                # The binding kept for this catalog and day serves requests with other attributes.
                assert policy.filter(catalog, date=date) == silent


def test_threads_with_different_requests_get_their_own_answers():
    # One policy and catalog shared by threads routing and filtering for
    # requests that say different things: the binding the policy keeps for
    # the catalog is shared, the request's attributes never are.
    policy = eligo.compile(ROUTED)
    targets = [CLINIC_TARGETS[i % 3] | {"id": f"t{i}"} for i in range(3000)]
    catalog = eligo.Catalog.from_targets(targets)
    requests = [{"data_class": "public"}, {"data_class": "internal"}, {"data_class": "phi"}, None]
    want = {
        i: [t["id"] for t in targets if policy.evaluate(t, request=r).allowed] for i, r in enumerate(requests)
    }

    def work(k):
        i = k % len(requests)
        ids = policy.filter(catalog, request=requests[i]).ids()
        return i, ids, policy.route(catalog, "m", request=requests[i]).targets

    with ThreadPoolExecutor(max_workers=8) as pool:
        for i, ids, routed in pool.map(work, range(64)):
            assert ids == want[i] == routed


def test_the_package_docstring_examples_run():
    assert doctest.testmod(eligo).failed == 0
