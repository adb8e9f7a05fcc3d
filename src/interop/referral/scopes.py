"""Who sees what (``Scope``) and the CLUES a clinic's units answer to; see ``queries`` for the rules."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists
from sqlalchemy.ext.asyncio import AsyncSession

from interop.context import RequestContext
from interop.referral.models import Referral, ReferralTask
from interop.units import service as units_service

UNRESTRICTED_ROLES = ("admin", "system", "reviewer", "auditor")


@dataclass(frozen=True)
class Scope:
    """``clues`` limits to those units (clinic); ``requester`` to one client's visits (Bienestar)."""

    clues: frozenset[str] | None = None
    requester: str | None = None

    @property
    def unrestricted(self) -> bool:
        return self.clues is None and self.requester is None


# code → (current code, when looked up). A unit's current code changes only with a catalogue import, so a
# short per-process memory keeps two lookups off every clinic pull; a code unknown to the catalogue is never
# remembered (it may be imported any moment).
_CLUES_TTL_S = 30.0
_clues_memo: dict[str, tuple[str, float]] = {}


async def resolve_clues(session: AsyncSession, codes: Sequence[str]) -> list[str]:
    """Current CLUES for codes that may be old ones (unknown codes are kept as given). One query for all
    the codes not remembered, however many there are: the cost does not depend on what a search names."""
    now = time.monotonic()
    wanted = [raw.strip().upper() for raw in codes]
    known: dict[str, str] = {}
    for code in wanted:
        memo = _clues_memo.get(code)
        if memo is not None and now - memo[1] < _CLUES_TTL_S:
            known[code] = memo[0]
    missing = sorted({c for c in wanted if c not in known})
    if missing:
        found = await units_service.current_codes(session, codes=missing)
        if len(_clues_memo) + len(found) > 50_000:
            _clues_memo.clear()
        for code, current in found.items():
            _clues_memo[code] = (current, now)
        known.update(found)
    return [known.get(code, code) for code in wanted]


UNIT_BOUND_ROLES = ("clinic", "unit_staff")


async def scope_for(session: AsyncSession, ctx: RequestContext) -> Scope:
    actor = ctx.actor
    # A unit's staff signed in to the web pages is bound to units like a clinic's system; and any caller
    # carrying CLUES is limited to them whatever its role (``auth.isolation``).
    if actor.role in UNIT_BOUND_ROLES or actor.clues:
        return Scope(clues=frozenset(await resolve_clues(session, sorted(actor.clues))))
    if actor.role in UNRESTRICTED_ROLES:
        return Scope()
    return Scope(requester=actor.client_id)


def _task_visible(scope: Scope) -> ColumnElement[bool]:
    conds: list[ColumnElement[bool]] = []
    if scope.clues is not None:
        conds.append(ReferralTask.owner_clues.in_(sorted(scope.clues)))
    if scope.requester is not None:
        conds.append(ReferralTask.requester_client_id == scope.requester)
    return and_(*conds) if conds else and_(True)  # type: ignore[arg-type]


def _referral_visible(scope: Scope) -> ColumnElement[bool]:
    conds: list[ColumnElement[bool]] = []
    if scope.clues is not None:
        # One open Task per referral; a rejected one is closed for good (the referral moved on).
        conds.append(
            exists().where(
                ReferralTask.referral_id == Referral.id,
                ReferralTask.owner_clues.in_(sorted(scope.clues)),
                ReferralTask.status != "rejected",
            )
        )
    if scope.requester is not None:
        conds.append(Referral.requester_client_id == scope.requester)
    return and_(*conds) if conds else and_(True)  # type: ignore[arg-type]
