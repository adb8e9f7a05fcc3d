"""Reviewers stood in for by the truth file: decide a share of the open reviews (through the matching
service, as the review pages do), refit the calibration (``interop match calibrate``), and report the
reliability of the reviews left open. Shows how decisions move the calibration; it does use the
population's truth for the decided pairs, so it is reported apart from the held-out table."""

from __future__ import annotations

import asyncio
import random
import secrets
from pathlib import Path
from typing import Any

from quality import before_after, review_rows


def decide_some(env: dict[str, str], truth: dict[str, str], n: int, *, seed: int = 13) -> dict[str, int]:
    """Decide ``n`` open reviews drawn at random: link when the truth says one person."""
    from sqlalchemy import text

    from interop.config import Settings
    from interop.context import system_context
    from interop.db.runtime import open_database, prepare
    from interop.matching import service

    settings = Settings(data_dir=Path(env["INTEROP_DATA_DIR"]))
    url, server = prepare(settings)

    async def run() -> dict[str, int]:
        done = {"link": 0, "not-link": 0}
        async with open_database(settings, url) as db, db.sessionmaker() as session:
            rows = (
                await session.execute(
                    text(
                        "SELECT id, left_source || '|' || left_record_id, "
                        "right_source || '|' || right_record_id FROM match_review WHERE status = 'open' "
                        "ORDER BY id"
                    )
                )
            ).all()
            ctx = system_context(request_id=secrets.token_hex(8), trace_id=secrets.token_hex(16))
            for review_id, a, b in random.Random(seed).sample(rows, min(n, len(rows))):
                decision = "link" if truth.get(a) is not None and truth.get(a) == truth.get(b) else "not-link"
                await service.decide_review(
                    session, ctx, review_id=review_id, decision=decision, reason="bench: truth file"
                )
                await session.commit()
                done[decision] += 1
        return done

    try:
        return asyncio.run(run())
    finally:
        if server is not None:
            server.stop()


def after_decisions(env: dict[str, str], truth: dict[str, str], n: int, calibrate: Any) -> dict[str, Any]:
    decided = decide_some(env, truth, n)
    fitted = calibrate()
    reviews = review_rows(env)
    same = [truth.get(a) == truth.get(b) for a, b, _, _ in reviews]
    return {
        "decided": decided,
        "calibration": fitted,
        "reliability_open_reviews": before_after(
            [(r[3], t) for r, t in zip(reviews, same, strict=True)],
            [(r[2], t) for r, t in zip(reviews, same, strict=True)],
        ),
    }
