"""/v1 match runs and the review queue, and FHIR Patient/$match, over real HTTP and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.matching.factories import load_population, make_people
from tests.referral.factories import add_unit, visit_body

from interop.job.worker import Worker

Headers = Callable[..., dict[str, str]]


async def _run_via_api(client: httpx.AsyncClient, app: FastAPI, auth_headers: Headers) -> dict[str, Any]:
    created = await client.post("/v1/match-runs", json={}, headers=auth_headers("admin"))
    assert created.status_code == 202, created.text
    run = created.json()
    assert run["status"] == "queued"
    await Worker(app.state.settings, app.state.sessionmaker).run_until_done(run["job_id"])
    read = await client.get(f"/v1/match-runs/{run['id']}", headers=auth_headers("admin"))
    assert read.status_code == 200
    body: dict[str, Any] = read.json()
    assert body["status"] == "succeeded"
    assert body["model_version"]
    assert body["reviews"]["queued"] == body["counts"]["reviews_new"]
    assert body["reviews"]["decided"] == 0
    return body


async def test_run_then_review_queue_decisions(
    client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, auth_headers: Headers
) -> None:
    truth = await load_population(session, make_people(200))
    run = await _run_via_api(client, app, auth_headers)
    assert run["counts"]["records"] == len(truth)
    assert run["progress"]["stage"] == "done"
    assert set(run["counts"]["timings_s"]) >= {"export", "features", "training", "scoring", "writing"}
    # A pair a reviewer must look at: roll R1 against the clinic record of another person.
    review_id = (
        await session.execute(
            text(
                "INSERT INTO match_review (left_source, left_record_id, right_source, right_record_id, "
                "score, evidence) VALUES ('roll', 'R1', 'roll', 'R2', 0.8, "
                '\'[{"comparison": "given", "level": "else", "weight": -9.5}]\') RETURNING id'
            )
        )
    ).scalar_one()
    await session.commit()
    reviewer = auth_headers("reviewer")
    listed = await client.get("/v1/match-reviews", params={"status": "open", "limit": 500}, headers=reviewer)
    assert listed.status_code == 200
    assert review_id in [item["id"] for item in listed.json()["items"]]
    detail = await client.get(f"/v1/match-reviews/{review_id}", headers=reviewer)
    assert detail.status_code == 200
    body = detail.json()
    assert body["left_record"]["record_id"] == "R1"
    assert body["right_record"]["fields"]["nombre"]
    assert body["evidence"][0] == {"comparison": "given", "level": "else", "weight": -9.5}
    decided = await client.post(
        f"/v1/match-reviews/{review_id}/decision",
        json={"decision": "link", "reason": "same CURP on paper"},
        headers=reviewer,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["decided_by"] == "test-reviewer"
    persons = dict(
        (
            await session.execute(text("SELECT record_id, person_id FROM match_record WHERE source = 'roll'"))
        ).all()
    )
    assert persons["R1"] == persons["R2"]
    again = await client.post(
        f"/v1/match-reviews/{review_id}/decision",
        json={"decision": "not-link", "reason": "x"},
        headers=reviewer,
    )
    assert again.status_code == 409
    missing = await client.get("/v1/match-reviews/999999", headers=reviewer)
    assert missing.status_code == 404
    forbidden = await client.post(
        "/v1/match-runs", json={}, headers=auth_headers("clinic", clues=["DFIMB000001"])
    )
    assert forbidden.status_code == 403


async def test_patient_match_grades_and_scores(
    client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, auth_headers: Headers
) -> None:
    people = make_people(200)
    await load_population(session, people)
    await _run_via_api(client, app, auth_headers)
    p = people[3]
    patient = {
        "resourceType": "Patient",
        "identifier": [{"system": "https://www.gob.mx/curp", "value": p.curp}],
        "name": [
            {
                "use": "official",
                "family": f"{p.primer_apellido} {p.segundo_apellido}",
                "given": p.nombre.split(),
            }
        ],
        "gender": "male" if p.sexo == "H" else "female",
        "birthDate": p.fecha_nacimiento.isoformat(),
        "address": [
            {"state": p.entidad, "district": p.municipio, "city": p.localidad, "line": [p.domicilio]}
        ],
    }
    params = {
        "resourceType": "Parameters",
        "parameter": [{"name": "resource", "resource": patient}, {"name": "count", "valueInteger": 5}],
    }
    headers = {**auth_headers("admin"), "Content-Type": "application/fhir+json"}
    resp = await client.post("/fhir/Patient/$match", json=params, headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/fhir+json")
    bundle = resp.json()
    assert bundle["type"] == "searchset"
    first = bundle["entry"][0]
    assert first["search"]["mode"] == "match"
    assert first["search"]["score"] >= 0.99
    assert first["search"]["extension"][0]["valueCode"] == "certain"
    scores = [e["search"]["score"] for e in bundle["entry"]]
    assert scores == sorted(scores, reverse=True)
    idents = {i["value"] for e in bundle["entry"] for i in e["resource"].get("identifier", [])}
    assert f"R{p.key}" in idents  # the roll record, identified by its padrón record id

    # Without the CURP and with a mistyped surname it is still found, no longer certain of everything.
    fuzzy = dict(
        patient,
        identifier=[],
        name=[{"family": f"{p.primer_apellido[:-1]} {p.segundo_apellido}", "given": p.nombre.split()}],
    )
    params_fuzzy = {"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": fuzzy}]}
    resp = await client.post("/fhir/Patient/$match", json=params_fuzzy, headers=headers)
    assert resp.status_code == 200
    entries = resp.json()["entry"]
    assert entries
    assert {"certain", "probable", "possible"} >= {e["search"]["extension"][0]["valueCode"] for e in entries}

    stranger = dict(
        patient, identifier=[], name=[{"family": "ZZYZX QWERTY", "given": ["NADIE"]}], birthDate="1901-01-01"
    )
    only = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "resource", "resource": stranger},
            {"name": "onlyCertainMatches", "valueBoolean": True},
        ],
    }
    resp = await client.post("/fhir/Patient/$match", json=only, headers=headers)
    assert resp.status_code == 200
    assert resp.json()["entry"] == []

    bad = await client.post("/fhir/Patient/$match", json={"resourceType": "Parameters"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["resourceType"] == "OperationOutcome"


def _patient(p: Any, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": "https://www.gob.mx/curp", "value": p.curp}],
        "name": [
            {
                "use": "official",
                "family": f"{p.primer_apellido} {p.segundo_apellido}",
                "given": p.nombre.split(),
            }
        ],
        "gender": "male" if p.sexo == "H" else "female",
        "birthDate": p.fecha_nacimiento.isoformat(),
        "address": [
            {"state": p.entidad, "district": p.municipio, "city": p.localidad, "line": [p.domicilio]}
        ],
        **extra,
    }


async def _linked_person(session: AsyncSession) -> tuple[int, Any]:
    """A person whose roll record (R<key>) and clinic record (P<key>) the run linked, and the clinic's
    registry Patient id."""
    key = (
        await session.execute(
            text(
                "SELECT substr(r.record_id, 2)::int FROM match_record r JOIN match_record c "
                "ON c.source = 'patients' AND c.record_id = 'P' || substr(r.record_id, 2) "
                "AND c.person_id = r.person_id WHERE r.source = 'roll' ORDER BY 1 LIMIT 1"
            )
        )
    ).scalar_one()
    clinic_patient = (
        await session.execute(
            text("SELECT patient_id FROM identity_record WHERE source = 'patients' AND record_id = :r"),
            {"r": f"P{key}"},
        )
    ).scalar_one()
    return int(key), clinic_patient


async def _refuse(client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, key: int) -> None:
    """A reviewer decides the clinic record P<key> is not the roll's person R<key> (MANUAL NO_MATCH)."""
    review_id = (
        await session.execute(
            text(
                "INSERT INTO match_review (left_source, left_record_id, right_source, right_record_id, "
                "score) VALUES ('patients', :c, 'roll', :r, 0.9) RETURNING id"
            ),
            {"c": f"P{key}", "r": f"R{key}"},
        )
    ).scalar_one()
    await session.commit()
    decided = await client.post(
        f"/v1/match-reviews/{review_id}/decision",
        json={"decision": "not-link", "reason": "another person with the same data"},
        headers=auth_headers("reviewer"),
    )
    assert decided.status_code == 200, decided.text


async def test_patient_match_grades_reviewed_non_matches_certainly_not(
    client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, auth_headers: Headers
) -> None:
    people = make_people(200)
    await load_population(session, people)
    await _run_via_api(client, app, auth_headers)
    key, clinic_patient = await _linked_person(session)
    p = people[key]
    headers = {**auth_headers("admin"), "Content-Type": "application/fhir+json"}

    async def grades(patient: dict[str, Any], *, only_certain: bool = False) -> list[tuple[str, str]]:
        params: dict[str, Any] = {
            "resourceType": "Parameters",
            "parameter": [{"name": "resource", "resource": patient}, {"name": "count", "valueInteger": 50}],
        }
        if only_certain:
            params["parameter"].append({"name": "onlyCertainMatches", "valueBoolean": True})
        resp = await client.post("/fhir/Patient/$match", json=params, headers=headers)
        assert resp.status_code == 200, resp.text
        out = []
        for e in resp.json()["entry"]:
            res = e["resource"]
            roll = [i["value"] for i in res.get("identifier", []) if i["system"].endswith("/padron")]
            out.append(
                (roll[0] if roll else f"Patient/{res['id']}", e["search"]["extension"][0]["valueCode"])
            )
        return out

    roll_ref, clinic_ref = f"R{key}", f"Patient/{clinic_patient}"
    before = dict(await grades(_patient(p)))
    assert before[roll_ref] == "certain"
    assert before[clinic_ref] != "certainly-not"

    # A reviewer decides the clinic record is someone else (MANUAL NO_MATCH against the roll's person).
    await _refuse(client, session, auth_headers, key)

    # Naming the roll record: the clinic record is certainly not this person, and comes last.
    named_roll = await grades(
        _patient(p, identifier=[{"system": "https://www.gob.mx/bienestar/padron", "value": roll_ref}])
    )
    assert dict(named_roll)[roll_ref] == "certain"
    assert named_roll[-1] == (clinic_ref, "certainly-not")
    assert [g for _, g in named_roll].count("certainly-not") == 1
    # Naming the clinic's registry Patient instead: now the roll record is the other person.
    named_clinic = await grades(_patient(p, id=str(clinic_patient)))
    assert named_clinic[-1] == (roll_ref, "certainly-not")
    assert dict(named_clinic)[clinic_ref] != "certainly-not"
    # Naming nothing: the best certain candidate stands for the Patient; the other is refused.
    plain = await grades(_patient(p))
    best, grade = plain[0]
    assert grade == "certain"
    assert best in (roll_ref, clinic_ref)
    refused = clinic_ref if best == roll_ref else roll_ref
    assert plain[-1] == (refused, "certainly-not")
    # onlyCertainMatches leaves certainly-not candidates out.
    only = await grades(_patient(p), only_certain=True)
    assert best in dict(only)
    assert refused not in dict(only)
    assert {g for _, g in only} == {"certain"}


async def test_a_visit_naming_its_roll_record_is_not_linked_to_a_person_a_reviewer_refused(
    client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, auth_headers: Headers
) -> None:
    people = make_people(200)
    await load_population(session, people)
    await add_unit(session, "DFIMB000001", lat=19.4330, lon=-99.1330)
    await session.commit()
    await _run_via_api(client, app, auth_headers)
    key, clinic_patient = await _linked_person(session)
    p = people[key]
    person = {
        "roll_record_id": f"R{key}",
        "curp": p.curp,
        "nombre": p.nombre,
        "primer_apellido": p.primer_apellido,
        "segundo_apellido": p.segundo_apellido,
        "fecha_nacimiento": p.fecha_nacimiento.isoformat(),
        "sexo": p.sexo,
        "entidad": p.entidad,
        "municipio": p.municipio,
        "localidad": p.localidad,
        "domicilio": p.domicilio,
        "latitud": 19.4330,
        "longitud": -99.1330,
    }
    hb = auth_headers("bienestar")
    first = await client.post("/v1/visits", json=visit_body("RV-1", person=person), headers=hb)
    assert first.status_code == 201, first.text
    assert first.json()["match"]["grade"] == "certain"
    assert first.json()["match"]["patient"] == f"Patient/{clinic_patient}"

    await _refuse(client, session, auth_headers, key)

    # The same finding again, naming the roll record: the clinic's patient is someone else now.
    again = await client.post("/v1/visits", json=visit_body("RV-2", person=person), headers=hb)
    assert again.status_code == 201, again.text
    assert again.json()["match"]["patient"] != f"Patient/{clinic_patient}"
