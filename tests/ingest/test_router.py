"""/v1/imports over HTTP: streamed upload, job, status, rejects, and who may import what."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from interop.job.worker import Worker
from interop.registry import service as registry_service
from interop.roll import service as roll_service

from .factories import PATIENT_HEADER, ROLL_HEADER, UNIT_HEADER, csv_text, roll_row

Headers = Callable[..., dict[str, str]]


async def _run_jobs(app: FastAPI) -> None:
    worker = Worker(app.state.settings, app.state.sessionmaker)
    while await worker.run_one():
        pass


async def test_roll_upload_runs_as_a_job_with_status_and_paged_rejects(
    app: FastAPI, client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    body = csv_text(ROLL_HEADER, [roll_row("R1"), roll_row("R2", nombre=""), roll_row("R3"), roll_row("R1")])
    headers = {**auth_headers("bienestar"), "Content-Type": "text/csv"}
    response = await client.post(
        "/v1/imports?kind=roll&filename=padron.csv", content=body.encode(), headers=headers
    )
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    created = response.json()
    assert location == f"/v1/imports/{created['id']}"
    assert created["state"] == "queued"
    assert created["sha256"] == hashlib.sha256(body.encode()).hexdigest()
    stored_file = app.state.settings.resolved_data_dir / "uploads" / f"{created['sha256']}.csv"
    assert stored_file.read_bytes() == body.encode()

    await _run_jobs(app)
    status = (await client.get(location, headers=auth_headers("bienestar"))).json()
    assert status["state"] == "succeeded"
    assert status["counts"] == {
        "rows": 4,
        "stored": 2,
        "new_records": 2,
        "new_versions": 0,
        "unchanged": 0,
        "rejected": 2,
    }
    assert status["progress"]["fraction"] == 1.0
    assert status["progress"]["last_line"] == 5

    page = (await client.get(f"{location}/rejects?limit=1", headers=auth_headers("bienestar"))).json()
    assert page["total"] == 2
    assert page["items"] == [{"line": 3, "record_id": "R2", "reason": "sin nombre de pila (nombre)"}]
    assert page["next"] == f"{location}/rejects?offset=1&limit=1"
    rest = (await client.get(page["next"], headers=auth_headers("bienestar"))).json()
    assert rest["items"] == [
        {"line": 5, "record_id": "R1", "reason": "duplicado de la línea 2 (mismo identificador)"}
    ]
    assert rest["next"] is None

    async with app.state.sessionmaker() as session:
        assert await roll_service.count_current(session) == 2

    # Someone else's import is invisible; an admin sees it.
    other = await client.get(location, headers=auth_headers("bienestar", client_id="another-bienestar"))
    assert other.status_code == 404
    assert (await client.get(location, headers=auth_headers("admin"))).status_code == 200


@pytest.mark.parametrize(
    ("role", "kind", "allowed"),
    [
        ("bienestar", "roll", True),
        ("bienestar", "patients", False),
        ("bienestar", "units", False),
        ("clinic", "patients", True),
        ("clinic", "roll", False),
        ("clinic", "units", False),
        ("admin", "units", True),
        ("auditor", "roll", False),
        ("reviewer", "roll", False),
    ],
)
async def test_who_may_import_what(
    client: httpx.AsyncClient, auth_headers: Headers, role: str, kind: str, allowed: bool
) -> None:
    header = {"roll": ROLL_HEADER, "patients": PATIENT_HEADER, "units": UNIT_HEADER}[kind]
    headers = {**auth_headers(role, clues=["DFIMB000001"]), "Content-Type": "text/csv"}
    response = await client.post(
        f"/v1/imports?kind={kind}", content=csv_text(header, []).encode(), headers=headers
    )
    assert response.status_code == (202 if allowed else 403), response.text


async def test_clinic_imports_only_rows_of_its_own_units(
    app: FastAPI, client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    units = csv_text(
        UNIT_HEADER,
        [
            [
                "DFIMB000001",
                "CENTRO DE SALUD UNO",
                "DF",
                "CUAUHTEMOC",
                "CENTRO",
                "1",
                "19.43",
                "-99.13",
                "EN OPERACION",
                "DFSSA000001",
            ],
            [
                "DFIMB000002",
                "CENTRO DE SALUD DOS",
                "DF",
                "CUAUHTEMOC",
                "CENTRO",
                "1",
                "19.44",
                "-99.14",
                "EN OPERACION",
                "",
            ],
        ],
    )
    admin = {**auth_headers("admin"), "Content-Type": "text/csv"}
    assert (
        await client.post("/v1/imports?kind=units", content=units.encode(), headers=admin)
    ).status_code == 202
    await _run_jobs(app)

    def patient(record_id: str, clues: str) -> list[str]:
        return [*roll_row(record_id)[:-1], clues, f"EXP-{record_id}"]

    body = csv_text(
        PATIENT_HEADER,
        [patient("E1", "DFIMB000001"), patient("E2", "DFSSA000001"), patient("E3", "DFIMB000002")],
    )
    files = {"file": ("registro.csv", body.encode(), "text/csv")}
    response = await client.post(
        "/v1/imports",
        data={"kind": "patients"},
        files=files,
        headers=auth_headers("clinic", clues=["DFIMB000001"]),
    )
    assert response.status_code == 202, response.text
    await _run_jobs(app)
    status = await client.get(
        response.headers["location"], headers=auth_headers("clinic", clues=["DFIMB000001"])
    )
    counts: dict[str, Any] = status.json()["counts"]
    assert (counts["stored"], counts["rejected"]) == (2, 1)
    rejects = (
        await client.get(
            f"{response.headers['location']}/rejects", headers=auth_headers("clinic", clues=["DFIMB000001"])
        )
    ).json()
    assert [(r["line"], r["record_id"]) for r in rejects["items"]] == [(4, "E3")]
    assert "no es una de las unidades" in rejects["items"][0]["reason"]
    async with app.state.sessionmaker() as session:
        by_old_code = await registry_service.get_record(session, record_id="E2")
        assert by_old_code is not None
        assert (by_old_code.clues, by_old_code.clues_current, by_old_code.expediente) == (
            "DFSSA000001",
            "DFIMB000001",
            "EXP-E2",
        )
        assert await registry_service.get_record(session, record_id="E3") is None


async def test_wrong_encoding_upload_is_refused_then_converted_when_asked(
    app: FastAPI, client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    body = csv_text(ROLL_HEADER, [roll_row("R1", nombre="JOSÉ", primer_apellido="NÚÑEZ")]).encode("cp1252")
    headers = {**auth_headers("bienestar"), "Content-Type": "text/csv"}
    refused = await client.post("/v1/imports?kind=roll", content=body, headers=headers)
    await _run_jobs(app)
    status = (await client.get(refused.headers["location"], headers=auth_headers("bienestar"))).json()
    assert status["state"] == "refused"
    assert "no está en utf-8" in status["error"]
    assert "cp1252" in status["error"]
    converted = await client.post("/v1/imports?kind=roll&encoding=cp1252", content=body, headers=headers)
    await _run_jobs(app)
    status = (await client.get(converted.headers["location"], headers=auth_headers("bienestar"))).json()
    assert status["state"] == "succeeded"
    assert status["counts"]["stored"] == 1
    async with app.state.sessionmaker() as session:
        record = await roll_service.get_record(session, record_id="R1")
        assert record is not None
        assert record.primer_apellido == "NÚÑEZ"


async def test_upload_without_kind_or_unknown_kind_is_invalid(
    client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    headers = {**auth_headers("admin"), "Content-Type": "text/csv"}
    assert (await client.post("/v1/imports", content=b"x", headers=headers)).status_code == 422
    assert (await client.post("/v1/imports?kind=pets", content=b"x", headers=headers)).status_code == 422
    assert (await client.post("/v1/imports?kind=roll", content=b"x")).status_code == 401


async def test_failed_import_is_reported_and_resumed_by_resubmission(
    app: FastAPI, client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    body = csv_text(ROLL_HEADER, [roll_row("R1"), roll_row("R2")]).encode()
    headers = {**auth_headers("bienestar"), "Content-Type": "text/csv"}
    first = await client.post("/v1/imports?kind=roll", content=body, headers=headers)
    created = first.json()
    upload = app.state.settings.resolved_data_dir / "uploads" / f"{created['sha256']}.csv"
    upload.unlink()  # the job cannot find its file: a permanent failure
    await _run_jobs(app)
    failed = (await client.get(first.headers["location"], headers=auth_headers("bienestar"))).json()
    assert failed["state"] == "failed"
    assert "falta o cambió" in failed["error"]  # es-MX unless the reader asks for English
    english = {**auth_headers("bienestar"), "Accept-Language": "en"}
    said = (await client.get(first.headers["location"], headers=english)).json()["error"]
    assert "missing or has changed" in said

    again = await client.post("/v1/imports?kind=roll", content=body, headers=headers)
    assert again.status_code == 202
    assert again.headers["location"] == first.headers["location"]  # the same import, resumed
    await _run_jobs(app)
    done = (await client.get(first.headers["location"], headers=auth_headers("bienestar"))).json()
    assert done["state"] == "succeeded"
    assert done["counts"]["stored"] == 2
    assert done["error"] is None
