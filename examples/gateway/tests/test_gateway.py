"""The gateway end to end: mock upstreams on loopback, driven by the openai SDK.

Every test starts three mock providers (``cloud``, ``primary``, ``secondary``)
and a gateway on ephemeral loopback ports, in the test's own event loop. The
catalog serves ``m-chat`` from all three, ``cloud`` first; ``cloud`` trains on
prompts and keeps them, so the strict policy removes it. ``m-open`` is served
by ``cloud`` alone.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import os
import socket
import sys
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Optional

import aiohttp
import eligo
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam
import eligo_gateway
from eligo_gateway import Gateway, main
from mock_upstream import MockUpstream, start

GATEWAY_DIR = Path(__file__).resolve().parent.parent

STRICT = """policy "strict";
version "1";
require !trains_on_prompts;
require zero_data_retention;
"""

# Every target declares `logs_prompts: false`, so this policy passes them all.
OPEN = """policy "open";
version "1";
require !logs_prompts;
"""

WARN = """policy "strict-warn";
version "1";
mode warn;
require !trains_on_prompts;
require zero_data_retention;
"""

BROKEN = """policy "broken";
require soc3;
"""

COMPLIANT = {"trains_on_prompts": False, "zero_data_retention": True, "logs_prompts": False}
NON_COMPLIANT = {"trains_on_prompts": True, "zero_data_retention": False, "logs_prompts": False}
TARGETS = [  # provider, model, attributes; in catalog order
    ("cloud", "m-chat", NON_COMPLIANT),
    ("primary", "m-chat", COMPLIANT),
    ("secondary", "m-chat", COMPLIANT),
    ("cloud", "m-open", NON_COMPLIANT),
]
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello"}]


def async_test(fn: Callable[..., Any]) -> Callable[..., None]:
    """Runs an async test in a fresh event loop, with a time limit."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(fn(*args, **kwargs), timeout=30))

    return run


class Harness:
    """A running gateway, its mock upstreams, files and an SDK client."""

    def __init__(self, tmp_path: Path, gateway: Gateway, url: str, upstreams: dict[str, MockUpstream]) -> None:
        self.tmp_path = tmp_path
        self.gateway = gateway
        self.up = upstreams
        self.url = url
        self.client = openai.AsyncOpenAI(base_url=url + "/v1", api_key="client-secret", max_retries=0, timeout=10)
        self._clients: list[openai.AsyncOpenAI] = []

    def client_for(self, api_key: str) -> openai.AsyncOpenAI:
        """An SDK client sending ``api_key``, closed with the harness."""
        client = openai.AsyncOpenAI(base_url=self.url + "/v1", api_key=api_key, max_retries=0, timeout=10)
        self._clients.append(client)
        return client

    def events(self, action: Optional[str] = None) -> list[dict[str, Any]]:
        """Every event in the JSON-lines file (each line must be one JSON object)."""
        lines = self.gateway.events_path.read_text(encoding="utf-8").splitlines()
        events = [json.loads(line) for line in lines]
        return [e for e in events if action is None or e["action"] == action]

    def received(self) -> dict[str, int]:
        """How many requests each upstream received."""
        return {name: len(u.received) for name, u in self.up.items()}

    async def swap(self, text: str, expect: str = "policy_loaded") -> dict[str, Any]:
        """Replaces the policy file atomically and waits for the gateway's event."""
        seen = len(self.events())
        tmp = self.gateway.policy_path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.gateway.policy_path)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            new = [e for e in self.events()[seen:] if e["action"] in ("policy_loaded", "policy_rejected")]
            if new:
                assert new[0]["action"] == expect, new[0]
                return new[0]
            await asyncio.sleep(0.01)
        raise AssertionError("the gateway did not react to the new policy file")

    async def content(self, model: str) -> tuple[Optional[str], Any]:
        """Sends a chat request; the answer's text and the response headers."""
        raw = await self.client.chat.completions.with_raw_response.create(model=model, messages=MESSAGES)
        return raw.parse().choices[0].message.content, raw.headers


@asynccontextmanager
async def running(
    tmp_path: Path,
    policy: str,
    down: tuple[str, ...] = (),
    targets: list[tuple[str, str, Any]] = TARGETS,
    keys: Optional[dict[str, Any]] = None,
    classifier: Optional[eligo_gateway.Classifier] = None,
) -> AsyncIterator[Harness]:
    """Starts the mocks and a gateway over ``targets``; ``down`` upstreams refuse connections.

    ``keys`` is written as the gateway's keys file; ``classifier`` is its classifier.
    """
    tmp_path.mkdir(parents=True, exist_ok=True)
    upstreams = {name: MockUpstream(name) for name in ("cloud", "primary", "secondary")}
    runners, urls = [], {}
    refusing = []
    for name, mock in upstreams.items():
        if name in down:  # a bound socket that does not listen: connections are refused
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            refusing.append(sock)
            urls[name] = "http://127.0.0.1:%d" % sock.getsockname()[1]
        else:
            runner, urls[name] = await start(mock.app())
            runners.append(runner)
    catalog = [
        {"provider": p, "model": m, "endpoint": urls[p] + "/v1", "attributes": attrs} for p, m, attrs in targets
    ]
    (tmp_path / "catalog.json").write_text(json.dumps({"targets": catalog}), encoding="utf-8")
    (tmp_path / "policy.pol").write_text(policy, encoding="utf-8")
    if keys is not None:
        (tmp_path / "keys.json").write_text(json.dumps(keys), encoding="utf-8")
    gateway = Gateway(
        tmp_path / "policy.pol",
        tmp_path / "catalog.json",
        tmp_path / "events.jsonl",
        reload_interval=0.02,
        keys_path=tmp_path / "keys.json" if keys is not None else None,
        classifier=classifier,
    )
    runner, url = await start(gateway.app())
    runners.append(runner)
    harness = Harness(tmp_path, gateway, url, upstreams)
    try:
        yield harness
    finally:
        await harness.client.close()
        for c in harness._clients:
            await c.close()
        for r in reversed(runners):
            await r.cleanup()
        for sock in refusing:
            sock.close()


def route(policy_text: str, tmp_path: Path, model: str) -> eligo.Decision:
    """What eligo itself decides for ``model`` under ``policy_text`` and the test catalog."""
    catalog = eligo.Catalog.from_file(tmp_path / "catalog.json")
    return eligo.compile(policy_text).route(catalog, model)


def error_message(e: openai.APIStatusError) -> str:
    """The ``error.message`` of an error answer, exactly as the gateway wrote it."""
    message: str = e.response.json()["error"]["message"]
    return message


def without_id(request: dict[str, Any]) -> dict[str, Any]:
    """An event's `request` without its id, which the gateway makes anew
    for each request (checked to be one)."""
    rest = dict(request)
    rid = rest.pop("id")
    assert isinstance(rid, str) and rid, request
    return rest


def fingerprint(policy_text: str) -> str:
    return eligo.compile(policy_text).fingerprint


@async_test
async def test_compliant_request_goes_to_the_first_compliant_upstream(tmp_path: Path) -> None:
    async with running(tmp_path, STRICT) as h:
        text, headers = await h.content("m-chat")
        assert text == "Hello from primary"
        assert headers["x-eligo-target"] == "primary/m-chat"
        assert headers["x-eligo-policy"] == fingerprint(STRICT)
        assert h.received() == {"cloud": 0, "primary": 1, "secondary": 0}
        got = h.up["primary"].received[0]
        assert (got["method"], got["path"]) == ("POST", "/v1/chat/completions")
        assert got["json"] == {"model": "m-chat", "messages": MESSAGES}
        assert "client-secret" not in json.dumps(got["headers"])  # the client's key stays at the gateway

        # Pinned to a compliant target: the upstream sees its own model name.
        text, _ = await h.content("secondary/m-chat")
        assert text == "Hello from secondary"
        assert h.up["secondary"].received[0]["json"]["model"] == "m-chat"
        assert h.received() == {"cloud": 0, "primary": 1, "secondary": 1}
        # Routing inside the compliant pool is no security event.
        assert [e["action"] for e in h.events()] == ["policy_loaded"]


@async_test
async def test_blocked_request_is_refused_before_any_upstream_is_contacted(tmp_path: Path) -> None:
    async with running(tmp_path, STRICT) as h:
        with pytest.raises(openai.PermissionDeniedError) as info:
            await h.client.chat.completions.create(model="m-open", messages=MESSAGES)
        e = info.value
        assert e.status_code == 403 and e.code == "no_compliant_provider"
        assert e.response.json() == route(STRICT, tmp_path, "m-open").error_body
        assert "blocked by the provider compliance policy `strict`" in e.message
        assert "No available provider for m-open" in e.message
        assert h.received() == {"cloud": 0, "primary": 0, "secondary": 0}

        [event] = h.events("block")
        assert event["schema"] == "eligo.security_event/2" and event["status"] == 403
        assert without_id(event["request"]) == {"model": "m-open", "pinned": None, "attributes": {}, "missing": []}
        assert event["policies"][0]["fingerprint"] == fingerprint(STRICT)
        assert event["candidate_count"] == 1
        assert [g["candidates"] for g in event["groups"]] == [["cloud/m-open"]]
        assert event["message"] == e.response.json()["error"]["message"]


@async_test
async def test_pinned_non_compliant_target_is_blocked_not_rerouted(tmp_path: Path) -> None:
    async with running(tmp_path, STRICT) as h:
        with pytest.raises(openai.PermissionDeniedError) as info:
            await h.client.chat.completions.create(model="cloud/m-chat", messages=MESSAGES)
        assert info.value.response.json() == route(STRICT, tmp_path, "cloud/m-chat").error_body
        assert "The pinned provider cloud/m-chat does not meet its requirements." in info.value.message
        assert h.received() == {"cloud": 0, "primary": 0, "secondary": 0}
        [event] = h.events("block")
        assert without_id(event["request"]) == {"model": "m-chat", "pinned": "cloud/m-chat", "attributes": {}, "missing": []}

        # The same model routed automatically is served by a compliant target.
        assert (await h.content("m-chat"))[0] == "Hello from primary"


@async_test
async def test_the_request_id_reaches_the_event_and_the_answer(tmp_path: Path) -> None:
    async with running(tmp_path, STRICT) as h:
        with pytest.raises(openai.PermissionDeniedError) as info:
            await h.client.chat.completions.create(
                model="cloud/m-chat", messages=MESSAGES, extra_headers={"x-request-id": "trace-42"}
            )
        assert info.value.response.headers["x-request-id"] == "trace-42"
        # A value that is not a plain token is replaced, never logged.
        with pytest.raises(openai.PermissionDeniedError) as info:
            await h.client.chat.completions.create(
                model="cloud/m-chat", messages=MESSAGES, extra_headers={"x-request-id": "a b;c=d" + "x" * 200}
            )
        made = info.value.response.headers["x-request-id"]
        assert made.startswith("req-") and len(made) == 36
        assert [e["request"]["id"] for e in h.events("block")] == ["trace-42", made]
        # A routed answer carries its id too.
        raw = await h.client.chat.completions.with_raw_response.create(model="m-chat", messages=MESSAGES)
        assert raw.headers["x-request-id"].startswith("req-")


@pytest.mark.parametrize("failure", ["status-500", "connection-refused"])
@async_test
async def test_fallback_stays_inside_the_compliant_set(tmp_path: Path, failure: str) -> None:
    down = ("primary",) if failure == "connection-refused" else ()
    async with running(tmp_path, STRICT, down=down) as h:
        h.up["primary"].status = 500
        text, headers = await h.content("m-chat")
        assert text == "Hello from secondary"
        assert headers["x-eligo-target"] == "secondary/m-chat"
        tried_primary = 1 if failure == "status-500" else 0
        assert h.received() == {"cloud": 0, "primary": tried_primary, "secondary": 1}

        # Every compliant upstream down: 502, and still nothing for `cloud`.
        h.up["secondary"].status = 503
        with pytest.raises(openai.InternalServerError) as info:
            await h.client.chat.completions.create(model="m-chat", messages=MESSAGES)
        assert info.value.status_code == 502 and info.value.code == "upstream_unavailable"
        assert h.received() == {"cloud": 0, "primary": 2 * tried_primary, "secondary": 2}


@async_test
async def test_upstream_client_errors_are_passed_through_without_fallback(tmp_path: Path) -> None:
    async with running(tmp_path, STRICT) as h:
        h.up["primary"].status = 429
        with pytest.raises(openai.RateLimitError):
            await h.client.chat.completions.create(model="m-chat", messages=MESSAGES)
        assert h.received() == {"cloud": 0, "primary": 1, "secondary": 0}


@async_test
async def test_warn_mode_lets_traffic_through_and_logs_the_event(tmp_path: Path) -> None:
    async with running(tmp_path, WARN) as h:
        assert (await h.content("m-open"))[0] == "Hello from cloud"
        assert (await h.content("cloud/m-chat"))[0] == "Hello from cloud"
        # Warn mode removes nothing: the catalog's first target serves m-chat.
        assert (await h.content("m-chat"))[0] == "Hello from cloud"
        assert h.received() == {"cloud": 3, "primary": 0, "secondary": 0}

        events = h.events("warn")
        assert [without_id(e["request"]) for e in events] == [
            {"model": "m-open", "pinned": None, "attributes": {}, "missing": []},
            {"model": "m-chat", "pinned": "cloud/m-chat", "attributes": {}, "missing": []},
            {"model": "m-chat", "pinned": None, "attributes": {}, "missing": []},
        ]
        assert all(e["status"] == 200 and e["policies"][0]["mode"] == "warn" for e in events)
        assert "would have been blocked by the provider compliance policy `strict-warn`" in events[0]["message"]
        assert events[2]["message"].startswith("Warn mode kept 1 provider(s) for m-chat")
        assert h.events("block") == []


@async_test
async def test_warn_is_not_forwarded_when_its_event_cannot_be_written(tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    async with running(tmp_path, WARN) as h:
        h.gateway._events.close()
        h.gateway._events = open("/dev/full", "ab", buffering=0)  # every write fails: ENOSPC
        with pytest.raises(openai.InternalServerError) as info:
            await h.client.chat.completions.create(model="m-open", messages=MESSAGES)
        assert info.value.code == "event_log_unavailable"
        assert h.received() == {"cloud": 0, "primary": 0, "secondary": 0}


@async_test
async def test_unknown_model_stream_and_bad_bodies_are_refused(tmp_path: Path) -> None:
    async with running(tmp_path, STRICT) as h:
        with pytest.raises(openai.NotFoundError) as info:
            await h.client.chat.completions.create(model="m-chatt", messages=MESSAGES)
        assert info.value.code == "model_not_found"
        assert error_message(info.value) == "The model `m-chatt` does not exist on this gateway."
        with pytest.raises(openai.NotFoundError):
            await h.client.chat.completions.create(model="nobody/m-chat", messages=MESSAGES)
        with pytest.raises(openai.BadRequestError) as bad:
            await h.client.chat.completions.create(model="m-chat", messages=MESSAGES, stream=True)
        assert bad.value.code == "stream_unsupported"
        async with aiohttp.ClientSession() as s:
            for body in (b"not json", b"[]", b'{"model": 7}', b'{"messages": []}'):
                async with s.post(str(h.client.base_url) + "chat/completions", data=body) as r:
                    assert r.status == 400, body
                    assert (await r.json())["error"]["type"] == "invalid_request_error"
        assert h.received() == {"cloud": 0, "primary": 0, "secondary": 0}
        assert h.events("block") == [] and h.events("warn") == []


# Regression: events were written with `ensure_ascii=False`, so a name with
# U+2028 or U+0085 put those characters raw into the JSON-lines file, where
# many line readers (Python's str.splitlines among them) split the event.
@async_test
async def test_event_lines_are_ascii_with_escapes(tmp_path: Path) -> None:
    model = "m\u2028line\u0085next\u2029\u00e9"
    async with running(tmp_path, STRICT, targets=TARGETS + [("cloud", model, NON_COMPLIANT)]) as h:
        with pytest.raises(openai.PermissionDeniedError):
            await h.client.chat.completions.create(model=model, messages=MESSAGES)
        raw = h.gateway.events_path.read_bytes()
        assert raw.isascii(), raw
        assert "\\u2028" in raw.decode() and "\\u0085" in raw.decode()
        assert raw.count(b"\n") == 2  # policy_loaded and the block
        [event] = h.events("block")
        assert without_id(event["request"]) == {"model": model, "pinned": None, "attributes": {}, "missing": []}


# Regression: the 404 for an unknown model or target carried eligo's help,
# "did you mean `secondary/m-chat`?", so a client could discover catalog ids
# (even of targets the policy blocks) by sending near misses. The client now
# gets a generic message; the suggestion goes to the gateway's log only.
@async_test
async def test_unknown_model_errors_suggest_no_catalog_ids(tmp_path: Path, caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="eligo.gateway")
    async with running(tmp_path, STRICT) as h:
        for model, suggestion in [("secondary/m-cha", "secondary/m-chat"), ("m-ope", "m-open"), ("cloud/", "cloud/")]:
            with pytest.raises(openai.NotFoundError) as info:
                await h.client.chat.completions.create(model=model, messages=MESSAGES)
            assert info.value.code == "model_not_found" and info.value.param == "model"
            assert error_message(info.value) == f"The model `{model}` does not exist on this gateway."
            assert f"did you mean `{suggestion}" in caplog.text  # the operator still sees it
        assert h.received() == {"cloud": 0, "primary": 0, "secondary": 0}


# Regression: the 404 for an unknown model echoed the client's `model` whole
# and raw: a megabyte name came back a megabyte long, and newlines, ANSI
# escapes, U+2028 or bidirectional overrides reached the client's logs and
# screens as they were. The echo is now cut at 128 characters, with every
# character that is not printable written as an escape.
@async_test
async def test_unknown_model_echo_is_bounded_and_escaped(tmp_path: Path, caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="eligo.gateway")
    cases = {
        "x" * 1_000_000: "`" + "x" * 128 + "…`",
        "evil\nline\r\x1b[31m\x00\x85": "`evil\\nline\\r\\x1b[31m\\x00\\x85`",
        "a\u2028b\u2029c\u202ed\u200be\u00a0f\\g": "`a\\u2028b\\u2029c\\u202ed\\u200be\\xa0f\\\\g`",
        "\U0001f600 caf\u00e9 \u6a21\u578b": "`\U0001f600 caf\u00e9 \u6a21\u578b`",  # printable text stays as it is
        "\n" * 200: "`" + "\\n" * 64 + "…`",  # the bound counts escaped characters
    }
    async with running(tmp_path, STRICT) as h:
        async with aiohttp.ClientSession() as s:
            for model, shown in cases.items():
                body = {"model": model, "messages": MESSAGES}
                async with s.post(str(h.client.base_url) + "chat/completions", json=body) as r:
                    assert r.status == 404
                    error = (await r.json())["error"]
                assert error["code"] == "model_not_found"
                assert error["message"] == f"The model {shown} does not exist on this gateway."
        assert len(caplog.text) < 10_000  # the log line is bounded too
        assert "\x1b" not in caplog.text and "\u2028" not in caplog.text
        assert h.received() == {"cloud": 0, "primary": 0, "secondary": 0}


# Regression: a body nested deeper than Python's JSON parser recurses, or a
# `model` with a lone surrogate (which eligo cannot take as text), made the
# handler raise, and the client got aiohttp's bare text 500. A lone surrogate
# elsewhere, or a body nested a few hundred levels, was forwarded upstream.
# All are now refused with a 400 in the OpenAI error shape.
@async_test
async def test_deep_bodies_and_lone_surrogates_are_400(tmp_path: Path) -> None:
    def nested(levels: int) -> bytes:  # `levels` arrays inside the body's object
        return b'{"model": "m-chat", "messages": [], "x": ' + b"[" * levels + b"]" * levels + b"}"

    refused = {
        b'{"model": "m-chat", "messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}": "nested more than 64 levels",
        nested(64): "nested more than 64 levels",
        b'{"model": "m-chat\\ud800", "messages": []}': "lone surrogate",
        b'{"model": "m-chat", "messages": [{"role": "user", "content": "a\\udc00"}]}': "lone surrogate",
        b'{"model": "m-chat", "messages": [], "\\ud83d": 1}': "lone surrogate",
        b'{"model": "m-chat", "messages": [{"role": "user", "content": "\xed\xa0\x80"}]}': "not valid UTF-8",
    }
    async with running(tmp_path, STRICT) as h:
        async with aiohttp.ClientSession() as s:
            url = str(h.client.base_url) + "chat/completions"
            for body, message in refused.items():
                async with s.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
                    assert r.status == 400, body[:80]
                    error = (await r.json())["error"]
                assert error["type"] == "invalid_request_error" and message in error["message"], body[:80]
            assert h.received() == {"cloud": 0, "primary": 0, "secondary": 0}

            # 64 levels, and a surrogate pair (one character), are fine.
            pair = b'{"model": "m-chat", "messages": [{"role": "user", "content": "\\ud83d\\ude00"}]}'
            for body in (nested(63), pair):
                async with s.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
                    assert r.status == 200, (await r.text())[:200]
        assert h.up["primary"].received[1]["json"]["messages"][0]["content"] == "\U0001f600"


# Regression: Python's JSON reader takes `NaN`, `Infinity` and `-Infinity`
# (and reads `1e999` as infinite), and its writer puts them back, so such a
# body was forwarded upstream as text that is not JSON. Now it is refused
# with 400, and the forwarding step itself cannot write a non-finite number.
@async_test
async def test_nan_and_infinity_are_refused_not_forwarded(tmp_path: Path) -> None:
    refused = {
        b'{"model": "m-chat", "messages": [], "temperature": NaN}': "`NaN`",
        b'{"model": "m-chat", "messages": [], "top_p": Infinity}': "`Infinity`",
        b'{"model": "m-chat", "messages": [{"role": "user", "content": [-Infinity]}]}': "`-Infinity`",
        b'{"model": "m-chat", "messages": [], "temperature": 1e999}': "`1e999`",
        b'{"model": "m-chat", "messages": [], "x": {"y": -1.5E+400}}': "`-1.5E+400`",
    }
    async with running(tmp_path, STRICT) as h:
        async with aiohttp.ClientSession() as s:
            url = str(h.client.base_url) + "chat/completions"
            for body, shown in refused.items():
                async with s.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
                    assert r.status == 400, body
                    error = (await r.json())["error"]
                assert error["type"] == "invalid_request_error" and shown in error["message"], body
            # Large but finite numbers are JSON, and go through as they are.
            body = b'{"model": "m-chat", "messages": [], "temperature": 1e300, "seed": 123456789012345678901234567890}'
            async with s.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
                assert r.status == 200
        assert h.received() == {"cloud": 0, "primary": 1, "secondary": 0}
        got = h.up["primary"].received[0]["json"]
        assert (got["temperature"], got["seed"]) == (1e300, 123456789012345678901234567890)

        with pytest.raises(ValueError):
            await h.gateway._forward(h.gateway.upstreams["primary/m-chat"], {"model": "m-chat", "x": float("nan")})
        assert h.received() == {"cloud": 0, "primary": 1, "secondary": 0}


# Regression: body fields such as OpenRouter's `provider` and `models` or
# LiteLLM's `fallbacks` and `api_base` were forwarded, so an aggregator
# upstream serving a compliant target could send the prompt to a provider or
# model the policy never allowed. Bodies with such fields are now refused.
@async_test
async def test_routing_fields_for_aggregators_are_refused(tmp_path: Path) -> None:
    cases: list[dict[str, Any]] = [
        {"provider": {"order": ["cloud"], "allow_fallbacks": True}},
        {"models": ["m-open"], "route": "fallback"},
        {"fallbacks": ["m-open"]},
        {"api_base": "http://elsewhere.example/v1"},
        {"PROVIDER": {"only": ["cloud"]}},  # servers that match fields without case
        {"Model_List": []},
        {"extra_body": {"provider": {"only": ["cloud"]}}},
    ]
    async with running(tmp_path, STRICT) as h:
        for extra in cases:
            with pytest.raises(openai.BadRequestError) as info:
                await h.client.chat.completions.create(model="m-chat", messages=MESSAGES, extra_body=extra)
            e = info.value
            assert e.code == "routing_field_refused", extra
            assert e.param == next(iter(extra)).casefold()
            assert error_message(e).endswith(", ".join(f"`{k}`" for k in sorted(extra)) + "."), error_message(e)
        assert h.received() == {"cloud": 0, "primary": 0, "secondary": 0}

        # Other extra fields (a local server's sampling options, say) still go through.
        reply = await h.client.chat.completions.create(model="m-chat", messages=MESSAGES, extra_body={"top_k": 5})
        assert reply.choices[0].message.content == "Hello from primary"
        assert h.up["primary"].received[0]["json"]["top_k"] == 5


@async_test
async def test_models_lists_what_the_policy_routes(tmp_path: Path) -> None:
    async with running(tmp_path, STRICT) as h:
        ids = [m.id async for m in h.client.models.list()]
        assert ids == ["m-chat", "primary/m-chat", "secondary/m-chat"]
        await h.swap(OPEN)
        ids = [m.id async for m in h.client.models.list()]
        assert ids == ["m-chat", "m-open", "cloud/m-chat", "primary/m-chat", "secondary/m-chat", "cloud/m-open"]
        assert h.received() == {"cloud": 0, "primary": 0, "secondary": 0}


@async_test
async def test_in_flight_request_keeps_the_policy_it_started_with(tmp_path: Path) -> None:
    async with running(tmp_path, STRICT) as h:
        h.up["primary"].status, h.up["primary"].delay = 500, 0.5
        task = asyncio.ensure_future(h.content("m-chat"))
        while not h.up["primary"].received:
            await asyncio.sleep(0.01)
        await h.swap(OPEN)  # `open` would route m-chat to `cloud` first
        assert not task.done()
        text, headers = await task
        # The fallback came from the strict decision: `secondary`, never `cloud`.
        assert text == "Hello from secondary"
        assert headers["x-eligo-policy"] == fingerprint(STRICT)
        assert h.received() == {"cloud": 0, "primary": 1, "secondary": 1}
        text, headers = await h.content("m-chat")
        assert (text, headers["x-eligo-policy"]) == ("Hello from cloud", fingerprint(OPEN))


@async_test
async def test_policy_swaps_under_concurrent_load_lose_no_request(tmp_path: Path) -> None:
    async with running(tmp_path, STRICT) as h:
        for mock in h.up.values():
            mock.delay = 0.02  # keep requests in flight while the policy changes
        strict, opened = fingerprint(STRICT), fingerprint(OPEN)
        blocked_body = route(STRICT, tmp_path, "m-open").error_body
        expected = {
            (strict, "m-chat"): "Hello from primary",
            (strict, "m-open"): blocked_body,
            (opened, "m-chat"): "Hello from cloud",
            (opened, "m-open"): "Hello from cloud",
        }

        async def one(i: int) -> tuple[str, str, Any]:
            await asyncio.sleep(i * 0.005)  # spread the 200 requests over a second
            model = "m-chat" if i % 2 else "m-open"
            try:
                text, headers = await h.content(model)
                return headers["x-eligo-policy"], model, text
            except openai.PermissionDeniedError as e:
                return e.response.headers["x-eligo-policy"], model, e.response.json()

        async def swapper() -> None:
            for text in [OPEN, STRICT] * 3:
                await asyncio.sleep(0.12)
                await h.swap(text)

        swaps = asyncio.ensure_future(swapper())
        results = await asyncio.gather(*(one(i) for i in range(200)))
        await swaps

        assert len(results) == 200
        for policy, model, answer in results:
            assert answer == expected[(policy, model)], (policy, model, answer)
        seen = {(p, m) for p, m, _ in results}
        assert seen == set(expected), "the swaps did not happen during the load"
        served = [a for _, _, a in results if isinstance(a, str)]
        assert sum(h.received().values()) == len(served)  # no request forwarded twice or after a 403
        assert h.received()["primary"] == served.count("Hello from primary")
        blocks = h.events("block")
        assert len(blocks) == len(results) - len(served)
        assert all(e["policies"][0]["fingerprint"] == strict for e in blocks)
        assert len(h.events("policy_loaded")) == 1 + 6


# Regression: a changed policy file was compiled on the event loop, so no
# request was served until the compile finished. The compile now runs in a
# worker thread; here it is held until a request has been answered.
@async_test
async def test_requests_are_served_while_a_reloaded_policy_compiles(tmp_path: Path, monkeypatch: Any) -> None:
    compiling, release, compiled = threading.Event(), threading.Event(), threading.Event()
    real = eligo_gateway.compile_policy

    def slow_compile(data: bytes, path: Path) -> eligo.Policy:
        compiling.set()
        release.wait(timeout=5)  # on the event loop, this would hold every request for 5 s
        compiled.set()
        return real(data, path)

    async with running(tmp_path, STRICT) as h:
        monkeypatch.setattr(eligo_gateway, "compile_policy", slow_compile)
        swap = asyncio.ensure_future(h.swap(OPEN))
        while not compiling.is_set():
            await asyncio.sleep(0.01)
        try:
            text, headers = await h.content("m-chat")
            assert not compiled.is_set(), "the request waited for the compile"
            assert (text, headers["x-eligo-policy"]) == ("Hello from primary", fingerprint(STRICT))
        finally:
            release.set()
        await swap
        text, headers = await h.content("m-chat")
        assert (text, headers["x-eligo-policy"]) == ("Hello from cloud", fingerprint(OPEN))


@async_test
async def test_broken_policy_is_rejected_and_the_old_one_keeps_serving(tmp_path: Path) -> None:
    async with running(tmp_path, STRICT) as h:
        event = await h.swap(BROKEN, expect="policy_rejected")
        assert event["schema"] == "eligo.gateway.policy_reload/1"
        assert event["policy"]["fingerprint"] == fingerprint(STRICT)
        assert event["errors"][0]["code"] == "compile/unknown-attribute"
        assert event["errors"][0]["help"] == "did you mean `soc2`?"

        with pytest.raises(openai.PermissionDeniedError) as info:
            await h.client.chat.completions.create(model="m-open", messages=MESSAGES)
        assert info.value.response.json() == route(STRICT, tmp_path, "m-open").error_body
        assert info.value.response.headers["x-eligo-policy"] == fingerprint(STRICT)
        text, headers = await h.content("m-chat")
        assert (text, headers["x-eligo-policy"]) == ("Hello from primary", fingerprint(STRICT))

        # An empty file (say, caught mid-write) would allow everything: rejected too.
        event = await h.swap("", expect="policy_rejected")
        assert "empty" in event["errors"][0]["message"]
        await asyncio.sleep(0.1)
        assert len(h.events("policy_rejected")) == 2  # each rejection is logged once
        with pytest.raises(openai.PermissionDeniedError):
            await h.client.chat.completions.create(model="m-open", messages=MESSAGES)
        assert h.received() == {"cloud": 0, "primary": 1, "secondary": 0}

        # A good policy afterwards is picked up.
        await h.swap(OPEN)
        assert (await h.content("m-open"))[0] == "Hello from cloud"


def test_gateway_does_not_start_on_a_bad_catalog_or_policy(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "policy.pol").write_text(STRICT, encoding="utf-8")
    cases = {
        "no-endpoint": ({"provider": "a", "model": "m"}, "needs an http(s) `endpoint`"),
        "bad-scheme": ({"provider": "a", "model": "m", "endpoint": "file:///etc"}, "needs an http(s) `endpoint`"),
        "bad-attribute": (
            {"provider": "a", "model": "m", "endpoint": "http://127.0.0.1:1/v1", "attributes": {"soc2": "yes"}},
            "catalog/bad-attribute",
        ),
    }
    for name, (target, error) in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"targets": [target]}), encoding="utf-8")
        argv = ["--policy", str(tmp_path / "policy.pol"), "--catalog", str(path), "--events", str(tmp_path / "e.jsonl")]
        assert main(argv) == 2, name
        assert error in capsys.readouterr().err, name

    # A policy that does not compile: the gateway does not start either.
    (tmp_path / "broken.pol").write_text(BROKEN, encoding="utf-8")
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"targets": [{"provider": "a", "model": "m", "endpoint": "http://127.0.0.1:1/v1"}]}))
    argv = ["--policy", str(tmp_path / "broken.pol"), "--catalog", str(good), "--events", str(tmp_path / "e.jsonl")]
    assert main(argv) == 2
    assert "compile/unknown-attribute" in capsys.readouterr().err


# Regression: `onprem-a` and `OnPrem_A` are different providers to eligo but
# both read their API key from ELIGO_GATEWAY_KEY_ONPREM_A, so one provider's
# key was sent to the other's upstream. The gateway now refuses to start.
def test_providers_sharing_an_api_key_variable_are_refused(tmp_path: Path) -> None:
    (tmp_path / "policy.pol").write_text(STRICT, encoding="utf-8")
    for a, b in [("onprem-a", "OnPrem_A"), ("acme.eu", "ACME-EU"), ("caf\u00e9", "caf_")]:
        targets = [
            {"provider": a, "model": "m", "endpoint": "http://127.0.0.1:1/v1"},
            {"provider": "other", "model": "m", "endpoint": "http://127.0.0.1:2/v1"},
            {"provider": b, "model": "m", "endpoint": "http://127.0.0.1:3/v1"},
        ]
        (tmp_path / "catalog.json").write_text(json.dumps({"targets": targets}), encoding="utf-8")
        with pytest.raises(ValueError) as info:
            Gateway(tmp_path / "policy.pol", tmp_path / "catalog.json", tmp_path / "e.jsonl")
        assert f"providers `{a}` and `{b}` would share the API-key variable" in str(info.value)

    # One provider serving several models is no collision.
    targets = [{"provider": "onprem-a", "model": m, "endpoint": "http://127.0.0.1:1/v1"} for m in ("m1", "m2")]
    (tmp_path / "catalog.json").write_text(json.dumps({"targets": targets}), encoding="utf-8")
    gateway = Gateway(tmp_path / "policy.pol", tmp_path / "catalog.json", tmp_path / "e.jsonl")
    assert sorted(gateway.upstreams) == ["onprem-a/m1", "onprem-a/m2"]


@async_test
async def test_command_line_serves_on_a_free_port(tmp_path: Path) -> None:
    mock = MockUpstream("primary")
    runner, url = await start(mock.app())
    catalog = {"targets": [{"provider": "primary", "model": "m-chat", "endpoint": url + "/v1", "attributes": COMPLIANT}]}
    (tmp_path / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    (tmp_path / "policy.pol").write_text(STRICT, encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(GATEWAY_DIR / "eligo_gateway.py"),
        "--policy", str(tmp_path / "policy.pol"),
        "--catalog", str(tmp_path / "catalog.json"),
        "--events", str(tmp_path / "events.jsonl"),
        "--port", "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), timeout=15)).decode()
        assert line.startswith("eligo gateway listening on http://127.0.0.1:"), line
        client = openai.AsyncOpenAI(base_url=line.split()[-1], api_key="x", max_retries=0, timeout=10)
        reply = await client.chat.completions.create(model="m-chat", messages=MESSAGES)
        await client.close()
        assert reply.choices[0].message.content == "Hello from primary"
        assert len(mock.received) == 1
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), timeout=10) == 0
        await runner.cleanup()


# -- request attributes: keys, data classes, the classifier ---------------------------------

# The class decides the pool: public may use `cloud`, anything above needs
# zero retention, phi needs HIPAA (only `secondary`); teams other than
# research may not use m-open; the `batch` app may not use `primary`.
CLASSES = """policy "classes";
version "1";
require !trains_on_prompts;
when request.data_class != "public" { require zero_data_retention; }
when request.data_class == "phi" { require hipaa; }
when request.team != "research" { deny model ["m-open"]; }
when request.app == "batch" { deny provider ["primary"]; }
"""
KEEPS = {"trains_on_prompts": False, "zero_data_retention": False, "logs_prompts": True}
CLASS_TARGETS = [
    ("cloud", "m-chat", KEEPS),
    ("primary", "m-chat", COMPLIANT),
    ("secondary", "m-chat", {**COMPLIANT, "hipaa": True}),
    ("cloud", "m-open", KEEPS),
]
BATCH_KEY = "k-batch"
KEYS: dict[str, Any] = {
    "data_classes": ["public", "internal", "pii", "phi"],
    "keys": {
        "k-research": {"team": "research", "app": "notebook", "data_class": "public"},
        "k-support": {"team": "support", "app": "helpdesk", "data_class": "pii"},
        "sha256:" + hashlib.sha256(BATCH_KEY.encode()).hexdigest(): {"team": "research", "app": "batch"},
        "k-nofloor": {"team": "research"},
    },
}
# Which upstream answers m-chat for each class (the first of its pool).
FIRST = {"public": "cloud", "internal": "primary", "pii": "primary", "phi": "secondary", None: "secondary"}


async def answered(
    client: openai.AsyncOpenAI,
    model: str = "m-chat",
    messages: list[ChatCompletionMessageParam] = MESSAGES,
    **kwargs: Any,
) -> Optional[str]:
    """The upstream that answered a chat request, by the mock's reply."""
    reply = await client.chat.completions.create(model=model, messages=messages, **kwargs)
    text = reply.choices[0].message.content
    assert text is not None and text.startswith("Hello from ")
    return text[len("Hello from "):]


def data_class_header(value: str) -> dict[str, Any]:
    return {"extra_headers": {"X-Data-Class": value}}


@async_test
async def test_a_client_cannot_lower_its_data_class(tmp_path: Path) -> None:
    async with running(tmp_path, CLASSES, targets=CLASS_TARGETS, keys=KEYS) as h:
        support = h.client_for("k-support")  # floor: pii
        assert await answered(support) == FIRST["pii"]
        for lower in ("public", "internal", "pii"):
            assert await answered(support, **data_class_header(lower)) == FIRST["pii"], lower
            assert await answered(support, extra_body={"data_class": lower}) == FIRST["pii"], lower
            assert await answered(support, extra_body={"Data_Class": lower}) == FIRST["pii"], lower
        # The lowest of several claims does not win either.
        reply = await support.chat.completions.with_raw_response.create(
            model="m-chat",
            messages=MESSAGES,
            extra_headers={"X-Data-Class": "public"},
            extra_body={"data_class": "public"},
        )
        assert reply.headers["x-eligo-target"] == "primary/m-chat"
        assert h.received()["cloud"] == 0
        # The claim is the gateway's: the body field never reaches an upstream.
        assert all(
            "data_class" not in {k.casefold() for k in got["json"]} for got in h.up["primary"].received
        )


@async_test
async def test_a_client_can_raise_its_data_class(tmp_path: Path) -> None:
    async with running(tmp_path, CLASSES, targets=CLASS_TARGETS, keys=KEYS) as h:
        research = h.client_for("k-research")  # floor: public
        assert await answered(research) == FIRST["public"]
        for higher in ("internal", "pii", "phi"):
            assert await answered(research, **data_class_header(higher)) == FIRST[higher], higher
            assert await answered(research, extra_body={"data_class": higher}) == FIRST[higher], higher
        # With a header and a body field, the highest applies.
        both: dict[str, Any] = {"extra_headers": {"X-Data-Class": "phi"}, "extra_body": {"data_class": "internal"}}
        assert await answered(research, **both) == FIRST["phi"]
        # Raised to phi, m-open (only on `cloud`) is blocked, and the event says why.
        with pytest.raises(openai.PermissionDeniedError):
            await research.chat.completions.create(model="m-open", messages=MESSAGES, **data_class_header("phi"))
        [event] = h.events("block")
        assert event["request"]["attributes"] == {"data_class": "phi", "team": "research", "app": "notebook"}
        assert event["request"]["missing"] == []


@async_test
async def test_unknown_data_classes_are_refused_not_guessed(tmp_path: Path) -> None:
    async with running(tmp_path, CLASSES, targets=CLASS_TARGETS, keys=KEYS) as h:
        research = h.client_for("k-research")
        for kwargs in (
            data_class_header("PHI"),  # classes are matched exactly
            data_class_header("secret"),
            data_class_header(""),
            {"extra_body": {"data_class": "top-secret"}},
            {"extra_body": {"data_class": 4}},
            {"extra_body": {"data_class": None}},
        ):
            with pytest.raises(openai.BadRequestError) as info:
                await research.chat.completions.create(model="m-chat", messages=MESSAGES, **kwargs)
            assert info.value.code == "invalid_data_class", kwargs
        assert "`secret` is not one this gateway knows (`public`, `internal`, `pii`, `phi`)" in str(
            await refused_message(research, data_class_header("secret"))
        )
        assert h.received() == {"cloud": 0, "primary": 0, "secondary": 0}
        assert h.events("block") == []

    # Without a keys file no class is known: any claim is refused.
    async with running(tmp_path / "bare", CLASSES, targets=CLASS_TARGETS) as h:
        with pytest.raises(openai.BadRequestError) as info:
            await h.client.chat.completions.create(model="m-chat", messages=MESSAGES, **data_class_header("phi"))
        assert info.value.code == "invalid_data_class"
        assert h.received() == {"cloud": 0, "primary": 0, "secondary": 0}


async def refused_message(client: openai.AsyncOpenAI, kwargs: dict[str, Any]) -> str:
    with pytest.raises(openai.BadRequestError) as info:
        await client.chat.completions.create(model="m-chat", messages=MESSAGES, **kwargs)
    return error_message(info.value)


def keyword_classifier(body: dict[str, Any]) -> Optional[str]:
    """``phi`` when a message mentions a patient, ``public`` for `weather`, else None."""
    text = json.dumps(body.get("messages"))
    if "patient" in text:
        return "phi"
    if "weather" in text:
        return "public"
    return None


def ask(text: str) -> list[ChatCompletionMessageParam]:
    return [{"role": "user", "content": text}]


@pytest.mark.parametrize("kind", ["function", "coroutine"])
@async_test
async def test_the_classifier_result_applies(tmp_path: Path, kind: str) -> None:
    classifier: eligo_gateway.Classifier = keyword_classifier
    if kind == "coroutine":

        async def classifier(body: dict[str, Any]) -> Optional[str]:
            await asyncio.sleep(0)
            return keyword_classifier(body)

    async with running(tmp_path, CLASSES, targets=CLASS_TARGETS, keys=KEYS, classifier=classifier) as h:
        research, support = h.client_for("k-research"), h.client_for("k-support")
        assert await answered(research, messages=ask("hello")) == FIRST["public"]
        # The classifier raises the class above the key's floor...
        assert await answered(research, messages=ask("the patient's chart")) == FIRST["phi"]
        assert await answered(support, messages=ask("the patient's chart")) == FIRST["phi"]
        # ...and never lowers it: below the floor, the floor applies.
        assert await answered(support, messages=ask("the weather")) == FIRST["pii"]
        # A client's claim cannot lower what the classifier found.
        low = await answered(research, messages=ask("the patient's chart"), **data_class_header("public"))
        assert low == FIRST["phi"]
        # The classifier sees the body without the client's claim.
        with pytest.raises(openai.PermissionDeniedError):
            await research.chat.completions.create(model="m-open", messages=ask("a patient"))
        [event] = h.events("block")
        assert event["request"]["attributes"]["data_class"] == "phi"


@async_test
async def test_a_failing_classifier_refuses_the_request(tmp_path: Path) -> None:
    answers: list[Any] = []

    def flaky(body: dict[str, Any]) -> Any:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async with running(tmp_path, CLASSES, targets=CLASS_TARGETS, keys=KEYS, classifier=flaky) as h:
        research = h.client_for("k-research")
        for answer in (RuntimeError("classifier down"), "secret", 3, "PHI"):
            answers.append(answer)
            with pytest.raises(openai.InternalServerError) as info:
                await research.chat.completions.create(model="m-chat", messages=MESSAGES)
            assert info.value.status_code == 500 and info.value.code == "classifier_failed", answer
            assert "secret" not in error_message(info.value)
        assert h.received() == {"cloud": 0, "primary": 0, "secondary": 0}
        answers.append(None)  # cannot tell: the floor applies
        assert await answered(research) == FIRST["public"]


@async_test
async def test_a_keys_team_and_app_apply(tmp_path: Path) -> None:
    async with running(tmp_path, CLASSES, targets=CLASS_TARGETS, keys=KEYS) as h:
        research, support, batch = h.client_for("k-research"), h.client_for("k-support"), h.client_for(BATCH_KEY)
        # Team: research may use m-open, support may not.
        assert await answered(research, model="m-open") == "cloud"
        with pytest.raises(openai.PermissionDeniedError):
            await support.chat.completions.create(model="m-open", messages=MESSAGES, **data_class_header("public"))
        # App: batch may not use `primary`; its key (given by digest) has no floor.
        assert await answered(batch, **data_class_header("internal")) == "secondary"
        assert await answered(research, **data_class_header("internal")) == "primary"
        # Headers cannot set the team or the app: they are not read.
        headers = {"X-Team": "research", "X-App": "notebook", "X-Data-Class": "public"}
        kwargs: dict[str, Any] = {"extra_headers": headers}
        with pytest.raises(openai.PermissionDeniedError):
            await support.chat.completions.create(model="m-open", messages=MESSAGES, **kwargs)
        for event in h.events("block"):
            assert event["request"]["attributes"]["team"] == "support"
        # /v1/models lists what each key may use.
        assert [m.id async for m in research.models.list()] == [
            "m-chat", "m-open", "cloud/m-chat", "primary/m-chat", "secondary/m-chat", "cloud/m-open"
        ]
        assert [m.id async for m in support.models.list()] == ["m-chat", "primary/m-chat", "secondary/m-chat"]


@async_test
async def test_a_request_of_no_known_class_gets_the_strictest_treatment(tmp_path: Path) -> None:
    async with running(tmp_path, CLASSES, targets=CLASS_TARGETS, keys=KEYS) as h:
        nofloor = h.client_for("k-nofloor")
        # No floor, no classifier, no claim: every block that could apply does.
        assert await answered(nofloor) == FIRST[None] == "secondary"
        with pytest.raises(openai.PermissionDeniedError):
            await nofloor.chat.completions.create(model="cloud/m-chat", messages=MESSAGES)
        [event] = h.events("block")
        assert without_id(event["request"]) == {
            "model": "m-chat",
            "pinned": "cloud/m-chat",
            "attributes": {"team": "research"},
            "missing": ["app", "data_class"],
        }
        failures = event["groups"][0]["failures"]
        # Both class blocks applied because the request did not say its class.
        assert [(f["text"], f["condition"], f["value"], f["attributes"]) for f in failures] == [
            ("require zero_data_retention", 'request.data_class != "public"', "unknown", ["request.data_class"]),
            ("require hipaa", 'request.data_class == "phi"', "unknown", ["request.data_class", "hipaa"]),
        ]

    # Without a keys file: anonymous, nothing given but the kind.
    async with running(tmp_path / "bare", CLASSES, targets=CLASS_TARGETS) as h:
        assert await answered(h.client) == "secondary"
        with pytest.raises(openai.PermissionDeniedError):
            await h.client.chat.completions.create(model="m-open", messages=MESSAGES)
        [event] = h.events("block")
        assert event["request"]["attributes"] == {}
        assert event["request"]["missing"] == ["app", "data_class", "team"]


@async_test
async def test_keys_are_required_when_configured(tmp_path: Path) -> None:
    async with running(tmp_path, CLASSES, targets=CLASS_TARGETS, keys=KEYS) as h:
        for client in (h.client, h.client_for("k-researc")):  # unknown keys
            with pytest.raises(openai.AuthenticationError) as info:
                await client.chat.completions.create(model="m-chat", messages=MESSAGES)
            assert info.value.status_code == 401 and info.value.code == "invalid_api_key"
            with pytest.raises(openai.AuthenticationError):
                [m async for m in client.models.list()]
        url = h.url + "/v1/chat/completions"
        body = {"model": "m-chat", "messages": MESSAGES}
        async with aiohttp.ClientSession() as s:
            for headers in (
                {},  # no key, and no anonymous client configured
                {"Authorization": "Basic k-research"},
                {"Authorization": "Bearer"},
                {"Authorization": "Bearer " + hashlib.sha256(BATCH_KEY.encode()).hexdigest()},  # the digest is no key
            ):
                async with s.post(url, json=body, headers=headers) as r:
                    assert r.status == 401, headers
            # Two Authorization headers: refused, whichever is valid.
            async with s.post(
                url, json=body, headers=[("Authorization", "Bearer k-research"), ("Authorization", "Bearer nope")]
            ) as r:
                assert r.status == 401
        assert h.received() == {"cloud": 0, "primary": 0, "secondary": 0}

    # An anonymous client, when configured, serves requests without a key.
    keys = dict(KEYS, anonymous={"data_class": "internal", "app": "kiosk"})
    async with running(tmp_path / "anon", CLASSES, targets=CLASS_TARGETS, keys=keys) as h:
        async with aiohttp.ClientSession() as s:
            body = {"model": "m-chat", "messages": MESSAGES}
            async with s.post(h.url + "/v1/chat/completions", json=body) as r:
                assert r.status == 200 and r.headers["x-eligo-target"] == "primary/m-chat"
        with pytest.raises(openai.AuthenticationError):  # a wrong key is never anonymous
            await h.client.chat.completions.create(model="m-chat", messages=MESSAGES)


def test_bad_keys_files_stop_the_gateway(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "policy.pol").write_text(CLASSES, encoding="utf-8")
    catalog = {"targets": [{"provider": "a", "model": "m", "endpoint": "http://127.0.0.1:1/v1"}]}
    (tmp_path / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    cases: dict[str, tuple[str, str]] = {
        "not-json": ("{", "not a valid keys file"),
        "duplicate": ('{"data_classes": [], "data_classes": []}', "given twice"),
        "field": ('{"data_classes": [], "clients": {}}', "unknown field `clients`"),
        "classes": ('{"data_classes": ["a", "a"]}', "lists a class twice"),
        "class-type": ('{"data_classes": ["a", 1]}', "non-empty strings"),
        "floor": ('{"data_classes": ["a"], "keys": {"k": {"data_class": "b"}}}', "not in `data_classes`"),
        "entry": ('{"data_classes": [], "keys": {"k": {"tenant": "x"}}}', "unknown field `tenant`"),
        "team": ('{"data_classes": [], "keys": {"k": {"team": 3}}}', "`team` must be a non-empty string"),
        "digest": ('{"data_classes": [], "keys": {"sha256:abc": {}}}', "64 hex digits"),
        "twice": (
            json.dumps({"keys": {"k": {}, "sha256:" + hashlib.sha256(b"k").hexdigest(): {}}}),
            "the same key is configured twice",
        ),
        "space": ('{"keys": {"a key": {}}}', "without spaces"),
        "nobody": ('{"data_classes": ["a"], "anonymous": null}', "no request could be served"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / f"{name}.json").write_text(text, encoding="utf-8")
        argv = [
            "--policy", str(tmp_path / "policy.pol"), "--catalog", str(tmp_path / "catalog.json"),
            "--events", str(tmp_path / "e.jsonl"), "--keys", str(tmp_path / f"{name}.json"),
        ]  # fmt: skip
        assert main(argv) == 2, name
        err = capsys.readouterr().err
        assert message in err, (name, err)
        assert "k-secret" not in err
    # A key is never named in an error (it may be a secret).
    (tmp_path / "secret.json").write_text('{"keys": {"k-secret": {"team": ""}}}', encoding="utf-8")
    argv = [
        "--policy", str(tmp_path / "policy.pol"), "--catalog", str(tmp_path / "catalog.json"),
        "--events", str(tmp_path / "e.jsonl"), "--keys", str(tmp_path / "secret.json"),
    ]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "key #1" in err and "k-secret" not in err
    # A classifier needs the ordered classes, and must load.
    with pytest.raises(ValueError, match="data_classes"):
        Gateway(tmp_path / "policy.pol", tmp_path / "catalog.json", tmp_path / "e.jsonl", classifier=keyword_classifier)
    for spec in ("nope", "no_such_module_here:f", str(tmp_path / "missing.py") + ":f", "json:no_such_function"):
        with pytest.raises(ValueError, match="--classifier"):
            eligo_gateway.load_classifier(spec)


# The shipped example: policy, catalog, keys file and classifier together,
# as the README describes them.
@async_test
async def test_the_shipped_example_routes_by_key_class_and_classifier(tmp_path: Path) -> None:
    example = GATEWAY_DIR / "example"
    classifier = eligo_gateway.load_classifier(str(example / "classifier.py") + ":classify")
    shipped = json.loads((example / "catalog.json").read_text(encoding="utf-8"))["targets"]
    by_provider = {"cloud": "cloud", "onprem-a": "primary", "onprem-b": "secondary"}
    targets = [(by_provider[t["provider"]], t["model"], t["attributes"]) for t in shipped]
    keys = json.loads((example / "keys.json").read_text(encoding="utf-8"))
    policy = (example / "data-classes.pol").read_text(encoding="utf-8")
    assert eligo.compile(policy).lint() == []
    async with running(tmp_path, policy, targets=targets, keys=keys, classifier=classifier) as h:
        research, support = h.client_for("demo-research-key"), h.client_for("demo-support-key")
        clinic = h.client_for("demo-clinic-key")  # configured by its digest
        model = "llama-3.3-70b"
        assert await answered(research, model=model) == "cloud"
        assert await answered(research, model="gpt-4o") == "cloud"
        assert await answered(research, model=model, **data_class_header("phi")) == "secondary"
        assert await answered(research, model=model, messages=ask("my email is a@b.example")) == "primary"
        assert await answered(research, model=model, messages=ask("the patient's diagnosis")) == "secondary"
        assert await answered(support, model=model) == "primary"
        assert await answered(support, model=model, **data_class_header("public")) == "primary"
        assert await answered(clinic, model=model) == "secondary"
        with pytest.raises(openai.PermissionDeniedError):
            await support.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        [event] = h.events("block")
        assert event["policies"][0]["name"] == "example-data-classes"
        assert event["request"]["attributes"] == {"data_class": "pii", "team": "support"}
