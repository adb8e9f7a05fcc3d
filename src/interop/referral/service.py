"""Visit findings become referrals: match, route, and create the ServiceRequest and its Task in the caller's
transaction. Reads, searches and Task updates live in ``queries`` and ``workflow`` and are re-exported here,
so other packages reach the domain through this module only.

Idempotency: the visit row is claimed first with ``INSERT … ON CONFLICT DO NOTHING`` on the visit id and on
(client, Idempotency-Key); a concurrent identical post waits on the first one's uncommitted row, then finds
it and replays its stored result. A different body under a used key (visit id or Idempotency-Key) is 409.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.config import Settings
from interop.context import RequestContext
from interop.matching import service as matching_service
from interop.matching.schemas import IdentityProbe, OnlineCandidate
from interop.referral import records, routing
from interop.referral.errors import IdempotencyConflict
from interop.referral.followup import get_visit  # re-exported
from interop.referral.models import Notification, ProvisionalPatient, Referral, ReferralTask, Visit
from interop.referral.placement import route
from interop.referral.queries import (  # re-exported: the domain's read side
    Scope,
    get_patient,
    get_referral,
    get_task,
    history,
    scope_for,
    search_patients,
    search_referrals,
    search_tasks,
)
from interop.referral.schemas import (
    MatchRead,
    RoutingRead,
    UnitRead,
    VisitCreate,
    VisitResult,
)
from interop.referral.stats import programme_stats, referral_stats  # re-exported
from interop.referral.subscriptions import (  # re-exported
    create_subscription,
    delete_subscription,
    get_subscription,
    list_subscriptions,
)
from interop.referral.workflow import TaskChange, update_task  # re-exported
from interop.referral.worklist import (  # re-exported
    ReferralSheet,
    Worklist,
    get_sheet,
    list_worklist,
    observation_label,
)
from interop.registry import service as registry_service
from interop.units import service as units_service
from interop.units.models import Unit

__all__ = [
    "ReferralSheet",
    "Scope",
    "TaskChange",
    "Worklist",
    "create_subscription",
    "delete_subscription",
    "get_patient",
    "get_referral",
    "get_sheet",
    "get_subscription",
    "get_task",
    "get_visit",
    "history",
    "list_subscriptions",
    "list_worklist",
    "observation_label",
    "post_visit",
    "programme_stats",
    "referral_stats",
    "request_hash",
    "route",
    "scope_for",
    "search_patients",
    "search_referrals",
    "search_tasks",
    "update_task",
]

UNCERTAIN = ("probable", "possible")

# Built once; values come at execution (see ``records``: a compiled statement is reused, not rebuilt).
_VISITS = cast(Table, Visit.__table__)
_CLAIM_VISIT = insert(_VISITS).on_conflict_do_nothing().returning(_VISITS.c.id)
_STORE_RESULT = (
    update(_VISITS)
    .where(_VISITS.c.id == bindparam("visit_pk"))
    .values(referral_id=bindparam("referral_id"), result=bindparam("result"))
)


def request_hash(visit: VisitCreate) -> str:
    """sha256 of the visit's canonical JSON: equal for equal content, however it was posted."""
    body = orjson.dumps(visit.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class PostedVisit:
    result: VisitResult
    created: bool


async def post_visit(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    visit: VisitCreate,
    idempotency_key: str | None = None,
    settings: Settings | None = None,
) -> PostedVisit:
    """Create the referral for a visit, or replay the original result (``created`` False)."""
    digest = request_hash(visit)
    client_id = ctx.actor.client_id
    claimed = (
        await session.execute(
            _CLAIM_VISIT,
            {
                "visit_id": visit.visit_id,
                "client_id": client_id,
                "idempotency_key": idempotency_key,
                "request_hash": digest,
                "payload": visit.model_dump(mode="json"),
                "visit_date": visit.visit_date,
                "trace_id": ctx.trace_id,
            },
        )
    ).scalar_one_or_none()
    if claimed is None:
        return PostedVisit(
            await _replay(
                session, visit=visit, digest=digest, client_id=client_id, idempotency_key=idempotency_key
            ),
            created=False,
        )
    result = await _create_referral(session, ctx, visit=visit, visit_pk=claimed, settings=settings)
    return PostedVisit(result, created=True)


async def _replay(
    session: AsyncSession, *, visit: VisitCreate, digest: str, client_id: str, idempotency_key: str | None
) -> VisitResult:
    keys = [Visit.visit_id == visit.visit_id]
    if idempotency_key is not None:
        keys.append((Visit.client_id == client_id) & (Visit.idempotency_key == idempotency_key))
    rows = (await session.execute(select(Visit).where(or_(*keys)))).scalars().all()
    for row in rows:
        if row.client_id != client_id:  # a visit id is global: another client's visit is never replayed
            raise IdempotencyConflict("this visit id belongs to another client's visit")
        if row.request_hash != digest:
            raise IdempotencyConflict(
                "this visit id or Idempotency-Key was already used with a different body",
                details={"visit_id": row.visit_id},
            )
    if not rows or rows[0].result is None:  # the claiming transaction rolled back between our insert and read
        raise IdempotencyConflict("the original request for this key is still in flight; retry")
    return VisitResult.model_validate(rows[0].result)


def _probe(visit: VisitCreate) -> IdentityProbe:
    p = visit.person
    return IdentityProbe(
        roll_record_id=p.roll_record_id,
        curp=p.curp,
        given_names=p.nombre,
        paternal_surname=p.primer_apellido,
        maternal_surname=p.segundo_apellido,
        birth_date=p.fecha_nacimiento,
        sex=p.sexo,
        entidad=p.entidad,
        municipio=p.municipio,
        localidad=p.localidad,
        domicilio=p.domicilio,
        telefono=p.telefono,
    )


async def _registry_units(session: AsyncSession, candidates: list[OnlineCandidate]) -> list[Unit]:
    """Units where the certainly matched person is already a registry patient (current CLUES): the
    candidates' own registry records, or, when only a roll record matched, the registry records linked to
    the same golden person."""
    codes: set[str] = set()
    for cand in candidates:
        if cand.patient_id is not None:
            record = await registry_service.get_by_patient_id(session, patient_id=cand.patient_id)
            if record is not None:
                codes.add(record.clues_current or record.clues)
    if not codes:
        for cand in candidates:
            if cand.person_id is not None:
                codes.update(await matching_service.registry_units_of(session, person_id=cand.person_id))
    units: dict[str, Unit] = {}
    for code in sorted(codes):
        unit = await units_service.get_unit(session, clues=code)
        if unit is not None:
            units[unit.clues] = unit
    return list(units.values())


async def _create_referral(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    visit: VisitCreate,
    visit_pk: int,
    settings: Settings | None,
) -> VisitResult:
    person = visit.person
    probe = _probe(visit)
    candidates = await matching_service.match_online(session, probe=probe, limit=10, settings=settings)
    # A candidate a reviewer declared another person (certainly-not) is never the one found.
    candidates = [c for c in candidates if c.grade != "certainly-not"]
    best = max(candidates, key=lambda c: c.probability, default=None)
    sure = sorted((c for c in candidates if c.grade == "certain"), key=lambda c: -c.probability)
    certain = [c for c in sure if c.patient_id is not None]
    grade = best.grade if best is not None else "certainly-not"
    probability = best.probability if best is not None else None

    point: tuple[float, float] | None = None
    point_is_locality = False
    if person.latitud is not None and person.longitud is not None:
        point = (person.latitud, person.longitud)
    elif person.entidad:
        point = await units_service.locality_point(
            session, entidad=person.entidad, municipio=person.municipio, localidad=person.localidad
        )
        point_is_locality = point is not None
    home = await _registry_units(session, sure)
    decision, unit = await route(
        session,
        priority=visit.urgency,
        registry_units=home,
        point=point,
        point_is_locality=point_is_locality,
        tried=[],
    )

    now = datetime.now(UTC)
    review_queued = False
    if certain:
        patient_id = certain[0].patient_id
        assert patient_id is not None
        provisional = False
        grade = "certain"
        probability = certain[0].probability
    else:
        patient_id = uuid.uuid4()
        provisional = True
        uncertain = [c for c in candidates if c.grade in UNCERTAIN]
        review_queued = bool(uncertain)
        session.add(
            ProvisionalPatient(
                id=patient_id,
                visit_pk=visit_pk,
                roll_record_id=person.roll_record_id,
                curp=person.curp,
                nombre=person.nombre,
                primer_apellido=person.primer_apellido,
                segundo_apellido=person.segundo_apellido,
                fecha_nacimiento=person.fecha_nacimiento,
                sexo=person.sexo,
                entidad=person.entidad,
                municipio=person.municipio,
                localidad=person.localidad,
                domicilio=person.domicilio,
                telefono=person.telefono,
                latitud=person.latitud,
                longitud=person.longitud,
                match_grade=grade,
                review_queued=review_queued,
                created_at=now,
                updated_at=now,
            )
        )
        await session.flush()
        if review_queued:
            await matching_service.queue_visit_review(
                session, ctx, provisional_patient_id=patient_id, probe=probe, candidates=uncertain
            )

    referral_id, task_id = uuid.uuid4(), uuid.uuid4()
    findings = visit.findings
    observations = [o.model_dump(mode="json") for o in findings.observations]
    if findings.disability:
        observations.append(
            {"code": "disability", "display": "Disability", "value_text": findings.disability}
        )
    sr_snap = await records.create(
        session,
        Referral,
        {
            "id": referral_id,
            "visit_pk": visit_pk,
            "visit_id": visit.visit_id,
            "requester_client_id": ctx.actor.client_id,
            "requester_worker_id": visit.health_worker_id,
            "status": "active",
            "priority": visit.urgency,
            "patient_id": patient_id,
            "patient_provisional": provisional,
            "match_grade": grade,
            "match_probability": probability,
            "performer_clues": unit.clues,
            "performer_org_id": unit.organization_id,
            "performer_name": unit.nombre,
            "tried_clues": [unit.clues],
            "required_level": routing.required_level(visit.urgency),
            "origin_lat": point[0] if point else None,
            "origin_lon": point[1] if point else None,
            "routing_rule": decision.rule.value,
            "routing_reason": decision.reason,
            "distance_km": decision.distance_km,
            "reasons": [c.model_dump(mode="json") for c in findings.conditions],
            "observations": observations,
            "note": visit.note,
            "authored_on": now,
            "updated_at": now,
        },
        client_id=ctx.actor.client_id,
        history=False,
    )
    task_snap = await records.create(
        session,
        ReferralTask,
        _task_values(
            task_id=task_id,
            referral_id=referral_id,
            visit_id=visit.visit_id,
            client_id=ctx.actor.client_id,
            priority=visit.urgency,
            patient_id=patient_id,
            unit_clues=unit.clues,
            org_id=unit.organization_id,
            unit_name=unit.nombre,
            now=now,
            previous=None,
        ),
        client_id=ctx.actor.client_id,
        history=False,
    )
    await records.first_versions(
        session, [("ServiceRequest", sr_snap), ("Task", task_snap)], client_id=ctx.actor.client_id
    )
    await records.notify_task_change(
        session, task_id=task_id, task_version=1, owner_clues=unit.clues, trace_id=ctx.trace_id
    )
    result = VisitResult(
        visit_id=visit.visit_id,
        service_request=f"ServiceRequest/{referral_id}",
        task=f"Task/{task_id}",
        unit=UnitRead(clues=unit.clues, name=unit.nombre, level=unit.nivel, distance_km=decision.distance_km),
        routing=RoutingRead(rule=decision.rule.value, reason=decision.reason),
        match=MatchRead(
            grade=grade,
            probability=probability,
            patient=f"Patient/{patient_id}",
            provisional=provisional,
            review_queued=review_queued,
        ),
        created_at=now,
    )
    await session.execute(
        _STORE_RESULT,
        {"visit_pk": visit_pk, "referral_id": referral_id, "result": result.model_dump(mode="json")},
    )
    await audit_service.record(
        session,
        ctx,
        action="C",
        subtype="create",
        entities=[
            AuditEntity(type="ServiceRequest", id=str(referral_id)),
            AuditEntity(type="Task", id=str(task_id)),
        ],
        patients=[f"Patient/{patient_id}"],
    )
    return result


def _task_values(
    *,
    task_id: uuid.UUID,
    referral_id: uuid.UUID,
    visit_id: str,
    client_id: str,
    priority: str,
    patient_id: uuid.UUID,
    unit_clues: str,
    org_id: uuid.UUID | None,
    unit_name: str | None,
    now: datetime,
    previous: uuid.UUID | None,
) -> dict[str, Any]:
    return {
        "id": task_id,
        "referral_id": referral_id,
        "previous_task_id": previous,
        "visit_id": visit_id,
        "requester_client_id": client_id,
        "status": "requested",
        "priority": priority,
        "business_status": None,
        "status_reason": None,
        "output": [],
        "patient_id": patient_id,
        "owner_clues": unit_clues,
        "owner_org_id": org_id,
        "owner_name": unit_name,
        "authored_on": now,
        "updated_at": now,
    }


async def count_failed_notifications(session: AsyncSession) -> int:
    """Subscription deliveries that failed for good (retries exhausted), for metrics."""
    return int(await session.scalar(select(func.count()).where(Notification.state == "failed")) or 0)
