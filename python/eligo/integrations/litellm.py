"""A LiteLLM ``Router`` whose every pick is eligo's.

``Router`` takes LiteLLM's ``model_list`` and Router settings plus an eligo
policy, builds the ``litellm.Router`` and returns a facade over it::

    import eligo
    from eligo.integrations.litellm import ComplianceBlocked, Router

    router = Router(model_list, policy=eligo.load("policy.pol"), num_retries=2)
    reply = router.completion(model="gpt-4o", messages=[...], eligo_request={"data_class": "phi"})

The catalog is read from the Router's deployments
(``eligo.Catalog.from_litellm``: ``model_info.data_policy`` declares each
deployment's attributes). For every request eligo decides, and LiteLLM only
balances and retries inside what eligo allowed:

* a request for a model group is routed automatically
  (``Policy.route(..., pinned=False)``): the healthy deployments eligo keeps,
  in LiteLLM's order; none compliant raises ``ComplianceBlocked`` (403),
  compliant ones all cooling down is LiteLLM's usual 429;
* a request naming a deployment id, or a ``litellm_params.model`` that one
  deployment has, is pinned (``pinned=True``): allowed, or blocked, never
  re-routed to another group by ``fallbacks`` or ``default_fallbacks``;
* a ``litellm_params.model`` that several deployments share is refused
  (``UnroutableRequest``), since it names neither a group nor a deployment.

How LiteLLM 1.110 is hooked, and why this is a constructor: a
``CustomLogger`` in ``litellm.callbacks`` filters the candidates of async
picks (``async_filter_deployments``) and checks every deployment picked
(``async_pre_call_deployment_hook``: requests naming a deployment id skip the
filter); ``fallback_access_check`` stops pinned requests from falling back;
a routing plugin that changes nothing makes LiteLLM refuse its synchronous
pick, which runs no filter, so ``router.completion()`` called directly fails
closed, while the facade's ``completion`` drives ``acompletion`` on a private
event loop. LiteLLM accepts routing plugins only when the Router is built
(``Router.apply`` refuses to assign them), and its ``Router`` cannot be
subclassed: hence a constructor that builds the Router with them, rather than
a function that governs an existing one.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import logging
import threading
import uuid
import warnings
import weakref
from collections.abc import Awaitable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Callable, Optional, Union

try:
    import httpx
    import litellm
    from litellm.exceptions import BadRequestError, InternalServerError, PermissionDeniedError
    from litellm.integrations.custom_logger import CustomLogger
    from litellm.router import Router as LiteLLMRouter
    from litellm.router_api import ChangeSet, deployment_id
    from litellm.types.router import Deployment
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "eligo.integrations.litellm needs LiteLLM; install it with pip install 'eligo[litellm]'"
    ) from error

import eligo

__all__ = [
    "LITELLM_VERSION",
    "REQUEST_ID_KEY",
    "REQUEST_KEY",
    "SCOPE_KEY",
    "ComplianceBlocked",
    "EventNotRecorded",
    "Router",
    "UnroutableRequest",
    "log_event",
]

#: The LiteLLM release this module is written and tested against (the
#: ``eligo[litellm]`` extra pins it). LiteLLM's routing internals change
#: between releases; another version gets a warning at import.
LITELLM_VERSION = "1.110.2"

#: The ``model_info`` key that marks a deployment as governed by one
#: ``Router`` (its value is that router's scope id). LiteLLM's callbacks are
#: process-wide; the marker keeps each governed router's decisions to its own
#: deployments.
SCOPE_KEY = "eligo_scope"

#: The metadata key the request attributes travel under (``eligo_request=``).
REQUEST_KEY = "eligo_request"

#: The metadata key of the client request's id, given by the caller or made
#: by the facade: every security event of the request carries it.
REQUEST_ID_KEY = "eligo_request_id"

# The metadata key of the per-request record (what eligo allowed, whether the
# event was delivered). Metadata is shared by LiteLLM's retries and copied
# into fallback hops, so the record follows the client request.
_STATE_KEY = "_eligo_state"

logger = logging.getLogger("eligo.litellm")

try:
    _INSTALLED: Optional[str] = importlib.metadata.version("litellm")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a source checkout of LiteLLM
    _INSTALLED = None
if _INSTALLED != LITELLM_VERSION:
    warnings.warn(
        f"eligo.integrations.litellm is tested with litellm=={LITELLM_VERSION}, found {_INSTALLED}; "
        "LiteLLM's routing hooks change between releases",
        RuntimeWarning,
        stacklevel=2,
    )

# An error answer needs an httpx request to belong to; nothing is ever sent to it.
_NOWHERE = httpx.Request("POST", "https://eligo.invalid/route")

Policies = Union[eligo.Policy, Sequence[eligo.Policy]]
EventSink = Callable[[eligo.SecurityEvent], None]
RequestAttributes = Mapping[str, Union[str, int, bool, None]]


# -- errors -----------------------------------------------------------------


class ComplianceBlocked(PermissionDeniedError, eligo.ComplianceBlocked):
    """eligo blocked the request: no deployment of the group meets the
    policy, or the pinned deployment does not. HTTP 403, never retried; a
    pinned request never falls back to another group. Both LiteLLM's
    permission error and ``eligo.ComplianceBlocked``.

    ``body`` is eligo's OpenAI-compatible 403 body (``decision.error_body``),
    ``code`` is ``"no_compliant_provider"``, ``event`` the security event
    (delivered to ``on_event`` once per client request) and ``decision`` the
    whole decision. LiteLLM appends notes on fallbacks to ``str(error)``;
    ``body`` is what to send a client.
    """

    decision: eligo.Decision
    event: Optional[eligo.SecurityEvent]

    def __init__(self, decision: eligo.Decision) -> None:
        body = decision.error_body or {}
        super().__init__(
            message=decision.message or "blocked by the provider compliance policy",
            llm_provider="eligo",
            model=decision.model,
            response=httpx.Response(403, json=body, request=_NOWHERE),
            num_retries=0,
        )
        self.decision = decision
        self.body = body
        self.code = decision.code or "no_compliant_provider"
        self.event = decision.event


class UnroutableRequest(BadRequestError):
    """eligo could not decide, so nothing was routed: the request named a
    ``litellm_params.model`` several deployments share, or a model the
    catalog lacks, or request attributes the policy refuses, or the Router's
    deployments no longer read as a catalog. HTTP 400, never retried, no
    fallback.

    ``code`` is the eligo diagnostic code (``request/unknown-attribute``,
    ``catalog/...``) or ``litellm/shared-model``; ``error`` the eligo error
    behind it, if any (its help may name catalog targets: log it, do not
    send it to clients).
    """

    error: Optional[eligo.PolicyError]

    def __init__(
        self, message: str, model: str, code: str, error: Optional[eligo.PolicyError] = None
    ) -> None:
        body = {"error": {"message": message, "type": "invalid_request_error", "code": code, "param": "model"}}
        super().__init__(
            message=message,
            model=model,
            llm_provider="eligo",
            response=httpx.Response(400, json=body, request=_NOWHERE),
            num_retries=0,
            body=body,
        )
        self.body = body
        self.code = code
        self.error = error


class EventNotRecorded(InternalServerError):
    """``on_event`` raised for a request eligo let through (warn mode), so
    the request was refused rather than sent unrecorded. HTTP 500, never
    retried, no fallback; ``event`` is the event that was not recorded and
    the ``on_event`` exception is its ``__cause__``. (A blocked request
    raises ``ComplianceBlocked`` whatever ``on_event`` does.)"""

    event: eligo.SecurityEvent

    def __init__(self, event: eligo.SecurityEvent, model: str) -> None:
        body = {
            "error": {
                "message": "The request's security event could not be recorded.",
                "type": "server_error",
                "code": "event_log_unavailable",
                "param": None,
            }
        }
        super().__init__(
            message=body["error"]["message"],
            llm_provider="eligo",
            model=model,
            response=httpx.Response(500, json=body, request=_NOWHERE),
            num_retries=0,
            body=body,
        )
        self.body = body
        self.code = "event_log_unavailable"
        self.event = event


def log_event(event: eligo.SecurityEvent) -> None:
    """The default ``on_event``: the event's JSON at WARNING on the logger
    ``eligo.litellm``."""
    logger.warning("%s", json.dumps(event.to_dict(), sort_keys=True))


# -- the decisions ------------------------------------------------------------


class _RequestState(dict):  # type: ignore[type-arg]
    """What eligo decided for one client request, kept in its metadata.

    A ``dict`` holding only ``request_id`` so that LiteLLM can log the
    metadata; copies (LiteLLM copies metadata into fallback hops) are the
    same record.
    """

    def __init__(self, owner: _Governor, key: Optional[str], request_id: str) -> None:
        super().__init__(request_id=request_id)
        self.owner = owner
        self.key = key
        self.request_id = request_id
        self.allowed: set[str] = set()  # deployment ids eligo let through
        self.reported = False  # the event was delivered, or there was none to give
        self.pinned = False  # a pinned request: never re-routed to another group
        self.final = False  # refused outright: no fallback either
        # The request id, its attributes, the policy layers and the catalog
        # version the record was made under.
        self.context: tuple[Any, ...] = ()

    def __copy__(self) -> _RequestState:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _RequestState:
        return self

    def __reduce__(self) -> Any:
        return (dict, ({"request_id": self.request_id},))


class _Snapshot:
    """The catalog read from the Router's deployments at one registry version."""

    __slots__ = ("version", "catalog", "groups", "by_litellm_model", "error")

    def __init__(
        self,
        version: int,
        catalog: Optional[eligo.Catalog],
        model_list: Sequence[Mapping[str, Any]],
        error: Optional[eligo.PolicyError] = None,
    ) -> None:
        self.version = version
        self.catalog = catalog
        self.error = error
        self.groups = frozenset(str(d.get("model_name")) for d in model_list)
        by_model: dict[str, list[str]] = {}
        for d in model_list:
            params = d.get("litellm_params") or {}
            info = d.get("model_info") or {}
            model, id = params.get("model"), info.get("id")
            if isinstance(model, str) and isinstance(id, str):
                by_model.setdefault(model, []).append(id)
        self.by_litellm_model = {m: tuple(ids) for m, ids in by_model.items()}


def _read_catalog(model_list: Sequence[Mapping[str, Any]]) -> eligo.Catalog:
    """The catalog of a Router's deployments (``Catalog.from_litellm``)."""
    return eligo.Catalog.from_litellm(list(model_list))


def _layers(policy: Policies) -> tuple[eligo.Policy, ...]:
    if isinstance(policy, eligo.Policy):
        return (policy,)
    if isinstance(policy, (str, bytes)) or not isinstance(policy, Iterable):
        raise TypeError(f"policy must be an eligo.Policy or a list of them, not {type(policy).__name__}")
    layers = tuple(policy)
    if not layers:
        raise ValueError("policy: an empty list of layers")
    for layer in layers:
        if not isinstance(layer, eligo.Policy):
            raise TypeError(f"policy layers must be eligo.Policy, not {type(layer).__name__}")
    return layers


def _metadata(request_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    for key in ("metadata", "litellm_metadata"):
        md = request_kwargs.get(key)
        if isinstance(md, dict):
            return md
    return {}


def _id(deployment: Mapping[str, Any]) -> Optional[str]:
    info = deployment.get("model_info") or {}
    return info.get("id")


class _Governor:
    """The state behind one governed Router: its policy layers, the catalog
    of its deployments, and every decision, made by eligo."""

    def __init__(self, layers: tuple[eligo.Policy, ...], on_event: EventSink, scope: str) -> None:
        self.layers = layers
        self.on_event = on_event
        self.scope = scope
        self.router: Any = None
        self.user_fallback_check: Optional[Callable[..., Awaitable[bool]]] = None
        self.closed = False
        self._snapshot: Optional[_Snapshot] = None
        self._adopted = -1
        self._lock = threading.RLock()

    # The catalog follows the Router's registry: rebuilt when its version moves.

    def rebuild(self) -> _Snapshot:
        """Reads the catalog anew; raises ``eligo.CatalogError``."""
        with self._lock:
            version = self.router.registry().version
            model_list = self.router.registry().all()
            snapshot = _Snapshot(version, _read_catalog(model_list), model_list)
            self._snapshot = snapshot
            return snapshot

    def snapshot(self) -> _Snapshot:
        """The current catalog; deployments changed behind the facade's back
        that do not read as a catalog leave a snapshot that refuses every
        request until they are fixed."""
        snapshot = self._snapshot
        version = self.router.registry().version
        if snapshot is not None and snapshot.version == version:
            return snapshot
        try:
            return self.rebuild()
        except eligo.PolicyError as error:
            logger.error("the Router's deployments do not read as an eligo catalog; refusing requests: %s", error)
            with self._lock:
                broken = _Snapshot(version, None, self.router.registry().all(), error)
                self._snapshot = broken
                return broken

    def adopt(self) -> bool:
        """Marks the deployments added or replaced on the ``litellm.Router``
        itself, behind the facade, so that eligo decides for them too;
        whether there were any. All are re-marked in one change, and the
        version is taken as adopted only once every deployment carries the
        mark (until then each request is refused)."""
        version = self.router.registry().version
        if version == self._adopted:
            return False
        adopted = False
        with self._lock:
            for _ in range(3):
                unmarked = [
                    dict(d)
                    for d in list(self.router.registry().all())
                    if (d.get("model_info") or {}).get(SCOPE_KEY) != self.scope
                ]
                if not unmarked:
                    self._adopted = self.router.registry().version
                    return adopted
                adopted = True
                for d in unmarked:
                    logger.warning("deployment %s was changed on the litellm Router directly; governing it", _id(d))
                self.router.apply(ChangeSet(upsert=[Deployment(**_mark(d, self.scope)) for d in unmarked]))
            # Still unmarked after three rounds: leave the version unadopted,
            # so that the next request tries again, and refuse this one.
            return True

    def validate(self, model_list: Sequence[Mapping[str, Any]]) -> None:
        """Raises ``eligo.CatalogError`` when ``model_list`` is not a catalog."""
        _read_catalog(model_list)

    # Per request.

    def state(self, request_kwargs: Mapping[str, Any]) -> _RequestState:
        """This client request's record. A record is shared by the attempts
        of one request (retries, fallback hops), and never by a request with
        other attributes, another policy or another catalog, even one that
        reuses the metadata dict and its id: what was allowed is never taken
        as allowed under anything else."""
        md = _metadata(request_kwargs)
        key = md.get(REQUEST_ID_KEY) or request_kwargs.get("litellm_trace_id")
        key = None if key is None else str(key)
        try:
            attributes = json.dumps(md.get(REQUEST_KEY), sort_keys=True, default=repr)
        except (TypeError, ValueError):
            attributes = repr(md.get(REQUEST_KEY))
        context = (key, attributes, self.layers, self.snapshot().version)
        state = md.get(_STATE_KEY)
        if isinstance(state, _RequestState) and state.owner is self and state.context == context:
            return state
        state = _RequestState(self, key, key or str(uuid.uuid4()))
        state.context = context
        md[_STATE_KEY] = state
        return state

    def decide(
        self,
        snapshot: _Snapshot,
        model: str,
        pinned: bool,
        state: _RequestState,
        request_kwargs: Mapping[str, Any],
        pin: Optional[str] = None,
    ) -> eligo.Decision:
        if snapshot.catalog is None:
            state.final = True
            error = snapshot.error
            code = error.diagnostics[0]["code"] if error is not None and error.diagnostics else "catalog/invalid"
            raise UnroutableRequest(
                "The gateway's provider catalog is invalid; no request is routed until it is fixed.",
                model,
                code,
                error,
            )
        attributes = _metadata(request_kwargs).get(REQUEST_KEY)
        layers = self.layers
        try:
            # `pin` pins that deployment for the model `model`; else `model`
            # is a group (pinned=False) or a deployment id (pinned=True).
            how: dict[str, Any] = {"pin": pin} if pin is not None else {"pinned": pinned}
            if len(layers) == 1:
                return layers[0].route(
                    snapshot.catalog, model, request=attributes, request_id=state.request_id, **how
                )
            return eligo.route_layered(
                layers, snapshot.catalog, model, request=attributes, request_id=state.request_id, **how
            )
        except eligo.PolicyError as error:
            state.final = True
            first = error.diagnostics[0] if error.diagnostics else {}
            raise UnroutableRequest(
                str(first.get("message") or "the request could not be routed"),
                model,
                str(first.get("code") or "request/invalid"),
                error,
            ) from error

    def enforce(self, decision: eligo.Decision, state: _RequestState, model: str) -> frozenset[str]:
        """Delivers the decision's event once per request; raises for a block."""
        event = decision.event
        if event is not None and not state.reported:
            state.reported = True
            try:
                self.on_event(event)
            except Exception as error:
                if not decision.blocked:
                    state.final = True
                    logger.exception("on_event raised; request %s refused", state.request_id)
                    raise EventNotRecorded(event, model) from error
                logger.exception("on_event raised for the block of request %s", state.request_id)
        if decision.blocked:
            if state.pinned:
                state.final = True
            raise ComplianceBlocked(decision)
        targets = frozenset(decision.targets)
        state.allowed.update(targets)
        return targets

    # The hooks.

    def filter(
        self, model: str, healthy: list[dict[str, Any]], request_kwargs: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        state = self.state(request_kwargs)
        snapshot = self.snapshot()
        if model in snapshot.groups or model == "*":
            name = model
            if model == "*":  # a wildcard deployment: the model asked for is the group's name
                name = str(_metadata(request_kwargs).get("model_group") or model)
            decision = self.decide(snapshot, name, False, state, request_kwargs)
        else:
            ids = snapshot.by_litellm_model.get(model, ())
            state.pinned = True
            if len(ids) != 1:
                state.final = True
                if ids:
                    message = (
                        f"`{model[:64]}` is the provider model of {len(ids)} deployments; "
                        "name their model group, or one deployment by its id"
                    )
                    raise UnroutableRequest(message, model, "litellm/shared-model")
                raise UnroutableRequest(f"no model `{model[:64]}` in the catalog", model, "request/unknown-model")
            decision = self.decide(snapshot, ids[0], True, state, request_kwargs)
        targets = self.enforce(decision, state, model)
        return [d for d in healthy if _id(d) in targets]

    def check_pick(self, info: Mapping[str, Any], kwargs: Mapping[str, Any]) -> None:
        state = self.state(kwargs)
        id = info.get("id")
        snapshot = self.snapshot()
        target = snapshot.catalog.get(id) if snapshot.catalog is not None and isinstance(id, str) else None
        if target is not None and target.model == "*":
            # A deployment serving every model name is judged as serving the
            # group this attempt asks for (on a fallback hop, the group
            # fallen back to), whatever was decided for an earlier one.
            name = _metadata(kwargs).get("model_group")
            if not isinstance(name, str) or not name or name == "*":
                state.final = True
                raise UnroutableRequest("no model name to judge a wildcard deployment for", str(id), "request/unknown-model")
            decision = self.decide(snapshot, name, True, state, kwargs, pin=str(id))
            self.enforce(decision, state, name)
            return
        if id in state.allowed:
            return
        # Not among what eligo allowed this request: a request naming a
        # deployment id (LiteLLM skips the filter for those), judged pinned.
        state.pinned = True
        if snapshot.catalog is not None and (not isinstance(id, str) or id not in snapshot.catalog):
            state.final = True
            raise UnroutableRequest("the deployment picked is not in the catalog", str(id), "request/unknown-target")
        decision = self.decide(snapshot, str(id), True, state, kwargs)
        self.enforce(decision, state, str(id))

    async def allow_fallback(self, *, model: str, request_kwargs: Mapping[str, Any], ctx: Any) -> bool:
        """LiteLLM's ``fallback_access_check``: a pinned or refused request
        never falls back; an automatic one may, and eligo decides again for
        the group it falls back to."""
        md = _metadata(request_kwargs)
        state = md.get(_STATE_KEY)
        if isinstance(state, _RequestState) and state.owner is self and (state.pinned or state.final):
            return False
        requested = md.get("original_model_group") or request_kwargs.get("model")
        snapshot = self.snapshot()
        if snapshot.catalog is None:
            return False
        if isinstance(requested, str) and requested not in snapshot.groups:
            if requested in snapshot.catalog or requested in snapshot.by_litellm_model:
                return False  # a deployment id or a provider model: pinned
        if self.user_fallback_check is not None:
            return bool(await self.user_fallback_check(model=model, request_kwargs=request_kwargs, ctx=ctx))
        return True


def _mark(deployment: Mapping[str, Any], scope: str) -> dict[str, Any]:
    """A copy of a ``model_list`` entry marked with a router's scope."""
    marked = dict(deployment)
    info = dict(marked.get("model_info") or {})
    info[SCOPE_KEY] = scope
    marked["model_info"] = info
    return marked


def _ours(deployments: Iterable[Mapping[str, Any]], scope: str) -> bool:
    """Whether any of the deployments carries the mark of the router of
    ``scope``. Every deployment of a governed router carries it: the facade
    marks what it adds, and each pick first marks (``_Governor.adopt``)
    whatever was changed on the ``litellm.Router`` directly, refusing that
    request."""
    return any((d.get("model_info") or {}).get(SCOPE_KEY) == scope for d in deployments)


class _Guard(CustomLogger):
    """The process-wide LiteLLM callback of one governed Router. ``scope`` is
    public so that LiteLLM, which keeps one logger per class and public
    fields, keeps one per Router."""

    def __init__(self, governor: _Governor) -> None:
        super().__init__()
        self.scope = governor.scope
        self._governor = weakref.ref(governor)

    async def async_filter_deployments(
        self,
        model: str,
        healthy_deployments: list[dict[str, Any]],
        messages: Any,
        request_kwargs: Optional[dict[str, Any]] = None,
        parent_otel_span: Any = None,
    ) -> list[dict[str, Any]]:
        governor = self._governor()
        if governor is None or not _ours(healthy_deployments, self.scope):
            return healthy_deployments
        return governor.filter(model, healthy_deployments, request_kwargs or {})

    async def async_pre_call_deployment_hook(self, kwargs: dict[str, Any], call_type: Any) -> Optional[dict[str, Any]]:
        governor = self._governor()
        info = kwargs.get("model_info") or {}
        if governor is None or info.get(SCOPE_KEY) != self.scope:
            return None
        governor.check_pick(info, kwargs)
        return None


class _Keeper:
    """A LiteLLM routing plugin that changes no candidate. Its presence makes
    LiteLLM refuse the synchronous pick (which runs no filter). On every
    async pick, before the candidates are listed, it marks deployments
    changed on the Router directly and puts the guard back if
    ``litellm.callbacks`` lost it; after ``close()`` it refuses the request."""

    def __init__(self, governor: _Governor, guard: Optional[_Guard] = None) -> None:
        self.governor = governor
        self.guard = guard

    async def run(self, context: Any) -> Any:
        if self.governor.closed:
            raise RuntimeError("this eligo-governed LiteLLM Router was closed")
        if self.governor.adopt():
            # LiteLLM may have resolved this request against the unmarked
            # deployments already: refuse it rather than let it pass unchecked.
            raise UnroutableRequest(
                "The gateway's deployments changed while this request was routed; send it again.",
                "",
                "litellm/deployments-changed",
            )
        guard = self.guard
        if guard is not None and not any(cb is guard for cb in litellm.callbacks):
            logger.warning("the eligo guard was missing from litellm.callbacks; added again")
            litellm.logging_callback_manager.add_litellm_callback(guard)
        return context


class _Bridge:
    """One private event loop on a daemon thread: the sync methods run the
    async ones there, so both go through the same checks."""

    def __init__(self) -> None:
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def run(self, coroutine: Awaitable[Any]) -> Any:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=self._loop.run_forever, name="eligo-litellm-sync", daemon=True
                )
                self._thread.start()
            loop, thread = self._loop, self._thread
        if threading.current_thread() is thread:
            raise RuntimeError("a sync method of the governed Router was called from its own event loop")

        async def wrapped() -> Any:
            return await coroutine

        return asyncio.run_coroutine_threadsafe(wrapped(), loop).result()

    def stop(self) -> None:
        """Cancels what still runs on the loop (LiteLLM's logging worker),
        then stops it."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return

        async def drain() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(drain(), loop).result(timeout=5)
        except Exception:  # pragma: no cover - a task that will not end
            logger.exception("tasks of the sync loop did not end")
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        if not thread.is_alive():
            loop.close()


# -- the facade ----------------------------------------------------------------


class Router:
    """A ``litellm.Router`` governed by eligo policies.

    ``model_list`` and ``router_kwargs`` are those of ``litellm.Router``
    (``num_retries``, ``fallbacks``, ``default_fallbacks``,
    ``routing_strategy``, …); ``plugins`` and ``fallback_access_check`` are
    kept and run alongside eligo's. ``policy`` is an ``eligo.Policy`` or a
    list of layers (``eligo.route_layered``). ``on_event`` receives each
    security event, once per client request (default: ``log_event``); it
    runs on LiteLLM's event loop, so keep it short. A deployment's
    ``model_info.data_policy`` declares its attributes (docs/CATALOG.md);
    deployments that do not read as a catalog raise ``eligo.CatalogError``.

    Call ``completion``/``acompletion``/``embedding``/``aembedding`` with
    ``eligo_request={"data_class": "phi", ...}`` for the request attributes.
    ``router`` is the ``litellm.Router``: its async methods that pick a
    deployment are governed too, its sync ones fail closed; its moderation
    methods (``amoderation``) pick no deployment for a name that is not a
    model group and are not governed, so do not expose them to clients. Change deployments through this object
    (``add_deployment``, ...) so that they are marked and checked; ``close()``
    (or a ``with`` block) ends it.
    """

    def __init__(
        self,
        model_list: Optional[Sequence[Mapping[str, Any]]] = None,
        *,
        policy: Policies,
        on_event: Optional[EventSink] = None,
        **router_kwargs: Any,
    ) -> None:
        self._scope = uuid.uuid4().hex
        self._governor = _Governor(_layers(policy), on_event or log_event, self._scope)
        self._governor.user_fallback_check = router_kwargs.pop("fallback_access_check", None)
        keeper = _Keeper(self._governor)
        plugins = [*(router_kwargs.pop("plugins", None) or ()), keeper]
        self.router = LiteLLMRouter(
            model_list=[_mark(d, self._scope) for d in model_list or ()],
            plugins=plugins,
            fallback_access_check=self._governor.allow_fallback,
            **router_kwargs,
        )
        self._governor.router = self.router
        self._governor.rebuild()
        self._guard = _Guard(self._governor)
        keeper.guard = self._guard
        litellm.logging_callback_manager.add_litellm_callback(self._guard)
        if not any(cb is self._guard for cb in litellm.callbacks):
            raise RuntimeError("LiteLLM did not register eligo's routing callback")
        self._bridge = _Bridge()
        self._stop_bridge = weakref.finalize(self, self._bridge.stop)

    # -- policy and catalog

    @property
    def policies(self) -> tuple[eligo.Policy, ...]:
        """The policy layers in force."""
        return self._governor.layers

    def set_policy(self, policy: Policies) -> None:
        """Replaces the policy (or its layers) for the next request on."""
        self._governor.layers = _layers(policy)

    @property
    def catalog(self) -> eligo.Catalog:
        """The catalog of the Router's current deployments."""
        snapshot = self._governor.snapshot()
        if snapshot.catalog is None:
            assert snapshot.error is not None
            raise snapshot.error
        return snapshot.catalog

    # -- deployments

    def add_deployment(self, deployment: Union[Deployment, Mapping[str, Any]]) -> Optional[Deployment]:
        """``litellm.Router.add_deployment``, for a ``Deployment`` or a
        ``model_list`` entry; raises ``eligo.CatalogError``, changing
        nothing, when it does not read as a catalog target."""
        self._check_open()
        marked = self._deployment(deployment)
        self._validate_with(marked)
        added: Optional[Deployment] = self.router.add_deployment(marked)
        self._governor.rebuild()
        return added

    def upsert_deployment(self, deployment: Union[Deployment, Mapping[str, Any]]) -> Optional[Deployment]:
        """Adds or replaces a deployment (``Router.apply(ChangeSet(upsert=...))``),
        checked as ``add_deployment``; ``None`` when nothing changed."""
        self._check_open()
        marked = self._deployment(deployment)
        self._validate_with(marked)
        result = self.router.apply(ChangeSet(upsert=[marked]))
        self._governor.rebuild()
        upserted: Optional[Deployment] = next(iter(result.upserted), None)
        return upserted

    def delete_deployment(self, id: str) -> Optional[Any]:
        """Removes a deployment (``Router.apply(ChangeSet(delete=[id]))``):
        the entry removed, ``None`` for an unknown id."""
        self._check_open()
        result = self.router.apply(ChangeSet(delete=[id]))
        self._governor.rebuild()
        deleted: Optional[Any] = next(iter(result.deleted), None)
        return deleted

    # -- requests

    async def acompletion(
        self, model: str, messages: list[Any], *, eligo_request: Optional[RequestAttributes] = None, **kwargs: Any
    ) -> Any:
        """``litellm.Router.acompletion``, decided by eligo."""
        self._check_open()
        return await self.router.acompletion(model=model, messages=messages, **self._stamped(kwargs, eligo_request))

    def completion(
        self, model: str, messages: list[Any], *, eligo_request: Optional[RequestAttributes] = None, **kwargs: Any
    ) -> Any:
        """``litellm.Router.completion``, decided by eligo (run as
        ``acompletion`` on a private event loop; a stream is an iterator)."""
        result = self._bridge.run(self.acompletion(model, messages, eligo_request=eligo_request, **kwargs))
        if kwargs.get("stream") and hasattr(result, "__anext__"):
            return self._iterate(result)
        return result

    async def aembedding(
        self, model: str, input: Any, *, eligo_request: Optional[RequestAttributes] = None, **kwargs: Any
    ) -> Any:
        """``litellm.Router.aembedding``, decided by eligo."""
        self._check_open()
        return await self.router.aembedding(model=model, input=input, **self._stamped(kwargs, eligo_request))

    def embedding(
        self, model: str, input: Any, *, eligo_request: Optional[RequestAttributes] = None, **kwargs: Any
    ) -> Any:
        """``litellm.Router.embedding``, decided by eligo (run as ``aembedding``)."""
        return self._bridge.run(self.aembedding(model, input, eligo_request=eligo_request, **kwargs))

    # -- lifetime

    def close(self) -> None:
        """Ends governance: removes the process-wide callback and stops the
        sync loop. The ``litellm.Router`` refuses every request afterwards."""
        if self._governor.closed:
            return
        self._governor.closed = True
        litellm.logging_callback_manager.remove_callback_from_all_lists(self._guard)
        self._stop_bridge()

    def __enter__(self) -> Router:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers

    def _check_open(self) -> None:
        if self._governor.closed:
            raise RuntimeError("this eligo-governed LiteLLM Router was closed")

    def _deployment(self, deployment: Union[Deployment, Mapping[str, Any]]) -> Deployment:
        if isinstance(deployment, Deployment):
            data: dict[str, Any] = deployment.model_dump(exclude_none=True)
        elif isinstance(deployment, Mapping):
            data = dict(deployment)
        else:
            raise TypeError(f"a deployment is a litellm Deployment or a mapping, not {type(deployment).__name__}")
        data = _mark(data, self._scope)
        if not data["model_info"].get("id"):  # LiteLLM's own stable id for a model_list entry
            data["model_info"]["id"] = deployment_id(str(data.get("model_name")), data.get("litellm_params") or {})
        return Deployment(**data)

    def _validate_with(self, deployment: Deployment) -> None:
        entry = deployment.model_dump(exclude_none=True)
        id = entry["model_info"]["id"]
        current = [d for d in self.router.registry().all() if _id(d) != id]
        self._governor.validate([*current, entry])

    def _stamped(self, kwargs: dict[str, Any], attributes: Optional[RequestAttributes]) -> dict[str, Any]:
        """The call's arguments with fresh metadata: the request id (the
        caller's ``eligo_request_id`` or a new one) and the attributes."""
        md = dict(kwargs.get("metadata") or {})
        md.pop(_STATE_KEY, None)
        if not md.get(REQUEST_ID_KEY):
            md[REQUEST_ID_KEY] = str(uuid.uuid4())
        if attributes is not None:  # anything but a mapping is eligo's RequestError
            md[REQUEST_KEY] = dict(attributes) if isinstance(attributes, Mapping) else attributes
        return {**kwargs, "metadata": md}

    def _iterate(self, stream: Any) -> Iterator[Any]:
        async def step() -> Any:
            return await stream.__anext__()

        while True:
            try:
                chunk = self._bridge.run(step())
            except StopAsyncIteration:
                return
            yield chunk
