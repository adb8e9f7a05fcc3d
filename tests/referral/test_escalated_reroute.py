"""An operator re-routes an escalated referral through ``POST /v1/referrals/{id}/route`` (HTTP only): a
failed one to the unit the operator names, an unanswered one by the routing rules (its Task cancelled);
audited, the new unit notified, the referral off the escalation list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body
from tests.referral.test_referral_loop import OUTCOMES, _move, _post
from tests.referral.test_subscriptions import _subscription

from interop.config import Settings
from interop.context import system_context
from interop.referral import service as referral_service
from interop.referral.models import Notification

Headers = Callable[..., dict[str, str]]
NEAR, OTHER = "DFIMB000001", "DFIMB000002"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.subscription_allow_private = True  # the other unit's Subscription points at 127.0.0.1
    return settings


async def _units(session: AsyncSession) -> None:
    await add_unit(session, NEAR, lat=19.4370, lon=-99.1350)
    await add_unit(session, OTHER, lat=19.4700, lon=-99.1350)


async def _notified(session: AsyncSession, task: str) -> int:
    task_id = task.removeprefix("Task/")
    rows = await session.execute(select(Notification.id).where(Notification.task_id == task_id))
    return len(rows.all())


async def test_an_operator_reroutes_a_failed_referral_to_another_unit(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _units(session)
    bienestar, admin = auth_headers("bienestar"), auth_headers("admin")
    near, other = auth_headers("clinic", clues=[NEAR]), auth_headers("clinic", clues=[OTHER])
    sub = await client.post(
        "/fhir/Subscription", json=_subscription("http://127.0.0.1:9/hook"), headers=other
    )
    assert sub.status_code == 201, sub.text
    posted = await _post(client, bienestar, visit_body("V-RR-1"))
    assert posted["unit"]["clues"] == NEAR
    for status in ("accepted", "in-progress"):
        assert (await _move(client, near, posted["task"], status)).status_code == 200
    outcome = {"coding": [{"system": OUTCOMES, "code": "no-localizado"}]}
    output = [{"type": {"text": "resultado"}, "valueCodeableConcept": outcome}]
    assert (await _move(client, near, posted["task"], "failed", output=output)).status_code == 200
    referral_id = posted["service_request"].removeprefix("ServiceRequest/")
    escalated = (await client.get("/v1/referrals/escalated", headers=admin)).json()
    assert [i["service_request"] for i in escalated["items"]] == [posted["service_request"]]

    # Bienestar sees the list but only an operator routes; the unit must exist and operate.
    route = f"/v1/referrals/{referral_id}/route"
    assert (await client.post(route, json={"clues": OTHER}, headers=bienestar)).status_code == 403
    assert (await client.post(route, json={"clues": "DFIMB000404"}, headers=admin)).status_code == 422
    routed = await client.post(route, json={"clues": OTHER}, headers=admin)
    assert routed.status_code == 200, routed.text
    new_task = routed.json()["task"]
    assert new_task != posted["task"]

    task = (await client.get(f"/fhir/{new_task}", headers=other)).json()
    assert task["status"] == "requested"
    assert task["owner"]["identifier"]["value"] == OTHER
    assert task["focus"]["reference"] == posted["service_request"]
    assert await _notified(session, new_task) == 1  # the new unit's Subscription gets the event
    old = (await client.get(f"/fhir/{posted['task']}", headers=near)).json()
    assert old["status"] == "failed"  # already closed; it stays as the unit left it
    sr = (await client.get(f"/fhir/{posted['service_request']}", headers=other)).json()
    assert sr["performer"][0]["identifier"]["value"] == OTHER
    assert "referral-escalation" not in str(sr.get("extension", []))
    assert (await client.get("/v1/referrals/escalated", headers=admin)).json()["total"] == 0
    follow = (await client.get("/v1/visits/V-RR-1", headers=bienestar)).json()
    assert follow["escalation"] is None
    assert follow["unit"]["clues"] == OTHER
    auditor = auth_headers("auditor")
    events = (await client.get(f"/fhir/AuditEvent?entity={new_task}", headers=auditor)).json()
    assert events.get("entry"), events
    # Routed once, it is neither waiting nor escalated: a second re-route is refused.
    assert (await client.post(route, json={"clues": NEAR}, headers=admin)).status_code == 422


async def test_an_unanswered_referral_is_rerouted_by_the_rules_and_its_task_cancelled(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _units(session)
    bienestar, admin = auth_headers("bienestar"), auth_headers("admin")
    posted = await _post(client, bienestar, visit_body("V-RR-2"))
    ctx = system_context(request_id="test", trace_id="0" * 32)
    later = datetime.now(UTC) + timedelta(hours=100)
    hours: dict[str, Any] = {"routine": 72.0, "urgent": 24.0, "asap": 4.0, "stat": 1.0}
    assert await referral_service.escalate_unanswered(session, ctx, now=later, hours=hours) == 1
    await session.commit()
    referral_id = posted["service_request"].removeprefix("ServiceRequest/")
    routed = await client.post(f"/v1/referrals/{referral_id}/route", json={}, headers=admin)
    assert routed.status_code == 200, routed.text
    near = auth_headers("clinic", clues=[NEAR])
    old = (await client.get(f"/fhir/{posted['task']}", headers=near)).json()
    assert old["status"] == "cancelled"  # the silent unit learns the referral left it
    task = (await client.get(f"/fhir/{routed.json()['task']}", headers=auth_headers("admin"))).json()
    assert task["owner"]["identifier"]["value"] == OTHER  # the rules skip the unit already tried
    assert (await client.get("/v1/referrals/escalated", headers=admin)).json()["total"] == 0
