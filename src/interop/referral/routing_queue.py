"""The operators' lists: referrals waiting to be routed (no unit could be found for their visit) and
referrals on the escalation list (failed, unroutable after rejections, or unanswered past their time);
and routing a waiting referral, by an operator's choice of unit or by the routing rules again (after a
units import, which may have brought the unit or the locality that was missing), or re-routing an
escalated one the same ways (it leaves the escalation list; an unanswered Task is cancelled first).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.context import RequestContext
from interop.referral import records, routing, states
from interop.referral.errors import InvalidUpdate, ReferralNotFound, Unroutable
from interop.referral.models import Referral, ReferralTask, Visit
from interop.referral.placement import origin, route
from interop.referral.schemas import ReferralList, ReferralListItem
from interop.referral.scopes import Scope, _referral_visible
from interop.units import service as units_service
from interop.units.service import Unit

ROUTE_WAITING_JOB = "referral.route_waiting"  # queued by a units import
_WAITING = (Referral.performer_clues.is_(None), Referral.status == "active")
_ESCALATED = (Referral.escalation.is_not(None), Referral.status == "active")


def _item(r: Referral, reason: str | None, since: datetime) -> ReferralListItem:
    return ReferralListItem(
        service_request=f"ServiceRequest/{r.id}",
        visit_ids=list(r.visit_ids),
        status=r.status,
        priority=r.priority,
        unit=r.performer_clues,
        reason=reason,
        since=since,
    )


async def list_waiting(session: AsyncSession, *, scope: Scope, limit: int = 100) -> ReferralList:
    """Referrals waiting to be routed, oldest first (identifiers only)."""
    where = (*_WAITING, _referral_visible(scope))
    rows = (
        (await session.execute(select(Referral).where(*where).order_by(Referral.change_seq).limit(limit)))
        .scalars()
        .all()
    )
    total = int(await session.scalar(select(func.count()).select_from(Referral).where(*where)) or 0)
    return ReferralList(items=[_item(r, r.routing_reason, r.authored_on) for r in rows], total=total)


async def list_escalated(session: AsyncSession, *, scope: Scope, limit: int = 100) -> ReferralList:
    """Referrals on the escalation list, longest escalated first."""
    where = (*_ESCALATED, _referral_visible(scope))
    rows = (
        (await session.execute(select(Referral).where(*where).order_by(Referral.escalated_at).limit(limit)))
        .scalars()
        .all()
    )
    total = int(await session.scalar(select(func.count()).select_from(Referral).where(*where)) or 0)
    return ReferralList(
        items=[_item(r, r.escalation, r.escalated_at or r.updated_at) for r in rows], total=total
    )


async def count_waiting(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Referral).where(*_WAITING)) or 0)


async def count_escalated(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(Referral.escalation, func.count()).where(*_ESCALATED).group_by(Referral.escalation)
    )
    return {str(reason): int(n) for reason, n in rows.all()}


async def assign(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    referral: Referral,
    unit: Unit,
    rule: str,
    reason: str,
    distance_km: float | None,
    now: datetime,
    previous: uuid.UUID | None = None,
    closed: uuid.UUID | None = None,
) -> uuid.UUID:
    """A waiting (or escalated) referral gets its unit: version 1 of a Task (the unit notified; ``previous``
    the Task it follows) and a new ServiceRequest version naming the performer, off the escalation list.
    ``closed``: the open Task the caller cancelled, audited with the rest."""
    task_id = uuid.uuid4()
    await records.create(
        session,
        ReferralTask,
        records.task_values(
            task_id=task_id,
            referral_id=referral.id,
            visit_id=referral.visit_id,
            client_id=referral.requester_client_id,
            priority=referral.priority,
            patient_id=referral.patient_id,
            unit=unit,
            now=now,
            previous=previous,
            home_visit=referral.home_bound,
        ),
        client_id=ctx.actor.client_id,
    )
    await records.notify_task_change(
        session, task_id=task_id, task_version=1, owner_clues=unit.clues, trace_id=ctx.trace_id
    )
    await records.bump(
        session,
        referral,
        {
            "performer_clues": unit.clues,
            "performer_org_id": unit.organization_id,
            "performer_name": unit.nombre,
            "tried_clues": [*referral.tried_clues, unit.clues],
            "routing_rule": rule,
            "routing_reason": reason,
            "distance_km": distance_km,
            "escalation": None,
            "escalated_at": None,
        },
        now=now,
        client_id=ctx.actor.client_id,
    )
    entities = [
        AuditEntity(type="ServiceRequest", id=str(referral.id)),
        AuditEntity(type="Task", id=str(task_id)),
    ]
    if closed is not None:
        entities.append(AuditEntity(type="Task", id=str(closed)))
    await audit_service.record(
        session,
        ctx,
        action="U",
        subtype="update",
        entities=entities,
        patients=[f"Patient/{referral.patient_id}"],
    )
    return task_id


async def _by_rules(session: AsyncSession, referral: Referral) -> tuple[routing.Decision, Unit]:
    payload = await session.scalar(select(Visit.payload).where(Visit.id == referral.visit_pk))
    point, is_locality = await origin(session, person=(payload or {}).get("person") or {})
    return await route(
        session,
        priority=referral.priority,
        registry_units=[],
        point=point,
        point_is_locality=is_locality,
        tried=list(referral.tried_clues),
    )


async def route_referral(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    referral_id: uuid.UUID,
    clues: str | None = None,
) -> uuid.UUID:
    """An operator routes a waiting referral, or re-routes an escalated one (failed, unroutable or
    unanswered): to the unit named (it must be operating), or by the routing rules again (units not yet
    tried). An escalated referral's Task still open (unanswered) is cancelled first and its unit notified;
    the new Task follows the last one. Returns the new Task's id; 404 unknown; 422 when the referral is
    neither waiting nor escalated, the unit is unknown or closed, or no unit is left."""
    referral = (
        await session.execute(select(Referral).where(Referral.id == referral_id).with_for_update())
    ).scalar_one_or_none()
    if referral is None:
        raise ReferralNotFound.said("referral.not_found", kind="ServiceRequest")
    waiting = referral.performer_clues is None
    if referral.status != "active" or not (waiting or referral.escalation is not None):
        raise InvalidUpdate.said("referral.not_waiting")
    now = datetime.now(UTC)
    if clues is not None:
        unit = await units_service.get_unit(session, clues=clues)
        if unit is None or not unit.operating:
            raise InvalidUpdate.said("referral.unit_not_operating", clues=clues)
        who = ctx.actor.user or ctx.actor.client_id
        rule, reason, distance_km = "operator", f"elegida por un operador ({who})", None
    else:
        decision, unit = await _by_rules(session, referral)
        rule, reason, distance_km = decision.rule.value, decision.reason, decision.distance_km
    previous, closed = await _close_last_task(session, ctx, referral=referral, now=now)
    return await assign(
        session,
        ctx,
        referral=referral,
        unit=unit,
        rule=rule,
        reason=reason,
        distance_km=distance_km,
        now=now,
        previous=previous,
        closed=closed,
    )


async def _close_last_task(
    session: AsyncSession, ctx: RequestContext, *, referral: Referral, now: datetime
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The referral's last Task (the one a re-routed Task follows) and, when it was still open (an
    unanswered escalation), its id after cancelling it with its unit notified."""
    last = (
        await session.execute(
            select(ReferralTask)
            .where(ReferralTask.referral_id == referral.id)
            .order_by(ReferralTask.change_seq.desc())
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if last is None:
        return None, None
    if last.status not in records.OPEN_TASK_STATUSES:
        return last.id, None
    states.check(last.status, "cancelled", by="service")
    await records.bump(
        session,
        last,
        {"status": "cancelled", "status_reason": {"text": "reasignada por un operador"}},
        now=now,
        client_id=ctx.actor.client_id,
    )
    await records.notify_task_change(
        session,
        task_id=last.id,
        task_version=last.version,
        owner_clues=last.owner_clues,
        trace_id=ctx.trace_id,
    )
    return last.id, last.id


async def route_waiting(session: AsyncSession, ctx: RequestContext, *, limit: int = 1000) -> int:
    """Try the routing rules again on every waiting referral (after a units import); returns how many
    found a unit. The ones still without one keep waiting."""
    ids = (
        (
            await session.execute(
                select(Referral.id).where(*_WAITING).order_by(Referral.change_seq).limit(limit)
            )
        )
        .scalars()
        .all()
    )
    routed = 0
    for referral_id in ids:
        try:
            await route_referral(session, ctx, referral_id=referral_id)
        except Unroutable:
            continue
        routed += 1
    return routed
