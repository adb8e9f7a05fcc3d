"""The review pages filter and show the calibrated probability, not the model's raw one."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.web.conftest import MakeUser, seed_reviews, sign_in

from interop.matching import calibration_fit
from interop.matching.calibration import STRATA, Calibration, Curve, raw_probability


def _listed(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'href="/app/reviews/(\d+)', html)]


async def test_score_bands_filter_on_the_calibrated_probability(
    client: httpx.AsyncClient, make_user: MakeUser, session: AsyncSession
) -> None:
    ids = await seed_reviews(session)
    await make_user("rev1", "reviewer")
    await sign_in(client, "rev1")
    assert _listed((await client.get("/app/reviews?band=alta")).text) == [ids["likely"]]
    # The calibration says these pairs (no anchor agrees) are one person half the time, whatever the
    # model's 0.95.
    half = Calibration("m-test", {s: Curve((-1000.0,), (1000.0,), (0.5,)) for s in STRATA})
    await calibration_fit.apply_to_open_reviews(
        session, calibration=half, calibration_id=1, auto_threshold=0.99
    )
    await session.commit()
    assert _listed((await client.get("/app/reviews?band=alta")).text) == []
    low = _listed((await client.get("/app/reviews?band=baja")).text)
    assert set(low) == {ids["likely"], ids["old"], ids["unlikely"], ids["visit"]}
    raw = (
        await session.execute(
            text("SELECT raw_score, score FROM match_review WHERE id = :i"), {"i": ids["likely"]}
        )
    ).one()
    # The model's figure of its stored weight, kept beside the shown one.
    assert abs(raw[0] - raw_probability(1.9)) < 1e-12
    assert raw[1] == 0.5
