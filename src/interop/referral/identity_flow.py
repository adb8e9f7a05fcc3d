"""Reviewers' identity decisions reach the referrals (issue 16, item 4). Runs in the
``referral.follow_identity_decision`` job that matching queues with each decision or reversal (matching
never imports referral).

A visit's review decided *link* to a registry record: every active referral that began with the visit's
Patient takes the registry Patient as subject (a new version; its open Task too, so the unit is notified).
*Link* to a roll record: the person is a known pensioner; the subject stays, no longer provisional. *Not
link* (or a reversal of a link): referrals that had moved to a registry Patient come back to the visit's
Patient. Either way the visit's Patient leaves the review queue once none of its reviews is open.

A referral moved onto a Patient that already has an open referral for the same need stays open (its unit
works on it) but points at that one (``need_held_by``), which repeat visits add to; moved back, it holds its
need again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.context import RequestContext
from interop.matching import service as matching_service
from interop.referral import records
from interop.referral.models import ProvisionalPatient, Referral
from interop.registry import service as registry_service

DECISION_JOB = "referral.follow_identity_decision"  # the kind matching.reviews queues
ROLL_SOURCE = "roll"
REGISTRY_SOURCE = "patients"


async def follow_identity_decision(session: AsyncSession, ctx: RequestContext, *, review_id: int) -> int:
    """Apply a decided visit review to its referrals; returns how many referrals changed subject."""
    decided = await matching_service.decided_visit_review(session, review_id=review_id)
    if decided is None:
        return 0
    try:
        visit_patient = uuid.UUID(decided.visit_record_id)
    except ValueError:
        return 0
    prov = (
        await session.execute(
            select(ProvisionalPatient).where(ProvisionalPatient.id == visit_patient).with_for_update()
        )
    ).scalar_one_or_none()
    if prov is None:
        return 0
    now = datetime.now(UTC)
    target = visit_patient
    changes: dict[str, Any] = {"patient_provisional": True}
    if decided.decision == "link" and decided.right_source == REGISTRY_SOURCE:
        record = await registry_service.get_record(session, record_id=decided.right_record_id)
        if record is not None:
            target = record.patient_id
            changes = {"patient_provisional": False, "match_grade": "certain"}
    elif decided.decision == "link" and decided.right_source == ROLL_SOURCE:
        prov.match_grade = "certain"
        changes = {"patient_provisional": False, "match_grade": "certain"}
    elif prov.match_grade == "certain":  # a reversed roll link: no longer a known pensioner
        prov.match_grade = "possible"
    if decided.open_reviews_left == 0:
        prov.review_queued = False
    prov.updated_at = now
    referrals = (
        (
            await session.execute(
                select(Referral)
                .where(Referral.provisional_patient_id == visit_patient, Referral.status == "active")
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    moved = 0
    entities: list[AuditEntity] = []
    patients: set[str] = set()
    for referral in referrals:
        wanted = {**changes, "patient_id": target}
        if all(getattr(referral, k) == v for k, v in wanted.items()):
            continue
        before = referral.patient_id
        if before != target:
            wanted["need_held_by"] = await _holder(session, referral, patient_id=target)
        await records.bump(session, referral, wanted, now=now, client_id=ctx.actor.client_id)
        if before != target:
            await _settle_need(session, referral, patient_id=before)
        entities.append(AuditEntity(type="ServiceRequest", id=str(referral.id)))
        patients |= {f"Patient/{before}", f"Patient/{target}"}
        task = await records.open_task(session, referral_id=referral.id)
        if task is not None:
            await records.bump(session, task, {"patient_id": target}, now=now, client_id=ctx.actor.client_id)
            await records.notify_task_change(
                session,
                task_id=task.id,
                task_version=task.version,
                owner_clues=task.owner_clues,
                trace_id=ctx.trace_id,
            )
            entities.append(AuditEntity(type="Task", id=str(task.id)))
        moved += before != target
    await session.flush()
    if entities:
        await audit_service.record(
            session, ctx, action="U", subtype="update", entities=entities, patients=sorted(patients)
        )
    return moved


def _same_need(referral: Referral, patient_id: uuid.UUID) -> Any:
    return (
        (Referral.patient_id == patient_id)
        & Referral.care_requested.is_not_distinct_from(referral.care_requested)
        & Referral.reason_category.is_not_distinct_from(referral.reason_category)
        & (Referral.status == "active")
        & (Referral.id != referral.id)
    )


async def _holder(session: AsyncSession, referral: Referral, *, patient_id: uuid.UUID) -> uuid.UUID | None:
    """The open referral that already holds this one's need for ``patient_id`` (locked), if any: the moved
    referral then points at it (``uq_referral_open_need`` allows one holder)."""
    stmt = (
        select(Referral.id)
        .where(_same_need(referral, patient_id), Referral.need_held_by.is_(None))
        .with_for_update()
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def _settle_need(session: AsyncSession, referral: Referral, *, patient_id: uuid.UUID) -> None:
    """The referral left ``patient_id``: if it held the need there, the oldest one pointing at it holds it
    now and the rest point at that one (an internal pointer, not a new version)."""
    left = (
        (
            await session.execute(
                select(Referral)
                .where(_same_need(referral, patient_id), Referral.need_held_by == referral.id)
                .order_by(Referral.authored_on, Referral.id)
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    if not left:
        return
    heir = left[0].id
    await session.execute(update(Referral).where(Referral.id == heir).values(need_held_by=None))
    others = [r.id for r in left[1:]]
    if others:
        await session.execute(update(Referral).where(Referral.id.in_(others)).values(need_held_by=heir))
