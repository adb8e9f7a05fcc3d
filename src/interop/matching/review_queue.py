"""The review queue as a reviewer works it on a page: filtered by entidad, source (a batch run or the
visits), age and score band, in the API's order (``reviews.list_reviews``' "value": reviews a visit
waits on first, then the likeliest matches, then the oldest). Reads identifiers only; a review's records
are read (and audited) by ``reviews.get_review``. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from interop.matching.models import MatchReview
from interop.matching.reviews import VISIT_SOURCE, _review_read, _waiting
from interop.matching.schemas import MatchReviewRead

SourceFilter = Literal["batch", "visit"]


@dataclass(frozen=True)
class ReviewFilter:
    """What a reviewer narrows the queue to; None = no limit on that axis."""

    status: str = "open"
    entidad: str | None = None  # two-letter code, either record's
    source: SourceFilter | None = None
    run_id: int | None = None
    older_than_s: int | None = None
    newer_than_s: int | None = None
    score_min: float | None = None
    score_max: float | None = None  # exclusive, so adjacent bands do not overlap


def _where(f: ReviewFilter, now: datetime) -> list[ColumnElement[bool]]:
    # Read through the same view the review page shows the records from (identity_record).
    from sqlalchemy import column, table

    record = table("identity_record", column("source"), column("record_id"), column("entidad"))
    where: list[ColumnElement[bool]] = []
    if f.status:
        where.append(MatchReview.status == f.status)
    if f.source == "visit":
        where.append(MatchReview.left_source == VISIT_SOURCE)
    elif f.source == "batch":
        where.append(MatchReview.left_source != VISIT_SOURCE)
    if f.run_id is not None:
        where.append(MatchReview.run_id == f.run_id)
    if f.older_than_s is not None:
        where.append(MatchReview.created_at <= now - timedelta(seconds=f.older_than_s))
    if f.newer_than_s is not None:
        where.append(MatchReview.created_at > now - timedelta(seconds=f.newer_than_s))
    if f.score_min is not None:
        where.append(MatchReview.score >= f.score_min)
    if f.score_max is not None:
        where.append(MatchReview.score < f.score_max)
    if f.entidad:
        on_side = [
            exists().where(
                record.c.source == side_source,
                record.c.record_id == side_id,
                record.c.entidad == f.entidad,
            )
            for side_source, side_id in (
                (MatchReview.right_source, MatchReview.right_record_id),
                (MatchReview.left_source, MatchReview.left_record_id),
            )
        ]
        where.append(or_(*on_side, MatchReview.left_snapshot["entidad"].astext == f.entidad))
    return where


async def filter_reviews(
    session: AsyncSession, *, criteria: ReviewFilter, offset: int = 0, limit: int = 50
) -> tuple[list[MatchReviewRead], int]:
    """One page of the filtered queue and how many reviews the filter holds in all."""
    where = _where(criteria, datetime.now(UTC))
    query = (
        select(MatchReview)
        .where(and_(*where))
        .order_by(_waiting().desc(), MatchReview.score.desc(), MatchReview.id)
        .offset(offset)
        .limit(limit)
    )
    rows = list((await session.execute(query)).scalars())
    total = int(await session.scalar(select(func.count()).select_from(MatchReview).where(and_(*where))) or 0)
    return [_review_read(r) for r in rows], total


async def next_open_after(
    session: AsyncSession, *, criteria: ReviewFilter, skip: frozenset[int] = frozenset()
) -> int | None:
    """The first open review of the filter not in ``skip`` (deferred this session): where the reviewer
    goes after a decision."""
    where = _where(criteria, datetime.now(UTC))
    query = (
        select(MatchReview.id)
        .where(and_(*where))
        .order_by(_waiting().desc(), MatchReview.score.desc(), MatchReview.id)
    )
    if skip:
        query = query.where(MatchReview.id.not_in(sorted(skip)[:500]))
    return await session.scalar(query.limit(1))


async def entidades_of(session: AsyncSession, *, review_ids: list[int]) -> dict[int, str | None]:
    """The entidad each listed review is about (its stored record's, else the visit's), for the list."""
    from sqlalchemy import column, table

    if not review_ids:
        return {}
    record = table("identity_record", column("source"), column("record_id"), column("entidad"))
    # A correlated lookup per listed review (at most a page of them): each reaches the record through its
    # table's key inside the view. A join let the planner hash the whole view (every record, ~0.8 s at
    # 1 M people) for fifty rows.
    stored = (
        select(record.c.entidad)
        .where(record.c.source == MatchReview.right_source, record.c.record_id == MatchReview.right_record_id)
        .limit(1)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(MatchReview.id, func.coalesce(stored, MatchReview.left_snapshot["entidad"].astext)).where(
            MatchReview.id.in_(review_ids)
        )
    )
    return {int(i): e for i, e in rows.all()}
