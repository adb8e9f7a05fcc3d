"""Bienestar's follow-up of a visit: the referral's current state, unit and the history of its Tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.context import RequestContext
from interop.referral.errors import VisitNotFound
from interop.referral.models import Referral, ReferralTask, ResourceVersion, Visit
from interop.referral.schemas import OutcomeRead, RoutingRead, TaskStep, UnitRead, VisitRead, VisitResult


async def get_visit(session: AsyncSession, ctx: RequestContext, *, visit_id: str) -> VisitRead:
    """Bienestar's follow-up: current state, unit and the Task history. Other clients' visits are 404."""
    row = (await session.execute(select(Visit).where(Visit.visit_id == visit_id))).scalar_one_or_none()
    if row is None or row.result is None:
        raise VisitNotFound.said("referral.visit_not_found")
    if ctx.actor.role not in ("admin", "system") and row.client_id != ctx.actor.client_id:
        raise VisitNotFound.said("referral.visit_not_found")
    result = VisitResult.model_validate(row.result)
    if row.referral_id is None:  # a visit that asked for no referral: its findings alone
        await audit_service.record(
            session,
            ctx,
            action="R",
            subtype="read",
            entities=[AuditEntity(type="Visit", id=row.visit_id)],
            patients=[result.match.patient],
        )
        return VisitRead(
            visit_id=row.visit_id,
            result=result,
            service_request_status=None,
            task_status=None,
            business_status=None,
            unit=None,
            routing=None,
            history=[],
            output=[],
        )
    referral = await session.get(Referral, row.referral_id)
    assert referral is not None
    tasks = (
        (
            await session.execute(
                select(ReferralTask)
                .where(ReferralTask.referral_id == referral.id)
                .order_by(ReferralTask.authored_on, ReferralTask.change_seq)
            )
        )
        .scalars()
        .all()
    )
    task_ids = [t.id for t in tasks]
    versions = (
        (
            await session.execute(
                select(ResourceVersion)
                .where(ResourceVersion.resource_type == "Task", ResourceVersion.resource_id.in_(task_ids))
                .order_by(ResourceVersion.recorded_at, ResourceVersion.id)
            )
        )
        .scalars()
        .all()
    )
    steps = [
        TaskStep(
            task=f"Task/{v.resource_id}",
            version=v.version,
            status=v.snapshot["status"],
            owner=v.snapshot["owner_clues"],
            business_status=_bs_text(v.snapshot.get("business_status")),
            at=datetime.fromisoformat(v.snapshot["updated_at"]),
        )
        for v in versions
    ]
    current = tasks[-1] if tasks else None
    entities = [AuditEntity(type="ServiceRequest", id=str(referral.id))]
    if current is not None:
        entities.append(AuditEntity(type="Task", id=str(current.id)))
    await audit_service.record(
        session,
        ctx,
        action="R",
        subtype="read",
        entities=entities,
        patients=[f"Patient/{referral.patient_id}"],
    )
    unit = None
    if referral.performer_clues is not None:
        unit = UnitRead(
            clues=referral.performer_clues,
            name=referral.performer_name,
            level=None,
            distance_km=referral.distance_km,
        )
    return VisitRead(
        visit_id=row.visit_id,
        result=result,
        service_request_status=referral.status,
        task_status=current.status if current else None,
        business_status=_bs_text(current.business_status) if current else None,
        unit=unit,
        routing=RoutingRead(rule=referral.routing_rule, reason=referral.routing_reason),
        history=steps,
        output=current.output if current else [],
        outcome=OutcomeRead.model_validate(referral.outcome) if referral.outcome else None,
        escalation=referral.escalation,
        status_reason=referral.status_reason,
    )


def _bs_text(value: dict[str, Any] | None) -> str | None:
    if not value:
        return None
    for coding in value.get("coding") or []:
        if coding.get("code"):
            return str(coding["code"])
    text = value.get("text")
    return str(text) if text else None
