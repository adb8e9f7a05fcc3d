"""Rest-hook Subscriptions: delivery through the job queue to a real HTTP receiver on 127.0.0.1 that fails,
then recovers; in order per subscription, failures visible on the Subscription."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest
from aiohttp import web
from fastapi import FastAPI
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.subscription import Subscription
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body

from interop.config import Settings
from interop.job.models import Job
from interop.job.worker import Worker

Headers = Callable[..., dict[str, str]]
A, B = "DFIMB000001", "DFIMB000002"
BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """These tests deliver to their own receivers on 127.0.0.1, which the operator setting allows."""
    settings.subscription_allow_private = True
    return settings


class Receiver:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.url = ""

    async def hook(self, request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        self.calls.append(body)
        self.headers.append(dict(request.headers))
        if len(self.calls) <= self.failures:
            return web.Response(status=503)
        return web.Response(status=200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver(failures=2)
    app = web.Application()
    app.router.add_post("/hook", rec.hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    rec.url = f"http://127.0.0.1:{port}/hook"
    yield rec
    await runner.cleanup()


def _subscription(endpoint: str) -> dict[str, Any]:
    return {
        "resourceType": "Subscription",
        "status": "requested",
        "reason": "Referrals for my unit",
        "criteria": "https://www.gob.mx/bienestar/fhir/SubscriptionTopic/referral-task",
        "channel": {
            "type": "rest-hook",
            "endpoint": endpoint,
            "payload": "application/fhir+json",
            "header": ["Authorization: Bearer clinic-secret"],
            "_payload": {
                "extension": [{"url": f"{BACKPORT}backport-payload-content", "valueCode": "id-only"}]
            },
        },
    }


async def _drain(app: FastAPI, session: AsyncSession, deadline_s: float = 40.0) -> None:
    worker = Worker(app.state.settings, app.state.sessionmaker)
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if not await worker.run_one():
            states = (await session.execute(select(Job.state))).scalars().all()
            session.expire_all()
            if states and all(s in ("succeeded", "failed") for s in states):
                return
            await asyncio.sleep(0.2)
    raise AssertionError("jobs did not finish")


async def test_failing_then_recovering_endpoint_gets_every_event_in_order(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, receiver: Receiver
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    ha = auth_headers("clinic", clues=[A])
    created = await client.post("/fhir/Subscription", json=_subscription(receiver.url), headers=ha)
    assert created.status_code == 201, created.text
    sub = created.json()
    Subscription.model_validate(sub)
    assert sub["status"] == "active"
    assert sub["channel"]["header"] == ["<redacted>"]
    hb = auth_headers("bienestar")
    posted = [
        (await client.post("/v1/visits", json=visit_body(f"S-{i}"), headers=hb)).json() for i in range(3)
    ]

    worker = Worker(app.state.settings, app.state.sessionmaker)
    assert await worker.run_one()  # first attempt of event 1 fails
    failing = (await client.get(f"/fhir/Subscription/{sub['id']}", headers=ha)).json()
    assert failing["status"] == "error"
    assert failing["error"] == "evento 1: no se pudo entregar la notificación; se reintentará"

    await _drain(app, session)
    events = []
    for call in receiver.calls:
        Bundle.model_validate(call)
        params = {p["name"]: p for p in call["entry"][0]["resource"]["parameter"]}
        event = {p["name"]: p for p in params["notification-event"]["part"]}
        events.append(
            (int(event["event-number"]["valueString"]), event["focus"]["valueReference"]["reference"])
        )
        assert call["entry"][1]["fullUrl"] == event["focus"]["valueReference"]["reference"]
    assert [n for n, _ in events] == [1, 1, 1, 2, 3]  # two failures, then in order
    assert [ref.split("/fhir/")[1] for _, ref in events[2:]] == [p["task"] for p in posted]
    assert all(h["Authorization"] == "Bearer clinic-secret" for h in receiver.headers)
    recovered = (await client.get(f"/fhir/Subscription/{sub['id']}", headers=ha)).json()
    assert recovered["status"] == "active"
    assert "error" not in recovered
    counts = {e["url"].rsplit("/", 1)[1]: e for e in recovered["extension"]}
    assert counts["subscription-failure-count"]["valueInteger"] == 2
    assert counts["backport-events-since-subscription-start"]["valueString"] == "3"


async def test_task_update_notifies_and_other_units_do_not(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, receiver: Receiver
) -> None:
    receiver.failures = 0
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    await add_unit(session, B, lat=19.6000, lon=-99.1330)
    ha = auth_headers("clinic", clues=[A])
    assert (
        await client.post("/fhir/Subscription", json=_subscription(receiver.url), headers=ha)
    ).status_code == 201
    hb = auth_headers("bienestar")
    far = visit_body("S-far", person={"latitud": 19.6, "longitud": -99.1330})
    assert (await client.post("/v1/visits", json=far, headers=hb)).json()["unit"]["clues"] == B
    mine = (await client.post("/v1/visits", json=visit_body("S-near"), headers=hb)).json()
    cur = (await client.get(f"/fhir/{mine['task']}", headers=ha)).json()
    assert (
        await client.put(f"/fhir/{mine['task']}", headers=ha, json={**cur, "status": "accepted"})
    ).status_code == 200
    await _drain(app, session)
    assert len(receiver.calls) == 2  # create + update of A's Task; B's referral is not A's business


async def test_subscription_rules(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    ha = auth_headers("clinic", clues=[A])
    bad = _subscription("ftp://nowhere")
    assert (await client.post("/fhir/Subscription", json=bad, headers=ha)).status_code == 422
    foreign = _subscription("http://127.0.0.1:9/hook")
    foreign["_criteria"] = {
        "extension": [
            {"url": f"{BACKPORT}backport-filter-criteria", "valueString": f"Task?owner:identifier={B}"}
        ]
    }
    assert (await client.post("/fhir/Subscription", json=foreign, headers=ha)).status_code == 422
    full = _subscription("http://127.0.0.1:9/hook")
    full["channel"]["_payload"]["extension"][0]["valueCode"] = "full-resource"
    assert (await client.post("/fhir/Subscription", json=full, headers=ha)).status_code == 422
    ok = (
        await client.post("/fhir/Subscription", json=_subscription("http://127.0.0.1:9/hook"), headers=ha)
    ).json()
    other = auth_headers("clinic", clues=[A], client_id="another-clinic")
    assert (await client.get(f"/fhir/Subscription/{ok['id']}", headers=other)).status_code == 404
    listed = (await client.get("/fhir/Subscription", headers=ha)).json()
    assert [e["resource"]["id"] for e in listed["entry"]] == [ok["id"]]
    assert (await client.delete(f"/fhir/Subscription/{ok['id']}", headers=ha)).status_code == 204
    assert (await client.get(f"/fhir/Subscription/{ok['id']}", headers=ha)).status_code == 404


@pytest.mark.parametrize(
    ("endpoint", "says"),
    [
        ("http://169.254.169.254/latest/meta-data/", "enlace local"),
        ("http://[fe80::1]/hook", "enlace local"),
        ("http://[::ffff:169.254.169.254]/hook", "enlace local"),
        ("http://0.0.0.0:8080/hook", "no especificada"),
        ("http://user:secret@127.0.0.1/hook", "credenciales"),
        ("ftp://127.0.0.1/hook", "http(s)"),
        ("http://127.0.0.1:99999/hook", "URL válida"),
    ],
)
async def test_endpoints_that_could_reach_internal_services_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, endpoint: str, says: str
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    response = await client.post(
        "/fhir/Subscription", json=_subscription(endpoint), headers=auth_headers("clinic", clues=[A])
    )
    assert response.status_code == 422, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert says in outcome["issue"][0]["diagnostics"]


async def test_a_deployment_allow_list_limits_endpoint_hosts_at_creation_and_delivery(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, receiver: Receiver
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    ha = auth_headers("clinic", clues=[A])
    settings = app.state.settings
    settings.subscription_endpoint_hosts = ["*.clinicas.example.mx"]
    refused = await client.post("/fhir/Subscription", json=_subscription(receiver.url), headers=ha)
    assert refused.status_code == 422
    assert "no está entre" in refused.json()["issue"][0]["diagnostics"]
    listed = _subscription("https://his.norte.clinicas.example.mx/hook")
    assert (await client.post("/fhir/Subscription", json=listed, headers=ha)).status_code == 201
    bare_domain = _subscription("https://clinicas.example.mx/hook")  # "*.x" means hosts under x, not x
    assert (await client.post("/fhir/Subscription", json=bare_domain, headers=ha)).status_code == 422

    # Accepted under the old policy, then the deployment narrows it: deliveries stop, visibly.
    settings.subscription_endpoint_hosts = ["127.0.0.1"]
    sub = (await client.post("/fhir/Subscription", json=_subscription(receiver.url), headers=ha)).json()
    settings.subscription_endpoint_hosts = ["his.norte.clinicas.example.mx"]
    await client.post("/v1/visits", json=visit_body("S-allow"), headers=auth_headers("bienestar"))
    worker = Worker(settings, app.state.sessionmaker)
    while await worker.run_one():
        pass
    assert receiver.calls == []
    after = (await client.get(f"/fhir/Subscription/{sub['id']}", headers=ha)).json()
    assert after["status"] == "error"
    assert after["error"] == "evento 1: no se pudo entregar la notificación; se reintentará"


async def test_bienestar_subscribes_to_the_referrals_it_sent(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, receiver: Receiver
) -> None:
    receiver.failures = 0
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    hb, other = auth_headers("bienestar"), auth_headers("bienestar", client_id="otro-sistema")
    topic = "https://www.gob.mx/bienestar/fhir/SubscriptionTopic/referral-service-request"
    body = {**_subscription(receiver.url), "criteria": topic}
    clinic = auth_headers("clinic", clues=[A])
    refused = await client.post("/fhir/Subscription", json=body, headers=clinic)
    assert refused.status_code == 422  # a clinic follows its Tasks, not Bienestar's referrals
    created = await client.post("/fhir/Subscription", json=body, headers=hb)
    assert created.status_code == 201, created.text
    assert created.json()["criteria"] == topic
    mine = (await client.post("/v1/visits", json=visit_body("SB-1"), headers=hb)).json()
    theirs = (await client.post("/v1/visits", json=visit_body("SB-2"), headers=other)).json()
    for task in (mine["task"], theirs["task"]):
        current = (await client.get(f"/fhir/{task}", headers=clinic)).json()
        rejected = await client.put(
            f"/fhir/{task}", headers={**clinic, "If-Match": 'W/"1"'}, json={**current, "status": "rejected"}
        )
        assert rejected.status_code == 200, rejected.text
    await _drain(app, session)
    focus = [
        part["valueReference"]["reference"]
        for call in receiver.calls
        for param in call["entry"][0]["resource"]["parameter"]
        if param["name"] == "notification-event"
        for part in param["part"]
        if part["name"] == "focus"
    ]
    # No further unit after the rejection: the escalated referral is announced, to its sender only.
    assert focus
    assert all(f.endswith(mine["service_request"]) for f in focus)
