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
from interop.referral.schemas import RoutingRead, TaskStep, UnitRead, VisitRead, VisitResult


async def get_visit(session: AsyncSession, ctx: RequestContext, *, visit_id: str) -> VisitRead:
    """Bienestar's follow-up: current state, unit and the Task history. Other clients' visits are 404."""
    row = (await session.execute(select(Visit).where(Visit.visit_id == visit_id))).scalar_one_or_none()
    if row is None or row.result is None or row.referral_id is None:
        raise VisitNotFound("no such visit")
    if ctx.actor.role not in ("admin", "system") and row.client_id != ctx.actor.client_id:
        raise VisitNotFound("no such visit")
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
    current = tasks[-1]
    result = VisitResult.model_validate(row.result)
    await audit_service.record(
        session,
        ctx,
        action="R",
        subtype="read",
        entities=[
            AuditEntity(type="ServiceRequest", id=str(referral.id)),
            AuditEntity(type="Task", id=str(current.id)),
        ],
        patients=[f"Patient/{referral.patient_id}"],
    )
    return VisitRead(
        visit_id=row.visit_id,
        result=result,
        service_request_status=referral.status,
        task_status=current.status,
        business_status=_bs_text(current.business_status),
        unit=UnitRead(
            clues=referral.performer_clues,
            name=referral.performer_name,
            level=None,
            distance_km=referral.distance_km,
        ),
        routing=RoutingRead(rule=referral.routing_rule, reason=referral.routing_reason),
        history=steps,
        output=current.output,
    )


def _bs_text(value: dict[str, Any] | None) -> str | None:
    if not value:
        return None
    for coding in value.get("coding") or []:
        if coding.get("code"):
            return str(coding["code"])
    text = value.get("text")
    return str(text) if text else None
