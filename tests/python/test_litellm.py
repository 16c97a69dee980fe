"""eligo.integrations.litellm with the real LiteLLM Router, against mock
OpenAI-compatible upstreams on loopback that record every request they
receive: what eligo refuses must reach no upstream at all.

Skipped when LiteLLM is not installed (``pip install 'eligo[litellm]'``).
"""

import asyncio
import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

# LiteLLM fetches its model cost map from the network at import unless told not to.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
if os.environ.get("ELIGO_REQUIRE_LITELLM") == "1":
    # CI installs LiteLLM: a missing one is a failure there, not a skip.
    import litellm
else:
    litellm = pytest.importorskip(
        "litellm",
        reason="LiteLLM is not installed; pip install 'eligo[litellm]' to test eligo.integrations.litellm",
    )

import eligo  # noqa: E402
from eligo.integrations.litellm import (  # noqa: E402
    REQUEST_ID_KEY,
    SCOPE_KEY,
    ComplianceBlocked,
    EventNotRecorded,
    Router,
    UnroutableRequest,
)

from litellm.router_api import ChangeSet  # noqa: E402
from litellm.types.router import Deployment, RouterRateLimitError  # noqa: E402

# LiteLLM's pydantic models warn about their own typing as they load.
pytestmark = pytest.mark.filterwarnings("ignore:.*ReadOnly.*:UserWarning")

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = [{"role": "user", "content": "hello"}]
# A request that says it carries no PHI (one that does not say is read most strictly).
PUBLIC = {"data_class": "public"}

# soc2 and no training on prompts; requests carrying PHI also need hipaa.
STRICT = eligo.compile(
    """
    policy "regulated";
    require soc2;
    require !trains_on_prompts;
    when request.data_class in ["phi"] { require hipaa; }
    """
)
WARN = eligo.compile('policy "rollout"; mode warn; require soc2;')
NO_TRAINING = eligo.compile('policy "no-training"; require !trains_on_prompts;')


# -- mock upstreams --------------------------------------------------------------


class Upstreams:
    """One loopback HTTP server standing in for every deployment: the first
    path segment names the deployment (``/eu-a/v1/chat/completions``).
    Records each request by that name; names in ``failing`` answer 500."""

    def __init__(self):
        self.received = {}
        self.failing = set()
        self.lock = threading.Lock()
        upstreams = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                body = json.loads(raw or b"{}")
                name = self.path.strip("/").split("/")[0]
                with upstreams.lock:
                    upstreams.received.setdefault(name, []).append({"path": self.path, "json": body})
                if name in upstreams.failing:
                    return self.answer(500, {"error": {"message": f"{name} failed", "type": "server_error"}})
                if self.path.endswith("/embeddings"):
                    data = [{"object": "embedding", "index": i, "embedding": [0.1, 0.2]} for i in range(1)]
                    usage = {"prompt_tokens": 1, "total_tokens": 1}
                    return self.answer(200, {"object": "list", "data": data, "model": body.get("model"), "usage": usage})
                if body.get("stream"):
                    return self.stream(name, body)
                message = {"role": "assistant", "content": f"Hello from {name}"}
                return self.answer(
                    200,
                    {
                        "id": f"chatcmpl-{name}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model", "m"),
                        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4},
                    },
                )

            def answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def stream(self, name, body):
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                for piece in ["Hello ", "from ", name]:
                    chunk = {
                        "id": "c1",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": body.get("model", "m"),
                        "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                    }
                    self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                done = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m",
                        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                self.wfile.write(b"data: " + json.dumps(done).encode() + b"\n\ndata: [DONE]\n\n")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def hits(self, name):
        with self.lock:
            return len(self.received.get(name, []))

    def names(self):
        with self.lock:
            return {name for name, requests in self.received.items() if requests}

    def reset(self):
        with self.lock:
            self.received.clear()
        self.failing.clear()


@pytest.fixture(scope="module")
def upstreams():
    u = Upstreams()
    yield u
    u.server.shutdown()


@pytest.fixture(scope="module", autouse=True)
def loop():
    yield LOOP

    async def cancel_the_rest():  # LiteLLM's logging worker
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    LOOP.run_until_complete(cancel_the_rest())
    LOOP.close()


@pytest.fixture(autouse=True)
def fresh(upstreams):
    upstreams.reset()
    yield


def deployment(base, id, group, model="openai/gpt-4o-mini", **data_policy):
    return {
        "model_name": group,
        "litellm_params": {"model": model, "api_key": "sk-test", "api_base": f"{base}/{id}/v1"},
        "model_info": {"id": id, "data_policy": data_policy},
    }


def model_list(base):
    """gpt-eu: eu-a (hipaa) and eu-b compliant, eu-x not; gpt-us: us-a
    compliant; gpt-cn and gpt-cn2: nothing compliant."""
    return [
        deployment(base, "eu-a", "gpt-eu", soc2=True, training_opt_out=True, hipaa=True, region="eu"),
        deployment(base, "eu-b", "gpt-eu", soc2=True, training_opt_out=True, region="eu"),
        deployment(base, "eu-x", "gpt-eu", soc2=False, training_opt_out=True, region="eu"),
        deployment(base, "us-a", "gpt-us", model="openai/gpt-4.1", soc2=True, training_opt_out=True, hipaa=True),
        deployment(base, "cn-x", "gpt-cn", soc2=True, training_opt_out=False),
        deployment(base, "cn2-x", "gpt-cn2", soc2=False, training_opt_out=True),
    ]


@pytest.fixture
def governed(upstreams):
    """Builds governed routers over the mock upstreams, closed after the test;
    each collects its events in ``router.events``."""
    made = []

    def make(policy=STRICT, models=None, **kwargs):
        events = []
        router = Router(
            model_list(upstreams.base) if models is None else models,
            policy=policy,
            on_event=kwargs.pop("on_event", events.append),
            **kwargs,
        )
        router.events = events
        made.append(router)
        return router

    yield make
    for router in made:
        router.close()


def served(reply):
    return reply._hidden_params["model_id"]


# One event loop for every async call of the module: LiteLLM keeps a logging
# task on the loop it first ran on.
LOOP = asyncio.new_event_loop()


def run(coroutine):
    return LOOP.run_until_complete(coroutine)


# -- automatic routing -------------------------------------------------------------


def test_group_routes_only_to_compliant_deployments(governed, upstreams):
    router = governed()

    async def many():
        return [served(await router.acompletion("gpt-eu", MESSAGES, eligo_request=PUBLIC)) for _ in range(12)]

    assert set(run(many())) == {"eu-a", "eu-b"}
    assert upstreams.hits("eu-x") == 0
    assert upstreams.names() <= {"eu-a", "eu-b"}
    assert router.events == []  # block mode with compliant targets left: routine filtering


def test_failing_compliant_deployment_falls_back_to_the_other_compliant_one(governed, upstreams):
    # eu-a cools down on its first failure, so a retry cannot pick it again
    # (a random pick between two would, now and then, four times running).
    router = governed(num_retries=3, retry_after=0, allowed_fails=0, cooldown_time=60)
    upstreams.failing.add("eu-a")
    for _ in range(4):
        assert served(run(router.acompletion("gpt-eu", MESSAGES, eligo_request=PUBLIC))) == "eu-b"
    assert upstreams.hits("eu-x") == 0
    assert upstreams.names() <= {"eu-a", "eu-b"}


def test_no_compliant_healthy_deployment_falls_back_to_a_compliant_group(governed, upstreams):
    # PHI: only eu-a qualifies in gpt-eu; it fails, so the fallback group serves.
    router = governed(num_retries=1, retry_after=0, fallbacks=[{"gpt-eu": ["gpt-us"]}])
    upstreams.failing.add("eu-a")
    reply = run(router.acompletion("gpt-eu", MESSAGES, eligo_request={"data_class": "phi"}))
    assert served(reply) == "us-a"
    assert upstreams.names() == {"eu-a", "us-a"}


def test_compliant_deployments_cooling_down_is_a_429_not_a_block(governed, upstreams):
    router = governed(num_retries=0, allowed_fails=0, cooldown_time=60)
    upstreams.failing.add("eu-a")
    phi = {"data_class": "phi"}
    with pytest.raises(Exception):  # noqa: B017 - eu-a fails and cools down
        run(router.acompletion("gpt-eu", MESSAGES, eligo_request=phi))
    assert upstreams.names() == {"eu-a"}
    upstreams.reset()
    # Only eu-a may serve PHI, and it cools down: LiteLLM's 429, not a block.
    with pytest.raises(RouterRateLimitError):
        run(router.acompletion("gpt-eu", MESSAGES, eligo_request=phi))
    assert upstreams.names() == set()
    assert router.events == []


def test_request_attributes_phi_only_hipaa_deployments(governed, upstreams):
    router = governed()

    async def many(attributes):
        return {served(await router.acompletion("gpt-eu", MESSAGES, eligo_request=attributes)) for _ in range(10)}

    assert run(many({"data_class": "phi"})) == {"eu-a"}
    assert upstreams.names() == {"eu-a"}
    upstreams.reset()
    assert run(many(PUBLIC)) == {"eu-a", "eu-b"}
    # Not saying is read most strictly: the PHI block applies.
    upstreams.reset()
    assert run(many(None)) == {"eu-a"}
    assert upstreams.hits("eu-x") == 0


def test_request_attributes_through_metadata_and_unknown_ones_refused(governed, upstreams):
    router = governed()
    direct = run(router.router.acompletion(model="gpt-eu", messages=MESSAGES, metadata={"eligo_request": {"data_class": "phi"}}))
    assert served(direct) == "eu-a"
    with pytest.raises(UnroutableRequest) as caught:
        run(router.acompletion("gpt-eu", MESSAGES, eligo_request={"data_clas": "phi"}))
    assert caught.value.code == "request/unknown-attribute"
    assert caught.value.status_code == 400
    assert isinstance(caught.value.error, eligo.RequestError)
    assert upstreams.names() == {"eu-a"}


# -- pinned requests ----------------------------------------------------------------


def test_pinned_non_compliant_deployment_is_blocked(governed, upstreams):
    router = governed()
    with pytest.raises(ComplianceBlocked) as caught:
        run(router.acompletion("eu-x", MESSAGES, metadata={REQUEST_ID_KEY: "req-7"}))
    error = caught.value
    assert error.status_code == 403 and error.num_retries == 0
    assert isinstance(error, litellm.PermissionDeniedError)
    # One class for a host to catch, with or without LiteLLM.
    assert isinstance(error, eligo.ComplianceBlocked)
    assert error.code == "no_compliant_provider"
    assert error.body == error.decision.error_body
    assert error.body["error"]["code"] == "no_compliant_provider"
    assert error.body["error"]["type"] == "permission_denied"
    assert "eu-x" in error.body["error"]["message"]
    assert error.decision.blocked and error.decision.pinned == "eu-x"
    assert isinstance(error.event, eligo.SecurityEvent)
    assert error.event.action == "block" and error.event.request.id == "req-7"
    assert error.event.request.pinned == "eu-x"
    assert [e.to_dict() for e in router.events] == [error.event.to_dict()]
    assert upstreams.names() == set()


def test_pinned_compliant_deployment_is_served(governed, upstreams):
    router = governed()
    assert served(run(router.acompletion("eu-b", MESSAGES, eligo_request=PUBLIC))) == "eu-b"
    assert upstreams.names() == {"eu-b"}
    assert router.events == []


def test_fallbacks_never_reroute_a_blocked_pinned_request(governed, upstreams):
    router = governed(
        num_retries=2,
        fallbacks=[{"gpt-eu": ["gpt-us"]}, {"eu-x": ["gpt-us"]}],
        default_fallbacks=["gpt-us"],
    )
    for pinned in ["eu-x", "cn-x"]:
        with pytest.raises(ComplianceBlocked):
            run(router.acompletion(pinned, MESSAGES))
    with pytest.raises(ComplianceBlocked):
        router.completion("eu-x", MESSAGES)
    assert upstreams.names() == set()
    assert len(router.events) == 3


def test_failing_pinned_deployment_is_not_rerouted(governed, upstreams):
    router = governed(num_retries=0, default_fallbacks=["gpt-us"])
    upstreams.failing.add("eu-b")
    with pytest.raises(litellm.InternalServerError):
        run(router.acompletion("eu-b", MESSAGES, eligo_request=PUBLIC))
    assert upstreams.names() == {"eu-b"}


def test_blocked_group_falls_back_only_to_a_compliant_group(governed, upstreams):
    router = governed(num_retries=2, fallbacks=[{"gpt-cn": ["gpt-cn2", "gpt-us"]}])
    reply = run(router.acompletion("gpt-cn", MESSAGES, metadata={REQUEST_ID_KEY: "req-fb"}))
    assert served(reply) == "us-a"
    assert upstreams.names() == {"us-a"}
    # gpt-cn and gpt-cn2 were both blocked: one event, the first block.
    assert len(router.events) == 1
    event = router.events[0]
    assert event.action == "block" and event.request.model == "gpt-cn" and event.request.id == "req-fb"


def test_blocked_group_with_a_blocked_fallback_is_blocked(governed, upstreams):
    router = governed(num_retries=2, fallbacks=[{"gpt-cn": ["gpt-cn2"]}])
    with pytest.raises(ComplianceBlocked) as caught:
        run(router.acompletion("gpt-cn", MESSAGES))
    assert caught.value.status_code == 403
    assert upstreams.names() == set()
    assert len(router.events) == 1


def test_own_plugins_and_fallback_check_run_alongside_eligo(governed, upstreams):
    checked, ran = [], []

    async def no_fallback_to_us(*, model, request_kwargs, ctx):
        checked.append(model)
        return model != "gpt-us"

    class Plugin:
        async def run(self, context):
            ran.append(list(context.candidate_models))
            return context

    router = governed(
        fallbacks=[{"gpt-cn": ["gpt-us"]}, {"eu-x": ["gpt-us"]}],
        fallback_access_check=no_fallback_to_us,
        plugins=[Plugin()],
    )
    with pytest.raises(ComplianceBlocked):  # eligo allows the fallback, the host's check does not
        run(router.acompletion("gpt-cn", MESSAGES))
    assert checked == ["gpt-us"] and ran
    with pytest.raises(ComplianceBlocked):  # pinned: eligo refuses before the host's check
        run(router.acompletion("eu-x", MESSAGES))
    assert checked == ["gpt-us"]
    assert upstreams.names() == set()


def test_provider_model_of_one_deployment_is_pinned_shared_one_refused(governed, upstreams):
    router = governed(default_fallbacks=["gpt-eu"])
    assert served(run(router.acompletion("openai/gpt-4.1", MESSAGES))) == "us-a"
    router.set_policy(eligo.compile("require region in [\"eu\"];"))
    with pytest.raises(ComplianceBlocked) as caught:
        run(router.acompletion("openai/gpt-4.1", MESSAGES))
    assert caught.value.decision.pinned == "us-a"
    with pytest.raises(UnroutableRequest) as shared:
        run(router.acompletion("openai/gpt-4o-mini", MESSAGES))
    assert shared.value.code == "litellm/shared-model" and shared.value.status_code == 400
    assert upstreams.names() == {"us-a"}
    assert upstreams.hits("us-a") == 1


# -- the sync path --------------------------------------------------------------------


def test_sync_completion_goes_through_eligo(governed, upstreams):
    router = governed()
    assert {served(router.completion("gpt-eu", MESSAGES, eligo_request={"data_class": "phi"})) for _ in range(5)} == {
        "eu-a"
    }
    with pytest.raises(ComplianceBlocked):
        router.completion("eu-x", MESSAGES)
    chunks = list(router.completion("eu-b", MESSAGES, stream=True, eligo_request=PUBLIC))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello from eu-b"
    assert upstreams.names() == {"eu-a", "eu-b"}


def test_direct_sync_router_completion_fails_closed(governed, upstreams):
    router = governed()
    for model in ["gpt-eu", "eu-x", "eu-a"]:
        with pytest.raises(ValueError, match="plugins"):
            router.router.completion(model=model, messages=MESSAGES)
    assert upstreams.names() == set()


def test_direct_async_router_calls_are_governed(governed, upstreams):
    router = governed()
    with pytest.raises(ComplianceBlocked):
        run(router.router.acompletion(model="eu-x", messages=MESSAGES))
    for _ in range(6):
        run(router.router.acompletion(model="gpt-eu", messages=MESSAGES, metadata={"eligo_request": PUBLIC}))
    assert upstreams.hits("eu-x") == 0
    assert len(router.events) == 1 and router.events[0].request.id  # LiteLLM's trace id


def test_embeddings(governed, upstreams):
    router = governed()
    assert served(router.embedding("gpt-eu", ["hi"], eligo_request={"data_class": "phi"})) == "eu-a"
    with pytest.raises(ComplianceBlocked):
        run(router.aembedding("eu-x", ["hi"]))
    assert upstreams.names() == {"eu-a"}


# -- events ----------------------------------------------------------------------------


def test_retries_give_one_event_with_the_request_id(governed, upstreams):
    router = governed(policy=WARN, num_retries=2, retry_after=0)
    upstreams.failing.update({"cn2-x"})
    with pytest.raises(litellm.InternalServerError):
        run(router.acompletion("gpt-cn2", MESSAGES, metadata={REQUEST_ID_KEY: "req-retry"}))
    assert upstreams.hits("cn2-x") == 3  # the first attempt and two retries
    assert len(router.events) == 1
    assert router.events[0].action == "warn" and router.events[0].request.id == "req-retry"


def test_warn_mode_passes_with_one_event(governed, upstreams):
    router = governed(policy=WARN)
    assert served(run(router.acompletion("eu-x", MESSAGES))) == "eu-x"
    (event,) = router.events
    assert event.action == "warn" and event.status == 200 and event.request.pinned == "eu-x"
    assert event.request.id  # the facade's own id
    router.events.clear()
    # A group keeping a non-compliant deployment: passed through, reported once.
    replies = {served(run(router.acompletion("gpt-eu", MESSAGES))) for _ in range(12)}
    assert replies <= {"eu-a", "eu-b", "eu-x"}
    assert len(router.events) == 12 and len({e.request.id for e in router.events}) == 12


def test_concurrent_requests_each_get_their_own_event(governed, upstreams):
    router = governed(policy=WARN, num_retries=1, retry_after=0)

    async def many():
        ids = [f"req-{i}" for i in range(16)]
        calls = [router.acompletion("eu-x", MESSAGES, metadata={REQUEST_ID_KEY: i}) for i in ids]
        return ids, await asyncio.gather(*calls)

    ids, replies = run(many())
    assert {served(r) for r in replies} == {"eu-x"}
    assert sorted(e.request.id for e in router.events) == sorted(ids)


def test_sync_calls_from_many_threads(governed, upstreams):
    from concurrent.futures import ThreadPoolExecutor

    router = governed()
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: router.completion("gpt-eu", MESSAGES, eligo_request=PUBLIC), range(24)))
        blocked = list(pool.map(lambda _: pytest.raises(ComplianceBlocked, router.completion, "eu-x", MESSAGES), range(8)))
    assert {served(r) for r in replies} <= {"eu-a", "eu-b"} and len(blocked) == 8
    assert upstreams.hits("eu-x") == 0 and len(router.events) == 8


def test_default_on_event_logs_json_at_warning(governed, upstreams, caplog):
    router = governed(on_event=None)
    with caplog.at_level("WARNING", logger="eligo.litellm"):
        with pytest.raises(ComplianceBlocked):
            router.completion("eu-x", MESSAGES, metadata={REQUEST_ID_KEY: "req-log"})
    (record,) = [r for r in caplog.records if r.name == "eligo.litellm"]
    assert record.levelname == "WARNING"
    logged = json.loads(record.getMessage())
    assert logged["schema"] == "eligo.security_event/2" and logged["request"]["id"] == "req-log"


def test_an_event_that_cannot_be_recorded_refuses_a_warned_request(governed, upstreams):
    def broken(event):
        raise OSError("disk full")

    router = governed(policy=WARN, on_event=broken, default_fallbacks=["gpt-us"])
    with pytest.raises(EventNotRecorded) as caught:
        run(router.acompletion("gpt-cn2", MESSAGES))
    assert caught.value.status_code == 500 and isinstance(caught.value.__cause__, OSError)
    with pytest.raises(ComplianceBlocked):  # a block stays a block
        run(governed(on_event=broken).acompletion("eu-x", MESSAGES))
    assert upstreams.names() == set()


# -- following changes ------------------------------------------------------------------


def test_a_changed_policy_takes_effect_on_the_next_request(governed, upstreams):
    router = governed(policy=NO_TRAINING)
    assert served(run(router.acompletion("eu-x", MESSAGES))) == "eu-x"
    router.set_policy(STRICT)
    with pytest.raises(ComplianceBlocked):
        run(router.acompletion("eu-x", MESSAGES))
    # Layers: both must pass.
    router.set_policy([NO_TRAINING, eligo.compile('require region in ["eu"];')])
    assert router.policies[1].canonical_text
    with pytest.raises(ComplianceBlocked) as caught:
        run(router.acompletion("us-a", MESSAGES))
    assert len(caught.value.event.policies) == 2
    with pytest.raises(TypeError):
        router.set_policy("require soc2;")
    assert upstreams.names() == {"eu-x"}


def test_add_upsert_delete_deployment_are_followed(governed, upstreams):
    router = governed()
    base = upstreams.base
    router.add_deployment(deployment(base, "eu-new", "gpt-eu", soc2=True, training_opt_out=True))
    assert "eu-new" in router.catalog
    assert served(run(router.acompletion("eu-new", MESSAGES, eligo_request=PUBLIC))) == "eu-new"
    router.upsert_deployment(deployment(base, "eu-new", "gpt-eu", soc2=False, training_opt_out=True))
    assert router.catalog["eu-new"].attributes["soc2"] is False
    with pytest.raises(ComplianceBlocked):
        run(router.acompletion("eu-new", MESSAGES, eligo_request=PUBLIC))
    # A new group of one non-compliant deployment is blocked, not ungoverned.
    router.add_deployment(deployment(base, "new-x", "gpt-new", training_opt_out=False))
    with pytest.raises(ComplianceBlocked):
        run(router.acompletion("gpt-new", MESSAGES))
    router.delete_deployment("eu-new")
    assert "eu-new" not in router.catalog
    with pytest.raises(litellm.BadRequestError):
        run(router.acompletion("eu-new", MESSAGES, eligo_request=PUBLIC))
    # A deployment that does not read as a catalog target changes nothing.
    with pytest.raises(eligo.CatalogError):
        router.add_deployment(deployment(base, "bad", "gpt-eu", soc2="yes"))
    assert "bad" not in router.catalog and not router.router.registry().has_deployment("bad")
    assert upstreams.names() == {"eu-new"}
    assert upstreams.hits("eu-new") == 1


def test_changes_made_on_the_litellm_router_directly_are_governed(governed, upstreams):
    router = governed()
    changed = deployment(upstreams.base, "eu-b", "gpt-eu", soc2=False, training_opt_out=True)
    router.router.add_deployment(Deployment(**changed))  # a no-op: the id is taken
    router.router.apply(ChangeSet(upsert=[Deployment(**changed)]))  # no scope marker: behind the facade's back
    # The request that finds the change is refused (LiteLLM may have resolved
    # it against the unmarked deployment); the next ones are decided.
    with pytest.raises(UnroutableRequest) as caught:
        run(router.acompletion("eu-b", MESSAGES, eligo_request=PUBLIC))
    assert caught.value.code == "litellm/deployments-changed"
    assert router.catalog["eu-b"].attributes["soc2"] is False
    with pytest.raises(ComplianceBlocked):
        run(router.acompletion("eu-b", MESSAGES, eligo_request=PUBLIC))
    assert {served(run(router.acompletion("gpt-eu", MESSAGES, eligo_request=PUBLIC))) for _ in range(6)} == {"eu-a"}
    assert upstreams.names() == {"eu-a"}


# -- scope and lifetime -------------------------------------------------------------------


def test_scope_is_this_router_only_and_close_removes_the_callback(governed, upstreams):
    router = governed()
    plain = litellm.Router(model_list=model_list(upstreams.base))
    assert served(run(plain.acompletion(model="eu-x", messages=MESSAGES))) == "eu-x"
    assert all(SCOPE_KEY not in d["model_info"] for d in plain.registry().all())
    other = governed(policy=NO_TRAINING)
    assert served(run(other.acompletion("eu-x", MESSAGES))) == "eu-x"
    with pytest.raises(ComplianceBlocked):
        run(router.acompletion("eu-x", MESSAGES))
    guard = router._guard
    assert any(cb is guard for cb in litellm.callbacks)
    with router:
        pass
    assert not any(cb is guard for cb in litellm.callbacks)
    with pytest.raises(RuntimeError):
        router.completion("gpt-eu", MESSAGES)
    with pytest.raises(Exception):
        run(router.router.acompletion(model="gpt-eu", messages=MESSAGES))
    assert upstreams.names() == {"eu-x"}


def test_a_lost_callback_is_put_back(governed, upstreams):
    router = governed()
    litellm.logging_callback_manager.remove_callback_from_all_lists(router._guard)
    with pytest.raises(ComplianceBlocked):
        run(router.router.acompletion(model="eu-x", messages=MESSAGES))
    assert upstreams.names() == set()


def test_invalid_catalog_and_policy_are_refused(upstreams):
    bad = model_list(upstreams.base) + [deployment(upstreams.base, "w", "claude-*", model="anthropic/claude-x")]
    with pytest.raises(eligo.CatalogError):
        Router(bad, policy=STRICT)
    with pytest.raises(TypeError):
        Router(model_list(upstreams.base), policy="require soc2;")
    with pytest.raises(ValueError):
        Router(model_list(upstreams.base), policy=[])


# -- the documented example ---------------------------------------------------------------


def test_integrations_doc_example_runs(upstreams, monkeypatch):
    text = (ROOT / "docs" / "INTEGRATIONS.md").read_text(encoding="utf-8")
    section = text.split("\n## LiteLLM\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, "the LiteLLM section has a Python example"
    monkeypatch.setenv("EU_API_BASE", f"{upstreams.base}/eu-doc/v1")
    monkeypatch.setenv("US_API_BASE", f"{upstreams.base}/us-doc/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    namespace = {}
    for block in blocks:
        exec(compile(block, "docs/INTEGRATIONS.md", "exec"), namespace)
    assert upstreams.names() <= {"eu-doc", "us-doc"} and upstreams.names()


# -- crossed with the rest of eligo ------------------------------------------------


def test_layers_expiring_evidence_and_a_wildcard_group(governed, upstreams):
    # eu-a's SOC 2 evidence expired yesterday (UTC); eu-b's holds for years;
    # the wildcard deployment serves every model name and declares nothing.
    import datetime

    yesterday = (datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)).isoformat()
    models = [
        deployment(upstreams.base, "eu-a", "gpt-eu", soc2={"value": True, "expires": yesterday}, training_opt_out=True),
        deployment(upstreams.base, "eu-b", "gpt-eu", soc2={"value": True, "expires": "2099-12-31"}, training_opt_out=True),
        deployment(upstreams.base, "any-x", "*", model="openai/*"),
    ]
    baseline = eligo.compile('policy "org"; require soc2;')
    project = eligo.compile('policy "proj"; mode warn; require gdpr;')
    router = governed(policy=[baseline, project], models=models)

    async def many(model):
        return {served(await router.acompletion(model, MESSAGES)) for _ in range(8)}

    # Expired evidence is unknown: only eu-b, and the warn layer removes nothing
    # but records that it would have (one event a request).
    assert run(many("gpt-eu")) == {"eu-b"}
    assert upstreams.names() == {"eu-b"}
    assert len(router.events) == 8 and {e.action for e in router.events} == {"warn"}
    assert [p.name for p in router.events[0].policies] == ["org", "proj"]
    # The wildcard deployment declares nothing: a model only it serves is blocked
    # by the baseline, before any upstream is contacted.
    upstreams.reset()
    with pytest.raises(ComplianceBlocked) as caught:
        run(router.acompletion("gpt-anything", MESSAGES))
    assert caught.value.event.request.model == "gpt-anything"
    assert upstreams.names() == set()
    # Declared, it is judged as serving the model asked for.
    router.upsert_deployment(
        deployment(upstreams.base, "any-x", "*", model="openai/*", soc2=True, gdpr=True, training_opt_out=True)
    )
    assert run(many("gpt-anything")) == {"any-x"}


# -- found in review: each was a way around eligo before its fix --------------------


def test_several_deployments_changed_directly_at_once_are_all_governed(governed, upstreams):
    router = governed()
    bad = [
        deployment(upstreams.base, "bad-1", "gpt-bad", soc2=False, training_opt_out=False),
        deployment(upstreams.base, "bad-2", "gpt-bad", soc2=False, training_opt_out=False),
    ]
    router.router.apply(ChangeSet(upsert=[Deployment(**d) for d in bad]))
    with pytest.raises(UnroutableRequest):  # the request that found them unmarked
        run(router.acompletion("gpt-bad", MESSAGES))
    assert all(d["model_info"].get(SCOPE_KEY) for d in router.router.registry().all())
    for model in ["gpt-bad", "gpt-bad", "bad-2"]:
        with pytest.raises(ComplianceBlocked):
            run(router.acompletion(model, MESSAGES))
    # A config reload on the litellm Router re-marks every deployment too.
    router.router.set_model_list(model_list(upstreams.base))
    with pytest.raises(UnroutableRequest):
        run(router.acompletion("gpt-cn2", MESSAGES, eligo_request=PUBLIC))
    for model in ["gpt-cn2", "cn2-x", "cn-x"]:
        with pytest.raises(ComplianceBlocked):
            run(router.acompletion(model, MESSAGES, eligo_request=PUBLIC))
    assert upstreams.names() == set()


def test_a_wildcard_deployment_reached_by_a_fallback_is_judged_for_that_group(governed, upstreams):
    policy = eligo.compile('policy "p"; require soc2; deny model ["gpt-5"];')
    models = [
        deployment(upstreams.base, "any-x", "*", model="openai/*", soc2=True),
        deployment(upstreams.base, "eu-a", "gpt-eu", soc2=True),
    ]
    router = governed(policy=policy, models=models, num_retries=0, fallbacks=[{"gpt-eu": ["gpt-5"]}])
    with pytest.raises(ComplianceBlocked):
        run(router.acompletion("gpt-5", MESSAGES))
    upstreams.failing.add("eu-a")
    with pytest.raises(Exception):
        run(router.acompletion("gpt-eu", MESSAGES))
    assert upstreams.hits("any-x") == 0


def test_a_reused_metadata_dict_never_carries_an_allow_to_another_request(governed, upstreams):
    router = governed()
    # A caller keeping one metadata dict (and its id) for a session.
    for ids in ({"metadata": {REQUEST_ID_KEY: "session-42"}}, {"metadata": {}, "litellm_trace_id": "t-1"}):
        upstreams.reset()
        metadata = ids["metadata"]
        metadata["eligo_request"] = PUBLIC
        extra = {k: v for k, v in ids.items() if k != "metadata"}
        first = run(router.router.acompletion(model="eu-b", messages=MESSAGES, metadata=metadata, **extra))
        assert served(first) == "eu-b"
        metadata["eligo_request"] = {"data_class": "phi"}  # the same dict, now a PHI request
        with pytest.raises(ComplianceBlocked):
            run(router.router.acompletion(model="eu-b", messages=MESSAGES, metadata=metadata, **extra))
        assert upstreams.hits("eu-b") == 1
    assert [e.action for e in router.events] == ["block", "block"]
