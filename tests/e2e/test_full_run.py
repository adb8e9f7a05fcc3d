"""One synthetic case end to end over real HTTP: imports, a match run, visits, a clinic working its
referrals, an auditor following the trace and verifying the chain — and afterwards no name, CURP or
diagnosis anywhere in the stored audit events or the service's logs."""

from __future__ import annotations

import asyncio
import csv
import logging
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from interop.api.logs import JsonFormatter
from interop.synth.generate import synthesize

DIAGNOSES = ["E11.9", "I10", "N18.3", "J44.1"]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured_logs() -> Any:
    handler = _Collect()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


def _wait(
    client: httpx.Client, path: str, field: str, done: set[str], timeout: float = 240
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = client.get(path).raise_for_status().json()
        if body[field] in done:
            return body
        assert time.monotonic() < deadline, f"{path} stuck in {body[field]}"
        time.sleep(0.2)


def _upload(client: httpx.Client, kind: str, path: Path) -> dict[str, Any]:
    response = client.post(
        "/v1/imports",
        params={"kind": kind, "filename": path.name},
        content=path.read_bytes(),
        headers={"content-type": "text/csv"},
    )
    assert response.status_code == 202, response.text
    return _wait(client, response.headers["location"], "state", {"succeeded", "failed", "refused"})


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_case_end_to_end_leaves_no_personal_data(
    tmp_path: Path, live_server: Any, captured_logs: Any, settings: Any
) -> None:
    summary = synthesize(tmp_path / "pop", people=600, seed=11)
    assert summary.roll_rows > 0
    pop = tmp_path / "pop"
    roll = _rows(pop / "pension_roll.csv")
    units = _rows(pop / "units.csv")
    patients = _rows(pop / "patients.csv")

    admin = httpx.Client(
        base_url=live_server.url,
        timeout=60,
        headers={"Authorization": f"Bearer {live_server.token('admin')}"},
    )
    for kind, name, rows in (
        ("units", "units.csv", units),
        ("roll", "pension_roll.csv", roll),
        ("patients", "patients.csv", patients),
    ):
        result = _upload(admin, kind, pop / name)
        assert result["state"] == "succeeded", result
        assert result["counts"]["stored"] + result["counts"]["rejected"] == len(rows)
        assert result["counts"]["rejected"] == 0, result["counts"]

    run = admin.post("/v1/match-runs", json={}).raise_for_status().json()
    run = _wait(admin, f"/v1/match-runs/{run['id']}", "status", {"succeeded", "failed", "completed", "done"})
    assert run["status"] in {"succeeded", "completed", "done"}, run

    bienestar = httpx.Client(
        base_url=live_server.url,
        timeout=60,
        headers={"Authorization": f"Bearer {live_server.token('bienestar')}"},
    )
    operating = [u for u in units if u["estatus"] == "EN OPERACION" and u["latitud"]]
    results = []
    for n, person in enumerate(roll[:12]):
        unit = operating[n % len(operating)]
        visit = {
            "visit_id": f"V-E2E-{n:04d}",
            "visit_date": "2026-11-20",
            "health_worker_id": f"W-{n % 3}",
            "person": {
                "roll_record_id": person["record_id"],
                "curp": person["curp"] or None,
                "nombre": person["nombre"] or "SIN NOMBRE",
                "primer_apellido": person["primer_apellido"] or "SIN APELLIDO",
                "segundo_apellido": person["segundo_apellido"] or None,
                "fecha_nacimiento": person["fecha_nacimiento"] or None,
                "sexo": person["sexo"] or None,
                "entidad": person["entidad"] or None,
                "municipio": person["municipio"] or None,
                "localidad": person["localidad"] or None,
                "latitud": float(unit["latitud"]),
                "longitud": float(unit["longitud"]),
            },
            "findings": {"conditions": [{"code": DIAGNOSES[n % len(DIAGNOSES)]}]},
            "urgency": "urgent" if n % 4 == 0 else "routine",
        }
        response = bienestar.post(
            "/v1/visits", json=visit, headers={"traceparent": f"00-{n + 1:032x}-{n + 1:016x}-01"}
        )
        assert response.status_code in (200, 201), response.text
        results.append(response.json())

    first = results[0]
    clues = first["unit"]["clues"]
    clinic = httpx.Client(
        base_url=live_server.url,
        timeout=60,
        headers={"Authorization": f"Bearer {live_server.token('clinic', clues=[clues])}"},
    )
    bundle = clinic.get("/fhir/Task", params={"status": "requested", "_count": 100}).raise_for_status().json()
    task_ids = [
        e["resource"]["id"] for e in bundle.get("entry", []) if e["resource"]["resourceType"] == "Task"
    ]
    assert first["task"].split("/")[-1] in task_ids
    task_id = first["task"].split("/")[-1]
    for status in ("accepted", "in-progress", "completed"):
        current = clinic.get(f"/fhir/Task/{task_id}")
        assert current.status_code == 200
        task = current.json()
        task["status"] = status
        updated = clinic.put(
            f"/fhir/Task/{task_id}",
            json=task,
            headers={"If-Match": current.headers["etag"], "content-type": "application/fhir+json"},
        )
        assert updated.status_code == 200, updated.text
    follow = bienestar.get(f"/v1/visits/{first['visit_id']}").raise_for_status().json()
    assert follow["task_status"] == "completed"

    auditor = httpx.Client(
        base_url=live_server.url,
        timeout=60,
        headers={"Authorization": f"Bearer {live_server.token('auditor')}"},
    )
    trace = auditor.get(f"/v1/trace/{1:032x}").raise_for_status().json()
    assert trace, "the first visit's trace is empty"
    verification = auditor.get("/v1/audit/verification").raise_for_status().json()
    assert verification.get("ok", verification.get("valid")) is True, verification

    # --- no personal data in stored audit events or in logs ---
    async def audit_text() -> str:
        conn = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
        try:
            rows = await conn.fetch("SELECT row_to_json(a)::text AS j FROM audit_record a")
        finally:
            await conn.close()
        return "\n".join(r["j"] for r in rows)

    stored = asyncio.run(audit_text())
    logs = "\n".join(captured_logs.lines)
    assert stored
    assert logs
    people = [r for r in roll + patients if r["nombre"] and r["primer_apellido"]]
    full_names = {f"{r['nombre']} {r['primer_apellido']}".upper() for r in people}
    curps = {r["curp"] for r in roll + patients if len(r["curp"]) == 18}
    for haystack, label in ((stored.upper(), "audit events"), (logs.upper(), "logs")):
        leaked_names = [n for n in full_names if n in haystack]
        leaked_curps = [c for c in curps if c in haystack]
        leaked_dx = [d for d in DIAGNOSES if f'"{d}"' in haystack]
        assert not leaked_names, f"names in {label}: {leaked_names[:3]}"
        assert not leaked_curps, f"CURPs in {label}: {len(leaked_curps)}"
        assert not leaked_dx, f"diagnoses in {label}: {leaked_dx}"
