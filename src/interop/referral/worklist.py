"""A unit's worklist and its referral sheet (*hoja de referencia*): what the staff of a unit without an
information system need to answer and receive a referral. Read side only; answers go through
``workflow.update_task``, exactly as a clinic system's FHIR Task update does.

Visibility is the clinic's (``scopes.Scope``): the Tasks the caller's units own; another unit's Task is
``ReferralNotFound``, never a hint that it exists. Each list or sheet that shows a person is audited like an
API search or read, one event per patient, in the caller's transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.context import RequestContext
from interop.referral.errors import ReferralNotFound
from interop.referral.models import Referral, ReferralTask, Visit
from interop.referral.patients import patient_views
from interop.referral.scopes import Scope, _task_visible

PENDING = ("requested", "accepted", "in-progress")
PRIORITY_RANK = {"stat": 0, "asap": 1, "urgent": 2, "routine": 3}
# A page a person reads on a phone: the most urgent and oldest first, the rest on the next pages.
WORKLIST_PAGE = 50
WORKLIST_MAX_PAGES = 200
# A finding that keeps the person at home: the visit recorded a disability (the PCD programme's people,
# and older adults the health worker found unable to travel). The visit contract has no explicit flag.
HOME_BOUND_CODES = frozenset({"disability"})


@dataclass(frozen=True)
class WorkItem:
    task_id: uuid.UUID
    task_version: int
    status: str
    priority: str
    owner_clues: str
    received_at: datetime
    age_hours: float
    findings: list[str]
    home_bound: bool
    patient_name: str
    localidad: str | None
    municipio: str | None


@dataclass(frozen=True)
class Worklist:
    items: list[WorkItem]
    total: int  # pending Tasks of the units, of which ``items`` are page ``page``
    page: int = 1
    pages: int = 1


@dataclass(frozen=True)
class ReferralSheet:
    """Everything the receiving unit needs on paper: the person, where they were found, what is asked,
    the findings, and who sent it."""

    task_id: uuid.UUID
    task_version: int
    referral_id: uuid.UUID
    status: str
    priority: str
    owner_clues: str
    owner_name: str | None
    authored_on: datetime
    visit_id: str
    visit_date: date | None
    health_worker_id: str | None
    requester_client_id: str
    patient: dict[str, Any]
    found_at: dict[str, Any]
    conditions: list[dict[str, Any]]
    observations: list[dict[str, Any]]
    note: str | None
    home_bound: bool
    routing_reason: str
    distance_km: float | None
    status_reason: dict[str, Any] | None
    outcome: dict[str, Any] | None  # the coded result the unit reported (``Referral.outcome``)


def observation_label(o: dict[str, Any]) -> str:
    """``display: value unit``; a panel's components as ``150 / 95 mm[Hg]``; a coded or text finding as its
    text."""
    label = str(o.get("display") or o.get("code") or "")
    components = o.get("components") or []
    if components:
        values = " / ".join(f"{c['value']:g}" for c in components if isinstance(c.get("value"), int | float))
        return f"{label}: {values} {components[0].get('unit') or ''}".strip()
    value = o.get("value")
    if isinstance(value, int | float):
        return f"{label}: {value:g} {o.get('unit') or ''}".strip()
    text = o.get("value_text")
    return f"{label}: {text}" if text else label


def finding_labels(reasons: list[dict[str, Any]], observations: list[dict[str, Any]]) -> list[str]:
    """Short labels of what the visit found: each condition's code and display, then each observation."""
    out = [" ".join(p for p in (r.get("code"), r.get("display")) if p) for r in reasons]
    for o in observations:
        if o.get("code") in HOME_BOUND_CODES:
            out.append(str(o.get("value_text") or o.get("display") or o["code"]))
        else:
            out.append(observation_label(o))
    return [label for label in out if label]


def is_home_bound(observations: list[dict[str, Any]]) -> bool:
    return any(o.get("code") in HOME_BOUND_CODES for o in observations)


def _name(view: dict[str, Any] | None) -> str:
    if view is None:
        return ""
    return " ".join(str(view[k]) for k in ("nombre", "primer_apellido", "segundo_apellido") if view.get(k))


async def list_worklist(
    session: AsyncSession, ctx: RequestContext, *, scope: Scope, now: datetime, page: int = 1
) -> Worklist:
    """One page (``WORKLIST_PAGE``) of the units' pending Tasks: most urgent priority first, then the
    oldest. Only the Tasks shown are read in full and audited."""
    if scope.clues is not None and not scope.clues:
        return Worklist(items=[], total=0)
    page = min(max(page, 1), WORKLIST_MAX_PAGES)
    rank = case(
        *((ReferralTask.priority == p, r) for p, r in PRIORITY_RANK.items()), else_=len(PRIORITY_RANK)
    )
    where = (_task_visible(scope), ReferralTask.status.in_(PENDING))
    stmt = (
        select(
            ReferralTask.id,
            ReferralTask.version,
            ReferralTask.status,
            ReferralTask.priority,
            ReferralTask.owner_clues,
            ReferralTask.authored_on,
            ReferralTask.patient_id,
            Referral.reasons,
            Referral.observations,
        )
        .join(Referral, Referral.id == ReferralTask.referral_id)
        .where(*where)
        .order_by(rank, ReferralTask.authored_on, ReferralTask.id)
        .offset((page - 1) * WORKLIST_PAGE)
        .limit(WORKLIST_PAGE)
    )
    rows = (await session.execute(stmt)).all()
    total = (page - 1) * WORKLIST_PAGE + len(rows)
    if len(rows) == WORKLIST_PAGE or page > 1:
        count = select(func.count()).select_from(ReferralTask).where(*where)
        total = int((await session.execute(count)).scalar_one())
    views = await patient_views(session, [r.patient_id for r in rows])
    items = []
    for r in rows:
        view = views.get(r.patient_id)
        items.append(
            WorkItem(
                task_id=r.id,
                task_version=r.version,
                status=r.status,
                priority=r.priority,
                owner_clues=r.owner_clues,
                received_at=r.authored_on,
                age_hours=max(0.0, (now - r.authored_on).total_seconds() / 3600.0),
                findings=finding_labels(r.reasons, r.observations),
                home_bound=is_home_bound(r.observations),
                patient_name=_name(view),
                localidad=view.get("localidad") if view else None,
                municipio=view.get("municipio") if view else None,
            )
        )
    await audit_service.record(
        session,
        ctx,
        action="E",
        subtype="search-type",
        entities=[AuditEntity(type="Task", id=str(i.task_id)) for i in items],
        patients=sorted({f"Patient/{r.patient_id}" for r in rows}),
        query="status=requested,accepted,in-progress",
    )
    return Worklist(items=items, total=total, page=page, pages=max(1, -(-total // WORKLIST_PAGE)))


async def get_sheet(
    session: AsyncSession, ctx: RequestContext, *, scope: Scope, task_id: uuid.UUID
) -> ReferralSheet:
    """One Task of the caller's units with its referral, person and visit; audited as a read."""
    row = (
        await session.execute(
            select(ReferralTask, Referral, Visit)
            .join(Referral, Referral.id == ReferralTask.referral_id)
            .join(Visit, Visit.id == Referral.visit_pk)
            .where(ReferralTask.id == task_id, _task_visible(scope))
            # As the clinic API reads the referral (``_referral_visible``): a unit that rejected its Task
            # sees nothing more of the person or the findings; the referral is the next unit's now.
            .where(ReferralTask.status != "rejected" if scope.clues is not None else true())
        )
    ).one_or_none()
    if row is None:
        raise ReferralNotFound.said("referral.not_found", kind="Task")
    task, referral, visit = row
    view = (await patient_views(session, [task.patient_id])).get(task.patient_id) or {}
    person = (visit.payload or {}).get("person") or {}
    found_at = {
        k: person.get(k)
        for k in ("domicilio", "localidad", "municipio", "entidad", "telefono", "latitud", "longitud")
    }
    await audit_service.record(
        session,
        ctx,
        action="R",
        subtype="read",
        entities=[
            AuditEntity(type="Task", id=str(task.id)),
            AuditEntity(type="ServiceRequest", id=str(referral.id)),
        ],
        patients=[f"Patient/{task.patient_id}"],
    )
    return ReferralSheet(
        task_id=task.id,
        task_version=task.version,
        referral_id=referral.id,
        status=task.status,
        priority=task.priority,
        owner_clues=task.owner_clues,
        owner_name=task.owner_name,
        authored_on=task.authored_on,
        visit_id=referral.visit_id,
        visit_date=visit.visit_date,
        health_worker_id=referral.requester_worker_id,
        requester_client_id=referral.requester_client_id,
        patient=view,
        found_at=found_at,
        conditions=list(referral.reasons),
        observations=list(referral.observations),
        note=referral.note,
        home_bound=is_home_bound(referral.observations),
        routing_reason=referral.routing_reason,
        distance_km=referral.distance_km,
        status_reason=task.status_reason,
        outcome=referral.outcome if referral.performer_clues == task.owner_clues else None,
    )
