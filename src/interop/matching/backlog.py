"""The review backlog in figures: open reviews per entidad, how many a visit waits on, and their age.

One grouped query (the open reviews through ``ix_match_review_status_id``, each joined by primary key to
the stored record under review, whose entidad places it). Counts only: no record ids, no names.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from interop.matching.models import MatchRecord, MatchReview
from interop.matching.reviews import VISIT_SOURCE
from interop.matching.schemas import ReviewBacklogRow


async def review_backlog(
    session: AsyncSession, *, entidades: Iterable[str] | None, now: datetime
) -> list[ReviewBacklogRow]:
    """Open reviews by entidad (``None`` = all entidades, and reviews of unknown entidad are included)."""
    age_d = func.extract("epoch", bindparam("now", now) - MatchReview.created_at) / 86400.0
    entidad = MatchRecord.entidad
    stmt = (
        select(
            entidad,
            func.count(),
            func.count().filter(MatchReview.left_source == VISIT_SOURCE),
            func.count().filter(age_d < 1),
            func.count().filter(age_d >= 1, age_d < 7),
            func.count().filter(age_d >= 7),
            func.max(age_d),
        )
        .select_from(MatchReview)
        .outerjoin(
            MatchRecord,
            and_(
                MatchRecord.source == MatchReview.right_source,
                MatchRecord.record_id == MatchReview.right_record_id,
            ),
        )
        .where(MatchReview.status == "open")
        .group_by(entidad)
        .order_by(entidad.nulls_last())
    )
    if entidades is not None:
        stmt = stmt.where(entidad.in_(sorted({e.strip().upper() for e in entidades})))
    return [
        ReviewBacklogRow(
            entidad=e,
            open=int(n),
            from_visits=int(v),
            under_1_day=int(a),
            days_1_to_7=int(b),
            over_7_days=int(c),
            oldest_days=round(float(m or 0.0), 1),
        )
        for e, n, v, a, b, c, m in (await session.execute(stmt)).all()
    ]
