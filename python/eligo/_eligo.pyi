"""Type stubs for the eligo extension module (checked by mypy.stubtest)."""

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
import datetime
from typing import Any, ClassVar, Optional, SupportsIndex, TypeVar, Union, final, overload

_M = TypeVar("_M", bound=Mapping[str, Any])
_T = TypeVar("_T")

# The attributes of one request (``request=``), by name with or without
# ``request.``: ``{"data_class": "phi", "team": "research"}``.
_RequestAttributes = Mapping[str, Union[str, int, bool, None]]

# A date argument: ``YYYY-MM-DD`` text or a ``datetime.date`` (a
# ``datetime.datetime`` is refused with ``TypeError``: its day depends on a
# time zone).
_Date = Union[str, datetime.date]

__all__ = [
    "Candidate",
    "Catalog",
    "ComplianceBlocked",
    "CatalogError",
    "EventGroup",
    "EventPolicy",
    "EventRequest",
    "Failure",
    "PolicyFileNotFoundError",
    "PolicyImportError",
    "SecurityEvent",
    "Target",
    "route_layered",
    "import_policy",
    "AllowedSet",
    "Decision",
    "EncodedCatalog",
    "Policy",
    "PolicyCompileError",
    "PolicyError",
    "PolicySyntaxError",
    "Reason",
    "RequestError",
    "Verdict",
    "compile",
    "diff",
    "expiring",
    "format",
    "impact",
    "load",
    "__version__",
]

__version__: str

class PolicyError(ValueError):
    """A policy, catalog, target or request could not be used.

    ``diagnostics`` lists every problem as a dict with the keys ``code``,
    ``severity``, ``message``, ``file``, ``line``, ``column``, ``end_line``,
    ``end_column``, ``label``, ``help`` and ``related``; ``str()`` is the
    rendered diagnostic text.
    """

    diagnostics: list[dict[str, Any]]

class PolicySyntaxError(PolicyError): ...
class PolicyCompileError(PolicyError): ...
class CatalogError(PolicyError): ...
class PolicyFileNotFoundError(FileNotFoundError, PolicyError):
    """A policy or catalog file does not exist (``load``,
    ``Catalog.from_file``): a ``FileNotFoundError`` (``errno``,
    ``filename``) and a ``PolicyError`` (``diagnostics``, code
    ``io/not-found``)."""

class ComplianceBlocked(Exception):
    """No compliant provider remains for a request (``Decision.raise_if_blocked``):
    the 403 a host answers before any data leaves. ``str()`` is the block
    message. ``eligo.integrations.litellm.ComplianceBlocked`` is a subclass,
    so a host catches both with this class."""

    decision: Decision
    status: int
    # Always "no_compliant_provider" and the OpenAI-shaped 403 body (a dict);
    # typed as widely as LiteLLM's permission error types them, which the
    # LiteLLM integration's subclass also is.
    code: Optional[str]
    body: Any
    event: Optional[SecurityEvent]

class PolicyImportError(PolicyError):
    """Another gateway's policy could not be translated (``import_policy``):
    invalid JSON or YAML, a field of the wrong type, an unknown field (with
    a did-you-mean help), or a setting eligo cannot express, refused rather
    than guessed (``import/...`` codes, docs/IMPORT.md)."""

class RequestError(PolicyError):
    """A request names a model or target the catalog does not have, or its
    ``request=`` attributes do not fit the policy: an unknown name
    (``request/unknown-attribute``, with a did-you-mean help), a value of
    the wrong type (``request/invalid-value``), or a mapping that is not one
    of names to values (``request/invalid-attribute``)."""

@final
class Reason:
    """One failed requirement of a blocked target."""

    @property
    def requirement(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def unknown(self) -> bool: ...
    @property
    def attributes(self) -> list[str]: ...
    @property
    def index(self) -> int: ...
    @property
    def condition(self) -> Optional[str]:
        """The ``when`` condition the requirement stands under, in canonical
        form (nested blocks joined with ``and``), or ``None`` for a
        requirement outside every block. A requirement under a condition
        fails only when the condition held, or when the request did not say
        (then ``attributes`` names the request attributes not given)."""

@final
class Verdict:
    """The verdict on one target: allowed, or blocked with every reason."""

    @property
    def allowed(self) -> bool: ...
    @property
    def target(self) -> str: ...
    @property
    def reasons(self) -> list[Reason]: ...
    def __bool__(self) -> bool: ...

@final
class Failure:
    """One failed requirement of one policy layer, in a decision's
    candidates and an event's groups. The fields are those of ``Reason``,
    with the layer's ``policy`` (display name) and ``mode``; ``to_dict()``
    gives the event JSON of docs/EVENTS.md (``text`` for the requirement,
    ``requirement`` for its index)."""

    @property
    def policy(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def requirement(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def unknown(self) -> bool: ...
    @property
    def attributes(self) -> list[str]: ...
    @property
    def index(self) -> int: ...
    @property
    def condition(self) -> Optional[str]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Candidate:
    """A candidate target of a routing decision and how it fared."""

    @property
    def id(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def compliant(self) -> bool: ...
    @property
    def routed(self) -> bool: ...
    @property
    def failures(self) -> list[Failure]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class EventPolicy:
    """A policy layer as a security event names it."""

    @property
    def name(self) -> str: ...
    @property
    def version(self) -> Optional[str]: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def mode(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class EventRequest:
    """The request as a security event names it."""

    @property
    def id(self) -> Optional[str]:
        """The host's id for the client request (``request_id=``)."""
    @property
    def model(self) -> str: ...
    @property
    def pinned(self) -> Optional[str]: ...
    @property
    def attributes(self) -> dict[str, Union[str, int, bool]]: ...
    @property
    def missing(self) -> list[str]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class EventGroup:
    """Candidates of an event that fared alike, listed by id."""

    @property
    def compliant(self) -> bool: ...
    @property
    def routed(self) -> bool: ...
    @property
    def failures(self) -> list[Failure]: ...
    @property
    def candidates(self) -> list[str]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class SecurityEvent:
    """The security event of a block or of a warn-mode pass, for an
    administrator to review. ``to_dict()`` is the JSON of
    docs/EVENTS.md (schema ``eligo.security_event/2``), ready to store."""

    @property
    def schema(self) -> str: ...
    @property
    def time(self) -> str: ...
    @property
    def date(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def status(self) -> int: ...
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def policies(self) -> list[EventPolicy]: ...
    @property
    def request(self) -> EventRequest: ...
    @property
    def candidate_count(self) -> int: ...
    @property
    def groups(self) -> list[EventGroup]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Decision:
    """A routing decision: the targets to try in order, or a 403 block."""

    @property
    def outcome(self) -> str: ...
    @property
    def blocked(self) -> bool: ...
    @property
    def model(self) -> str:
        """The requested model (for a pinned request, the model it names)."""
    @property
    def pinned(self) -> Optional[str]:
        """The pinned target id, or ``None`` for automatic routing."""
    @property
    def request_id(self) -> Optional[str]:
        """The host's id for the client request (``request_id=``)."""
    @property
    def targets(self) -> list[str]: ...
    @property
    def status(self) -> int: ...
    @property
    def code(self) -> Optional[str]: ...
    @property
    def message(self) -> Optional[str]: ...
    @property
    def error_body(self) -> Optional[dict[str, Any]]: ...
    @property
    def event(self) -> Optional[SecurityEvent]: ...
    @property
    def candidates(self) -> list[Candidate]: ...
    def to_dict(self) -> dict[str, Any]:
        """The decision as JSON (docs/EVENTS.md §3), its event included."""
    def raise_if_blocked(self) -> None:
        """Raises ``ComplianceBlocked`` (with ``decision``, ``status`` 403,
        ``code`` ``no_compliant_provider``, the 403 ``body`` and the
        ``event``) when the decision is a block; else returns ``None``."""

@final
class Target:
    """One target of a catalog, read only (``Catalog[id]``, iteration)."""

    @property
    def id(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def endpoint(self) -> Optional[str]: ...
    @property
    def attributes(self) -> dict[str, Any]:
        """The declared attributes as the catalog format writes them: a
        value, or ``{"value": ..., "expires": "YYYY-MM-DD"}``."""
    def to_dict(self) -> dict[str, Any]:
        """The target in the catalog format; ``Catalog.from_targets`` and
        ``Catalog.with_target`` read it back."""
    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class Catalog:
    """An ordered list of provider targets with unique ids."""

    @staticmethod
    def from_file(path: Union[str, os.PathLike[str]]) -> Catalog: ...
    @staticmethod
    def from_json(text: str, name: str = "<json>") -> Catalog: ...
    @staticmethod
    def from_litellm(config: Union[Sequence[Mapping[str, Any]], Mapping[str, Any]], name: str = "<litellm>") -> Catalog:
        """A catalog of LiteLLM deployments: a ``Router``'s ``model_list``
        (a list of deployment mappings) or a whole proxy configuration with
        a ``model_list``, read as ``--catalog config.yaml`` reads one
        (docs/CATALOG.md): a target a deployment, its model the
        ``model_name``, its provider ``litellm_params.custom_llm_provider``
        or the prefix of ``litellm_params.model``, its id ``model_info.id``,
        its endpoint ``litellm_params.api_base``, its attributes
        ``model_info.data_policy``. Values other than mappings, lists, text,
        numbers, bools and None (a client object, an ``Enum``, a ``UUID``)
        are ignored among the settings eligo does not read, and refused
        (``CatalogError``) in a field it reads."""
    @staticmethod
    def from_targets(targets: Iterable[Mapping[str, Any]]) -> Catalog:
        """A catalog of target mappings, each read as ``Policy.evaluate`` reads one."""
    @property
    def ids(self) -> list[str]: ...
    @property
    def name(self) -> Optional[str]: ...
    def __len__(self) -> int: ...
    def __contains__(self, id: str, /) -> bool: ...
    def __iter__(self) -> Iterator[Target]: ...
    def __getitem__(self, id: str, /) -> Target:
        """The target with id ``id``; ``KeyError`` if there is none."""
    @overload
    def get(self, id: str) -> Optional[Target]: ...
    @overload
    def get(self, id: str, default: _T) -> Union[Target, _T]: ...
    def with_target(self, target: Union[Target, Mapping[str, Any]]) -> Catalog:
        """A new catalog with ``target`` in place of the target with the
        same id (same position), else appended. This catalog does not
        change; policies bind to the new one afresh."""
    def without(self, id: str) -> Catalog:
        """A new catalog without the target ``id``; ``KeyError`` if there
        is none. This catalog does not change."""
    def lint(self) -> list[dict[str, Any]]:
        """Warnings (``lint/misspelled-attribute``) for attribute names
        close to a standard attribute (``gdrp``): policies read ``gdpr``
        and find it undeclared."""

@final
class AllowedSet(Sequence[str]):
    """The targets a filter allowed: a read-only sequence of their ids in
    catalog order, kept as a bitmap over catalog positions.

    The ids are the catalog's own ``str`` objects, made once per catalog
    and shared by every set over it. ``x in s`` is true for an allowed id
    (a ``str``) and, as before, for an allowed catalog position (an
    ``int``). A set equals a list or tuple of the same ids in the same
    order, and another set with the same ids.
    """

    __hash__: ClassVar[None]  # type: ignore[assignment]
    def __len__(self) -> int: ...
    def __contains__(self, x: object, /) -> bool:
        """Whether ``x`` is an allowed id (``str``); anything else is not in
        the set. Ask about a catalog position with ``contains_position``."""
        ...
    def contains_position(self, i: int) -> bool:
        """Whether catalog position ``i`` is allowed (``False`` past the end)."""
        ...
    @overload
    def __getitem__(self, i: SupportsIndex, /) -> str: ...
    @overload
    def __getitem__(self, i: slice, /) -> list[str]: ...
    def __iter__(self) -> Iterator[str]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def index(self, id: Any, start: int = 0, stop: int = ..., /) -> int: ...
    def count(self, id: Any, /) -> int: ...
    def indices(self) -> list[int]:
        """The allowed catalog positions, ascending."""
    def ids(self) -> list[str]:
        """The allowed ids as a new list (of the cached ``str`` objects)."""
    def to_bytes(self) -> bytes: ...
    @property
    def size(self) -> int:
        """The number of catalog positions the set ranges over."""

@final
class EncodedCatalog:
    """A catalog encoded for one policy (``Policy.encode``)."""

    def filter(self) -> AllowedSet: ...
    def is_allowed(self, index: int) -> bool: ...
    @property
    def catalog(self) -> Catalog: ...
    def __len__(self) -> int: ...

@final
class Policy:
    """A compiled policy; immutable and safe to share across threads."""

    @property
    def name(self) -> Optional[str]: ...
    @property
    def version(self) -> Optional[str]: ...
    @property
    def mode(self) -> str: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def canonical_text(self) -> str: ...
    def evaluate(
        self,
        target: Mapping[str, Any],
        date: Optional[_Date] = None,
        *,
        request: Optional[_RequestAttributes] = None,
    ) -> Verdict:
        """The verdict on one target mapping, in the catalog's target shape,
        for a request with the attributes ``request``.

        ``request`` maps request attribute names (``data_class`` or
        ``request.data_class``; the standard ``data_class``, ``team``,
        ``app`` and ``kind``, and those the policy declares) to values
        typed by the policy: ``str`` for text, ``int`` for a number,
        ``bool`` for a flag (a ``bool`` is never taken as an ``int``).
        ``None``, or leaving a name out, means the request does not say:
        a ``when`` block whose condition depends on it applies, the
        strictest treatment. An unknown name, a value of another type, or
        the same name with and without ``request.`` is a ``RequestError``.

        A mapping is read as Python code reads it: an exact ``dict`` from its
        items, any other mapping (a ``dict`` subclass too) through ``keys()``
        and ``target[key]``, so a subclass's own ``__getitem__`` is what
        eligo sees. A key that is not a target field is refused before its
        value is read. The values converted are limited (65,536 a target,
        16,777,216 a call, a shared inner mapping counted each time it is
        reached); past a limit, and for anything that is not a valid target,
        ``CatalogError``.
        """
    @overload
    def filter(
        self, targets: Catalog, date: Optional[_Date] = None, *, request: Optional[_RequestAttributes] = None
    ) -> AllowedSet:
        """The allowed targets of a catalog, as ``encode(catalog, date).filter()``
        gives them, computed without the GIL. The policy keeps its binding to
        the catalog for that catalog and day (its last four), so a second call
        only filters; another day gets a binding of its own. For an iterable
        of mappings, the allowed mappings themselves, in order. Either for a
        request with the attributes ``request`` (as for ``evaluate``): the
        binding is kept whatever the request."""
    @overload
    def filter(
        self, targets: Iterable[_M], date: Optional[_Date] = None, *, request: Optional[_RequestAttributes] = None
    ) -> list[_M]: ...
    def encode(self, catalog: Catalog, date: Optional[_Date] = None) -> EncodedCatalog: ...
    def route(
        self,
        catalog: Catalog,
        model: str,
        pin: Optional[str] = None,
        date: Optional[_Date] = None,
        *,
        pinned: Optional[bool] = None,
        request: Optional[_RequestAttributes] = None,
        request_id: Optional[str] = None,
    ) -> Decision:
        """Routes a request for ``model``.

        How ``model`` is read: ``pinned=None`` (the default) reads it as an
        OpenAI-style ``model`` field, where ``provider/model`` pins that
        target; ``pinned=False`` routes automatically among the targets
        serving ``model``, ``/`` or not (a model group named
        ``openai/gpt-4o``); ``pinned=True`` pins the target whose id is
        ``model``. ``pin`` pins the target ``pin`` for the model ``model``
        (not with ``pinned=False``: ``ValueError``).

        ``request`` gives the request attributes (as for ``evaluate``);
        the event of a blocked or warned decision names, under
        ``request``, the ``attributes`` the policy's conditions read that
        were given and the ``missing`` ones. ``request_id`` is the host's
        id for the client request, carried by the decision and its event."""
    def preview(
        self,
        catalog: Catalog,
        date: Optional[_Date] = None,
        model: Optional[str] = None,
        *,
        request: Optional[_RequestAttributes] = None,
    ) -> dict[str, Any]:
        """Every target of ``catalog``, allowed or blocked, with reasons. With
        ``model``, only the targets serving it, as a request for it sees
        them: a target serving every model (``*``) is judged as serving
        ``model``. For a request with the attributes ``request`` (as for
        ``evaluate``); a failure under a ``when`` block has a ``condition``."""
        ...
    def lint(self, catalog: Optional[Catalog] = None, date: Optional[_Date] = None) -> list[dict[str, Any]]:
        """Warnings for the policy's author (``lint/...`` diagnostics as
        dicts). With ``catalog``, also what the policy and the catalog show
        together, as ``eligo lint --catalog``: targets blocked only for want
        of a declaration (``lint/metadata-gap``), list entries no target has
        (``lint/unmatched-entry``), attribute names close to those the
        policy reads (``lint/misspelled-attribute``), conditions no target
        can serve; evidence read as of ``date``."""

def route_layered(
    layers: Sequence[Policy],
    catalog: Catalog,
    model: str,
    pin: Optional[str] = None,
    date: Optional[_Date] = None,
    *,
    pinned: Optional[bool] = None,
    request: Optional[_RequestAttributes] = None,
    request_id: Optional[str] = None,
) -> Decision:
    """Routes a request under several policy layers applied together (an
    organisation baseline and a project policy): a target is compliant when
    it passes every layer; a ``warn`` layer keeps what only it would remove.
    Arguments as for ``Policy.route``; a ``request`` attribute must be known
    to some layer, and of one type in every layer that knows it. No layers:
    ``RequestError`` (``request/no-policy``)."""

def compile(source: str, name: str = "<input>") -> Policy: ...
def load(path: Union[str, os.PathLike[str]]) -> Policy: ...
def diff(old: Policy, new: Policy, catalog: Catalog, date: Optional[_Date] = None) -> dict[str, Any]: ...
def impact(
    old: Catalog,
    new: Catalog,
    policies: Sequence[Union[Policy, Sequence[Policy]]],
    date: Optional[_Date] = None,
) -> list[dict[str, Any]]:
    """What replacing catalog ``old`` by ``new`` does to each policy set.

    ``policies`` is a list whose items are each a ``Policy`` (a set of one,
    named after its display name) or a non-empty list or tuple of
    ``Policy``: layers applied together, as layered routing applies them (a
    target is compliant when it passes every layer), named after the first
    layer's display name. Expiring evidence is read as of ``date``
    (``YYYY-MM-DD``, today by default) in both catalogs. Runs without the
    GIL.

    Returns one dict a set, in order, shaped like ``eligo impact --format
    json`` without ``file``: ``policy``, ``modes``, ``newly_allowed`` and
    ``newly_blocked`` (lists of ``{"id", "change", "reasons"}``, ``change``
    being ``"changed"``, ``"added"`` or ``"removed"``, ``reasons`` the
    failed requirements with their layer's ``policy`` and ``mode``),
    ``models_losing_all_targets`` (their requests will answer 403) and
    ``models_gaining_targets``, both sorted. Raises ``TypeError`` for a
    ``policies`` item that is not a Policy or a list of them, and
    ``ValueError`` for an empty layer list or a malformed date."""
    ...

def expiring(
    catalog: Catalog,
    policies: Sequence[Union[Policy, Sequence[Policy]]],
    until: _Date,
    from_: Optional[_Date] = None,
) -> list[dict[str, Any]]:
    """The targets each policy set loses as ``catalog``'s expiring evidence
    runs out, from ``from_`` (``YYYY-MM-DD``, today by default) through
    ``until``. ``policies`` is as for ``impact``. Runs without the GIL.

    Returns, in date order (sets in the order given within a day), one
    dict for each day and set that loses something, shaped like the items
    of ``eligo expiring --format json`` without ``file``: ``date`` (the
    first day the evidence no longer holds, the day after its expiry
    date), ``policy``, ``newly_blocked`` (as for ``impact``) and
    ``models_losing_all_targets``. Raises ``ValueError`` for a malformed
    date or ``from_`` after ``until``."""
    ...

def format(source: str) -> str: ...
def import_policy(source: str, text: str, name: Optional[str] = None) -> str:
    """Translates another gateway's policy into ``.pol`` text, each line
    commented with the field it came from, as ``eligo import`` does
    (docs/IMPORT.md): ``source`` is ``"llmgateway"`` (a provider
    compliance policy, JSON) or ``"keeptrusts"`` (a data-routing policy,
    YAML). What eligo cannot express is refused with
    ``PolicyImportError``; another ``source`` is a ``ValueError``."""
