"""What a case is on the referral side, for the auditor's case view: the visits found by visit id,
referral id, trace id, patient id, CURP or padrón folio (through the visit's provisional patient), each
with its referral, Tasks and trace id. Identifiers and states only; never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from interop.referral.models import ProvisionalPatient, Referral, ReferralTask, Visit

MAX_VISITS = 50


@dataclass(frozen=True)
class CaseVisit:
    visit_id: str
    visit_date: str
    trace_id: str | None
    created_at: datetime
    referral_id: uuid.UUID | None = None
    referral_status: str | None = None
    priority: str | None = None
    patient_id: uuid.UUID | None = None
    patient_provisional: bool = False
    performer_clues: str | None = None
    provisional_ids: list[uuid.UUID] = field(default_factory=list)
    tasks: list[tuple[uuid.UUID, str, str]] = field(default_factory=list)  # (id, status, owner CLUES)


async def visits_of(
    session: AsyncSession,
    *,
    visit_ids: Sequence[str] = (),
    referral_ids: Sequence[uuid.UUID] = (),
    trace_ids: Sequence[str] = (),
    patient_ids: Sequence[uuid.UUID] = (),
    curp: str | None = None,
    roll_record_ids: Sequence[str] = (),
) -> list[CaseVisit]:
    """Every visit any of the keys leads to, oldest first."""
    visit_where = []
    if visit_ids:
        visit_where.append(Visit.visit_id.in_(list(visit_ids)))
    if trace_ids:
        visit_where.append(Visit.trace_id.in_(list(trace_ids)))
    if referral_ids or patient_ids:
        by_referral = select(Referral.visit_pk).where(
            or_(Referral.id.in_(list(referral_ids)), Referral.patient_id.in_(list(patient_ids)))
        )
        visit_where.append(Visit.id.in_(by_referral))
    provisional_where = []
    if curp:
        provisional_where.append(ProvisionalPatient.curp == curp)
    if roll_record_ids:
        provisional_where.append(ProvisionalPatient.roll_record_id.in_(list(roll_record_ids)))
    if patient_ids:
        provisional_where.append(ProvisionalPatient.id.in_(list(patient_ids)))
    if provisional_where:
        visit_where.append(Visit.id.in_(select(ProvisionalPatient.visit_pk).where(or_(*provisional_where))))
    if not visit_where:
        return []
    visits = list(
        (
            await session.execute(
                select(Visit).where(or_(*visit_where)).order_by(Visit.created_at, Visit.id).limit(MAX_VISITS)
            )
        ).scalars()
    )
    if not visits:
        return []
    pks = [v.id for v in visits]
    referrals = {
        r.visit_pk: r
        for r in (await session.execute(select(Referral).where(Referral.visit_pk.in_(pks)))).scalars()
    }
    provisional: dict[int, list[uuid.UUID]] = {}
    for pk, pid in (
        await session.execute(
            select(ProvisionalPatient.visit_pk, ProvisionalPatient.id).where(
                ProvisionalPatient.visit_pk.in_(pks)
            )
        )
    ).all():
        provisional.setdefault(int(pk), []).append(pid)
    tasks: dict[uuid.UUID, list[tuple[uuid.UUID, str, str]]] = {}
    referral_keys = [r.id for r in referrals.values()]
    if referral_keys:
        for t in (
            await session.execute(
                select(ReferralTask)
                .where(ReferralTask.referral_id.in_(referral_keys))
                .order_by(ReferralTask.created_at)
            )
        ).scalars():
            tasks.setdefault(t.referral_id, []).append((t.id, t.status, t.owner_clues))
    out = []
    for v in visits:
        r = referrals.get(v.id)
        out.append(
            CaseVisit(
                visit_id=v.visit_id,
                visit_date=v.visit_date.isoformat(),
                trace_id=v.trace_id,
                created_at=v.created_at,
                referral_id=r.id if r else None,
                referral_status=r.status if r else None,
                priority=r.priority if r else None,
                patient_id=r.patient_id if r else None,
                patient_provisional=bool(r.patient_provisional) if r else False,
                performer_clues=r.performer_clues if r else None,
                provisional_ids=provisional.get(v.id, []),
                tasks=tasks.get(r.id, []) if r else [],
            )
        )
    return out
