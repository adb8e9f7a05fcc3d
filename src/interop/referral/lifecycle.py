"""How a referral ends besides the unit's Task updates: Bienestar withdraws or corrects it, a unit (or a
page acting for one) completes or fails it with a coded outcome, and unanswered Tasks are escalated.

Every path bumps the ServiceRequest (a new version, so polling and ``_history`` show it), cancels or
notifies the unit's Task where it changes, and writes its AuditEvent in the caller's transaction. Time is
a parameter (``now``) wherever a rule depends on it, so tests inject it instead of sleeping.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.context import RequestContext
from interop.job import service as job_service
from interop.referral import records, states
from interop.referral.errors import IllegalTransition, InvalidUpdate, ReferralNotFound, VersionConflict
from interop.referral.models import Referral, ReferralTask
from interop.referral.scopes import Scope, _referral_visible
from interop.referral.workflow import TaskChange, TaskUpdated, escalation_changes, update_task

log = logging.getLogger(__name__)

Withdrawal = Literal["revoked", "entered-in-error"]
WITHDRAWALS: tuple[str, ...] = ("revoked", "entered-in-error")


async def withdraw_referral(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    scope: Scope,
    referral_id: uuid.UUID,
    status: str,
    reason: str,
    if_match: int | None = None,
) -> dict[str, Any]:
    """Bienestar withdraws (``revoked``) or corrects (``entered-in-error``) a referral it sent: the open
    Task is cancelled (the unit notified) and the ServiceRequest takes the status and the reason. Only the
    requester (or an admin) may; 404 outside the scope, 412 on a stale version, 409 once it has ended."""
    if status not in WITHDRAWALS:
        raise InvalidUpdate.said("referral.withdraw_status", statuses=", ".join(WITHDRAWALS))
    reason = reason.strip()
    if not reason:
        raise InvalidUpdate.said("referral.withdraw_reason")
    # The referral's Tasks first, then the referral: the order a unit's Task update locks them in (the
    # other order deadlocked against a unit answering at the same moment, a 500 for one of the two).
    await session.execute(
        select(ReferralTask.id)
        .where(ReferralTask.referral_id == referral_id)
        .order_by(ReferralTask.id)
        .with_for_update()
    )
    referral = (
        await session.execute(
            select(Referral).where(Referral.id == referral_id, _referral_visible(scope)).with_for_update()
        )
    ).scalar_one_or_none()
    if referral is None or (scope.clues is not None and ctx.actor.role not in ("admin", "system")):
        raise ReferralNotFound.said("referral.not_found", kind="ServiceRequest")
    if if_match is not None and if_match != referral.version:
        raise VersionConflict.said_with(
            "referral.version_conflict",
            {"kind": "ServiceRequest", "current": referral.version, "asked": if_match},
            details={"version": referral.version},
        )
    if referral.status != "active":
        raise IllegalTransition.said_with(
            "referral.already_ended",
            {"status": referral.status},
            details={"from": referral.status, "to": status},
        )
    now = datetime.now(UTC)
    entities = [AuditEntity(type="ServiceRequest", id=str(referral.id))]
    task = await records.open_task(session, referral_id=referral.id)
    if task is not None:
        states.check(task.status, "cancelled", by="service")
        await records.bump(
            session,
            task,
            {"status": "cancelled", "status_reason": {"text": f"{status}: {reason}"[:500]}},
            now=now,
            client_id=ctx.actor.client_id,
        )
        await records.notify_task_change(
            session,
            task_id=task.id,
            task_version=task.version,
            owner_clues=task.owner_clues,
            trace_id=ctx.trace_id,
        )
        entities.append(AuditEntity(type="Task", id=str(task.id)))
    snap = await records.bump(
        session,
        referral,
        {"status": status, "status_reason": reason[:2000]},
        now=now,
        client_id=ctx.actor.client_id,
    )
    await audit_service.record(
        session,
        ctx,
        action="U",
        subtype="update",
        entities=entities,
        patients=[f"Patient/{referral.patient_id}"],
    )
    return snap


async def complete_task(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    scope: Scope,
    task_id: uuid.UUID,
    status: Literal["completed", "failed"],
    outcome: str | None,
    note: str | None = None,
    if_match: int | None = None,
) -> TaskUpdated:
    """A unit ends its Task with a coded outcome (``outcomes.OUTCOMES``) and an optional note: what the
    web pages call for units without a system (the FHIR route does the same through ``update_task``)."""
    return await update_task(
        session,
        ctx,
        scope=scope,
        task_id=task_id,
        change=TaskChange(status=status, outcome=outcome, outcome_note=note),
        if_match=if_match,
    )


def answer_deadline(priority: str, hours: dict[str, float]) -> timedelta:
    """How long a Task of this priority may stay requested (unknown priorities: the routine time)."""
    return timedelta(hours=hours.get(priority, hours.get("routine", 72.0)))


async def escalate_unanswered(
    session: AsyncSession, ctx: RequestContext, *, now: datetime, hours: dict[str, float]
) -> int:
    """Put on the escalation list every active referral whose open Task is still ``requested`` past the
    time its priority allows. Returns how many were escalated; each is a new ServiceRequest version."""
    late = or_(
        *(
            and_(
                ReferralTask.priority == priority,
                ReferralTask.updated_at < now - answer_deadline(priority, hours),
            )
            for priority in ("routine", "urgent", "asap", "stat")
        )
    )
    stmt = (
        select(Referral)
        .join(ReferralTask, ReferralTask.referral_id == Referral.id)
        .where(
            Referral.status == "active",
            Referral.escalation.is_(None),
            ReferralTask.status == "requested",
            late,
        )
        .with_for_update(of=Referral, skip_locked=True)
        .limit(500)
    )
    rows = list((await session.execute(stmt)).scalars().unique())
    for referral in rows:
        await records.bump(
            session, referral, escalation_changes("unanswered", now), now=now, client_id=ctx.actor.client_id
        )
        log.warning("referral escalated", extra={"referral_id": str(referral.id), "reason": "unanswered"})
    if rows:
        await audit_service.record(
            session,
            ctx,
            action="U",
            subtype="update",
            entities=[AuditEntity(type="ServiceRequest", id=str(r.id)) for r in rows],
            patients=sorted({f"Patient/{r.patient_id}" for r in rows}),
        )
    return len(rows)


ESCALATE_JOB = "referral.escalate"


async def ensure_escalation_sweep(session: AsyncSession) -> bool:
    """Queue the self-renewing escalation sweep unless one is already queued or running (at start-up)."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(ESCALATE_JOB))))
    if await job_service.pending(session, kind=ESCALATE_JOB):
        return False
    await job_service.enqueue(session, kind=ESCALATE_JOB, payload={}, queue_key=ESCALATE_JOB)
    return True
