"""Issue 16, from the user's side (HTTP): every case ends somewhere both institutions see, once.

One test per item: visits without a referral; an unplaceable visit kept and routed later; one open referral
per person and need; escalations (time injected, never slept); the coded outcome back to Bienestar;
Bienestar's withdrawal.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from tests.ingest.factories import UNIT_HEADER, csv_text, import_file, write
from tests.referral.factories import add_registry_patient, add_unit, visit_body

from interop.context import system_context
from interop.job.worker import Worker
from interop.matching import service as matching_service
from interop.matching.schemas import IdentityProbe, OnlineCandidate
from interop.referral import service as referral_service
from interop.referral.models import ProvisionalPatient

Headers = Callable[..., dict[str, str]]
NEAR = "DFIMB000001"
OUTCOMES = "https://www.gob.mx/bienestar/fhir/CodeSystem/resultado-referencia"


async def _unit(session: AsyncSession) -> None:
    await add_unit(
        session, NEAR, lat=19.4370, lon=-99.1350, nivel=1, municipio="Cuauhtémoc", localidad="Centro"
    )


async def _post(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    resp = await client.post("/v1/visits", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    result: dict[str, Any] = resp.json()
    return result


async def _move(
    client: httpx.AsyncClient, clinic: dict[str, str], task: str, status: str, **extra: Any
) -> httpx.Response:
    current = (await client.get(f"/fhir/{task}", headers=clinic)).json()
    return await client.put(
        f"/fhir/{task}",
        headers={**clinic, "If-Match": f'W/"{current["meta"]["versionId"]}"'},
        json={**current, "status": status, **extra},
    )


async def test_a_visit_that_asks_for_no_referral_is_stored_with_its_findings(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _unit(session)
    bienestar = auth_headers("bienestar")
    result = await _post(client, bienestar, visit_body("V-NR-1", referral_requested=False))
    assert result["referral"] == "none"
    assert result["service_request"] is None
    assert result["task"] is None
    follow = (await client.get("/v1/visits/V-NR-1", headers=bienestar)).json()
    assert follow["service_request_status"] is None
    assert follow["result"]["match"]["patient"].startswith("Patient/")
    clinic = auth_headers("clinic", clues=[NEAR])
    tasks = (await client.get(f"/fhir/Task?owner={NEAR}", headers=clinic)).json()
    assert not tasks.get("entry")
    # The findings are kept for follow-up, as FHIR Conditions and Observations of the visit's Patient.
    subject = result["match"]["patient"]
    conditions = (await client.get(f"/fhir/Condition?subject={subject}", headers=bienestar)).json()
    [condition] = [e["resource"] for e in conditions["entry"]]
    Condition.model_validate(condition)
    assert condition["code"]["coding"][0]["code"] == "E11.9"
    assert condition["verificationStatus"]["coding"][0]["code"] == "provisional"
    assert condition["identifier"][0]["value"] == "V-NR-1"
    observations = (await client.get("/fhir/Observation?identifier=V-NR-1", headers=bienestar)).json()
    assert len(observations["entry"]) == 2
    for entry in observations["entry"]:
        Observation.model_validate(entry["resource"])
    # A unit sees the findings of the people it was referred, not of everyone visited.
    hidden = (await client.get(f"/fhir/Condition?subject={subject}", headers=clinic)).json()
    assert not hidden.get("entry")
    referred = await _post(client, bienestar, visit_body("V-NR-2"))
    seen = (
        await client.get(f"/fhir/Condition?subject={referred['match']['patient']}", headers=clinic)
    ).json()
    # The referred visit's one finding, read through its referral (Condition/{referral}-c0).
    [seen_condition] = [e["resource"] for e in seen["entry"]]
    assert seen_condition["subject"]["reference"] == referred["match"]["patient"]
    assert seen_condition["id"] == f"{referred['service_request'].removeprefix('ServiceRequest/')}-c0"


async def test_an_unplaceable_visit_waits_to_be_routed_and_an_operator_routes_it(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _unit(session)
    bienestar, admin = auth_headers("bienestar"), auth_headers("admin")
    lost = visit_body("V-WR-1", person={"latitud": None, "longitud": None, "entidad": "OC"})
    result = await _post(client, bienestar, lost)
    assert result["referral"] == "waiting-route"
    assert result["task"] is None
    assert result["unit"] is None
    waiting = (await client.get("/v1/referrals/waiting-route", headers=admin)).json()
    assert [i["service_request"] for i in waiting["items"]] == [result["service_request"]]
    metrics = (await client.get("/metrics")).text
    assert 'interop_referrals_listed{list="waiting-route"} 1.0' in metrics
    referral_id = result["service_request"].removeprefix("ServiceRequest/")
    # Bienestar may see its list, but only an operator routes.
    assert (
        await client.post(f"/v1/referrals/{referral_id}/route", json={}, headers=bienestar)
    ).status_code == 403
    routed = await client.post(f"/v1/referrals/{referral_id}/route", json={"clues": NEAR}, headers=admin)
    assert routed.status_code == 200, routed.text
    clinic = auth_headers("clinic", clues=[NEAR])
    task = (await client.get(f"/fhir/{routed.json()['task']}", headers=clinic)).json()
    assert task["status"] == "requested"
    assert (await client.get("/v1/referrals/waiting-route", headers=admin)).json()["total"] == 0


async def test_locality_spelt_without_accents_still_places_the_visit(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _unit(session)  # the unit row says "Cuauhtémoc" / "Centro"
    body = visit_body(
        "V-LOC-1",
        person={"latitud": None, "longitud": None, "municipio": "CUAUHTEMOC ", "localidad": "centro"},
    )
    result = await _post(client, auth_headers("bienestar"), body)
    assert result["referral"] == "created"
    assert result["routing"]["rule"] == "nearest-from-locality"


async def test_a_repeat_visit_adds_to_the_open_referral_of_the_same_need(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _unit(session)
    bienestar = auth_headers("bienestar")
    person = {"roll_record_id": "PADRON-77"}
    first = await _post(client, bienestar, visit_body("V-RP-1", person=person))
    again = visit_body("V-RP-2", person=person, note="Sigue con mareo")
    again["findings"]["conditions"] = [{"code": "E11.6"}]  # same category E11
    second = await _post(client, bienestar, again)
    assert second["referral"] == "added"
    assert second["service_request"] == first["service_request"]
    assert second["match"]["patient"] == first["match"]["patient"]  # one provisional Patient
    other = visit_body("V-RP-3", person=person)
    other["findings"]["conditions"] = [{"code": "I10"}]  # another need: another referral
    third = await _post(client, bienestar, other)
    assert third["referral"] == "created"
    assert third["service_request"] != first["service_request"]
    clinic = auth_headers("clinic", clues=[NEAR])
    sr = (await client.get(f"/fhir/{first['service_request']}", headers=clinic)).json()
    assert sr["meta"]["versionId"] == "2"
    assert [i["value"] for i in sr["identifier"]] == ["V-RP-1", "V-RP-2"]
    found = (await client.get("/fhir/ServiceRequest?identifier=V-RP-2", headers=bienestar)).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [sr["id"]]
    task = (await client.get(f"/fhir/{first['task']}", headers=clinic)).json()
    assert task["meta"]["versionId"] == "2"  # the unit's polling sees the repeat visit


async def test_unanswered_and_failed_referrals_end_on_the_escalation_list(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _unit(session)
    bienestar = auth_headers("bienestar")
    silent = await _post(client, bienestar, visit_body("V-ES-1"))
    failing = await _post(client, bienestar, visit_body("V-ES-2", urgency="urgent"))
    clinic = auth_headers("clinic", clues=[NEAR])
    for status in ("accepted", "in-progress"):
        assert (await _move(client, clinic, failing["task"], status)).status_code == 200
    failed = await _move(
        client,
        clinic,
        failing["task"],
        "failed",
        output=[
            {
                "type": {"text": "resultado"},
                "valueCodeableConcept": {"coding": [{"system": OUTCOMES, "code": "no-localizado"}]},
            }
        ],
    )
    assert failed.status_code == 200, failed.text
    hours = {"routine": 72.0, "urgent": 24.0, "asap": 4.0, "stat": 1.0}
    ctx = system_context(request_id="test", trace_id="0" * 32)
    now = datetime.now(UTC)
    assert (
        await referral_service.escalate_unanswered(session, ctx, now=now + timedelta(hours=71), hours=hours)
        == 0
    )
    assert (
        await referral_service.escalate_unanswered(session, ctx, now=now + timedelta(hours=73), hours=hours)
        == 1
    )
    await session.commit()
    listed = (await client.get("/v1/referrals/escalated", headers=bienestar)).json()
    reasons = {i["service_request"]: i["reason"] for i in listed["items"]}
    assert reasons == {silent["service_request"]: "unanswered", failing["service_request"]: "failed"}
    metrics = (await client.get("/metrics")).text
    assert 'interop_referrals_listed{list="unanswered"} 1.0' in metrics
    assert 'interop_referrals_listed{list="failed"} 1.0' in metrics
    follow = (await client.get("/v1/visits/V-ES-2", headers=bienestar)).json()
    assert follow["escalation"] == "failed"
    assert follow["outcome"]["code"] == "no-localizado"


async def test_completing_with_a_coded_outcome_reaches_bienestar(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _unit(session)
    bienestar = auth_headers("bienestar")
    posted = await _post(client, bienestar, visit_body("V-OC-1"))
    clinic = auth_headers("clinic", clues=[NEAR])
    for status in ("accepted", "in-progress"):
        assert (await _move(client, clinic, posted["task"], status)).status_code == 200
    bad = await _move(
        client,
        clinic,
        posted["task"],
        "completed",
        output=[
            {
                "type": {"text": "resultado"},
                "valueCodeableConcept": {"coding": [{"system": OUTCOMES, "code": "curado"}]},
            }
        ],
    )
    assert bad.status_code == 422
    done = await _move(
        client,
        clinic,
        posted["task"],
        "completed",
        output=[
            {
                "type": {"text": "resultado"},
                "valueCodeableConcept": {"coding": [{"system": OUTCOMES, "code": "atendido-domicilio"}]},
            }
        ],
        note=[{"text": "Control de glucosa en casa"}],
    )
    assert done.status_code == 200, done.text
    follow = (await client.get("/v1/visits/V-OC-1", headers=bienestar)).json()
    assert follow["service_request_status"] == "completed"
    assert follow["outcome"]["code"] == "atendido-domicilio"
    assert follow["outcome"]["display"] == "Atendido en el domicilio"
    assert follow["outcome"]["note"] == "Control de glucosa en casa"
    sr = (await client.get(f"/fhir/{posted['service_request']}", headers=bienestar)).json()
    ext = next(e for e in sr["extension"] if e["url"].endswith("referral-outcome"))
    assert ext["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "atendido-domicilio"
    cs = (await client.get("/fhir/CodeSystem/resultado-referencia")).json()
    assert cs["url"] == OUTCOMES
    assert {c["code"] for c in cs["concept"]} >= {"atendido", "no-acudio", "fallecio", "referido-otra-unidad"}
    assert next(c for c in cs["concept"] if c["code"] == "fallecio")["display"] == "Falleció"


async def test_bienestar_withdraws_a_referral_and_the_unit_task_is_cancelled(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await _unit(session)
    bienestar = auth_headers("bienestar")
    posted = await _post(client, bienestar, visit_body("V-WD-1"))
    sr = (await client.get(f"/fhir/{posted['service_request']}", headers=bienestar)).json()
    clinic = auth_headers("clinic", clues=[NEAR])
    as_clinic = await client.put(
        f"/fhir/{posted['service_request']}", headers=clinic, json={**sr, "status": "revoked"}
    )
    assert as_clinic.status_code == 403
    no_reason = await client.put(
        f"/fhir/{posted['service_request']}", headers=bienestar, json={**sr, "status": "revoked"}
    )
    assert no_reason.status_code == 422
    reason = {
        "url": "https://www.gob.mx/bienestar/fhir/StructureDefinition/status-reason",
        "valueString": "La persona falleció",
    }
    resp = await client.put(
        f"/fhir/{posted['service_request']}",
        headers={**bienestar, "If-Match": 'W/"1"'},
        json={**sr, "status": "revoked", "extension": [*sr["extension"], reason]},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "revoked"
    task = (await client.get(f"/fhir/{posted['task']}", headers=clinic)).json()
    assert task["status"] == "cancelled"
    follow = (await client.get("/v1/visits/V-WD-1", headers=bienestar)).json()
    assert follow["service_request_status"] == "revoked"
    assert follow["status_reason"] == "La persona falleció"
    again = await client.put(
        f"/fhir/{posted['service_request']}",
        headers=bienestar,
        json={**sr, "status": "entered-in-error", "extension": [*sr["extension"], reason]},
    )
    assert again.status_code == 409


async def test_a_reviewer_decision_and_its_reversal_reach_the_referral(
    client: httpx.AsyncClient,
    session: AsyncSession,
    app: Any,
    auth_headers: Headers,
) -> None:
    await _unit(session)
    registry = await add_registry_patient(session, "EXP-REG-1", clues=NEAR)
    bienestar = auth_headers("bienestar")
    posted = await _post(client, bienestar, visit_body("V-ID-1"))
    provisional = posted["match"]["patient"]
    # What online matching does with an uncertain candidate (set up here without training a model).
    ctx = system_context(request_id="test", trace_id="0" * 32)
    probe = IdentityProbe(given_names="ROSA MARIA", paternal_surname="PEREZ")
    candidate = OnlineCandidate(
        source="patients",
        record_id="EXP-REG-1",
        probability=0.8,
        match_weight=2.0,
        grade="probable",
        model_version="t",
    )
    [review_id] = await matching_service.queue_visit_review(
        session,
        ctx,
        provisional_patient_id=uuid.UUID(provisional.removeprefix("Patient/")),
        probe=probe,
        candidates=[candidate],
    )
    await session.execute(
        update(ProvisionalPatient)
        .where(ProvisionalPatient.id == uuid.UUID(provisional.removeprefix("Patient/")))
        .values(review_queued=True)
    )
    await session.commit()
    clinic = auth_headers("clinic", clues=[NEAR])
    tags = (await client.get(f"/fhir/{provisional}", headers=clinic)).json()["meta"]["tag"]
    assert "identity-under-review" in {t["code"] for t in tags}

    reviewer = auth_headers("reviewer")
    decided = await client.post(
        f"/v1/match-reviews/{review_id}/decision",
        json={"decision": "link", "reason": "misma CURP"},
        headers=reviewer,
    )
    assert decided.status_code == 200, decided.text
    worker = Worker(app.state.settings, app.state.sessionmaker)
    assert await worker.run_one(only_key=f"identity-decision:{provisional.removeprefix('Patient/')}")
    sr = (await client.get(f"/fhir/{posted['service_request']}", headers=clinic)).json()
    assert sr["subject"]["reference"] == f"Patient/{registry.patient_id}"
    assert sr["meta"]["versionId"] == "2"
    task = (await client.get(f"/fhir/{posted['task']}", headers=clinic)).json()
    assert task["for"]["reference"] == f"Patient/{registry.patient_id}"
    # The clinic no longer sees the visit's Patient (not a subject of its referrals); a reviewer does.
    assert (await client.get(f"/fhir/{provisional}", headers=clinic)).status_code == 404
    tags = (await client.get(f"/fhir/{provisional}", headers=reviewer)).json()["meta"].get("tag", [])
    assert "identity-under-review" not in {t["code"] for t in tags}

    no_reason = await client.post(
        f"/v1/match-reviews/{review_id}/reversal", json={"reason": ""}, headers=reviewer
    )
    assert no_reason.status_code == 422
    reversed_ = await client.post(
        f"/v1/match-reviews/{review_id}/reversal",
        json={"reason": "fechas de nacimiento distintas"},
        headers=reviewer,
    )
    assert reversed_.status_code == 200, reversed_.text
    assert reversed_.json()["decision"] == "not-link"
    assert await worker.run_one(only_key=f"identity-decision:{provisional.removeprefix('Patient/')}")
    sr = (await client.get(f"/fhir/{posted['service_request']}", headers=clinic)).json()
    assert sr["subject"]["reference"] == provisional
    task = (await client.get(f"/fhir/{posted['task']}", headers=clinic)).json()
    assert task["for"]["reference"] == provisional
    auditor = auth_headers("auditor")
    events = (await client.get("/fhir/AuditEvent?subtype=decision-reversal", headers=auditor)).json()
    assert events.get("entry"), events


async def test_a_waiting_referral_is_routed_by_a_better_address_or_the_next_units_import(
    client: httpx.AsyncClient,
    session: AsyncSession,
    app: Any,
    tmp_path: Path,
    auth_headers: Headers,
) -> None:
    await _unit(session)
    bienestar, admin = auth_headers("bienestar"), auth_headers("admin")
    nowhere = {"latitud": None, "longitud": None, "entidad": "OC", "municipio": "SAN JUAN", "localidad": "X"}
    first = await _post(client, bienestar, visit_body("V-BA-1", person={"roll_record_id": "P-1", **nowhere}))
    assert first["referral"] == "waiting-route"
    # The same person and need, found again with coordinates: the referral is routed.
    again = visit_body("V-BA-2", person={"roll_record_id": "P-1"})
    second = await _post(client, bienestar, again)
    assert second["referral"] == "added"
    assert second["service_request"] == first["service_request"]
    assert second["task"] is not None
    assert second["unit"]["clues"] == NEAR
    # Another person in a place with no unit yet waits until a units import brings one.
    lost = await _post(client, bienestar, visit_body("V-BA-3", person={"roll_record_id": "P-2", **nowhere}))
    assert lost["referral"] == "waiting-route"
    header = (*UNIT_HEADER, "cve_mun", "cve_loc")
    row = [
        "OCIMB000020",
        "CS SAN JUAN",
        "OC",
        "San Juan",
        "X",
        "1",
        "17.1",
        "-96.7",
        "EN OPERACION",
        "",
        "",
        "",
    ]
    csv = write(tmp_path, "units.csv", csv_text(header, [row]))
    await import_file(app.state.sessionmaker, app.state.settings, "units", csv)
    worker = Worker(app.state.settings, app.state.sessionmaker)
    assert await worker.run_one(only_key="referral.route_waiting")
    follow = (await client.get("/v1/visits/V-BA-3", headers=bienestar)).json()
    assert follow["unit"]["clues"] == "OCIMB000020"
    assert follow["task_status"] == "requested"
    assert (await client.get("/v1/referrals/waiting-route", headers=admin)).json()["total"] == 0
