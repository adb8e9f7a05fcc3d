"""What the demo does over HTTP, as the service's users would: imports, a match run, a few dozen visits
(first visits, repeats, uncertain identities, one that cannot be placed), a unit working one referral."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

DIAGNOSES = ("E11.9", "I10", "N18.3", "J44.1", "I50.0", "E66.9")
_IMPORTS = (("units", "units.csv"), ("roll", "pension_roll.csv"), ("patients", "patients.csv"))


@dataclass
class VisitSent:
    visit_id: str
    kind: str  # first | repeat | uncertain | unplaceable
    trace_id: str
    status_code: int
    body: dict[str, Any]


@dataclass
class Outcome:
    """What the service answered; the summary reads the database for what became of it."""

    imports: dict[str, dict[str, Any]] = field(default_factory=dict)
    match_run: dict[str, Any] = field(default_factory=dict)
    visits: list[VisitSent] = field(default_factory=list)
    case: VisitSent | None = None
    case_steps: list[str] = field(default_factory=list)


Say = Callable[[str], None]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _wait(client: httpx.Client, path: str, key: str, done: set[str], timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = client.get(path).raise_for_status().json()
        if body[key] in done:
            return body
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} still {body[key]} after {timeout:.0f} s")
        time.sleep(0.2)


def load(admin: httpx.Client, pop: Path, out: Outcome, say: Say) -> None:
    for kind, name in _IMPORTS:
        created = admin.post(
            "/v1/imports",
            params={"kind": kind, "filename": name},
            content=(pop / name).read_bytes(),
            headers={"content-type": "text/csv"},
        )
        created.raise_for_status()
        result = _wait(admin, created.headers["location"], "state", {"succeeded", "failed", "refused"})
        out.imports[kind] = result
        counts = result.get("counts") or {}
        say(
            f"importación {kind}: {result['state']} · {counts.get('stored', 0)} guardados, "
            f"{counts.get('rejected', 0)} rechazados"
        )
        if result["state"] != "succeeded":
            raise RuntimeError(f"import of {name} {result['state']}: {result.get('error')}")
    run = admin.post("/v1/match-runs", json={}).raise_for_status().json()
    run = _wait(admin, f"/v1/match-runs/{run['id']}", "status", {"succeeded", "failed"})
    out.match_run = run
    if run["status"] != "succeeded":
        raise RuntimeError(f"match run {run['id']} failed: {run.get('error')}")
    say(f"corrida de vinculación {run['id']}: {run['status']}")


def _places(units: list[dict[str, str]]) -> dict[tuple[str, str], tuple[float, float]]:
    """A point per (entidad, municipio) and per (entidad, ""): where an operating unit stands there."""
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for unit in units:
        if unit.get("estatus") != "EN OPERACION" or not unit.get("latitud") or not unit.get("longitud"):
            continue
        point = (float(unit["latitud"]), float(unit["longitud"]))
        out.setdefault((unit["entidad"], unit["municipio"]), point)
        out.setdefault((unit["entidad"], ""), point)
    return out


def _person(row: dict[str, str], places: dict[tuple[str, str], tuple[float, float]]) -> dict[str, Any]:
    person: dict[str, Any] = {
        "roll_record_id": row["record_id"],
        "curp": row["curp"] or None,
        "nombre": row["nombre"],
        "primer_apellido": row["primer_apellido"],
        "segundo_apellido": row["segundo_apellido"] or None,
        "fecha_nacimiento": row["fecha_nacimiento"] or None,
        "sexo": row["sexo"] or None,
        "entidad": row["entidad"] or None,
        "municipio": row["municipio"] or None,
        "localidad": row["localidad"] or None,
    }
    point = places.get((row["entidad"], row["municipio"])) or places.get((row["entidad"], ""))
    if point is not None:
        person["latitud"], person["longitud"] = point
    return person


def _uncertain(person: dict[str, Any]) -> dict[str, Any]:
    """The same person as a health worker might write them down with nothing to copy from: no roll
    number or CURP, one given name only, the birth year one off."""
    changed = {**person, "roll_record_id": None, "curp": None}
    changed["nombre"] = str(person["nombre"]).split()[0]
    if person.get("fecha_nacimiento"):
        year, rest = str(person["fecha_nacimiento"]).split("-", 1)
        changed["fecha_nacimiento"] = (
            f"{int(year) + 1}-{rest}" if rest != "02-29" else person["fecha_nacimiento"]
        )
    return changed


def _chosen(pop: Path, people: int) -> list[dict[str, str]]:
    """Roll rows with a name, a surname and a birth date; those the clinics also know first."""
    truth = _rows(pop / "truth.csv")
    in_clinics = {t["person_id"] for t in truth if t["source"] == "patients"}
    person_of = {t["record_id"]: t["person_id"] for t in truth if t["source"] == "roll"}
    rows = [r for r in _rows(pop / "pension_roll.csv") if r["nombre"] and r["primer_apellido"]]
    rows = [r for r in rows if r["fecha_nacimiento"]]
    seen: set[str] = set()
    unique = []
    for row in sorted(rows, key=lambda r: (person_of.get(r["record_id"]) not in in_clinics, r["record_id"])):
        person = person_of.get(row["record_id"], row["record_id"])
        if person not in seen:
            seen.add(person)
            unique.append(row)
    return unique[:people]


def visits(bienestar: httpx.Client, pop: Path, out: Outcome, say: Say, *, first: int = 24) -> None:
    places = _places(_rows(pop / "units.csv"))
    chosen = _chosen(pop, first + 6)
    plan: list[tuple[str, dict[str, Any], str]] = []
    for n, row in enumerate(chosen[:first]):
        plan.append(("first", _person(row, places), DIAGNOSES[n % len(DIAGNOSES)]))
    for n, row in enumerate(chosen[:6]):  # the same people and needs, a few days later
        plan.append(("repeat", _person(row, places), DIAGNOSES[n % len(DIAGNOSES)]))
    for n, row in enumerate(chosen[first : first + 6]):
        plan.append(("uncertain", _uncertain(_person(row, places)), DIAGNOSES[(n + 3) % len(DIAGNOSES)]))
    # Nobody any source knows, and nowhere to measure from: no unit can be chosen for this visit.
    stranger = {"nombre": "VISITANTE", "primer_apellido": "SIN DATOS", "fecha_nacimiento": "1948-01-01"}
    plan.append(("unplaceable", stranger, "I10"))
    for n, (kind, person, code) in enumerate(plan):
        visit_id = f"DEMO-{n + 1:04d}"
        trace_id = f"{0xDE000000 + n + 1:032x}"
        body = {
            "visit_id": visit_id,
            "visit_date": "2026-11-20" if kind != "repeat" else "2026-11-27",
            "health_worker_id": f"PROM-{n % 4 + 1}",
            "person": person,
            "findings": {"conditions": [{"code": code}]},
            "urgency": "urgent" if n % 5 == 0 else "routine",
        }
        response = bienestar.post(
            "/v1/visits", json=body, headers={"traceparent": f"00-{trace_id}-{n + 1:016x}-01"}
        )
        if response.status_code >= 500:
            response.raise_for_status()
        out.visits.append(VisitSent(visit_id, kind, trace_id, response.status_code, response.json()))
    answered: dict[int, int] = {}
    for sent in out.visits:
        answered[sent.status_code] = answered.get(sent.status_code, 0) + 1
    codes = ", ".join(f"{n} × HTTP {code}" for code, n in sorted(answered.items()))
    say(f"{len(out.visits)} visitas enviadas por HTTP ({codes})")


def the_case(out: Outcome) -> VisitSent | None:
    """The first visit whose person the service recognised with certainty (else the first referred)."""
    referred = [
        v for v in out.visits if v.kind == "first" and v.status_code in (200, 201) and "task" in v.body
    ]
    certain = [v for v in referred if (v.body.get("match") or {}).get("grade") == "certain"]
    chosen = certain or referred
    return chosen[0] if chosen else None


def work_the_case(clinic: httpx.Client, case: VisitSent, out: Outcome, say: Say) -> None:
    """The unit pulls its requested Tasks, then accepts, starts and completes the case's one."""
    task_id = str(case.body["task"]).rsplit("/", 1)[-1]
    pulled = clinic.get("/fhir/Task", params={"status": "requested", "_count": 100}).raise_for_status().json()
    listed = [e["resource"]["id"] for e in pulled.get("entry", []) if e["resource"]["resourceType"] == "Task"]
    if task_id not in listed:
        raise RuntimeError(f"Task {task_id} is not among the unit's requested Tasks")
    for status in ("accepted", "in-progress", "completed"):
        current = clinic.get(f"/fhir/Task/{task_id}").raise_for_status()
        task = current.json()
        task["status"] = status
        clinic.put(
            f"/fhir/Task/{task_id}",
            json=task,
            headers={"If-Match": current.headers["etag"], "content-type": "application/fhir+json"},
        ).raise_for_status()
        out.case_steps.append(status)
    out.case = case
    say(f"la unidad {case.body['unit']['clues']} aceptó, inició y completó la referencia de {case.visit_id}")
