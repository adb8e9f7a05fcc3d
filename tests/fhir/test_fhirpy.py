"""A real FHIR client (fhirpy, aiohttp) against a real uvicorn server on 127.0.0.1: search, read, update."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from fhirpy import AsyncFHIRClient
from fhirpy.base.exceptions import MultipleResourcesFound, OperationOutcome
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body

from interop.config import Settings
from interop.main import create_app

A = "DFIMB000001"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_url(settings: Settings) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    live_settings = settings.model_copy(update={"base_url": f"http://127.0.0.1:{port}"})
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(live_settings),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            loop="asyncio",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


async def test_fhirpy_searches_reads_and_updates_tasks(
    live_url: str, client: httpx.AsyncClient, session: AsyncSession, token_for: Callable[..., str]
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    bienestar = {"Authorization": f"Bearer {token_for('bienestar')}"}
    async with httpx.AsyncClient(base_url=live_url) as http:
        for i in range(7):
            assert (
                await http.post("/v1/visits", json=visit_body(f"F-{i}"), headers=bienestar)
            ).status_code == 201

    fhir = AsyncFHIRClient(f"{live_url}/fhir", authorization=f"Bearer {token_for('clinic', clues=[A])}")
    pending = await fhir.resources("Task").search(owner=A, status="requested").limit(3).fetch_all()
    assert len(pending) == 7  # fetch_all followed the keyset next links
    assert len({t.id for t in pending}) == 7
    task = await fhir.resources("Task").search(_id=pending[0].id).get()
    assert task["owner"]["identifier"]["value"] == A
    focus = await task["focus"].to_resource()
    assert focus["resourceType"] == "ServiceRequest"
    assert focus["status"] == "active"

    task["status"] = "accepted"
    task["businessStatus"] = {"text": "cita agendada"}
    await task.save()  # PUT
    assert task["meta"]["versionId"] == "2"
    await task.patch(status="in-progress")  # merge patch
    fresh = await fhir.reference("Task", task.id).to_resource()
    assert fresh["status"] == "in-progress"
    assert fresh["meta"]["versionId"] == "3"

    stale = AsyncFHIRClient(
        f"{live_url}/fhir",
        authorization=f"Bearer {token_for('clinic', clues=[A])}",
        extra_headers={"If-Match": 'W/"1"'},
    )
    stale_task = await stale.reference("Task", task.id).to_resource()
    stale_task["status"] = "completed"
    # fhirpy maps any 412 to MultipleResourcesFound (its conditional-update meaning); the body says why.
    with pytest.raises(MultipleResourcesFound, match="Task está en la versión 3, no en la 1"):
        await stale_task.save()
    illegal = await fhir.reference("Task", pending[1].id).to_resource()
    illegal["status"] = "completed"
    with pytest.raises(OperationOutcome, match="no puede pasar de requested a completed"):
        await illegal.save()
    accepted = await fhir.resources("Task").search(owner=f"{A}", status="in-progress").fetch_all()
    assert [t.id for t in accepted] == [task.id]
