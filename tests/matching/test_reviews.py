"""The review queue's order: what a decision is worth most comes first, page after page."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.matching import reviews


async def test_reviews_a_visit_waits_on_come_first_then_the_likeliest_matches(session: AsyncSession) -> None:
    rows = [
        ("roll", "R1", 0.60),
        ("roll", "R2", 0.95),
        ("visit", "V1", 0.55),
        ("roll", "R3", 0.80),
        ("visit", "V2", 0.90),
        ("roll", "R4", 0.80),
    ]
    ids = {}
    for source, record_id, score in rows:
        ids[record_id] = (
            await session.execute(
                text(
                    "INSERT INTO match_review (left_source, left_record_id, right_source, right_record_id, "
                    "score, evidence) VALUES (:s, :r, 'patients', :r, :score, '[]') RETURNING id"
                ),
                {"s": source, "r": record_id, "score": score},
            )
        ).scalar_one()
    await session.commit()

    seen: list[int] = []
    after = None
    while True:
        page, after = await reviews.list_reviews(session, after=after, limit=2)
        seen += [r.id for r in page]
        if after is None:
            break
    assert seen == [ids[r] for r in ("V2", "V1", "R2", "R3", "R4", "R1")]
    as_queued, _ = await reviews.list_reviews(session, order="id", limit=10)
    assert [r.id for r in as_queued] == sorted(ids.values())
