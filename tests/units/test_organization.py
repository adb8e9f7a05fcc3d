"""FHIR Organization read and search over the CLUES catalogue."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi import FastAPI
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.organization import Organization
from tests.ingest.factories import UNIT_HEADER, csv_text, import_file, write

from interop.units import service as units_service

from .test_units import UNITS

Headers = Callable[..., dict[str, str]]


async def _load(app: FastAPI, tmp_path: Path) -> None:
    path = write(tmp_path, "units.csv", csv_text(UNIT_HEADER, UNITS))
    await import_file(app.state.sessionmaker, app.state.settings, "units", path)


async def test_read_organization(
    app: FastAPI, client: httpx.AsyncClient, auth_headers: Headers, tmp_path: Path
) -> None:
    await _load(app, tmp_path)
    async with app.state.sessionmaker() as session:
        unit = await units_service.get_unit(session, clues="DFIMB000001")
    assert unit is not None
    response = await client.get(f"/fhir/Organization/{unit.organization_id}", headers=auth_headers("clinic"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    org = Organization.model_validate(response.json())
    system = app.state.settings.system_clues
    assert [(i.use, i.system, i.value) for i in org.identifier] == [
        ("official", system, "DFIMB000001"),
        ("old", system, "DFSSA000101"),
    ]
    assert org.name == "CENTRO DE SALUD CUAUHTÉMOC"
    assert org.active is True
    assert org.address[0].state == "DF"
    assert org.address[0].district == "CUAUHTEMOC"
    assert {c.code for t in org.type for c in t.coding} == {"prov", "1"}
    missing = await client.get(
        "/fhir/Organization/00000000-0000-0000-0000-000000000000", headers=auth_headers("clinic")
    )
    assert missing.status_code == 404
    assert missing.json()["resourceType"] == "OperationOutcome"
    assert (
        await client.get("/fhir/Organization/not-an-id", headers=auth_headers("clinic"))
    ).status_code == 404
    assert (await client.get(f"/fhir/Organization/{unit.organization_id}")).status_code == 401


async def test_search_organizations(
    app: FastAPI, client: httpx.AsyncClient, auth_headers: Headers, tmp_path: Path
) -> None:
    await _load(app, tmp_path)
    headers = auth_headers("bienestar")
    system = app.state.settings.system_clues

    async def search(query: str) -> list[str]:
        response = await client.get(f"/fhir/Organization?{query}", headers=headers)
        assert response.status_code == 200, response.text
        bundle = Bundle.model_validate(response.json())
        assert bundle.type == "searchset"
        return [e.resource.identifier[0].value for e in bundle.entry or []]

    assert await search("identifier=DFSSA000101") == ["DFIMB000001"]
    assert await search(f"identifier={system}|DFIMB000001") == ["DFIMB000001"]
    assert await search("name=cuauhtemoc") == ["DFIMB000001"]
    assert await search("name=hospital") == ["DFIMB000002", "DFIMB000003", "OCIMB000004"]
    assert await search("address-state=Oaxaca") == ["OCIMB000004"]
    assert await search("address-state=OC&name=especialidades") == ["OCIMB000004"]
    assert await search("_lastUpdated=gt2999-01-01") == []
    assert len(await search("_lastUpdated=ge2000-01-01")) == 6

    first = (await client.get("/fhir/Organization?name=hospital&_count=2", headers=headers)).json()
    assert first["total"] == 3
    assert len(first["entry"]) == 2
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = (await client.get(following.replace("http://testserver", ""), headers=headers)).json()
    assert [e["resource"]["identifier"][0]["value"] for e in second["entry"]] == ["OCIMB000004"]
    assert not any(link["relation"] == "next" for link in second["link"])

    bad = await client.get("/fhir/Organization?colour=red", headers=headers)
    assert bad.status_code == 400
    assert bad.json()["resourceType"] == "OperationOutcome"
    other_system = await client.get("/fhir/Organization?identifier=http://x|DFIMB000001", headers=headers)
    assert other_system.status_code == 400


async def test_capability_statement_lists_organization(client: httpx.AsyncClient) -> None:
    statement = (await client.get("/fhir/metadata")).json()
    org = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Organization")
    assert {i["code"] for i in org["interaction"]} == {"read", "search-type"}
    assert {"identifier", "name", "address-state", "_lastUpdated", "_count"} <= {
        p["name"] for p in org["searchParam"]
    }
