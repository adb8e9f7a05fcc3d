"""``GET /v1/referral-stats``: counts by entidad, unit and status, rates, ageing against the escalation
time, coded outcomes and the review backlog — each equal to what the clinics did over FHIR, limited to the
entidades asked for, and closed to clinic clients."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body

from interop.matching.models import MatchRecord, MatchReview
from interop.referral.models import ReferralTask
from interop.referral.stats import OUTCOME_SYSTEM

Headers = Callable[..., dict[str, str]]
DF1, DF2, OC1 = "DFIMB000001", "DFIMB000002", "OCIMB000001"
OAXACA = (17.0732, -96.7266)


async def _put(client: httpx.AsyncClient, h: dict[str, str], task: str, status: str, **extra: Any) -> None:
    current = (await client.get(f"/fhir/{task}", headers=h)).json()
    r = await client.put(f"/fhir/{task}", headers=h, json={**current, "status": status, **extra})
    assert r.status_code == 200, r.text


def _outcome(code: str) -> list[dict[str, Any]]:
    return [
        {
            "type": {"text": "resultado"},
            "valueCodeableConcept": {"coding": [{"system": OUTCOME_SYSTEM, "code": code}]},
        }
    ]


async def _world(client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers) -> dict[str, str]:
    await add_unit(session, DF1, lat=19.4330, lon=-99.1330)
    await add_unit(session, DF2, lat=19.4500, lon=-99.1330)
    await add_unit(session, OC1, lat=OAXACA[0], lon=OAXACA[1], entidad="OC")
    tasks = {}
    for n in range(4):
        r = await client.post("/v1/visits", json=visit_body(f"V-DF-{n}"), headers=auth_headers("bienestar"))
        assert r.status_code == 201, r.text
        tasks[f"df{n}"] = r.json()["task"]
    oc = visit_body("V-OC-0", person={"entidad": "OC", "latitud": OAXACA[0], "longitud": OAXACA[1]})
    oc["urgency"] = "urgent"
    r = await client.post("/v1/visits", json=oc, headers=auth_headers("bienestar"))
    assert r.status_code == 201, r.text
    assert r.json()["unit"]["clues"] == OC1
    tasks["oc0"] = r.json()["task"]
    df1 = auth_headers("clinic", clues=[DF1])
    # df0: rejected by DF1 (re-routed to DF2); df1: completed with a coded outcome; df2: accepted.
    await _put(client, df1, tasks["df0"], "rejected", statusReason={"text": "sin médico"})
    await _put(client, df1, tasks["df1"], "accepted")
    await _put(client, df1, tasks["df1"], "in-progress")
    await _put(client, df1, tasks["df1"], "completed", output=_outcome("atendido-domicilio"))
    await _put(client, df1, tasks["df2"], "accepted")
    return tasks


async def test_counts_rates_and_outcomes_follow_the_units_answers(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _world(client, session, auth_headers)
    r = await client.get("/v1/referral-stats", headers=auth_headers("admin"))
    assert r.status_code == 200, r.text
    body = r.json()["referrals"]
    assert body["totals"] == {
        "requested": 3,  # df3 at DF1, df0's new Task at DF2, oc0
        "accepted": 1,
        "in_progress": 0,
        "completed": 1,
        "failed": 0,
        "cancelled": 0,
        "rejected": 1,
    }
    assert body["rejection_rate"] == round(1 / 6, 4)
    assert body["completion_rate"] == round(1 / 5, 4)
    units = {u["clues"]: u for u in body["by_unit"]}
    assert units[DF1]["counts"]["rejected"] == 1
    assert units[DF1]["counts"]["completed"] == 1
    assert units[DF1]["nombre"] == f"Unidad {DF1}"
    assert units[DF2]["counts"]["requested"] == 1
    assert {e["entidad"]: e["counts"]["requested"] for e in body["by_entidad"]} == {"DF": 2, "OC": 1}
    assert body["outcomes"] == [{"status": "completed", "code": "atendido-domicilio", "count": 1}]


async def test_entidad_filter_shows_nothing_of_another_entidad(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _world(client, session, auth_headers)
    r = await client.get("/v1/referral-stats?entidad=oc", headers=auth_headers("bienestar"))
    assert r.status_code == 200, r.text
    body = r.json()["referrals"]
    assert body["entidades"] == ["OC"]
    assert [u["clues"] for u in body["by_unit"]] == [OC1]
    assert body["totals"]["requested"] == 1
    assert body["outcomes"] == []
    assert {a["entidad"] for a in body["ageing"]} == {"OC"}
    assert "DF" not in r.text


async def test_ageing_against_the_escalation_time_of_each_priority(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    tasks = await _world(client, session, auth_headers)
    now = datetime.now(UTC)
    # Routine escalates after 72 h by default: df3 is 200 h old (overdue), df0's new Task 50 h (due soon);
    # oc0 is urgent (24 h) and 10 h old (on time).
    ages = {tasks["df3"]: 200, tasks["oc0"]: 10}
    for task_id, hours in ages.items():
        await session.execute(
            update(ReferralTask)
            .where(ReferralTask.id == task_id.removeprefix("Task/"))
            .values(authored_on=now - timedelta(hours=hours))
        )
    await session.execute(
        update(ReferralTask)
        .where(ReferralTask.owner_clues == DF2, ReferralTask.status == "requested")
        .values(authored_on=now - timedelta(hours=50))
    )
    await session.commit()
    r = await client.get("/v1/referral-stats", headers=auth_headers("admin"))
    ageing = {(a["entidad"], a["priority"]): a for a in r.json()["referrals"]["ageing"]}
    assert set(ageing) == {("DF", "routine"), ("OC", "urgent")}
    df = ageing[("DF", "routine")]
    assert (df["on_time"], df["due_soon"], df["overdue"]) == (0, 1, 1)
    assert df["escalation_hours"] == 72.0
    assert 199.9 <= df["oldest_hours"] <= 201
    oc = ageing[("OC", "urgent")]
    assert (oc["on_time"], oc["due_soon"], oc["overdue"]) == (1, 0, 0)


async def test_review_backlog_by_entidad_of_the_record_under_review(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    now = datetime.now(UTC)
    for n, (entidad, age_days, left) in enumerate(
        [("OC", 0.2, "visit"), ("OC", 3, "roll"), ("DF", 10, "roll"), ("DF", 10, "roll")]
    ):
        session.add(MatchRecord(source="patients", record_id=f"P{n}", entidad=entidad, feature_digest="x"))
        session.add(
            MatchReview(
                left_source=left,
                left_record_id=f"L{n}",
                right_source="patients",
                right_record_id=f"P{n}",
                score=0.7,
                status="open" if n < 3 else "decided",
                created_at=now - timedelta(days=age_days),
            )
        )
    await session.commit()
    r = await client.get("/v1/referral-stats?entidad=OC", headers=auth_headers("admin"))
    assert r.status_code == 200, r.text
    (oc,) = r.json()["review_backlog"]
    assert oc["entidad"] == "OC"
    assert (oc["open"], oc["from_visits"], oc["under_1_day"], oc["days_1_to_7"], oc["over_7_days"]) == (
        2,
        1,
        1,
        1,
        0,
    )
    everything = (await client.get("/v1/referral-stats", headers=auth_headers("admin"))).json()
    assert {b["entidad"]: b["open"] for b in everything["review_backlog"]} == {"DF": 1, "OC": 2}


async def test_closed_to_clinics_and_refuses_a_malformed_entidad(
    client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    r = await client.get("/v1/referral-stats", headers=auth_headers("clinic", clues=[DF1]))
    assert r.status_code == 403
    r = await client.get("/v1/referral-stats?entidad=O1", headers=auth_headers("admin"))
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid-entidad"
    r = await client.get("/v1/referral-stats", headers={})
    assert r.status_code == 401
