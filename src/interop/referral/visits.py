"""A posted visit, in named steps: claim (idempotency, here) → match (who: ``subjects``) → place (where)
and persist (the referral and its Task, or an addition to the open one: ``opening``) → respond (the
stored, replayable result, here). A visit that asks for no referral stops after match: its findings are
its stored body.

Idempotency: the visit row is claimed first with ``INSERT … ON CONFLICT DO NOTHING`` on the visit id and on
(client, Idempotency-Key); a concurrent identical post waits on the first one's uncommitted row, then finds
it and replays its stored result. A different body under a used key (visit id or Idempotency-Key) is 409.

One open referral per person and need (``needs``): the person is the matched registry Patient, or the one
provisional Patient of an unmatched person (same ``identity_key``); a repeat visit for an open referral of
the same need adds to it (a new version carrying every visit id, its Task bumped so the unit is notified
and its polling sees it). The open referral is found and locked, else opened by ``INSERT … ON CONFLICT DO
NOTHING`` on a unique index of open needs, so two concurrent first visits of one person and need open one
(the second waits on the first's index entry, then adds to it). The provisional Patient's look-up runs
under a transaction advisory lock on its key (``subjects``).

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
from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.config import Settings
from interop.context import RequestContext
from interop.referral import routing, visit_content
from interop.referral.errors import IdempotencyConflict
from interop.referral.models import Referral, Visit
from interop.referral.needs import need_of
from interop.referral.opening import WAITING_RULE, Placement, add_to_referral, persist, place
from interop.referral.schemas import (
    RoutingRead,
    UnitRead,
    VisitCreate,
    VisitResult,
)
from interop.referral.subjects import Subject, match, match_read

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
        Referral.need_held_by.is_(None),
    )
    .limit(1)  # ``uq_referral_open_need``: at most one
    .with_for_update()
)
_OPEN_ATTEMPTS = 3


def request_hash(body: dict[str, Any]) -> str:
    """sha256 of the visit's canonical JSON: equal for equal content, however it was posted."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


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
    settings: Settings,
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
    content = visit_content.content_of(visit)  # findings as found, checked once (issue 17)
    if not visit.referral_requested:
        result = _result(
            visit,
            subject,
            state="none",
            referral=None,
            task_id=None,
            placement=None,
            content=content,
            now=now,
        )
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
    result = await open_or_add(
        session,
        ctx,
        visit=visit,
        visit_pk=claimed,
        subject=subject,
        content=content,
        settings=settings,
        now=now,
    )
    await _store(session, visit_pk=claimed, referral_id=_referral_of(result), result=result)
    return PostedVisit(result, created=True)


async def open_or_add(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    visit: VisitCreate,
    visit_pk: int,
    subject: Subject,
    content: visit_content.VisitContent,
    settings: Settings,
    now: datetime,
) -> VisitResult:
    """Add to the person's open referral for the need (found and locked), else open one by ``INSERT … ON
    CONFLICT DO NOTHING`` on ``uq_referral_open_need``. A concurrent first visit of the same need makes
    the insert wait for it and yield if it committed: the look-up then finds its referral."""
    need = need_of(visit)
    key = {"patient_id": subject.patient_id, "care": need.care_requested, "category": need.reason_category}
    placement: Placement | None = None
    for _ in range(_OPEN_ATTEMPTS):
        open_referral = (await session.execute(_OPEN_FOR_NEED, key)).scalar_one_or_none()
        if open_referral is not None:
            return await add_to_referral(
                session,
                ctx,
                visit=visit,
                referral=open_referral,
                subject=subject,
                content=content,
                settings=settings,
                now=now,
            )
        if placement is None:
            placement = await place(
                session, visit=visit, subject=subject, tried=[], content=content, settings=settings
            )
        opened = await persist(
            session,
            ctx,
            visit=visit,
            visit_pk=visit_pk,
            subject=subject,
            need=need,
            placement=placement,
            content=content,
            now=now,
        )
        if opened is None:  # a concurrent visit opened it first: add to that one
            continue
        referral_id, task_id = opened
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
        return _result(
            visit,
            subject,
            state="created" if placement.unit is not None else "waiting-route",
            referral=referral_id,
            task_id=task_id,
            placement=placement,
            content=content,
            now=now,
        )
    # Each lost race means the winner's referral ended before it could be found: retry is safe.
    raise IdempotencyConflict.said("referral.visit.need_changed")


def _referral_of(result: VisitResult) -> uuid.UUID | None:
    if result.service_request is None:
        return None
    return uuid.UUID(result.service_request.removeprefix("ServiceRequest/"))


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
            raise IdempotencyConflict.said("referral.visit.other_client")
        if row.request_hash != digest:
            raise IdempotencyConflict.said_with(
                "referral.visit.reused", {}, details={"visit_id": row.visit_id}
            )
    if not rows or rows[0].result is None:  # the claiming transaction rolled back between our insert and read
        raise IdempotencyConflict.said("referral.visit.in_flight")
    return VisitResult.model_validate(rows[0].result)


# Respond -------------------------------------------------------------------------------------------------


def _result(
    visit: VisitCreate,
    subject: Subject,
    *,
    state: str,
    referral: uuid.UUID | None,
    task_id: uuid.UUID | None,
    placement: Placement | None,
    content: visit_content.VisitContent,
    now: datetime,
) -> VisitResult:
    unit = placement.unit if placement else None
    decision = placement.decision if placement else None
    routing_read = None
    if decision is not None:
        reason = routing.explain(decision.parts) or decision.reason
        routing_read = RoutingRead(rule=decision.rule.value, reason=reason)
    elif placement is not None:
        # The caller reads why in its own language; the bundle's words already say it is waiting.
        why = placement.why_not.localised() if placement.why_not else ""
        routing_read = RoutingRead(rule=WAITING_RULE, reason=why)
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
            "match": match_read(subject),
            "created_at": now,
            "warnings": visit_content.warnings_read(content),
        }
    )
