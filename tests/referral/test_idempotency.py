"""Idempotency: the visit id and the Idempotency-Key replay the original result; 100 concurrent identical
posts create one referral; a different body under a used key is 409."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body

from interop.job.models import Job
from interop.referral.models import ProvisionalPatient, Referral, ReferralTask, ResourceVersion, Visit

Headers = Callable[..., dict[str, str]]


async def _count(session: AsyncSession, model: type) -> int:
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def _totals(session: AsyncSession) -> tuple[int, ...]:
    return tuple(
        [
            await _count(session, m)
            for m in (Visit, Referral, ReferralTask, ProvisionalPatient, ResourceVersion)
        ]
    )


async def test_same_visit_id_replays_original(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, "DFIMB000001", lat=19.43, lon=-99.13)
    h = auth_headers("bienestar")
    first = await client.post("/v1/visits", json=visit_body("V-1"), headers=h)
    assert first.status_code == 201
    before = await _totals(session)
    again = await client.post("/v1/visits", json=visit_body("V-1"), headers=h)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert await _totals(session) == before == (1, 1, 1, 1, 2)


async def test_idempotency_key_replays_and_rejects_other_body(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, "DFIMB000001", lat=19.43, lon=-99.13)
    h = {**auth_headers("bienestar"), "Idempotency-Key": "k-123"}
    first = await client.post("/v1/visits", json=visit_body("V-2"), headers=h)
    assert first.status_code == 201
    replay = await client.post("/v1/visits", json=visit_body("V-2"), headers=h)
    assert replay.status_code == 200
    assert replay.json() == first.json()
    other = await client.post("/v1/visits", json=visit_body("V-3"), headers=h)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency-conflict"
    changed = await client.post(
        "/v1/visits", json=visit_body("V-2", urgency="stat"), headers=auth_headers("bienestar")
    )
    assert changed.status_code == 409
    assert await _count(session, Referral) == 1
    stolen = await client.post(
        "/v1/visits", json=visit_body("V-2"), headers=auth_headers("bienestar", client_id="b3")
    )
    assert stolen.status_code == 409  # another client's visit is not replayed to it
    # The same key from another client is that client's own key.
    mine = await client.post(
        "/v1/visits",
        json=visit_body("V-4"),
        headers={**auth_headers("bienestar", client_id="b2"), "Idempotency-Key": "k-123"},
    )
    assert mine.status_code == 201


async def test_hundred_concurrent_identical_posts_create_one_referral(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, "DFIMB000001", lat=19.43, lon=-99.13)
    h = {**auth_headers("bienestar"), "Idempotency-Key": "same-key"}
    body = visit_body("V-100")
    responses = await asyncio.gather(*[client.post("/v1/visits", json=body, headers=h) for _ in range(100)])
    codes = Counter(r.status_code for r in responses)
    assert codes == {201: 1, 200: 99}, codes
    assert len({r.json()["service_request"] for r in responses}) == 1
    assert await _totals(session) == (1, 1, 1, 1, 2)
    assert await _count(session, Job) == 0  # no subscriptions: nothing queued


async def test_concurrent_posts_through_fhir_and_v1_share_the_visit_key(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    from tests.fhir.bundles import visit_bundle

    await add_unit(session, "DFIMB000001", lat=19.43, lon=-99.13)
    h = auth_headers("bienestar")
    bundle = visit_bundle("V-200")
    responses = await asyncio.gather(*[client.post("/fhir", json=bundle, headers=h) for _ in range(20)])
    assert {r.status_code for r in responses} == {200}
    statuses = Counter(r.json()["entry"][-1]["response"]["status"] for r in responses)
    assert statuses == {"201 Created": 1, "200 OK": 19}
    assert await _count(session, Referral) == 1
