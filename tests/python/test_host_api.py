"""What a host needs beyond deciding: reading a catalog back and updating it
one target at a time, typed decisions and events, automatic routing of model
names with `/`, layered routing, dates as `datetime.date`, missing files as
`FileNotFoundError`, and lint against a catalog."""

import datetime
import errno
import json
import random
import re

import pytest

import eligo


def target(provider, model, id=None, **attributes):
    t = {"provider": provider, "model": model, "attributes": attributes}
    if id is not None:
        t["id"] = id
    return t


# -- Catalog: read back, incremental updates ---------------------------------


def test_catalog_reads_back_every_target(catalog):
    views = list(catalog)
    assert [t.id for t in views] == catalog.ids
    for view in views:
        assert catalog[view.id] == view and catalog.get(view.id) == view
        # The view reads back as the catalog format, and reads in again.
        again = eligo.Catalog.from_targets([view.to_dict()])
        assert again[view.id] == view
        assert view.to_dict()["attributes"] == view.attributes
    assert catalog.get("no/such") is None and catalog.get("no/such", 7) == 7
    with pytest.raises(KeyError):
        catalog["no/such"]


def test_target_view_fields():
    c = eligo.Catalog.from_json(
        json.dumps(
            {
                "catalog": "mine",
                "targets": [
                    {
                        "id": "eu-1",
                        "provider": "azure",
                        "model": "gpt-4o",
                        "endpoint": "https://eu.example",
                        "attributes": {"soc2": True, "gdpr": {"value": True, "expires": "2027-03-31"}},
                    }
                ],
            }
        )
    )
    assert c.name == "mine"
    (t,) = c
    assert (t.id, t.provider, t.model, t.endpoint) == ("eu-1", "azure", "gpt-4o", "https://eu.example")
    assert t.attributes == {"soc2": True, "gdpr": {"value": True, "expires": "2027-03-31"}}
    assert repr(t) == "Target('eu-1', 2 attributes)"


def test_with_target_and_without_make_new_catalogs_that_policies_bind_afresh():
    policy = eligo.compile("require soc2")
    c1 = eligo.Catalog.from_targets([target("a", "m"), target("b", "m", soc2=True), target("c", "m")])
    assert list(policy.filter(c1)) == ["b/m"]
    # Declaring soc2 for a: same place, the old catalog unchanged.
    c2 = c1.with_target(target("a", "m", soc2=True))
    assert c2.ids == ["a/m", "b/m", "c/m"] and c2["a/m"].attributes == {"soc2": True}
    assert c1["a/m"].attributes == {}
    assert list(policy.filter(c2)) == ["a/m", "b/m"]
    # The policy's binding to c1 does not answer for c2, nor the reverse.
    assert list(policy.filter(c1)) == ["b/m"]
    # Taking soc2 away again (a wrong allow if a binding were reused).
    c3 = c2.with_target(c1["a/m"])
    assert list(policy.filter(c3)) == ["b/m"]
    # Appended, then removed.
    c4 = c3.with_target(target("d", "m", soc2=True))
    assert c4.ids[-1] == "d/m" and list(policy.filter(c4)) == ["b/m", "d/m"]
    c5 = c4.without("b/m")
    assert c5.ids == ["a/m", "c/m", "d/m"] and list(policy.filter(c5)) == ["d/m"]
    assert policy.route(c5, "m").targets == ["d/m"]
    with pytest.raises(KeyError):
        c5.without("b/m")
    with pytest.raises(eligo.CatalogError):
        c5.with_target({"provider": "x"})


def test_incremental_updates_agree_with_a_catalog_built_whole():
    rng = random.Random(17)
    policy = eligo.compile("require soc2 or iso27001; require !trains_on_prompts; max_retention_days 30")
    names = ["soc2", "iso27001", "trains_on_prompts"]
    current = eligo.Catalog.from_targets([])
    whole = {}
    for step in range(300):
        tid = f"p{rng.randrange(12)}/m"
        if rng.random() < 0.2 and tid in current:
            current = current.without(tid)
            del whole[tid]
            continue
        attrs = {n: rng.choice([True, False]) for n in names if rng.random() < 0.7}
        if rng.random() < 0.7:
            attrs["retention_days"] = rng.choice([0, 30, 31, 365])
        t = {"provider": tid.split("/")[0], "model": "m", "attributes": attrs}
        current = current.with_target(t)
        whole[tid] = t
        rebuilt = eligo.Catalog.from_targets(whole.values())
        assert current.ids == rebuilt.ids
        assert list(policy.filter(current)) == list(policy.filter(rebuilt)), step


# -- Decisions and events as typed classes -----------------------------------


def test_decision_and_event_fields_match_their_dicts(catalog):
    policy = eligo.load("policies/regulated-routing.pol")
    d = policy.route(catalog, "deepseek/deepseek-v3.2", request_id="req-1", date=datetime.date(2026, 12, 1))
    assert d.blocked and (d.model, d.pinned, d.request_id) == ("deepseek-v3.2", "deepseek/deepseek-v3.2", "req-1")
    as_dict = d.to_dict()
    assert as_dict["outcome"] == "blocked" and as_dict["request_id"] == "req-1"
    event = d.event
    assert isinstance(event, eligo.SecurityEvent)
    e = event.to_dict()
    assert e == as_dict["event"]
    assert (event.schema, event.time, event.date) == (e["schema"], e["time"], e["date"]) and event.date == "2026-12-01"
    assert (event.action, event.status, event.code, event.message) == (e["action"], e["status"], e["code"], e["message"])
    assert event.candidate_count == e["candidate_count"] == 1
    assert [p.to_dict() for p in event.policies] == e["policies"]
    (layer,) = event.policies
    assert (layer.name, layer.mode, layer.fingerprint) == ("regulated-routing", "block", policy.fingerprint)
    assert event.request.to_dict() == e["request"]
    assert (event.request.id, event.request.model, event.request.pinned) == (
        "req-1",
        "deepseek-v3.2",
        "deepseek/deepseek-v3.2",
    )
    assert [g.to_dict() for g in event.groups] == e["groups"]
    (group,) = event.groups
    assert group.candidates == ["deepseek/deepseek-v3.2"] and not group.compliant
    for f, fd in zip(group.failures, e["groups"][0]["failures"]):
        assert f.to_dict() == fd
        assert (f.policy, f.mode, f.requirement, f.kind, f.value, f.attributes, f.index, f.condition) == (
            fd["policy"],
            fd["mode"],
            fd["text"],
            fd["kind"],
            fd["value"],
            fd["attributes"],
            fd["requirement"],
            fd.get("condition"),
        )
        assert f.unknown == (fd["value"] == "unknown")
    (cand,) = d.candidates
    assert isinstance(cand, eligo.Candidate) and cand.to_dict() == as_dict["candidates"][0]
    assert (cand.id, cand.provider, cand.model, cand.compliant, cand.routed) == (
        "deepseek/deepseek-v3.2",
        "deepseek",
        "deepseek-v3.2",
        False,
        False,
    )
    assert [f.to_dict() for f in cand.failures] == as_dict["candidates"][0]["failures"]
    # The dicts are plain JSON.
    assert json.loads(json.dumps(as_dict)) == as_dict


def test_routed_decision_has_no_event_and_no_request_id_unless_given(catalog):
    policy = eligo.load("policies/regulated-routing.pol")
    d = policy.route(catalog, "deepseek-v3.2")
    assert not d.blocked and d.event is None and d.request_id is None and d.pinned is None
    assert d.to_dict()["event"] is None and d.model == "deepseek-v3.2"


# -- Automatic or pinned, explicitly -----------------------------------------


def test_model_groups_with_a_slash_route_automatically_when_asked():
    policy = eligo.compile("require soc2")
    c = eligo.Catalog.from_targets(
        [
            target("azure", "openai/gpt-4o", id="azure-eu", soc2=True),
            target("openai", "openai/gpt-4o", id="openai-us"),
            target("openai", "gpt-4o", soc2=True),
        ]
    )
    d = policy.route(c, "openai/gpt-4o", pinned=False)
    assert (d.targets, d.pinned, d.model) == (["azure-eu"], None, "openai/gpt-4o")
    # The same text read as a model field pins the target `openai/gpt-4o`.
    d = policy.route(c, "openai/gpt-4o")
    assert (d.targets, d.pinned) == (["openai/gpt-4o"], "openai/gpt-4o")
    # Pinned explicitly: the target with that id, blocked if it fails.
    d = policy.route(c, "openai-us", pinned=True)
    assert d.blocked and d.pinned == "openai-us" and d.event.request.pinned == "openai-us"
    with pytest.raises(eligo.RequestError):
        policy.route(c, "gpt-4o", pinned=True)  # a model, not a target id
    with pytest.raises(ValueError):
        policy.route(c, "openai/gpt-4o", pin="azure-eu", pinned=False)
    d = policy.route(c, "openai/gpt-4o", pin="azure-eu", pinned=True)
    assert d.targets == ["azure-eu"]


# -- Layered routing ---------------------------------------------------------


def test_route_layered_allows_what_every_layer_allows():
    rng = random.Random(5)
    texts = [
        "require soc2",
        "require gdpr or iso27001",
        "require !trains_on_prompts",
        "max_retention_days 30",
        'deny provider ["p3"]',
        'when request.data_class == "phi" { require hipaa; }',
    ]
    names = ["soc2", "gdpr", "iso27001", "trains_on_prompts", "hipaa"]
    for _ in range(60):
        layers = [eligo.compile(t) for t in rng.sample(texts, rng.randint(1, 3))]
        targets = []
        for i in range(8):
            attrs = {n: rng.choice([True, False]) for n in names if rng.random() < 0.6}
            if rng.random() < 0.6:
                attrs["retention_days"] = rng.choice([0, 30, 90])
            targets.append(target(f"p{i}", "m", **attrs))
        c = eligo.Catalog.from_targets(targets)
        request = rng.choice([None, {"data_class": "phi"}, {"data_class": "public"}])
        want = [t.id for t in c if all(l.evaluate(t.to_dict(), request=request).allowed for l in layers)]
        d = eligo.route_layered(layers, c, "m", request=request, request_id="r")
        assert d.targets == want and d.blocked == (not want) and d.request_id == "r"
        if d.blocked:
            assert [p.name for p in d.event.policies] == [l.name or "unnamed" for l in layers]


def test_route_layered_warn_layer_and_errors():
    block = eligo.compile('policy "org"; require soc2')
    warn = eligo.compile('policy "proj"; mode warn; require gdpr')
    c = eligo.Catalog.from_targets([target("a", "m", soc2=True), target("b", "m", soc2=True, gdpr=True)])
    d = eligo.route_layered([block, warn], c, "m")
    assert d.targets == ["a/m", "b/m"] and d.event.action == "warn"
    assert eligo.route_layered((block,), c, "m").targets == block.route(c, "m").targets
    with pytest.raises(eligo.RequestError) as info:
        eligo.route_layered([], c, "m")
    assert info.value.diagnostics[0]["code"] == "request/no-policy"
    with pytest.raises(TypeError):
        eligo.route_layered(block, c, "m")
    with pytest.raises(TypeError):
        eligo.route_layered([block, "require gdpr"], c, "m")
    # A request attribute known to one layer only is fine; of two types in
    # two layers it is refused; known to none, refused with a suggestion.
    flag = eligo.compile("attribute request.urgent: flag; when request.urgent { require soc2; }")
    text = eligo.compile("attribute request.urgent: text; when request.urgent == \"yes\" { require soc2; }")
    assert eligo.route_layered([block, flag], c, "m", request={"urgent": True}).targets == ["a/m", "b/m"]
    with pytest.raises(eligo.RequestError, match="flag request attribute in one policy layer"):
        eligo.route_layered([flag, text], c, "m", request={"urgent": True})
    with pytest.raises(eligo.RequestError) as info:
        eligo.route_layered([block, flag], c, "m", request={"urgnet": True})
    assert "urgent" in (info.value.diagnostics[0]["help"] or "")


# -- Dates -------------------------------------------------------------------


def test_dates_as_datetime_date():
    policy = eligo.compile("require gdpr")
    t = target("a", "m", gdpr={"value": True, "expires": "2026-12-31"})
    c = eligo.Catalog.from_targets([t])
    for day, allowed in [(datetime.date(2026, 12, 31), True), (datetime.date(2027, 1, 1), False)]:
        text = day.isoformat()
        assert policy.evaluate(t, day).allowed == policy.evaluate(t, text).allowed == allowed
        assert list(policy.filter(c, day)) == list(policy.filter(c, date=text))
        assert policy.route(c, "m", date=day).blocked == (not allowed)
        assert policy.preview(c, date=day) == policy.preview(c, date=text)
    alerts = eligo.expiring(c, [policy], until=datetime.date(2027, 1, 31), from_=datetime.date(2026, 12, 1))
    assert [a["date"] for a in alerts] == ["2027-01-01"]
    with pytest.raises(TypeError, match="datetime.datetime"):
        policy.evaluate(t, datetime.datetime(2026, 12, 31, 23, 0))
    with pytest.raises(TypeError):
        policy.evaluate(t, 20261231)
    with pytest.raises(ValueError):
        policy.evaluate(t, "2026-13-01")


# -- Files -------------------------------------------------------------------


def test_missing_policy_file_is_a_file_not_found_error(tmp_path):
    path = tmp_path / "nope.pol"
    with pytest.raises(FileNotFoundError) as info:
        eligo.load(path)
    e = info.value
    assert isinstance(e, eligo.PolicyFileNotFoundError) and isinstance(e, eligo.PolicyError)
    assert isinstance(e, OSError) and e.errno == errno.ENOENT and str(e.filename) == str(path)
    assert e.diagnostics[0]["code"] == "io/not-found"
    # A file that exists but is not a policy is not a FileNotFoundError.
    bad = tmp_path / "bad.pol"
    bad.write_text("require ;")
    with pytest.raises(eligo.PolicySyntaxError) as info:
        eligo.load(bad)
    assert not isinstance(info.value, OSError)


# -- Lint against a catalog --------------------------------------------------


def test_lint_flags_attribute_names_close_to_the_ones_policies_read():
    c = eligo.Catalog.from_targets(
        [
            target("a", "m", gdrp=True, house_score=3),
            target("b", "m", gdrp=True, soc2=True),
            target("c", "m", hippa=True),
        ]
    )
    found = c.lint()
    assert [(d["code"], d["help"]) for d in found] == [
        ("lint/misspelled-attribute", "did you mean `gdpr`?"),
        ("lint/misspelled-attribute", "did you mean `hipaa`?"),
    ]
    assert "target `a/m` (and 1 more) declares `gdrp`" in found[0]["message"]
    # Through a policy: its own custom attributes count as known names.
    policy = eligo.compile("attribute house_scor: number; require gdpr")
    codes = [(d["code"], d.get("help")) for d in policy.lint(catalog=c)]
    assert ("lint/misspelled-attribute", "did you mean `house_scor`?") in codes
    assert ("lint/misspelled-attribute", "did you mean `gdpr`?") in codes
    assert any(code == "lint/metadata-gap" for code, _ in codes)
    assert all(d["code"] != "lint/misspelled-attribute" for d in policy.lint())


# -- LiteLLM deployments -----------------------------------------------------


MODEL_LIST = [
    {
        "model_name": "gpt-4o",
        "litellm_params": {"model": "azure/gpt-4o-eu", "api_base": "https://eu.example", "timeout": 30.5, "tags": ["eu"]},
        "model_info": {"id": "azure-eu", "data_policy": {"soc2": True, "zdr": True, "region": "eu"}},
    },
    {
        "model_name": "gpt-4o",
        "litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/OPENAI_API_KEY", "client": object()},
        "model_info": {"id": "openai-us", "mode": "chat"},
    },
    {
        "model_name": "team-a/llama",
        "litellm_params": {"model": "hosted_vllm/llama-3.3-70b", "api_base": "http://10.0.0.5:8000/v1"},
        "model_info": {"id": "onprem", "data_policy": {"soc2": True, "training_opt_out": True}},
    },
]


def test_catalog_from_a_litellm_model_list_reads_as_the_config_file(tmp_path):
    c = eligo.Catalog.from_litellm(MODEL_LIST)
    assert [(t.id, t.provider, t.model, t.endpoint) for t in c] == [
        ("azure-eu", "azure", "gpt-4o", "https://eu.example"),
        ("openai-us", "openai", "gpt-4o", None),
        ("onprem", "hosted_vllm", "team-a/llama", "http://10.0.0.5:8000/v1"),
    ]
    assert c["azure-eu"].attributes == {"soc2": True, "zero_data_retention": True, "region": "eu"}
    assert c["openai-us"].attributes == {}  # nothing declared: every attribute unknown
    assert c["onprem"].attributes == {"soc2": True, "trains_on_prompts": False}
    # The same deployments as a config file (without the client object).
    plain = [dict(d, litellm_params={k: v for k, v in d["litellm_params"].items() if k != "client"}) for d in MODEL_LIST]
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_list": plain, "router_settings": {"num_retries": 2}}))
    from_file = eligo.Catalog.from_file(path)
    assert [t.to_dict() for t in from_file] == [t.to_dict() for t in c]
    assert [t.to_dict() for t in eligo.Catalog.from_litellm({"model_list": plain})] == [t.to_dict() for t in c]
    # Routing on it: a model group with a `/` routes automatically.
    policy = eligo.compile("require soc2; require !trains_on_prompts")
    assert policy.route(c, "team-a/llama", pinned=False).targets == ["onprem"]
    assert policy.route(c, "gpt-4o").blocked  # azure-eu's training is unknown, openai-us declares nothing


def test_catalog_from_litellm_refuses_what_it_cannot_read():
    with pytest.raises(eligo.CatalogError, match="names no provider"):
        eligo.Catalog.from_litellm([{"model_name": "x", "litellm_params": {"model": "gpt-4o"}}])
    with pytest.raises(eligo.CatalogError, match="did you mean"):
        eligo.Catalog.from_litellm(
            [{"model_name": "x", "litellm_params": {"model": "openai/x"}, "model_info": {"data_polcy": {"soc2": True}}}]
        )
    with pytest.raises(eligo.CatalogError):
        eligo.Catalog.from_litellm([{"model_name": "openai/*", "litellm_params": {"model": "openai/*"}}])
    with pytest.raises(eligo.CatalogError, match="given twice|duplicate|already"):
        eligo.Catalog.from_litellm(
            [{"model_name": "x", "litellm_params": {"model": "openai/x"}}, {"model_name": "x", "litellm_params": {"model": "openai/x"}}]
        )
    # A value that is not data, in a field the reader reads, is refused: an
    # Enum provider is never replaced by the model's prefix, a UUID id never
    # by the provider model.
    import enum
    import uuid

    class Provider(enum.Enum):
        AZURE = "azure"

    for bad in (
        {"litellm_params": {"model": "openai/x", "custom_llm_provider": Provider.AZURE}},
        {"litellm_params": {"model": "openai/x"}, "model_info": {"id": uuid.uuid4()}},
        {"litellm_params": {"model": "openai/x"}, "model_info": {"data_policy": {"soc2": Provider.AZURE}}},
    ):
        with pytest.raises(eligo.CatalogError):
            eligo.Catalog.from_litellm([{"model_name": "x", **bad}])
    deep = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(eligo.CatalogError, match="nested"):
        eligo.Catalog.from_litellm([{"model_name": "x", "litellm_params": {"model": "openai/x", "deep": deep}}])


def test_integrations_plain_python_host_example_runs(root, capsys):
    text = (root / "docs" / "INTEGRATIONS.md").read_text(encoding="utf-8")
    section = text.split("\n## A plain Python host\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    namespace = {}
    exec(compile(block, "docs/INTEGRATIONS.md", "exec"), namespace)
    # The example's own asserts ran; its last event is a stored block.
    assert namespace["events"][-1]["request"]["id"] == "req-9"
    assert '"text": "require hipaa"' in capsys.readouterr().out


def test_raise_if_blocked(catalog):
    policy = eligo.load("policies/regulated-routing.pol")
    assert policy.route(catalog, "deepseek-v3.2").raise_if_blocked() is None
    d = policy.route(catalog, "deepseek/deepseek-v3.2", request_id="r-1")
    with pytest.raises(eligo.ComplianceBlocked) as info:
        d.raise_if_blocked()
    e = info.value
    assert not isinstance(e, eligo.PolicyError)  # a decision, not bad input
    assert (e.status, e.code, e.body) == (403, "no_compliant_provider", d.error_body)
    assert e.decision.request_id == "r-1" and e.event.to_dict() == d.event.to_dict()
    assert str(e) == d.message
