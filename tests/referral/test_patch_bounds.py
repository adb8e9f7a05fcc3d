"""PATCH /fhir/Task: a bounded JSON Patch; the refusal is an OperationOutcome naming the operation."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi import FastAPI
from fhir.resources.R4B.operationoutcome import OperationOutcome
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body

Headers = Callable[..., dict[str, str]]
A = "DFIMB000001"


async def test_copy_bomb_and_operation_count_are_refused_with_an_operation_outcome(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    app.state.settings.patch_max_result_bytes = 32_768
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    posted = (
        await client.post("/v1/visits", json=visit_body("V-1"), headers=auth_headers("bienestar"))
    ).json()
    h = {**auth_headers("clinic", clues=[A]), "Content-Type": "application/json-patch+json"}
    # 14 doublings of an input (~90 bytes: 1.5 MB after 14, 1.5 GB after 24): refused on the way.
    bomb = [{"op": "add", "path": "/input", "value": [{"type": {"text": "x"}, "valueString": "y" * 64}]}]
    bomb += [{"op": "copy", "from": "/input", "path": "/input/0"} for _ in range(14)]
    r = await client.patch(f"/fhir/{posted['task']}", headers=h, json=bomb)
    assert r.status_code == 422, r.text
    outcome = OperationOutcome.model_validate(r.json())
    assert "(copy en /input/0)" in (outcome.issue[0].diagnostics or "")
    assert "32768 bytes" in (outcome.issue[0].diagnostics or "")

    many = [{"op": "test", "path": "/status", "value": "requested"}] * 101
    r = await client.patch(f"/fhir/{posted['task']}", headers=h, json=many)
    assert r.status_code == 422
    assert "101 operaciones" in r.json()["issue"][0]["diagnostics"]

    ok = [{"op": "replace", "path": "/status", "value": "accepted"}]
    assert (await client.patch(f"/fhir/{posted['task']}", headers=h, json=ok)).status_code == 200
