"""Who is acting and on which request: carried from the edge into services and audit events.

Not a domain: a plain value shared by auth (which builds it), audit (which records it) and services.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller. ``clues`` binds a clinic client to its units."""

    client_id: str
    role: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    clues: frozenset[str] = field(default_factory=frozenset)
    user: str | None = None  # the person acting, when the client says (X-Acting-User / token claim)


@dataclass(frozen=True, slots=True)
class RequestContext:
    actor: Actor
    request_id: str
    trace_id: str
    network_address: str | None = None


SYSTEM_ACTOR = Actor(client_id="interop", role="system", scopes=frozenset({"system/*.cruds"}))


def system_context(*, request_id: str, trace_id: str) -> RequestContext:
    """Context for work the service does on its own (jobs, CLI)."""
    return RequestContext(actor=SYSTEM_ACTOR, request_id=request_id, trace_id=trace_id)
