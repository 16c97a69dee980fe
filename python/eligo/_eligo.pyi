"""Type stubs for the eligo extension module (checked by mypy.stubtest)."""

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Optional, SupportsIndex, TypeVar, Union, final, overload

_M = TypeVar("_M", bound=Mapping[str, Any])

# The attributes of one request (``request=``), by name with or without
# ``request.``: ``{"data_class": "phi", "team": "research"}``.
_RequestAttributes = Mapping[str, Union[str, int, bool, None]]

__all__ = [
    "Catalog",
    "CatalogError",
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
class Decision:
    """A routing decision: the targets to try in order, or a 403 block."""

    @property
    def outcome(self) -> str: ...
    @property
    def blocked(self) -> bool: ...
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
    def event(self) -> Optional[dict[str, Any]]: ...
    @property
    def candidates(self) -> list[dict[str, Any]]: ...

@final
class Catalog:
    """An ordered list of provider targets with unique ids."""

    @staticmethod
    def from_file(path: Union[str, os.PathLike[str]]) -> Catalog: ...
    @staticmethod
    def from_json(text: str, name: str = "<json>") -> Catalog: ...
    @staticmethod
    def from_targets(targets: Iterable[Mapping[str, Any]]) -> Catalog:
        """A catalog of target mappings, each read as ``Policy.evaluate`` reads one."""
    @property
    def ids(self) -> list[str]: ...
    def __len__(self) -> int: ...
    def __contains__(self, id: str, /) -> bool: ...

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
        date: Optional[str] = None,
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
        self, targets: Catalog, date: Optional[str] = None, *, request: Optional[_RequestAttributes] = None
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
        self, targets: Iterable[_M], date: Optional[str] = None, *, request: Optional[_RequestAttributes] = None
    ) -> list[_M]: ...
    def encode(self, catalog: Catalog, date: Optional[str] = None) -> EncodedCatalog: ...
    def route(
        self,
        catalog: Catalog,
        model: str,
        pin: Optional[str] = None,
        date: Optional[str] = None,
        *,
        request: Optional[_RequestAttributes] = None,
    ) -> Decision:
        """Routes a request for ``model`` (``provider/model`` pins that
        target), or pinned to the target id ``pin``, with the request
        attributes ``request`` (as for ``evaluate``). The event of a blocked
        or warned decision names, under ``request``, the ``attributes`` the
        policy's conditions read that were given and the ``missing`` ones."""
    def preview(
        self,
        catalog: Catalog,
        date: Optional[str] = None,
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
    def lint(self) -> list[dict[str, Any]]: ...

def compile(source: str, name: str = "<input>") -> Policy: ...
def load(path: Union[str, os.PathLike[str]]) -> Policy: ...
def diff(old: Policy, new: Policy, catalog: Catalog, date: Optional[str] = None) -> dict[str, Any]: ...
def impact(
    old: Catalog,
    new: Catalog,
    policies: Sequence[Union[Policy, Sequence[Policy]]],
    date: Optional[str] = None,
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
    until: str,
    from_: Optional[str] = None,
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
