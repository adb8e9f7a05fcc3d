"""Task updates by the clinics: version check (If-Match), the state machine, and the effects on the
ServiceRequest (complete, revoke, re-route to the next unit after a rejection)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from interop import messages
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.context import RequestContext
from interop.referral import outcomes, records, states
from interop.referral.errors import (
    IllegalTransition,
    InvalidUpdate,
    ReferralNotFound,
    Unroutable,
    VersionConflict,
)
from interop.referral.models import Referral, ReferralTask
from interop.referral.placement import route
from interop.referral.scopes import Scope, _task_visible


@dataclass(frozen=True)
class TaskChange:
    """What a clinic may change on a Task. ``None`` keeps the current value."""

    status: str
    business_status: dict[str, Any] | None = None
    status_reason: dict[str, Any] | None = None
    output: list[dict[str, Any]] | None = None
    outcome: str | None = None  # a ``resultado-referencia`` code, with completed or failed
    outcome_note: str | None = None


@dataclass(frozen=True)
class TaskUpdated:
    task: dict[str, Any]
    service_request: dict[str, Any] | None  # its new version when the update changed it
    next_task: dict[str, Any] | None  # the Task created for the next unit after a rejection


async def update_task(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    scope: Scope,
    task_id: uuid.UUID,
    change: TaskChange,
    if_match: int | None,
    interaction: str = "update",
) -> TaskUpdated:
    """Apply a clinic's update. 404 outside the scope, 412 on a stale version, 409 on an illegal transition,
    422 on a status the machine does not use."""
    row = (
        await session.execute(
            select(ReferralTask).where(ReferralTask.id == task_id, _task_visible(scope)).with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        raise ReferralNotFound.said("referral.not_found", kind="Task")
    if if_match is not None and if_match != row.version:
        raise VersionConflict.said_with(
            "referral.version_conflict",
            {"kind": "Task", "current": row.version, "asked": if_match},
            details={"version": row.version},
        )
    try:
        new_status = states.check(row.status, change.status)
    except states.UnknownStatus as exc:
        raise InvalidUpdate.said(exc.key, **exc.params) from None
    except states.IllegalTransition as exc:
        details: dict[str, object] = {"from": row.status, "to": change.status}
        raise IllegalTransition.said_with(exc.key, exc.params, details=details) from None
    now = datetime.now(UTC)
    reported = _outcome(change, new_status, unit=row.owner_clues, now=now)
    was = row.status
    values: dict[str, Any] = {"status": new_status.value}
    if change.business_status is not None:
        values["business_status"] = change.business_status
    if change.status_reason is not None:
        values["status_reason"] = change.status_reason
    if change.output is not None:
        values["output"] = change.output
    task = await records.bump(session, row, values, now=now, client_id=ctx.actor.client_id)
    await records.notify_task_change(
        session, task_id=row.id, task_version=row.version, owner_clues=row.owner_clues, trace_id=ctx.trace_id
    )
    referral = (
        await session.execute(select(Referral).where(Referral.id == row.referral_id).with_for_update())
    ).scalar_one()
    sr_snapshot: dict[str, Any] | None = None
    next_task: dict[str, Any] | None = None
    sr_status = states.service_request_status(new_status)
    if sr_status is not None and referral.status != sr_status:
        sr_changes: dict[str, Any] = {"status": sr_status}
        if reported is not None:
            sr_changes["outcome"] = reported
        sr_snapshot = await records.bump(
            session, referral, sr_changes, now=now, client_id=ctx.actor.client_id
        )
    elif new_status is states.TaskStatus.FAILED and was != new_status.value:
        sr_snapshot = await records.bump(
            session,
            referral,
            {"outcome": reported, **escalation_changes("failed", now)},
            now=now,
            client_id=ctx.actor.client_id,
        )
    elif new_status is states.TaskStatus.REJECTED:
        sr_snapshot, next_task = await _reroute(session, ctx, referral=referral, rejected=row, now=now)
    entities = [AuditEntity(type="Task", id=str(row.id))]
    if sr_snapshot is not None:
        entities.append(AuditEntity(type="ServiceRequest", id=str(referral.id)))
    if next_task is not None:
        entities.append(AuditEntity(type="Task", id=next_task["id"]))
    await audit_service.record(
        session,
        ctx,
        action="U",
        subtype=interaction,
        entities=entities,
        patients=[f"Patient/{row.patient_id}"],
    )
    return TaskUpdated(task=task, service_request=sr_snapshot, next_task=next_task)


ESCALATION_REASONS = ("failed", "unroutable", "unanswered")


def escalation_changes(reason: str, now: datetime) -> dict[str, Any]:
    """What puts a referral on the escalation list (``reason`` one of ``ESCALATION_REASONS``)."""
    assert reason in ESCALATION_REASONS
    return {"escalation": reason, "escalated_at": now}


def _outcome(
    change: TaskChange, status: states.TaskStatus, *, unit: str, now: datetime
) -> dict[str, Any] | None:
    """The coded outcome the update reports (422 for an unknown code, or one on a Task not ending)."""
    code = change.outcome
    ending = status in (states.TaskStatus.COMPLETED, states.TaskStatus.FAILED)
    if code is None:
        if status is not states.TaskStatus.COMPLETED:
            return None
        code = outcomes.DEFAULT_ON_COMPLETE
    elif not ending:
        raise InvalidUpdate.said("referral.task.outcome_needs_end")
    try:
        found = outcomes.outcome(code)
    except outcomes.UnknownOutcome as exc:
        raise InvalidUpdate.said(exc.key, **exc.params) from None
    return {
        "code": found.code,
        "display": found.es,
        "note": change.outcome_note,
        "unit": unit,
        "at": now.isoformat(),
    }


async def _reroute(
    session: AsyncSession, ctx: RequestContext, *, referral: Referral, rejected: ReferralTask, now: datetime
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """After a rejection: a new Task for the nearest eligible unit not yet tried, or the reason why none."""
    point = None
    if referral.origin_lat is not None and referral.origin_lon is not None:
        point = (referral.origin_lat, referral.origin_lon)
    try:
        decision, unit = await route(
            session,
            priority=referral.priority,
            registry_units=[],
            point=point,
            point_is_locality=referral.routing_rule == "nearest-from-locality",
            tried=list(referral.tried_clues),
            care=referral.care_requested,
            home_bound=referral.home_bound,
        )
    except Unroutable:
        snap = await records.bump(
            session,
            referral,
            {
                "routing_reason": messages.text(
                    "routing.rejected_no_unit", messages.SPANISH, clues=rejected.owner_clues
                ),
                **escalation_changes("unroutable", now),
            },
            now=now,
            client_id=ctx.actor.client_id,
        )
        return snap, None
    new_id = uuid.uuid4()
    task = await records.create(
        session,
        ReferralTask,
        records.task_values(
            task_id=new_id,
            referral_id=referral.id,
            visit_id=referral.visit_id,
            client_id=referral.requester_client_id,
            priority=referral.priority,
            patient_id=referral.patient_id,
            unit=unit,
            now=now,
            previous=rejected.id,
            home_visit=referral.home_bound,
        ),
        client_id=ctx.actor.client_id,
    )
    await records.notify_task_change(
        session, task_id=new_id, task_version=1, owner_clues=unit.clues, trace_id=ctx.trace_id
    )
    snap = await records.bump(
        session,
        referral,
        {
            "performer_clues": unit.clues,
            "performer_org_id": unit.organization_id,
            "performer_name": unit.nombre,
            "tried_clues": [*referral.tried_clues, unit.clues],
            "routing_rule": decision.rule.value,
            "routing_reason": messages.text(
                "routing.rerouted", messages.SPANISH, clues=rejected.owner_clues, reason=decision.reason
            ),
            "distance_km": decision.distance_km,
        },
        now=now,
        client_id=ctx.actor.client_id,
    )
    return snap, task
