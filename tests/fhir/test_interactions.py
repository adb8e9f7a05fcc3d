"""What FHIR clients do beyond a plain GET: POST _search, content negotiation, conditional reads,
``_summary=count``, ``_sort`` on ``_lastUpdated`` and the ``ServiceRequest:patient`` include."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.fhir.paging import walk
from tests.referral.factories import add_unit, visit_body

from fhir.resources.R4B.bundle import Bundle

Headers = Callable[..., dict[str, str]]
A = "DFIMB000001"


async def _visits(client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, n: int) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    hb = auth_headers("bienestar")
    for i in range(n):
        assert (await client.post("/v1/visits", json=visit_body(f"I-{i}"), headers=hb)).status_code == 201


def _ids(bundle: dict[str, Any]) -> list[str]:
    Bundle.model_validate(bundle)
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


async def test_post_search_is_the_same_search_as_get(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _visits(client, session, auth_headers, 4)
    ha = auth_headers("clinic", clues=[A])
    got = (await client.get("/fhir/Task?status=requested&_count=2", headers=ha)).json()
    posted = await client.post("/fhir/Task/_search?_count=2", data={"status": "requested"}, headers=ha)
    assert posted.status_code == 200, posted.text
    assert _ids(posted.json()) == _ids(got)
    assert [link["relation"] for link in posted.json()["link"]] == ["self", "next"]
    not_form = await client.post("/fhir/Task/_search", json={"status": "requested"}, headers=ha)
    assert not_form.status_code == 415
    assert not_form.json()["resourceType"] == "OperationOutcome"
    unknown = await client.post("/fhir/Task/_search", data={"nonsense": "1"}, headers=ha)
    assert unknown.status_code == 400  # strict handling applies to form parameters too
    denied = await client.post("/fhir/Task/_search", data={"status": "requested"})
    assert denied.status_code == 401


@pytest.mark.parametrize(
    ("query", "accept"),
    [("_format=xml", None), ("_format=application/fhir%2Bxml", None), ("", "application/fhir+xml")],
)
async def test_xml_is_refused_with_406(
    client: httpx.AsyncClient, auth_headers: Headers, query: str, accept: str | None
) -> None:
    headers = auth_headers("clinic", clues=[A])
    if accept:
        headers["Accept"] = accept
    response = await client.get(f"/fhir/Task?{query}", headers=headers)
    assert response.status_code == 406
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_json_accept_forms_are_served(client: httpx.AsyncClient, auth_headers: Headers) -> None:
    h = auth_headers("clinic", clues=[A])
    for accept in (
        "application/fhir+json",
        "application/json+fhir",
        "application/json",
        "*/*",
        "text/html, */*",
    ):
        response = await client.get("/fhir/Task", headers={**h, "Accept": accept})
        assert response.status_code == 200, accept
    assert (await client.get("/fhir/Task?_format=json", headers=h)).status_code == 200


async def test_conditional_read_is_304_while_the_version_is_current(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _visits(client, session, auth_headers, 1)
    ha = auth_headers("clinic", clues=[A])
    tid = _ids((await client.get("/fhir/Task", headers=ha)).json())[0]
    first = await client.get(f"/fhir/Task/{tid}", headers=ha)
    etag = first.headers["etag"]
    for tag in (etag, etag.removeprefix("W/"), f'"0", {etag}'):
        same = await client.get(f"/fhir/Task/{tid}", headers={**ha, "If-None-Match": tag})
        assert same.status_code == 304, tag
        assert same.content == b""
        assert same.headers["etag"] == etag
    accepted = await client.patch(
        f"/fhir/Task/{tid}",
        json=[{"op": "replace", "path": "/status", "value": "accepted"}],
        headers={**ha, "Content-Type": "application/json-patch+json", "If-Match": etag},
    )
    assert accepted.status_code == 200, accepted.text
    changed = await client.get(f"/fhir/Task/{tid}", headers={**ha, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["status"] == "accepted"


async def test_summary_count_gives_the_total_and_no_patient(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _visits(client, session, auth_headers, 3)
    ha = auth_headers("clinic", clues=[A])
    before = (await session.execute(text("SELECT coalesce(max(seq), 0) FROM audit_record"))).scalar_one()
    for kind in ("Task", "ServiceRequest", "Patient"):
        counted = (await client.get(f"/fhir/{kind}?_summary=count", headers=ha)).json()
        Bundle.model_validate(counted)
        assert counted["total"] == 3, kind
        assert "entry" not in counted
    events = (
        await session.execute(
            text("SELECT patient, patients FROM audit_record WHERE seq > :b"), {"b": before}
        )
    ).all()
    assert events
    assert all(patient is None and patients is None for patient, patients in events)
    bad = await client.get("/fhir/Task?_summary=everything", headers=ha)
    assert bad.status_code == 400


async def test_sort_newest_first_pages_without_gaps(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _visits(client, session, auth_headers, 7)
    ha = auth_headers("clinic", clues=[A])
    oldest_first = _ids((await client.get("/fhir/Task?_sort=_lastUpdated&_count=100", headers=ha)).json())
    assert oldest_first == _ids((await client.get("/fhir/Task?_count=100", headers=ha)).json())
    seen = await walk(client, "/fhir/Task?_sort=-_lastUpdated&_count=3", ha)
    assert seen == list(reversed(oldest_first))
    assert (await client.get("/fhir/Task?_sort=status", headers=ha)).status_code == 400
    assert (await client.get("/fhir/Patient?_sort=_lastUpdated", headers=ha)).status_code == 400


async def test_service_request_patient_include_is_the_subject_include(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _visits(client, session, auth_headers, 2)
    ha = auth_headers("clinic", clues=[A])
    by_patient = (await client.get("/fhir/ServiceRequest?_include=ServiceRequest:patient", headers=ha)).json()
    by_subject = (await client.get("/fhir/ServiceRequest?_include=ServiceRequest:subject", headers=ha)).json()
    included = sorted(e["resource"]["id"] for e in by_patient["entry"] if e["search"]["mode"] == "include")
    assert included
    assert included == sorted(
        e["resource"]["id"] for e in by_subject["entry"] if e["search"]["mode"] == "include"
    )
