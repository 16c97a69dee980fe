"""eligo decides which LLM providers a request may be routed to.

A policy (a small ``.pol`` text) lists data-policy requirements; every
provider target declares data-policy attributes; a target qualifies only
when its declarations explicitly satisfy every requirement. An attribute a
target does not declare is unknown, and unknown never passes.

>>> import eligo
>>> policy = eligo.compile("require soc2 or iso27001; max_retention_days 0")
>>> policy.evaluate({"provider": "acme", "model": "m1",
...                  "attributes": {"iso27001": True, "retention_days": 0}}).allowed
True

Requirements can depend on the request (``when`` blocks over
``request.data_class``, ``request.team``, ...); ``evaluate``, ``filter``,
``route`` and ``preview`` take its attributes as ``request=``. A request
that does not say gets every block that could apply:

>>> policy = eligo.compile('when request.data_class in ["phi"] { require hipaa; }')
>>> target = {"provider": "acme", "model": "m1"}
>>> policy.evaluate(target, request={"data_class": "public"}).allowed
True
>>> policy.evaluate(target).allowed
False
"""

from ._eligo import (
    AllowedSet,
    Candidate,
    Catalog,
    CatalogError,
    ComplianceBlocked,
    Decision,
    EncodedCatalog,
    EventGroup,
    EventPolicy,
    EventRequest,
    Failure,
    Policy,
    PolicyCompileError,
    PolicyError,
    PolicyFileNotFoundError,
    PolicyImportError,
    PolicySyntaxError,
    Reason,
    RequestError,
    SecurityEvent,
    Target,
    Verdict,
    __version__,
    compile,
    diff,
    expiring,
    format,
    impact,
    import_policy,
    load,
    route_layered,
)

__all__ = [
    "AllowedSet",
    "Candidate",
    "Catalog",
    "CatalogError",
    "ComplianceBlocked",
    "Decision",
    "EncodedCatalog",
    "EventGroup",
    "EventPolicy",
    "EventRequest",
    "Failure",
    "Policy",
    "PolicyCompileError",
    "PolicyError",
    "PolicyFileNotFoundError",
    "PolicyImportError",
    "PolicySyntaxError",
    "Reason",
    "RequestError",
    "SecurityEvent",
    "Target",
    "Verdict",
    "__version__",
    "compile",
    "diff",
    "expiring",
    "format",
    "impact",
    "import_policy",
    "load",
    "route_layered",
]
