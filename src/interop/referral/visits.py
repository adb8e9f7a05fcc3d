"""A posted visit, in named steps: claim (idempotency) → match (who) → place (where) → persist (the
referral and its Task, or the visit's findings alone) → respond (the stored, replayable result).

Idempotency: the visit row is claimed first with ``INSERT … ON CONFLICT DO NOTHING`` on the visit id and on
(client, Idempotency-Key); a concurrent identical post waits on the first one's uncommitted row, then finds
it and replays its stored result. A different body under a used key (visit id or Idempotency-Key) is 409.

One open referral per person and need (``needs``): the person is the matched registry Patient, or the one
provisional Patient of an unmatched person (same ``identity_key``); a repeat visit for an open referral of
the same need adds to it (a new version carrying every visit id, its Task bumped so the unit is notified
and its polling sees it). Both look-ups run under a transaction advisory lock on their key, so two
concurrent visits of one person never open two.

A visit no unit can be found for is kept: its referral waits to be routed (no Task, no performer) until the
next units import, a better address or an operator routes it (``routing_queue``).
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
from interop.identity.names import fold_name
from interop.matching import service as matching_service
from interop.matching.schemas import OnlineCandidate
from interop.referral import records, routing
from interop.referral.errors import IdempotencyConflict, Unroutable
from interop.referral.models import ProvisionalPatient, Referral, ReferralTask, Visit
from interop.referral.needs import Need, need_of
from interop.referral.placement import origin, route
from interop.referral.routing_queue import assign
from interop.referral.schemas import (
    MatchRead,
    PersonFound,
    RoutingRead,
    UnitRead,
    VisitCreate,
    VisitResult,
)
from interop.registry import service as registry_service
from interop.units import service as units_service
from interop.units.models import Unit

UNCERTAIN = ("probable", "possible")

# Built once; values come at execution (see ``records``: a compiled statement is reused, not rebuilt).
_VISITS = cast(Table, Visit.__table__)
_CLAIM_VISIT = insert(_VISITS).on_conflict_do_nothing().returning(_VISITS.c.id)
_STORE_RESULT = (
    update(_VISITS)
    .where(_VISITS.c.id == bindparam("visit_pk"))
    .values(referral_id=bindparam("referral_id"), result=bindparam("result"))
)
_OPEN_FOR_NEED = (
    select(Referral)
    .where(
        Referral.patient_id == bindparam("patient_id"),
        Referral.care_requested == bindparam("care"),
        Referral.reason_category.is_not_distinct_from(bindparam("category")),
        Referral.status == "active",
    )
    .order_by(Referral.authored_on)
    .limit(1)
    .with_for_update()
)
_PROVISIONAL_BY_KEY = (
    select(ProvisionalPatient.id)
    .where(ProvisionalPatient.identity_key == bindparam("key"))
    .order_by(ProvisionalPatient.created_at)
    .limit(1)
)


def request_hash(body: dict[str, Any]) -> str:
    """sha256 of the visit's canonical JSON: equal for equal content, however it was posted."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class PostedVisit:
    result: VisitResult
    created: bool


@dataclass(frozen=True)
class Subject:
    """Who the visit found: the referral's subject and how sure the service is."""

    patient_id: uuid.UUID
    provisional: bool  # a Patient built from the visit, identity not established
    grade: str
    probability: float | None
    review_queued: bool
    registry_units: list[Unit]
    from_visit: bool = False  # the subject is a Patient built from visits (provisional, or known pensioner)


@dataclass(frozen=True)
class Placement:
    """Where the referral goes: a unit and why, or nothing yet (``unit`` None: waiting to be routed)."""

    decision: routing.Decision | None
    unit: Unit | None
    point: tuple[float, float] | None
    point_is_locality: bool
    why_not: str | None = None


async def post_visit(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    visit: VisitCreate,
    idempotency_key: str | None = None,
    settings: Settings | None = None,
) -> PostedVisit:
    """Record a visit (and its referral), or replay the original result (``created`` False)."""
    body = visit.canonical()  # dumped once: stored and hashed
    digest = request_hash(body)
    client_id = ctx.actor.client_id
    claimed = (
        await session.execute(
            _CLAIM_VISIT,
            {
                "visit_id": visit.visit_id,
                "client_id": client_id,
                "idempotency_key": idempotency_key,
                "request_hash": digest,
                "payload": body,
                "visit_date": visit.visit_date,
                "trace_id": ctx.trace_id,
                "refers": visit.referral_requested,
            },
        )
    ).scalar_one_or_none()
    if claimed is None:
        replayed = await _replay(
            session, visit=visit, digest=digest, client_id=client_id, idempotency_key=idempotency_key
        )
        return PostedVisit(replayed, created=False)
    now = datetime.now(UTC)
    subject = await match(session, ctx, person=visit.person, visit_pk=claimed, now=now, settings=settings)
    if not visit.referral_requested:
        result = _result(visit, subject, state="none", referral=None, task_id=None, placement=None, now=now)
        await _store(session, visit_pk=claimed, referral_id=None, result=result)
        await audit_service.record(
            session,
            ctx,
            action="C",
            subtype="create",
            entities=[AuditEntity(type="Visit", id=visit.visit_id)],
            patients=[f"Patient/{subject.patient_id}"],
        )
        return PostedVisit(result, created=True)
    need = need_of(visit)
    await _lock(session, f"need:{subject.patient_id}:{need.care_requested}:{need.reason_category}")
    open_referral = (
        await session.execute(
            _OPEN_FOR_NEED,
            {
                "patient_id": subject.patient_id,
                "care": need.care_requested,
                "category": need.reason_category,
            },
        )
    ).scalar_one_or_none()
    if open_referral is not None:
        result = await add_to_referral(
            session, ctx, visit=visit, referral=open_referral, subject=subject, now=now
        )
    else:
        placement = await place(session, visit=visit, subject=subject, tried=[])
        referral_id, task_id = await persist(
            session,
            ctx,
            visit=visit,
            visit_pk=claimed,
            subject=subject,
            need=need,
            placement=placement,
            now=now,
        )
        state = "created" if placement.unit is not None else "waiting-route"
        result = _result(
            visit, subject, state=state, referral=referral_id, task_id=task_id, placement=placement, now=now
        )
        entities = [AuditEntity(type="ServiceRequest", id=str(referral_id))]
        if task_id is not None:
            entities.append(AuditEntity(type="Task", id=str(task_id)))
        await audit_service.record(
            session,
            ctx,
            action="C",
            subtype="create",
            entities=entities,
            patients=[f"Patient/{subject.patient_id}"],
        )
    await _store(session, visit_pk=claimed, referral_id=_referral_of(result), result=result)
    return PostedVisit(result, created=True)


def _referral_of(result: VisitResult) -> uuid.UUID | None:
    if result.service_request is None:
        return None
    return uuid.UUID(result.service_request.removeprefix("ServiceRequest/"))


async def _lock(session: AsyncSession, key: str) -> None:
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def _store(
    session: AsyncSession, *, visit_pk: int, referral_id: uuid.UUID | None, result: VisitResult
) -> None:
    await session.execute(
        _STORE_RESULT,
        {"visit_pk": visit_pk, "referral_id": referral_id, "result": result.model_dump(mode="json")},
    )


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


# Match ---------------------------------------------------------------------------------------------------


def identity_key(person: PersonFound) -> str:
    """What makes two unmatched visits the same person: the CURP, else the roll record, else the folded
    names with the birth date (a name alone is too common to join visits on)."""
    if person.curp and len(person.curp) == 18:
        return f"curp:{person.curp}"
    if person.roll_record_id:
        return f"roll:{person.roll_record_id}"
    names = " ".join(
        fold_name(n) for n in (person.nombre, person.primer_apellido, person.segundo_apellido or "")
    )
    return f"name:{names}|{person.fecha_nacimiento}|{person.sexo}|{person.entidad}"


async def match(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    person: PersonFound,
    visit_pk: int,
    now: datetime,
    settings: Settings | None,
) -> Subject:
    """The certainly matched registry Patient, else this person's provisional Patient (one per person:
    found again by ``identity_key``, or created and, when candidates are uncertain, queued for review)."""
    probe = person.identity_probe()
    candidates = await matching_service.match_online(session, probe=probe, limit=10, settings=settings)
    # A candidate a reviewer declared another person (certainly-not) is never the one found.
    candidates = [c for c in candidates if c.grade != "certainly-not"]
    best = max(candidates, key=lambda c: c.probability, default=None)
    sure = sorted((c for c in candidates if c.grade == "certain"), key=lambda c: -c.probability)
    home = await _registry_units(session, sure)
    certain = [c for c in sure if c.patient_id is not None]
    if certain:
        patient_id = certain[0].patient_id
        assert patient_id is not None
        return Subject(patient_id, False, "certain", certain[0].probability, False, home)
    grade = best.grade if best is not None else "certainly-not"
    probability = best.probability if best is not None else None
    # Certain on the roll alone: a known pensioner, with no clinic record yet; not a person to review.
    pensioner = bool(sure)
    if pensioner:
        grade, probability = "certain", sure[0].probability
    key = identity_key(person)
    await _lock(session, f"person:{key}")
    known = (await session.execute(_PROVISIONAL_BY_KEY, {"key": key})).scalar_one_or_none()
    if known is not None:
        return Subject(known, not pensioner, grade, probability, False, home, from_visit=True)
    patient_id = uuid.uuid4()
    uncertain = [] if pensioner else [c for c in candidates if c.grade in UNCERTAIN]
    session.add(
        ProvisionalPatient(
            id=patient_id,
            visit_pk=visit_pk,
            **person.provisional_fields(),
            identity_key=key,
            match_grade=grade,
            review_queued=bool(uncertain),
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()
    if uncertain:
        await matching_service.queue_visit_review(
            session, ctx, provisional_patient_id=patient_id, probe=probe, candidates=uncertain
        )
    return Subject(patient_id, not pensioner, grade, probability, bool(uncertain), home, from_visit=True)


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


# Place ---------------------------------------------------------------------------------------------------


async def place(
    session: AsyncSession, *, visit: VisitCreate, subject: Subject, tried: list[str]
) -> Placement:
    point, point_is_locality = await origin(session, person=visit.person)
    try:
        decision, unit = await route(
            session,
            priority=visit.urgency,
            registry_units=subject.registry_units,
            point=point,
            point_is_locality=point_is_locality,
            tried=tried,
        )
    except Unroutable as exc:
        return Placement(None, None, point, point_is_locality, why_not=str(exc))
    return Placement(decision, unit, point, point_is_locality)


# Persist -------------------------------------------------------------------------------------------------


def findings_of(visit: VisitCreate) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The visit's reasons (CIE-10) and observations as the referral stores them."""
    findings = visit.findings
    observations = [o.model_dump(mode="json") for o in findings.observations]
    if findings.disability:
        observations.append(
            {"code": "disability", "display": "Disability", "value_text": findings.disability}
        )
    return [c.model_dump(mode="json") for c in findings.conditions], observations


WAITING_RULE = "waiting-route"


async def persist(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    visit: VisitCreate,
    visit_pk: int,
    subject: Subject,
    need: Need,
    placement: Placement,
    now: datetime,
) -> tuple[uuid.UUID, uuid.UUID | None]:
    """Version 1 of the ServiceRequest and, when placed, of its Task (the unit notified)."""
    referral_id = uuid.uuid4()
    reasons, observations = findings_of(visit)
    unit, decision, point = placement.unit, placement.decision, placement.point
    sr_snap = await records.create(
        session,
        Referral,
        {
            "id": referral_id,
            "visit_pk": visit_pk,
            "visit_id": visit.visit_id,
            "visit_ids": [visit.visit_id],
            "requester_client_id": ctx.actor.client_id,
            "requester_worker_id": visit.health_worker_id,
            "status": "active",
            "priority": visit.urgency,
            "patient_id": subject.patient_id,
            "patient_provisional": subject.provisional,
            "provisional_patient_id": subject.patient_id if subject.from_visit else None,
            "match_grade": subject.grade,
            "match_probability": subject.probability,
            "performer_clues": unit.clues if unit else None,
            "performer_org_id": unit.organization_id if unit else None,
            "performer_name": unit.nombre if unit else None,
            "tried_clues": [unit.clues] if unit else [],
            "required_level": routing.required_level(visit.urgency),
            "origin_lat": point[0] if point else None,
            "origin_lon": point[1] if point else None,
            "routing_rule": decision.rule.value if decision else WAITING_RULE,
            "routing_reason": decision.reason if decision else f"en espera de ruta: {placement.why_not}",
            "distance_km": decision.distance_km if decision else None,
            "reasons": reasons,
            "observations": observations,
            "note": visit.note,
            "care_requested": need.care_requested,
            "reason_category": need.reason_category,
            "escalation": None,
            "escalated_at": None,
            "outcome": None,
            "status_reason": None,
            "authored_on": now,
            "updated_at": now,
        },
        client_id=ctx.actor.client_id,
        history=False,
    )
    snaps = [("ServiceRequest", sr_snap)]
    task_id: uuid.UUID | None = None
    if unit is not None:
        task_id = uuid.uuid4()
        task_snap = await records.create(
            session,
            ReferralTask,
            records.task_values(
                task_id=task_id,
                referral_id=referral_id,
                visit_id=visit.visit_id,
                client_id=ctx.actor.client_id,
                priority=visit.urgency,
                patient_id=subject.patient_id,
                unit=unit,
                now=now,
                previous=None,
            ),
            client_id=ctx.actor.client_id,
            history=False,
        )
        snaps.append(("Task", task_snap))
    await records.first_versions(session, snaps, client_id=ctx.actor.client_id)
    if unit is not None and task_id is not None:
        await records.notify_task_change(
            session, task_id=task_id, task_version=1, owner_clues=unit.clues, trace_id=ctx.trace_id
        )
    return referral_id, task_id


async def add_to_referral(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    visit: VisitCreate,
    referral: Referral,
    subject: Subject,
    now: datetime,
) -> VisitResult:
    """A repeat visit: its findings join the open referral (a new version carrying its visit id); the
    open Task gets a new version so the unit is notified and its polling sees the change."""
    reasons, observations = findings_of(visit)
    known = {r["code"] for r in referral.reasons}
    notes = [n for n in (referral.note, visit.note and f"{visit.visit_id}: {visit.note}") if n]
    changes: dict[str, Any] = {
        "visit_ids": [*referral.visit_ids, visit.visit_id],
        "reasons": [*referral.reasons, *(r for r in reasons if r["code"] not in known)],
        "observations": [*referral.observations, *observations],
        "note": "\n".join(notes)[:4000] or None,
    }
    await records.bump(session, referral, changes, now=now, client_id=ctx.actor.client_id)
    entities = [AuditEntity(type="ServiceRequest", id=str(referral.id))]
    task = await records.open_task(session, referral_id=referral.id)
    if task is not None:
        await records.bump(session, task, {}, now=now, client_id=ctx.actor.client_id)
        await records.notify_task_change(
            session,
            task_id=task.id,
            task_version=task.version,
            owner_clues=task.owner_clues,
            trace_id=ctx.trace_id,
        )
        entities.append(AuditEntity(type="Task", id=str(task.id)))
    await audit_service.record(
        session,
        ctx,
        action="U",
        subtype="update",
        entities=entities,
        patients=[f"Patient/{referral.patient_id}"],
    )
    if task is None and referral.performer_clues is None:  # waiting: this visit may bring a better address
        placement = await place(session, visit=visit, subject=subject, tried=list(referral.tried_clues))
        if placement.unit is not None and placement.decision is not None:
            task_id = await assign(
                session,
                ctx,
                referral=referral,
                unit=placement.unit,
                rule=placement.decision.rule.value,
                reason=placement.decision.reason,
                distance_km=placement.decision.distance_km,
                now=now,
            )
            task = await session.get(ReferralTask, task_id)
    unit = None
    if referral.performer_clues is not None:
        unit = UnitRead(
            clues=referral.performer_clues,
            name=referral.performer_name,
            level=None,
            distance_km=referral.distance_km,
        )
    return VisitResult(
        visit_id=visit.visit_id,
        referral="added",
        service_request=f"ServiceRequest/{referral.id}",
        task=f"Task/{task.id}" if task is not None else None,
        unit=unit,
        routing=RoutingRead(rule=referral.routing_rule, reason=referral.routing_reason),
        match=_match_read(subject),
        created_at=now,
    )


# Respond -------------------------------------------------------------------------------------------------


def _match_read(subject: Subject) -> MatchRead:
    return MatchRead(
        grade=subject.grade,
        probability=subject.probability,
        patient=f"Patient/{subject.patient_id}",
        provisional=subject.provisional,
        review_queued=subject.review_queued,
    )


def _result(
    visit: VisitCreate,
    subject: Subject,
    *,
    state: str,
    referral: uuid.UUID | None,
    task_id: uuid.UUID | None,
    placement: Placement | None,
    now: datetime,
) -> VisitResult:
    unit = placement.unit if placement else None
    decision = placement.decision if placement else None
    routing_read = None
    if decision is not None:
        routing_read = RoutingRead(rule=decision.rule.value, reason=decision.reason)
    elif placement is not None:
        routing_read = RoutingRead(rule=WAITING_RULE, reason=f"en espera de ruta: {placement.why_not}")
    return VisitResult.model_validate(
        {
            "visit_id": visit.visit_id,
            "referral": state,
            "service_request": f"ServiceRequest/{referral}" if referral else None,
            "task": f"Task/{task_id}" if task_id else None,
            "unit": UnitRead(
                clues=unit.clues,
                name=unit.nombre,
                level=unit.nivel,
                distance_km=decision.distance_km if decision else None,
            )
            if unit
            else None,
            "routing": routing_read,
            "match": _match_read(subject),
            "created_at": now,
        }
    )
