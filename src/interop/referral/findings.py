"""The findings of visits (conditions and observations), readable whether or not the visit referred.

A Bienestar client reads the findings of the visits it posted; a clinic those of visits whose referral it
may see (the subjects of its units' referrals); reviewers, auditors and admins all. A visit's subject is
the Patient its referral has now (after reviewers' decisions), else the one the visit found.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from interop.referral.models import Referral, Visit
from interop.referral.scopes import Scope, _referral_visible

MAX_VISITS = 200


@dataclass(frozen=True)
class VisitFindings:
    visit_id: str
    visit_date: date
    patient_id: str
    conditions: list[dict[str, Any]]
    observations: list[dict[str, Any]]
    disability: str | None
    referral_id: uuid.UUID | None = None  # the referral the visit opened or added to


def _visible(scope: Scope) -> ColumnElement[bool]:
    conds: list[ColumnElement[bool]] = []
    if scope.requester is not None:
        conds.append(Visit.client_id == scope.requester)
    if scope.clues is not None:
        conds.append(Visit.referral_id.in_(select(Referral.id).where(_referral_visible(scope))))
    return and_(*conds) if conds else and_(True)  # type: ignore[arg-type]


async def visit_findings(
    session: AsyncSession,
    *,
    scope: Scope,
    patient_ids: list[uuid.UUID] | None = None,
    visit_ids: list[str] | None = None,
    limit: int = MAX_VISITS,
    unreferred_only: bool = False,
) -> list[VisitFindings]:
    """Visits' findings, newest first, filtered by subject and/or visit identifier, within the scope."""
    stmt = (
        select(
            Visit.visit_id,
            Visit.visit_date,
            Visit.payload,
            Visit.result,
            Referral.patient_id,
            Visit.referral_id,
        )
        .outerjoin(Referral, Referral.id == Visit.referral_id)
        .where(Visit.result.is_not(None), _visible(scope))
        .order_by(Visit.id.desc())
        .limit(limit)
    )
    if visit_ids is not None:
        stmt = stmt.where(Visit.visit_id.in_(visit_ids))
    if unreferred_only:  # a referral's own findings are read through the referral
        stmt = stmt.where(Visit.referral_id.is_(None))
    if patient_ids is not None:
        refs = [f"Patient/{p}" for p in patient_ids]
        stmt = stmt.where(
            or_(
                Referral.patient_id.in_(patient_ids),
                and_(Referral.id.is_(None), Visit.result["match"]["patient"].astext.in_(refs)),
            )
        )
    out = []
    for visit_id, visit_date, payload, result, current, referral_id in (await session.execute(stmt)).all():
        findings = payload.get("findings") or {}
        found = str(result["match"]["patient"]).removeprefix("Patient/")
        out.append(
            VisitFindings(
                visit_id=visit_id,
                visit_date=visit_date,
                patient_id=str(current) if current is not None else found,
                conditions=list(findings.get("conditions") or []),
                observations=list(findings.get("observations") or []),
                disability=findings.get("disability"),
                referral_id=referral_id,
            )
        )
    return out
