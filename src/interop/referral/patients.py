"""Patients as the referral domain shows them: provisional ones (built from visits) and registry ones,
read and searched with the same visibility as the referrals whose subjects they are (``queries.Scope``).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import TextClause, func, select, text
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from interop.referral.errors import ReferralNotFound
from interop.referral.models import ProvisionalPatient, Referral
from interop.referral.scopes import Scope, _referral_visible
from interop.registry import service as registry_service

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


async def patient_views(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
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
    for pid, context in (await _latest_visit_contexts(session, list(out))).items():
        out[pid]["visit_context"] = context
    return out


async def readable_patient_ids(
    session: AsyncSession, *, scope: Scope, patient_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """The ids among ``patient_ids`` that ``get_patient`` would return for this scope (the same views and
    the same visibility), in one statement whatever their number and without reading the Patients' data:
    ``Patient/$match`` asks this of up to 50 candidates per call (it was three ORM queries, ~2.5 ms of
    Python to build and a round trip each)."""
    wanted = sorted(set(patient_ids))
    if not wanted:
        return set()
    rows = await session.execute(
        _readable_statement(scope.clues is not None, scope.requester is not None),
        {"ids": wanted, **readable_params(scope)},
    )
    return set(rows.scalars().all())


def readable_params(scope: Scope) -> dict[str, Any]:
    """The parameters ``readable_ids_sql`` binds for ``scope`` (besides ``:ids``)."""
    params: dict[str, Any] = {}
    if scope.clues is not None:
        params["clues"] = sorted(scope.clues)
    if scope.requester is not None:
        params["requester"] = scope.requester
    return params


@functools.lru_cache(maxsize=8)
def _readable_statement(by_clues: bool, by_requester: bool) -> TextClause:
    return text(readable_ids_sql(by_clues, by_requester))


@functools.lru_cache(maxsize=8)
def readable_ids_sql(by_clues: bool, by_requester: bool) -> str:
    """The ids among the bound uuid array ``:ids`` that ``get_patient`` would return for a scope with
    (``by_clues``) units and (``by_requester``) a requester (``readable_params``), as one SELECT of
    ``id``: for ``readable_patient_ids`` and for another statement that embeds it (``Patient/$match``
    reads its candidates' records with it, ``fhir.match_disclosure``).

    As ``patient_views`` + ``_visible_ids``: an id is a Patient when it is a provisional one or has a
    current registry record (a provisional one never shows a unit); it is visible to an unrestricted
    scope, to a clinic when its registry unit is the clinic's, and when a referral of it is visible
    (``scopes._referral_visible``, in SQL)."""
    provisional = "EXISTS (SELECT 1 FROM referral_provisional_patient p WHERE p.id = w.id)"
    is_patient = f"({provisional} OR {registry_service.current_record_sql('w.id')})"
    if not by_clues and not by_requester:
        visible = "true"
    else:
        referral = ["f.patient_id = w.id"]
        if by_clues:
            referral.append(
                "EXISTS (SELECT 1 FROM referral_task t WHERE t.referral_id = f.id "
                "AND t.owner_clues = ANY(CAST(:clues AS text[])) AND t.status <> 'rejected')"
            )
        if by_requester:
            referral.append("f.requester_client_id = CAST(:requester AS text)")
        visible = f"EXISTS (SELECT 1 FROM referral f WHERE {' AND '.join(referral)})"
        if by_clues:
            unit = registry_service.current_record_sql("w.id", clues_param="clues")
            visible = f"((NOT {provisional} AND {unit}) OR {visible})"
    return f"SELECT w.id FROM unnest(CAST(:ids AS uuid[])) AS w(id) WHERE {is_patient} AND {visible}"


async def _latest_visit_contexts(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """The latest visit's context (where the person was found, and when) per patient, in one query: the
    Patient shows that address as ``home`` from the visit day (issue 17)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Referral.patient_id, Referral.visit_context)
        .where(Referral.patient_id.in_(ids), Referral.visit_context.is_not(None))
        .order_by(Referral.patient_id, Referral.occurred_at.desc().nulls_last(), Referral.change_seq.desc())
        .ext(distinct_on(Referral.patient_id))
    )
    return dict(rows.all())  # a Row is a (patient_id, visit_context) tuple


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
    view = (await patient_views(session, [patient_id])).get(patient_id)
    if view is None or view["id"] not in await _visible_ids(session, scope, [view]):
        raise ReferralNotFound.said("referral.not_found", kind="Patient")
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
    views = await patient_views(session, ordered)
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
