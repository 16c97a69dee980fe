"""An OpenAI-compatible gateway that routes requests under an eligo policy.

The gateway serves ``POST /v1/chat/completions`` and ``GET /v1/models``. For
every chat request it asks the policy engine where the request may go, with
``Policy.route(catalog, model)``: a bare model name is routed automatically
among the catalog's targets for that model, a ``provider/model`` name pins one
target. The gateway itself applies no policy logic. It then

* answers a blocked request with the engine's 403 body (``Decision.error_body``,
  code ``no_compliant_provider``) before any byte leaves for an upstream;
* forwards an allowed request to the first target of ``Decision.targets`` and,
  when that upstream fails (connection error, timeout or 5xx), to the next
  one, never outside that list;
* appends every security event (``Decision.event``) to a JSON-lines file, and
  refuses to forward a request whose event could not be written;
* polls the policy file and swaps in a changed policy once it compiles. Each
  request keeps the ``Policy`` it started with; a broken policy is rejected,
  the old one keeps serving and a ``policy_rejected`` event is written.

Targets come from an eligo JSON catalog. eligo's strict reader is the source of
truth for every target and its data-policy attributes; the gateway reads only
each target's ``endpoint`` (an OpenAI-compatible base URL such as
``https://api.openai.com/v1``) and its ``provider`` and ``model`` names from the
same text. An upstream API key is taken from the environment variable
``ELIGO_GATEWAY_KEY_<PROVIDER>`` (provider name upper-cased, other characters
than letters and digits replaced by ``_``) and sent as a bearer token; the
client's own ``Authorization`` header is never forwarded, nor any body field
in ``ROUTING_FIELDS`` (``provider``, ``models``, ``route``…), with which an
aggregator upstream would let the client route elsewhere: a body with one is
refused with 400. A catalog in which
two provider names give the same variable (``onprem-a`` and ``OnPrem_A``) is
refused: one provider's key would be sent to the other's upstream.

Run ``python eligo_gateway.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import re
import signal
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, Union

import aiohttp
import eligo
from aiohttp import web
from yarl import URL

log = logging.getLogger("eligo.gateway")

GATEWAY_EVENT_SCHEMA = "eligo.gateway.policy_reload/1"

# Client bodies nested deeper than this (objects and arrays counted together,
# the body itself at level 1) are refused. Chat requests are shallow; the JSON
# schemas of `tools` add a level or two per nested property.
MAX_BODY_DEPTH = 64

# Body fields with which an aggregator upstream (OpenRouter, LiteLLM and the
# like) lets a client choose other providers, models, fallbacks, endpoints or
# credentials than the target eligo decided on. A body with any of them is
# refused with 400. Names are compared case-folded, as some servers match
# JSON fields without regard to case. The list cannot know every aggregator:
# configure an aggregator upstream to ignore client routing preferences.
ROUTING_FIELDS = frozenset(
    {
        "provider", "providers", "models", "route", "fallbacks", "preset", "plugins", "transforms",
        "context_window_fallbacks", "content_policy_fallbacks", "model_list", "user_config",
        "api_base", "base_url", "api_key", "api_version", "custom_llm_provider", "extra_body",
    }
)  # fmt: skip

_SURROGATE = re.compile("[\ud800-\udfff]")

# At most this many characters of a name (a client's model, a provider) are
# written into a message or a log line; see `quote`.
MAX_ECHO = 128


@dataclass(frozen=True)
class Upstream:
    """Where the gateway sends requests for one catalog target."""

    id: str
    provider: str
    model: str
    url: URL  # the chat completions URL: the target's endpoint + /chat/completions
    api_key: Optional[str]


class BadRequest(Exception):
    """A client body the gateway refuses with 400 ``invalid_request_error``."""

    def __init__(self, message: str, code: Optional[str] = None, param: Optional[str] = None) -> None:
        super().__init__(message)
        self.message, self.code, self.param = message, code, param


def error_body(message: str, type_: str, code: Optional[str], param: Optional[str] = None) -> dict[str, Any]:
    """An error in the shape of the OpenAI API."""
    return {"error": {"message": message, "type": type_, "code": code, "param": param}}


def error(status: int, message: str, type_: str, code: Optional[str], param: Optional[str] = None) -> web.Response:
    """An error response in the shape of the OpenAI API."""
    return web.json_response(error_body(message, type_, code, param), status=status)


def quote(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` in backticks, safe to put in a message or a log line.

    Characters that are not printable (controls such as newline and U+0085,
    line and paragraph separators, format characters such as bidirectional
    overrides, unassigned code points) and the backslash are written as
    Python escapes (``\\n``, ``\\x85``, ``\\u2028``), and the result is cut
    after ``limit`` characters, marked with ``…``.
    """
    out, size = [], 0
    for ch in text:
        piece = ch if ch.isprintable() and ch != "\\" else ch.encode("unicode_escape").decode("ascii")
        if size + len(piece) > limit:
            out.append("…")
            break
        out.append(piece)
        size += len(piece)
    return "`" + "".join(out) + "`"


def _refuse_constant(name: str) -> Any:
    """``json.loads`` hook for ``NaN``, ``Infinity`` and ``-Infinity``: not JSON."""
    raise BadRequest(f"The body contains `{name}`, which is not JSON; send a finite number.")


def _finite_float(text: str) -> float:
    """``json.loads`` hook for numbers with a fraction or an exponent: finite ones only."""
    value = float(text)
    if not math.isfinite(value):
        raise BadRequest(f"The body contains the number {quote(text, 32)}, too large to be read as a float.")
    return value


def parse_body(raw: bytes) -> Any:
    """The client's body as strict JSON; raises ``BadRequest`` for anything else.

    The body must be UTF-8 JSON nested at most ``MAX_BODY_DEPTH`` levels,
    without lone surrogates (``"\\ud800"`` escapes not paired with another),
    which no upstream could take as text and eligo cannot route on. Too deep
    a body is refused whether Python's parser gives up on it or not.
    Python's extensions to JSON are refused too: ``NaN``, ``Infinity`` and
    ``-Infinity``, and numbers too large for a float (``1e999``), which
    Python would read as infinite and write back as ``Infinity``.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The body is not valid UTF-8.") from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise BadRequest(f"The body is nested more than {MAX_BODY_DEPTH} levels deep.") from None
    except ValueError:
        raise BadRequest("The body is not valid JSON.") from None
    stack = [(value, 1)]  # without recursion: the depth is not checked yet
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise BadRequest("The body contains a lone surrogate (an unpaired `\\ud800`-`\\udfff` escape).")
        elif isinstance(item, (dict, list)):
            if depth > MAX_BODY_DEPTH:
                raise BadRequest(f"The body is nested more than {MAX_BODY_DEPTH} levels deep.")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return value


def now() -> str:
    """The current UTC time as RFC 3339, whole seconds (as eligo's events)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def key_variable(provider: str) -> str:
    """The environment variable holding the API key of ``provider``'s upstreams."""
    return "ELIGO_GATEWAY_KEY_" + re.sub(r"[^A-Za-z0-9]", "_", provider).upper()


def load_catalog(path: Union[str, Path]) -> tuple[eligo.Catalog, dict[str, Upstream]]:
    """Reads an eligo JSON catalog: the strict eligo catalog and each target's upstream.

    The file is read once. eligo validates it (any bad value is an error);
    only then does the gateway take ``endpoint``, ``provider`` and ``model``
    from the same text, checking that its targets line up with eligo's ids.
    Every target must have an ``http://`` or ``https://`` endpoint, and
    different provider names must give different API-key variables.
    """
    text = Path(path).read_bytes().decode("utf-8")
    catalog = eligo.Catalog.from_json(text, name=str(path))
    raw = json.loads(text)["targets"]
    if len(raw) != len(catalog):
        raise ValueError(f"{path}: the catalog's targets do not line up with eligo's")
    upstreams = {}
    key_owners: dict[str, str] = {}  # API-key variable -> the provider it belongs to
    for target_id, t in zip(catalog.ids, raw):
        if (t.get("id") or f"{t['provider']}/{t['model']}") != target_id:
            raise ValueError(f"{path}: target `{target_id}` does not line up with eligo's ids")
        endpoint = t.get("endpoint")
        url = URL(endpoint) if endpoint else None
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"{path}: target `{target_id}` needs an http(s) `endpoint`, found {endpoint!r}")
        env = key_variable(t["provider"])
        owner = key_owners.setdefault(env, t["provider"])
        if owner != t["provider"]:
            raise ValueError(
                f"{path}: providers {quote(owner)} and {quote(t['provider'])} would share the API-key"
                f" variable {env}; rename one of them"
            )
        upstreams[target_id] = Upstream(
            id=target_id,
            provider=t["provider"],
            model=t["model"],
            url=URL(str(url).rstrip("/") + "/chat/completions"),
            api_key=os.environ.get(env),
        )
    return catalog, upstreams


def compile_policy(data: bytes, path: Path) -> eligo.Policy:
    """Compiles policy file contents; raises ``eligo.PolicyError`` or ``ValueError``.

    An empty file is refused: it would compile to a policy without
    requirements, and is far more likely a file caught in the middle of
    being rewritten than a decision to allow everything.
    """
    text = data.decode("utf-8")  # UnicodeDecodeError is a ValueError
    if not text.strip():
        raise ValueError(f"{path}: the policy file is empty")
    return eligo.compile(text, name=str(path))


def describe(policy: eligo.Policy) -> dict[str, Any]:
    """The identity of a policy, for gateway events."""
    return {
        "name": policy.name,
        "version": policy.version,
        "mode": policy.mode,
        "fingerprint": policy.fingerprint,
    }


class Gateway:
    """The gateway's state: the catalog, the current policy and the event log."""

    def __init__(
        self,
        policy_path: Union[str, Path],
        catalog_path: Union[str, Path],
        events_path: Union[str, Path],
        *,
        reload_interval: float = 1.0,
        upstream_timeout: float = 120.0,
    ) -> None:
        self.policy_path = Path(policy_path)
        self.events_path = Path(events_path)
        self.reload_interval = reload_interval
        self.upstream_timeout = upstream_timeout
        self.catalog, self.upstreams = load_catalog(catalog_path)
        self._source = self.policy_path.read_bytes()
        self.policy = compile_policy(self._source, self.policy_path)
        self._pending: Optional[bytes] = None  # changed contents seen once, not yet applied
        self._rejected: Optional[bytes] = None  # contents already rejected (and logged)
        self._events = self.events_path.open("ab", buffering=0)  # unbuffered: one write per event
        self._session: Optional[aiohttp.ClientSession] = None
        self.write_event(self._policy_event("policy_loaded", f"loaded {self.policy_path}"))

    # -- events ------------------------------------------------------------

    def write_event(self, event: dict[str, Any]) -> None:
        """Appends one event as a JSON line; raises ``OSError`` when it cannot.

        The line is ASCII: every other character is a ``\\u`` escape, so
        U+2028, U+2029 and U+0085 in a name cannot split it for a reader that
        takes them as line breaks.
        """
        line = (json.dumps(event, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")
        if self._events.write(line) != len(line):
            raise OSError(f"short write to {self.events_path}")

    def _policy_event(self, action: str, message: str, errors: Optional[list[Any]] = None) -> dict[str, Any]:
        """A gateway event about the policy file (``policy_loaded`` or ``policy_rejected``)."""
        return {
            "schema": GATEWAY_EVENT_SCHEMA,
            "time": now(),
            "action": action,
            "file": str(self.policy_path),
            "message": message,
            "policy": describe(self.policy),  # the policy in force after this event
            "errors": errors or [],
        }

    # -- policy reload -----------------------------------------------------

    async def check_policy(self) -> None:
        """Swaps in the policy file's contents if they changed and compile.

        New contents are applied only once two consecutive polls read the
        same bytes, so a half-written file is not picked up. Writers should
        still replace the file atomically (write a temporary file, rename).
        The file is read and compiled in a worker thread, so requests keep
        being served meanwhile (with the current policy); the swap itself
        happens on the event loop.
        """
        try:
            data = await asyncio.to_thread(self.policy_path.read_bytes)
        except OSError as e:
            self._reject(repr(e).encode(), e)
            return
        if data in (self._source, self._rejected):
            self._pending = None
            if data == self._source:
                self._rejected = None
            return
        if data != self._pending:
            self._pending = data
            return
        self._pending = None
        try:
            policy = await asyncio.to_thread(compile_policy, data, self.policy_path)
        except ValueError as e:  # eligo.PolicyError is a ValueError
            self._reject(data, e)
            return
        self.policy, self._source, self._rejected = policy, data, None
        log.info("loaded policy %s (%s)", self.policy_path, policy.fingerprint)
        self.write_event(self._policy_event("policy_loaded", f"loaded {self.policy_path}"))

    def _reject(self, contents: bytes, error: Exception) -> None:
        """Keeps the current policy and writes a ``policy_rejected`` event, once per contents."""
        if contents == self._rejected:
            return
        self._rejected = contents
        message = f"rejected the new contents of {self.policy_path}; the previous policy stays in force"
        log.error("%s:\n%s", message, error)
        errors = getattr(error, "diagnostics", None) or [{"message": str(error)}]
        self.write_event(self._policy_event("policy_rejected", message, errors))

    async def _watch_policy(self) -> None:
        while True:
            await asyncio.sleep(self.reload_interval)
            try:
                await self.check_policy()
            except Exception:  # keep watching; the current policy stays in force
                log.exception("checking the policy file failed")

    # -- HTTP --------------------------------------------------------------

    async def chat_completions(self, request: web.Request) -> web.Response:
        """``POST /v1/chat/completions``: decide, then forward or refuse."""
        policy = self.policy  # this request's policy, whatever reloads happen meanwhile
        try:
            payload = parse_body(await request.read())
        except BadRequest as e:
            return error(400, e.message, "invalid_request_error", e.code, e.param)
        if not isinstance(payload, dict) or not isinstance(payload.get("model"), str):
            return error(400, "The body must be a JSON object with a string `model`.", "invalid_request_error", None)
        overrides = sorted(k for k in payload if k.casefold() in ROUTING_FIELDS)
        if overrides:
            names = ", ".join(quote(k, 64) for k in overrides)
            msg = f"The gateway routes by its policy; remove the routing fields from the body: {names}."
            return error(400, msg, "invalid_request_error", "routing_field_refused", overrides[0].casefold())
        if payload.get("stream"):
            msg = "Streaming is not supported by this gateway; send `stream: false`."
            return error(400, msg, "invalid_request_error", "stream_unsupported", "stream")
        model = payload["model"]

        try:
            decision = policy.route(self.catalog, model)
        except eligo.RequestError as e:  # a model or target the catalog does not have
            # eligo's `help` may suggest a real catalog id ("did you mean ..."):
            # that stays in the gateway's log, the client learns nothing of the catalog.
            d = e.diagnostics[0] if e.diagnostics else {}
            log.info("refused model %s: %s (%s)", quote(model), d.get("code"), d.get("help") or "no suggestion")
            msg = f"The model {quote(model)} does not exist on this gateway."
            return error(404, msg, "invalid_request_error", "model_not_found", "model")
        headers = {"x-eligo-policy": policy.fingerprint}

        event = decision.event
        if event is not None:
            try:
                self.write_event(event)
            except OSError:
                log.exception("could not write a security event")
                if not decision.blocked:  # an unrecorded warn: do not forward
                    msg = "The gateway could not record the request's security event."
                    return web.json_response(
                        error_body(msg, "server_error", "event_log_unavailable"), status=500, headers=headers
                    )

        if decision.blocked or decision.status != 200 or not decision.targets:
            # Anything but a decision to route is refused.
            body = decision.error_body or error_body(
                decision.message or "No compliant provider.", "permission_denied", "no_compliant_provider", "model"
            )
            return web.json_response(body, status=403, headers=headers)

        for target_id in decision.targets:
            upstream = self.upstreams[target_id]
            forwarded = dict(payload, model=model if upstream.model == "*" else upstream.model)
            response = await self._forward(upstream, forwarded)
            if response is not None:
                response.headers.update(headers)
                response.headers["x-eligo-target"] = target_id
                return response
        msg = "No upstream could serve the request: " + ", ".join(decision.targets) + " failed."
        body = error_body(msg, "server_error", "upstream_unavailable")
        return web.json_response(body, status=502, headers=headers)

    async def _forward(self, upstream: Upstream, payload: dict[str, Any]) -> Optional[web.Response]:
        """The upstream's answer, or ``None`` when it failed (connection error, timeout, 5xx)."""
        assert self._session is not None
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if upstream.api_key:
            headers["Authorization"] = f"Bearer {upstream.api_key}"
        # Standard JSON only: NaN or an infinity is a ValueError here, never sent.
        data = json.dumps(payload, allow_nan=False).encode("ascii")
        try:
            async with self._session.post(upstream.url, data=data, headers=headers) as r:
                body = await r.read()
                if r.status >= 500:
                    log.warning("upstream %s answered %d; trying the next target", upstream.id, r.status)
                    return None
                content_type = r.headers.get("Content-Type", "application/json")
                return web.Response(status=r.status, body=body, headers={"Content-Type": content_type})
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            log.warning("upstream %s failed (%r); trying the next target", upstream.id, e)
            return None

    async def models(self, request: web.Request) -> web.Response:
        """``GET /v1/models``: every ``model`` value the current policy would route now.

        That is each model name and each target id for which
        ``Policy.route`` gives a decision that is not blocked.
        """
        policy = self.policy
        models = [u.model for u in self.upstreams.values() if u.model != "*"]
        names = dict.fromkeys(models + list(self.upstreams))
        data = []
        for name in names:
            try:
                decision = policy.route(self.catalog, name)
            except eligo.PolicyError:
                continue
            if not decision.blocked:
                owner = self.upstreams[name].provider if name in self.upstreams else "eligo-gateway"
                data.append({"id": name, "object": "model", "created": 0, "owned_by": owner})
        body = {"object": "list", "data": data}
        return web.json_response(body, headers={"x-eligo-policy": policy.fingerprint})

    async def _lifecycle(self, app: web.Application) -> Any:
        timeout = aiohttp.ClientTimeout(total=self.upstream_timeout)
        self._session = aiohttp.ClientSession(timeout=timeout)
        watcher = asyncio.ensure_future(self._watch_policy())
        yield
        watcher.cancel()
        await self._session.close()
        self._events.close()

    def app(self, client_max_size: int = 16 * 1024 * 1024) -> web.Application:
        """The aiohttp application serving this gateway."""
        app = web.Application(client_max_size=client_max_size)
        app.router.add_post("/v1/chat/completions", self.chat_completions)
        app.router.add_get("/v1/models", self.models)
        app.cleanup_ctx.append(self._lifecycle)
        return app


async def serve(gateway: Gateway, host: str, port: int) -> None:
    """Serves until SIGINT or SIGTERM; prints the address once listening."""
    runner = web.AppRunner(gateway.app())
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    bound_host, bound_port = runner.addresses[0][:2]
    print(f"eligo gateway listening on http://{bound_host}:{bound_port}/v1", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        except NotImplementedError:  # not on this platform; Ctrl-C still ends asyncio.run
            pass
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: Optional[list[str]] = None) -> int:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--policy", required=True, help="the .pol file (reloaded when it changes)")
    p.add_argument("--catalog", required=True, help="an eligo JSON catalog whose targets have an `endpoint`")
    p.add_argument("--events", default="events.jsonl", help="JSON-lines file the events are appended to")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    p.add_argument("--reload-interval", type=float, default=1.0, help="seconds between policy file checks")
    p.add_argument("--upstream-timeout", type=float, default=120.0, help="seconds allowed for one upstream")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        gateway = Gateway(
            args.policy,
            args.catalog,
            args.events,
            reload_interval=args.reload_interval,
            upstream_timeout=args.upstream_timeout,
        )
    except (OSError, ValueError) as e:  # eligo's errors are ValueErrors
        print(f"error: {e}", file=sys.stderr)
        return 2
    asyncio.run(serve(gateway, args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
