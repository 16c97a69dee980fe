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

Policies can depend on the request (``when request.data_class == "phi" {…}``).
The gateway gives eligo the request attributes itself, from what the server
knows, never from what a client says to loosen its own treatment:

* ``team``, ``app`` and a data-class floor come from the configuration of the
  client's API key (``--keys``, a JSON file; see ``load_access``);
* a classifier the operator configures (``--classifier``) reads the body and
  may name a data class;
* the client may only *raise* its data class, with an ``X-Data-Class``
  header or a ``data_class`` body field (not forwarded upstream), along the
  ordered list of classes in the keys file. The class applied is the highest
  of the floor, the classifier's and the client's. A class the list does not
  have is refused with 400 ``invalid_data_class``: nothing is routed.
* ``kind`` is ``chat``. A request of which nothing says the data class is
  routed with the class not given, which eligo treats most strictly.

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
import hashlib
import importlib
import importlib.util
import inspect
import json
import logging
import math
import os
import re
import signal
import sys
import uuid
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional, Union

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

# The header and the body field with which a client may raise (never lower)
# the data class of its request. The body field is compared case-folded and
# never forwarded upstream.
DATA_CLASS_HEADER = "X-Data-Class"
DATA_CLASS_FIELD = "data_class"

# The fields of a key's entry in the keys file.
CLIENT_FIELDS = frozenset({"team", "app", "data_class"})

# A classifier: given the request body (a dict, not to be changed), a data
# class or None. A coroutine function is awaited; any other callable runs in
# a worker thread so that it cannot hold up the event loop.
Classifier = Callable[[dict[str, Any]], Union[Optional[str], Awaitable[Optional[str]]]]

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


class Unauthorized(Exception):
    """A request without a usable API key; answered with 401 ``invalid_api_key``."""


class ClassifierFailed(Exception):
    """The classifier raised, or named a class the keys file does not list; answered with 500."""


@dataclass(frozen=True)
class Client:
    """What the server's configuration says about the requests of one API key."""

    team: Optional[str] = None
    app: Optional[str] = None
    data_class: Optional[str] = None  # the floor: the class is never lower


@dataclass(frozen=True)
class Access:
    """The keys file: the ordered data classes, each key's client, and the
    client of requests without a key (``None``: a key is required).

    Keys are held by their SHA-256 digest. Without a keys file every request
    is anonymous with no attributes, and no data class is known.
    """

    data_classes: tuple[str, ...] = ()
    keys: Mapping[str, Client] = field(default_factory=dict)
    anonymous: Optional[Client] = Client()

    def rank(self, data_class: str) -> int:
        """Where ``data_class`` is in the ordered list; ``ValueError`` when it is not there."""
        return self.data_classes.index(data_class)

    def client(self, authorization: list[str]) -> Client:
        """The client of a request with these ``Authorization`` headers; raises ``Unauthorized``.

        Without configured keys, every request is anonymous and the header is
        not read. Otherwise a request with one ``Bearer`` key is that key's
        client, and one without the header the anonymous client, when there
        is one. A key that is not configured is refused, never treated as
        anonymous.
        """
        if not self.keys:
            if self.anonymous is None:
                raise Unauthorized()
            return self.anonymous
        if not authorization:
            if self.anonymous is None:
                raise Unauthorized()
            return self.anonymous
        if len(authorization) != 1:
            raise Unauthorized()
        scheme, _, token = authorization[0].strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized()
        digest = hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()
        client = self.keys.get(digest)
        if client is None:
            raise Unauthorized()
        return client

    def data_class(self, client: Client, classified: Optional[str], claimed: list[str]) -> Optional[str]:
        """The class a request is routed with: the highest of the key's floor,
        the classifier's class and the classes the client claims, or ``None``
        when none of them says. Raises ``BadRequest`` for a claimed class the
        list does not have: refused, not guessed at."""
        for value in claimed:
            if value not in self.data_classes:
                known = ", ".join(quote(c, 64) for c in self.data_classes) or "none"
                raise BadRequest(
                    f"The data class {quote(value, 64)} is not one this gateway knows ({known}).",
                    "invalid_data_class",
                    DATA_CLASS_FIELD,
                )
        candidates = [c for c in (client.data_class, classified, *claimed) if c is not None]
        return max(candidates, key=self.rank) if candidates else None


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads`` hook: an object with a key twice is an error, not the last value."""
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"the key {quote(k)} is given twice")
        out[k] = v
    return out


def load_access(path: Union[str, Path]) -> Access:
    """Reads a keys file; raises ``ValueError`` for anything it does not expect.

    The file is a JSON object::

        {"data_classes": ["public", "internal", "pii", "phi"],
         "keys": {"sha256:<hex digest of the key>": {"team": "support", "app": "helpdesk", "data_class": "pii"},
                  "a-plain-key": {"team": "research"}},
         "anonymous": {"data_class": "internal"}}

    * ``data_classes``: the data classes, lowest first. A client may raise
      its class along this list, never lower it.
    * ``keys``: each API key (written as is, or as ``sha256:`` and the
      lowercase hex SHA-256 digest of the key, so the file need not hold it)
      with its ``team``, ``app`` and ``data_class`` floor, each optional.
    * ``anonymous``: the same for requests without an ``Authorization``
      header. Left out when there are keys (or ``null``), such requests get
      401; left out when there are none, every request is anonymous with no
      attributes.
    """
    where = str(path)
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"), object_pairs_hook=_no_duplicate_keys)
    except ValueError as e:
        raise ValueError(f"{where}: not a valid keys file: {e}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: the keys file must be a JSON object")
    unknown = sorted(set(raw) - {"data_classes", "keys", "anonymous"})
    if unknown:
        raise ValueError(f"{where}: unknown field {quote(unknown[0])} (expected data_classes, keys, anonymous)")
    classes = raw.get("data_classes", [])
    if not isinstance(classes, list) or not all(isinstance(c, str) and c for c in classes):
        raise ValueError(f"{where}: `data_classes` must be a list of non-empty strings, lowest first")
    if len(set(classes)) != len(classes):
        raise ValueError(f"{where}: `data_classes` lists a class twice")

    def client(entry: Any, name: str) -> Client:
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: {name} must be an object with team, app and data_class")
        extra = sorted(set(entry) - CLIENT_FIELDS)
        if extra:
            raise ValueError(f"{where}: {name}: unknown field {quote(extra[0])} (expected team, app, data_class)")
        for f in CLIENT_FIELDS:
            if f in entry and not (isinstance(entry[f], str) and entry[f]):
                raise ValueError(f"{where}: {name}: `{f}` must be a non-empty string")
        if "data_class" in entry and entry["data_class"] not in classes:
            raise ValueError(f"{where}: {name}: the data class {quote(entry['data_class'])} is not in `data_classes`")
        return Client(team=entry.get("team"), app=entry.get("app"), data_class=entry.get("data_class"))

    keys_raw = raw.get("keys", {})
    if not isinstance(keys_raw, dict):
        raise ValueError(f"{where}: `keys` must be an object from API key to its client")
    keys: dict[str, Client] = {}
    for n, (key, entry) in enumerate(keys_raw.items()):
        name = f"key #{n + 1}"  # never the key itself, which may be a secret
        if key.startswith("sha256:"):
            digest = key[len("sha256:"):].lower()
            if not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise ValueError(f"{where}: {name}: `sha256:` must be followed by 64 hex digits")
        elif key and key == key.strip() and not any(c.isspace() for c in key):
            digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        else:
            raise ValueError(f"{where}: {name}: a key must be non-empty, without spaces")
        if digest in keys:
            raise ValueError(f"{where}: {name}: the same key is configured twice")
        keys[digest] = client(entry, name)
    if "anonymous" in raw:
        anonymous = None if raw["anonymous"] is None else client(raw["anonymous"], "`anonymous`")
    else:
        anonymous = None if keys else Client()
    if not keys and anonymous is None:
        raise ValueError(f"{where}: no keys and no anonymous client: no request could be served")
    return Access(data_classes=tuple(classes), keys=keys, anonymous=anonymous)


def load_classifier(spec: str) -> Classifier:
    """The callable ``FUNCTION`` of ``MODULE:FUNCTION`` or ``path/to/file.py:FUNCTION``."""
    source, sep, name = spec.rpartition(":")
    if not sep or not source or not name:
        raise ValueError(f"--classifier {spec!r}: expected MODULE:FUNCTION or FILE.py:FUNCTION")
    try:
        if source.endswith(".py"):
            loaded = importlib.util.spec_from_file_location("eligo_gateway_classifier", source)
            if loaded is None or loaded.loader is None:
                raise ValueError(f"cannot load {source}")
            module = importlib.util.module_from_spec(loaded)
            loaded.loader.exec_module(module)
        else:
            module = importlib.import_module(source)
    except Exception as e:  # a missing file, a syntax error, an import that fails
        raise ValueError(f"--classifier {spec!r}: {e}") from e
    fn = getattr(module, name, None)
    if not callable(fn):
        raise ValueError(f"--classifier {spec!r}: {source} has no callable {name!r}")
    return fn  # type: ignore[no-any-return]


def claimed_data_classes(headers: Any, payload: dict[str, Any]) -> list[str]:
    """The data classes a client claims: each ``X-Data-Class`` header, and
    each body field named ``data_class`` in any letter case. Raises
    ``BadRequest`` for a body value that is not a string."""
    claimed = [v.strip() for v in headers.getall(DATA_CLASS_HEADER, [])]
    for k, v in payload.items():
        if k.casefold() == DATA_CLASS_FIELD:
            if not isinstance(v, str):
                raise BadRequest(f"The body field {quote(k, 64)} must be a string.", "invalid_data_class", k)
            claimed.append(v)
    return claimed


def error_body(message: str, type_: str, code: Optional[str], param: Optional[str] = None) -> dict[str, Any]:
    """An error in the shape of the OpenAI API."""
    return {"error": {"message": message, "type": type_, "code": code, "param": param}}


# A client's own request id is kept when it is short and plain; any other
# value is replaced, so that what reaches the event log is always a token.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_of(headers: Any) -> str:
    """The id of a client request, for its security event and the
    ``x-request-id`` answer header: the client's ``x-request-id`` when it is
    1 to 128 letters, digits or ``._:-``, else a new one."""
    given = headers.get("x-request-id")
    if isinstance(given, str) and REQUEST_ID.fullmatch(given):
        return given
    return f"req-{uuid.uuid4().hex}"


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
        keys_path: Optional[Union[str, Path]] = None,
        classifier: Optional[Classifier] = None,
    ) -> None:
        self.access = load_access(keys_path) if keys_path is not None else Access()
        if classifier is not None and not self.access.data_classes:
            raise ValueError("a classifier needs the ordered `data_classes` of a keys file (--keys)")
        self.classifier = classifier
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

    # -- request attributes --------------------------------------------------

    def _client(self, request: web.Request) -> Client:
        """The request's client by its API key; raises ``Unauthorized``."""
        return self.access.client(request.headers.getall("Authorization", []))

    async def _classify(self, payload: dict[str, Any]) -> Optional[str]:
        """The classifier's data class for ``payload``; raises ``ClassifierFailed``."""
        if self.classifier is None:
            return None
        try:
            if inspect.iscoroutinefunction(self.classifier):
                result = await self.classifier(payload)
            else:
                result = await asyncio.to_thread(self.classifier, payload)
                if inspect.isawaitable(result):
                    result = await result
        except Exception as e:
            log.exception("the classifier failed")
            raise ClassifierFailed() from e
        if result is not None and (not isinstance(result, str) or result not in self.access.data_classes):
            log.error("the classifier gave %r, which is not in the keys file's data_classes", result)
            raise ClassifierFailed()
        return result

    @staticmethod
    def attributes(client: Client, data_class: Optional[str]) -> dict[str, str]:
        """The request attributes eligo routes with; those nobody gave are left out."""
        attrs = {"kind": "chat", "team": client.team, "app": client.app, "data_class": data_class}
        return {k: v for k, v in attrs.items() if v is not None}

    # -- HTTP --------------------------------------------------------------

    async def chat_completions(self, request: web.Request) -> web.Response:
        """``POST /v1/chat/completions``: decide, then forward or refuse."""
        policy = self.policy  # this request's policy, whatever reloads happen meanwhile
        try:
            client = self._client(request)
        except Unauthorized:
            return error(401, "The API key is missing or not valid.", "invalid_request_error", "invalid_api_key")
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
            claimed = claimed_data_classes(request.headers, payload)
            payload = {k: v for k, v in payload.items() if k.casefold() != DATA_CLASS_FIELD}
            classified = await self._classify(payload)
            data_class = self.access.data_class(client, classified, claimed)
        except BadRequest as e:
            return error(400, e.message, "invalid_request_error", e.code, e.param)
        except ClassifierFailed:
            msg = "The gateway could not classify the request."
            return error(500, msg, "server_error", "classifier_failed")
        attributes = self.attributes(client, data_class)

        request_id = request_id_of(request.headers)
        try:
            decision = policy.route(self.catalog, model, request=attributes, request_id=request_id)
        except eligo.RequestError as e:  # a model or target the catalog does not have
            # eligo's `help` may suggest a real catalog id ("did you mean ..."):
            # that stays in the gateway's log, the client learns nothing of the catalog.
            d = e.diagnostics[0] if e.diagnostics else {}
            log.info("refused model %s: %s (%s)", quote(model), d.get("code"), d.get("help") or "no suggestion")
            msg = f"The model {quote(model)} does not exist on this gateway."
            return error(404, msg, "invalid_request_error", "model_not_found", "model")
        headers = {"x-eligo-policy": policy.fingerprint, "x-request-id": request_id}

        event = decision.event
        if event is not None:
            try:
                self.write_event(event.to_dict())
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
        ``Policy.route`` gives a decision that is not blocked, for this key's
        attributes and the data class its ``X-Data-Class`` header claims
        (there is no body for the classifier to read).
        """
        policy = self.policy
        try:
            client = self._client(request)
            data_class = self.access.data_class(client, None, claimed_data_classes(request.headers, {}))
        except Unauthorized:
            return error(401, "The API key is missing or not valid.", "invalid_request_error", "invalid_api_key")
        except BadRequest as e:
            return error(400, e.message, "invalid_request_error", e.code, e.param)
        attributes = self.attributes(client, data_class)
        models = [u.model for u in self.upstreams.values() if u.model != "*"]
        names = dict.fromkeys(models + list(self.upstreams))
        data = []
        for name in names:
            try:
                decision = policy.route(self.catalog, name, request=attributes)
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
    p.add_argument(
        "--keys",
        help="JSON file of API keys (each with its team, app and data-class floor) and the ordered data classes",
    )
    p.add_argument(
        "--classifier",
        help="MODULE:FUNCTION or FILE.py:FUNCTION given each request body, returning a data class or None",
    )
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        gateway = Gateway(
            args.policy,
            args.catalog,
            args.events,
            reload_interval=args.reload_interval,
            upstream_timeout=args.upstream_timeout,
            keys_path=args.keys,
            classifier=load_classifier(args.classifier) if args.classifier else None,
        )
    except (OSError, ValueError) as e:  # eligo's errors are ValueErrors
        print(f"error: {e}", file=sys.stderr)
        return 2
    asyncio.run(serve(gateway, args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
