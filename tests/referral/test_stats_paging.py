"""``GET /v1/referral-stats`` pages its units (the national figures listed 12,000 in one answer): the
pages, read in turn, hold every unit once in the unpaged order with their names; totals, entidades,
ageing, outcomes and the review backlog are the whole scope's on every page; bad paging is a 422."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.test_stats import DF1, DF2, OC1, _world

Headers = Callable[..., dict[str, str]]
WHOLE_SCOPE = ("totals", "rejection_rate", "completion_rate", "by_entidad", "ageing", "outcomes")


async def _stats(client: httpx.AsyncClient, headers: dict[str, str], query: str) -> dict[str, Any]:
    r = await client.get(f"/v1/referral-stats{query}", headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_pages_of_units_add_up_to_the_whole_list_and_keep_the_totals(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _world(client, session, auth_headers)
    admin = auth_headers("admin")
    whole = await _stats(client, admin, "?units_limit=1000")
    ranked = [u["clues"] for u in whole["referrals"]["by_unit"]]
    assert sorted(ranked) == sorted([DF1, DF2, OC1])
    assert whole["referrals"]["by_unit_total"] == 3
    assert whole["referrals"]["by_unit_next_offset"] is None

    seen: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        page = await _stats(client, admin, f"?units_limit=1&units_offset={offset}")
        referrals = page["referrals"]
        assert len(referrals["by_unit"]) == 1
        assert referrals["by_unit_offset"] == offset
        assert referrals["by_unit_total"] == 3
        for key in WHOLE_SCOPE:
            assert referrals[key] == whole["referrals"][key], key
        assert page["review_backlog"] == whole["review_backlog"]
        seen += referrals["by_unit"]
        offset = referrals["by_unit_next_offset"]
    assert [u["clues"] for u in seen] == ranked
    assert seen == whole["referrals"]["by_unit"]  # names and counts too
    assert {u["clues"]: u["nombre"] for u in seen}[DF2] == f"Unidad {DF2}"


async def test_totals_only_and_a_page_past_the_end(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _world(client, session, auth_headers)
    admin = auth_headers("admin")
    none = (await _stats(client, admin, "?units_limit=0"))["referrals"]
    assert none["by_unit"] == []
    assert none["by_unit_total"] == 3
    assert none["by_unit_next_offset"] == 0
    assert none["totals"]["requested"] == 3
    past = (await _stats(client, admin, "?units_limit=10&units_offset=50"))["referrals"]
    assert past["by_unit"] == []
    assert past["by_unit_next_offset"] is None
    assert past["totals"] == none["totals"]
    df = (await _stats(client, admin, "?entidad=DF&units_limit=1"))["referrals"]
    assert df["by_unit_total"] == 2
    assert df["by_unit"][0]["clues"] in (DF1, DF2)


async def test_the_default_page_is_the_busiest_units_and_bad_paging_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _world(client, session, auth_headers)
    admin = auth_headers("admin")
    default = (await _stats(client, admin, ""))["referrals"]
    assert default["by_unit_offset"] == 0
    assert default["by_unit_total"] == len(default["by_unit"]) == 3
    pending = [
        u["counts"]["requested"] + u["counts"]["accepted"] + u["counts"]["in_progress"]
        for u in default["by_unit"]
    ]
    assert pending == sorted(pending, reverse=True)
    for query in ("?units_limit=1001", "?units_limit=-1", "?units_offset=-1", "?units_limit=x"):
        r = await client.get(f"/v1/referral-stats{query}", headers=admin)
        assert r.status_code == 422, (query, r.text)
        assert "error" in r.json(), query
