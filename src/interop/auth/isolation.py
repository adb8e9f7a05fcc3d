"""Clinic isolation: which health units (CLUES) a caller may see. Pure.

Services apply it: a clinic sees only referrals, tasks and patients of its own units; another unit's
resource read by id answers 404 (no existence leak), and a search without an owner filter is limited to
the clinic's units. Fail closed: a clinic bound to no unit sees nothing, and any caller whose token carries
CLUES is limited to them whatever its role. Codes are compared upper-cased; resolving a unit's old SSA code
to its IMB code is the units service's job, before or after this check.
"""

from __future__ import annotations

from collections.abc import Iterable

from interop.auth.scopes import Role
from interop.context import Actor


def unit_scope(actor: Actor) -> frozenset[str] | None:
    """``None`` when the caller is not limited by unit; else the only CLUES it may see (maybe none)."""
    if actor.clues or actor.role == Role.CLINIC.value:
        return frozenset(c.upper() for c in actor.clues)
    return None


def may_see_unit(actor: Actor, clues: str | Iterable[str] | None) -> bool:
    """May the caller see a resource owned by this unit (or by any of these units)?"""
    allowed = unit_scope(actor)
    if allowed is None:
        return True
    if clues is None:
        return False
    wanted = {clues.upper()} if isinstance(clues, str) else {c.upper() for c in clues}
    return not allowed.isdisjoint(wanted)


def owner_filter(actor: Actor, requested: Iterable[str] | None) -> frozenset[str] | None:
    """The owner CLUES a search must be limited to: ``None`` for no limit. A clinic asking for nothing gets
    its own units; asking for others' units gets only the overlap (possibly none, hence an empty result)."""
    allowed = unit_scope(actor)
    asked = frozenset(c.upper() for c in requested) if requested is not None else None
    if allowed is None:
        return asked
    return allowed if asked is None else allowed & asked
