"""Races a hostile (or merely unlucky) pair of clients can start over real HTTP, on a real PostgreSQL.

- A unit answers its Task while Bienestar withdraws the referral: the answer locked the Task then the
  referral, the withdrawal the referral then the Task, and PostgreSQL broke the deadlock by failing one of
  them — a 500. Failed on the old code (a 500 in most rounds).
- A reviewer's reversal sent twice (a double click, a retried request) reversed the decision back: the
  reversal names the decision it reverses, and a second one finds it already changed (409).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body
from tests.web.conftest import seed_reviews

from interop.fhir.referral_resources import STATUS_REASON_EXTENSION

Headers = Callable[..., dict[str, str]]
UNIT = "DFIMB000001"
ROUNDS = 10


def _withdrawn(sr: dict[str, object]) -> dict[str, object]:
    extension = [*(sr.get("extension") or []), {"url": STATUS_REASON_EXTENSION, "valueString": "duplicada"}]  # type: ignore[misc]
    return {**sr, "status": "revoked", "extension": extension}


async def test_a_unit_answering_while_bienestar_withdraws_is_never_a_server_error(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, UNIT, lat=19.4330, lon=-99.1330)
    bienestar, clinic = auth_headers("bienestar"), auth_headers("clinic", clues=[UNIT])
    outcomes: Counter[tuple[int, int]] = Counter()
    for i in range(ROUNDS):
        posted = (await client.post("/v1/visits", json=visit_body(f"CARRERA-{i}"), headers=bienestar)).json()
        task = (await client.get(f"/fhir/{posted['task']}", headers=clinic)).json()
        sr = (await client.get(f"/fhir/{posted['service_request']}", headers=bienestar)).json()
        change = {"accepted": {"status": "accepted"}, "rejected": {"status": "rejected"}}[
            "accepted" if i % 2 else "rejected"
        ]
        if change["status"] == "rejected":
            change["statusReason"] = {"text": "sin cupo"}  # type: ignore[assignment]
        answer, withdrawal = await asyncio.gather(
            client.put(f"/fhir/{posted['task']}", headers=clinic, json={**task, **change}),
            client.put(f"/fhir/{posted['service_request']}", headers=bienestar, json=_withdrawn(sr)),
        )
        outcomes[(answer.status_code, withdrawal.status_code)] += 1
        # Whoever came second finds the other's work done: a conflict, never a 500.
        assert answer.status_code in (200, 409, 412), answer.text
        assert withdrawal.status_code in (200, 409, 412), withdrawal.text
        final = (await client.get(f"/fhir/{posted['service_request']}", headers=bienestar)).json()
        assert final["status"] == "revoked" or withdrawal.status_code != 200
    assert sum(outcomes.values()) == ROUNDS


async def test_a_reversal_sent_twice_does_not_undo_itself(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    ids = await seed_reviews(session)
    reviewer = auth_headers("reviewer")
    url = f"/v1/match-reviews/{ids['likely']}"
    decided = await client.post(
        f"{url}/decision", json={"decision": "link", "reason": "misma"}, headers=reviewer
    )
    assert decided.status_code == 200
    body = {"reason": "eran distintas", "decision": "link"}  # the decision the reviewer saw and reverses
    first, second = await asyncio.gather(
        client.post(f"{url}/reversal", json=body, headers=reviewer),
        client.post(f"{url}/reversal", json=body, headers=reviewer),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409], (first.text, second.text)
    now = (await client.get(url, headers=reviewer)).json()
    assert now["decision"] == "not-link"
    # Without naming the decision the API reverses whatever it finds, as before (one reversal at a time).
    plain = await client.post(f"{url}/reversal", json={"reason": "otra vez"}, headers=reviewer)
    assert plain.status_code == 200
    assert (await client.get(url, headers=reviewer)).json()["decision"] == "link"
