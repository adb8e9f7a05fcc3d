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

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from interop.context import RequestContext
from interop.referral.errors import ReferralNotFound
from interop.referral.models import ProvisionalPatient, Referral, ReferralTask, ResourceVersion
from interop.referral.records import rows_snapshots, snapshot
from interop.registry import service as registry_service
from interop.units import service as units_service

UNRESTRICTED_ROLES = ("admin", "system", "reviewer", "auditor")
UNIT_BOUND_ROLES = ("clinic", "unit_staff")


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
        if model is Referral:
            conds.append(Referral.visit_ids.overlap(q.visit_ids))
        else:
            conds.append(model.visit_id.in_(q.visit_ids))
    if q.focus_ids is not None and model is ReferralTask:
        conds.append(ReferralTask.referral_id.in_(q.focus_ids))
    # Plain rows, not ORM entities: a page of 100 is rendered, never modified, and hydrating objects
    # costs more than the query.
    return select(model.__table__).where(*conds)


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
        views = await _patient_views(session, ids)
        page.included = [views[pid] for pid in ids if pid in views]
    return page


async def get_task(session: AsyncSession, *, scope: Scope, task_id: uuid.UUID) -> dict[str, Any]:
    row = (
        await session.execute(select(ReferralTask).where(ReferralTask.id == task_id, _task_visible(scope)))
    ).scalar_one_or_none()
    if row is None:
        raise ReferralNotFound("no such Task")
    return snapshot(row)


async def get_referral(session: AsyncSession, *, scope: Scope, referral_id: uuid.UUID) -> dict[str, Any]:
    row = (
        await session.execute(select(Referral).where(Referral.id == referral_id, _referral_visible(scope)))
    ).scalar_one_or_none()
    if row is None:
        raise ReferralNotFound("no such ServiceRequest")
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
        raise ReferralNotFound("no such version")
    return snaps


# Patients --------------------------------------------------------------------------------------------------

_PATIENT_FIELDS = (
    "nombre",
    "primer_apellido",
    "segundo_apellido",
    "curp",
    "fecha_nacimiento",
    "sexo",
    "entidad",
    "municipio",
    "localidad",
    "domicilio",
    "telefono",
)


def _provisional_view(prov: ProvisionalPatient) -> dict[str, Any]:
    view = {f: getattr(prov, f) for f in _PATIENT_FIELDS}
    view.update(
        id=str(prov.id),
        provisional=prov.match_grade != "certain",
        under_review=prov.review_queued,
        known_pensioner=prov.match_grade == "certain",
        clues=None,
        expediente=None,
        roll_record_id=prov.roll_record_id,
        updated_at=prov.updated_at,
        match_grade=prov.match_grade,
        version=1,
    )
    return view


def _registry_view(rec: Any) -> dict[str, Any]:
    view = {f: getattr(rec, f, None) for f in _PATIENT_FIELDS}
    view.update(
        id=str(rec.patient_id),
        provisional=False,
        clues=rec.clues_current or rec.clues,
        expediente=rec.expediente,
        roll_record_id=None,
        updated_at=rec.created_at,
        match_grade=None,
        version=rec.version,
    )
    return view


async def _patient_views(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """Patients' data as plain dicts by id: ``provisional`` ones from visits, the others from the registry.
    Two queries whatever the number of ids; unknown ids are left out."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    provs = (
        (await session.execute(select(ProvisionalPatient).where(ProvisionalPatient.id.in_(wanted))))
        .scalars()
        .all()
    )
    out = {p.id: _provisional_view(p) for p in provs}
    rest = [i for i in wanted if i not in out]
    for rec in await registry_service.get_by_patient_ids(session, patient_ids=rest):
        out.setdefault(rec.patient_id, _registry_view(rec))
    return out


async def _visible_ids(session: AsyncSession, scope: Scope, views: Sequence[dict[str, Any]]) -> set[str]:
    """The ids of the views this scope may see, in at most one query."""
    if scope.unrestricted:
        return {v["id"] for v in views}
    visible = {v["id"] for v in views if scope.clues is not None and v.get("clues") in scope.clues}
    rest = sorted({uuid.UUID(v["id"]) for v in views if v["id"] not in visible})
    if rest:
        rows = await session.execute(
            select(Referral.patient_id)
            .where(Referral.patient_id.in_(rest), _referral_visible(scope))
            .distinct()
        )
        visible |= {str(pid) for pid in rows.scalars().all()}
    return visible


async def get_patient(session: AsyncSession, *, scope: Scope, patient_id: uuid.UUID) -> dict[str, Any]:
    view = (await _patient_views(session, [patient_id])).get(patient_id)
    if view is None or view["id"] not in await _visible_ids(session, scope, [view]):
        raise ReferralNotFound("no such Patient")
    return view


async def search_patients(
    session: AsyncSession,
    *,
    scope: Scope,
    ids: list[uuid.UUID] | None,
    curps: list[str] | None,
    count: int,
    cursor: int | None = None,
    with_total: bool = False,
) -> tuple[list[dict[str, Any]], int | None, int | None]:
    """By ``_id`` and/or CURP; with neither, the subjects of the visible referrals in the order of their
    first visible referral (keyset on its ``change_seq``: pages neither skip nor repeat while referrals
    arrive). Returns the views, the next page's cursor (None on the last) and, when asked, the number of
    matches over all pages."""
    candidates: list[uuid.UUID] = []
    next_cursor: int | None = None
    total: int | None = None
    if ids is not None:
        candidates = list(ids)
    if curps is not None:
        by_curp = list(
            (await session.execute(select(ProvisionalPatient.id).where(ProvisionalPatient.curp.in_(curps))))
            .scalars()
            .all()
        )
        by_curp += [r.patient_id for r in await registry_service.find_by_curps(session, curps=curps)]
        candidates = [c for c in candidates if c in set(by_curp)] if ids is not None else by_curp
    if ids is None and curps is None:
        first = func.min(Referral.change_seq)
        stmt = (
            select(Referral.patient_id, first.label("seq"))
            .where(_referral_visible(scope))
            .group_by(Referral.patient_id)
            .order_by(first)
            .limit(count + 1)
        )
        if cursor is not None:
            stmt = stmt.having(first > cursor)
        rows = (await session.execute(stmt)).all()
        if len(rows) > count:
            rows = rows[:count]
            next_cursor = int(rows[-1].seq)
        candidates = [pid for pid, _ in rows]
        if with_total:
            distinct = select(func.count(func.distinct(Referral.patient_id))).where(_referral_visible(scope))
            total = int((await session.execute(distinct)).scalar_one())
    # Every candidate's data and visibility in a fixed number of queries (candidates are bounded by the
    # values a search may carry, or by the page size).
    ordered = list(dict.fromkeys(candidates))
    views = await _patient_views(session, ordered)
    visible = await _visible_ids(session, scope, list(views.values()))
    out: list[dict[str, Any]] = []
    matched = 0
    for pid in ordered:
        if len(out) >= count and not (with_total and total is None):
            break
        view = views.get(pid)
        if view is not None and view["id"] in visible:
            matched += 1
            if len(out) < count:
                out.append(view)
    if with_total and total is None:
        total = matched
    return out, next_cursor, total
