"""The read side: ServiceRequest / Task / Patient reads, searches with keyset paging, and versions.

Visibility (``Scope``): a clinic client sees the Tasks its units own (a Task it rejected stays its own), the
ServiceRequests while one of its units holds a Task of it that it has not rejected (after a rejection the
referral, its later versions — the next unit, the outcome — and its subject are the next unit's business),
and the Patients that are subjects of those or registry patients of its units; a Bienestar client sees
what its own visits produced; other resources are 404, never 403, so ids reveal nothing. Searches are
ordered by ``change_seq`` (one sequence for every change), and the cursor is the last one seen: pages never
skip or repeat while new referrals arrive, and a changed resource moves to the end, where polling finds it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from interop.identity import zones
from interop.referral.errors import ReferralNotFound
from interop.referral.models import Referral, ReferralTask, ResourceVersion, Visit
from interop.referral.patients import patient_views
from interop.referral.records import rows_snapshots, snapshot
from interop.referral.scopes import (  # visibility rules (the module docstring above)
    Scope,
    _referral_visible,
    _task_visible,
    resolve_clues,
)


@dataclass
class SearchQuery:
    ids: list[uuid.UUID] | None = None
    unit_clues: list[str] | None = None  # owner (Task) / performer (ServiceRequest), as given
    unit_org_ids: list[uuid.UUID] | None = None
    statuses: list[str] | None = None
    last_updated: list[tuple[str, datetime]] = field(default_factory=list)  # (gt|ge|lt|le|eq, instant)
    patient_ids: list[uuid.UUID] | None = None
    visit_ids: list[str] | None = None
    focus_ids: list[uuid.UUID] | None = None
    # (gt|ge|lt|le|eq, day): the visit's day as lived in the zone of the unit it went to (issue 17)
    visit_days: list[tuple[str, date]] = field(default_factory=list)
    cursor: int | None = None
    count: int = 50
    total: bool = False
    newest_first: bool = False


@dataclass
class SearchPage:
    rows: list[dict[str, Any]]
    total: int | None
    next_cursor: int | None
    included: list[dict[str, Any]] = field(default_factory=list)


_OPS = {"gt": "__gt__", "ge": "__ge__", "lt": "__lt__", "le": "__le__", "eq": "__eq__"}


async def _filtered(
    session: AsyncSession,
    model: type[Referral] | type[ReferralTask],
    q: SearchQuery,
    visible: ColumnElement[bool],
) -> Select[Any]:
    conds: list[ColumnElement[bool]] = [visible]
    unit_col = ReferralTask.owner_clues if model is ReferralTask else Referral.performer_clues
    org_col = ReferralTask.owner_org_id if model is ReferralTask else Referral.performer_org_id
    if q.ids is not None:
        conds.append(model.id.in_(q.ids))
    if q.unit_clues is not None:
        conds.append(unit_col.in_(await resolve_clues(session, q.unit_clues)))
    if q.unit_org_ids is not None:
        conds.append(org_col.in_(q.unit_org_ids))
    if q.statuses is not None:
        conds.append(model.status.in_(q.statuses))
    for op, instant in q.last_updated:
        conds.append(getattr(model.updated_at, _OPS[op])(instant))
    if q.patient_ids is not None:
        conds.append(model.patient_id.in_(q.patient_ids))
    if q.visit_ids is not None:
        # A referral answers to every visit that added to it; a Task to the visit that opened it.
        # (through the visits' unique index: no index on the array to keep up on every write)
        if model is Referral:
            conds.append(Referral.id.in_(select(Visit.referral_id).where(Visit.visit_id.in_(q.visit_ids))))
        else:
            conds.append(model.visit_id.in_(q.visit_ids))
    if q.focus_ids is not None and model is ReferralTask:
        conds.append(ReferralTask.referral_id.in_(q.focus_ids))
    if model is Referral:
        conds.extend(_on_local_day(op, day) for op, day in q.visit_days)
    # Plain rows, not ORM entities: a page of 100 is rendered, never modified, and hydrating objects
    # costs more than the query.
    return select(model.__table__).where(*conds)


def _on_local_day(op: str, day: date) -> ColumnElement[bool]:
    """The visit's instant against a calendar day cut in each row's own zone (one bound pair per zone, so
    the comparison stays on the indexed instant); rows older than the zone column use the visit's receipt
    in America/Mexico_City."""

    def compare(column: Any, zone: str) -> ColumnElement[bool]:
        start, end = zones.day_bounds(day, zone)
        if op == "eq":
            return and_(column >= start, column < end)
        bounds = {"ge": column >= start, "gt": column >= end, "lt": column < start, "le": column < end}
        return cast(ColumnElement[bool], bounds[op])

    per_zone = [
        and_(Referral.time_zone == zone, compare(Referral.occurred_at, zone)) for zone in sorted(zones.ZONES)
    ]
    legacy = and_(Referral.time_zone.is_(None), compare(Referral.authored_on, zones.AUDIT_ZONE))
    return or_(*per_zone, legacy)


async def _search(
    session: AsyncSession,
    model: type[Referral] | type[ReferralTask],
    q: SearchQuery,
    visible: ColumnElement[bool],
) -> SearchPage:
    base = await _filtered(session, model, q, visible)
    page = base
    if q.cursor is not None:
        page = page.where(model.change_seq < q.cursor if q.newest_first else model.change_seq > q.cursor)
    order = model.change_seq.desc() if q.newest_first else model.change_seq
    rows = (await session.execute(page.order_by(order).limit(q.count + 1))).all()
    more = len(rows) > q.count
    snaps = rows_snapshots(_table(model), rows[: q.count])
    total = None
    if q.total:
        total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    next_cursor = snaps[-1]["change_seq"] if more and snaps else None
    return SearchPage(rows=snaps, total=total, next_cursor=next_cursor)


def _table(model: type[Referral] | type[ReferralTask]) -> Table:
    return cast(Table, model.__table__)


async def search_tasks(
    session: AsyncSession, *, scope: Scope, query: SearchQuery, include_focus: bool = False
) -> SearchPage:
    """A page of visible Tasks; ``include_focus`` adds their ServiceRequests that the caller may see (not
    that of a Task it rejected)."""
    page = await _search(session, ReferralTask, query, _task_visible(scope))
    if include_focus and page.rows:
        focus = sorted({uuid.UUID(r["referral_id"]) for r in page.rows})
        visible = select(Referral.__table__).where(Referral.id.in_(focus), _referral_visible(scope))
        refs = (await session.execute(visible)).all()
        page.included = rows_snapshots(_table(Referral), refs)
    return page


async def search_referrals(
    session: AsyncSession, *, scope: Scope, query: SearchQuery, include_subject: bool = False
) -> SearchPage:
    page = await _search(session, Referral, query, _referral_visible(scope))
    if include_subject and page.rows:
        ids = sorted({uuid.UUID(r["patient_id"]) for r in page.rows})
        views = await patient_views(session, ids)
        page.included = [views[pid] for pid in ids if pid in views]
    return page


async def get_task(session: AsyncSession, *, scope: Scope, task_id: uuid.UUID) -> dict[str, Any]:
    row = (
        await session.execute(select(ReferralTask).where(ReferralTask.id == task_id, _task_visible(scope)))
    ).scalar_one_or_none()
    if row is None:
        raise ReferralNotFound.said("referral.not_found", kind="Task")
    return snapshot(row)


async def get_referral(session: AsyncSession, *, scope: Scope, referral_id: uuid.UUID) -> dict[str, Any]:
    row = (
        await session.execute(select(Referral).where(Referral.id == referral_id, _referral_visible(scope)))
    ).scalar_one_or_none()
    if row is None:
        raise ReferralNotFound.said("referral.not_found", kind="ServiceRequest")
    return snapshot(row)


async def history(
    session: AsyncSession,
    *,
    scope: Scope,
    resource_type: str,
    resource_id: uuid.UUID,
    version: int | None = None,
) -> list[dict[str, Any]]:
    """Snapshots of every version (newest first), or of one; visibility as for the current resource."""
    if resource_type == "Task":
        await get_task(session, scope=scope, task_id=resource_id)
    else:
        await get_referral(session, scope=scope, referral_id=resource_id)
    stmt = select(ResourceVersion.snapshot).where(
        ResourceVersion.resource_type == resource_type, ResourceVersion.resource_id == resource_id
    )
    if version is not None:
        stmt = stmt.where(ResourceVersion.version == version)
    snaps = list((await session.execute(stmt.order_by(ResourceVersion.version.desc()))).scalars().all())
    if version is not None and not snaps:
        raise ReferralNotFound.said("referral.version_not_found")
    return snaps
