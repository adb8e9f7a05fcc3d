"""Issue 17 over real HTTP: findings kept as found (a SNOMED-only and a text-only Condition survive a
visit Bundle; bad values become text plus a warning, never a refusal), what is asked, home visits, the
published CodeSystems, and ``date`` searches cut at the local midnight of the unit's zone."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation
from sqlalchemy.ext.asyncio import AsyncSession
from tests.fhir.bundles import visit_bundle
from tests.referral.factories import add_unit, visit_body

Headers = Callable[..., dict[str, str]]
A = "DFIMB000001"
SNOMED = "http://snomed.info/sct"


def _with_findings(visit_id: str) -> dict[str, Any]:
    bundle = visit_bundle(visit_id)
    subject = {"reference": "urn:uuid:11111111-1111-4111-8111-111111111111"}
    snomed_only = {
        "resourceType": "Condition",
        "subject": subject,
        "code": {"coding": [{"system": SNOMED, "code": "44054006", "display": "Diabetes mellitus tipo 2"}]},
    }
    text_only = {
        "resourceType": "Condition",
        "subject": subject,
        "code": {"text": "dolor de rodilla al caminar"},
    }
    bad_code = {
        "resourceType": "Condition",
        "subject": subject,
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "Q99.99"}]},
    }
    text_obs = {
        "resourceType": "Observation",
        "status": "final",
        "subject": subject,
        "code": {"text": "pies con heridas que no cicatrizan"},
        "valueString": "planta del pie izquierdo",
    }
    disability = {
        "resourceType": "Observation",
        "status": "final",
        "subject": subject,
        "code": {"text": "Discapacidad"},
        "valueString": "discapacidad visual",
    }
    for resource in (snomed_only, text_only, bad_code, text_obs, disability):
        bundle["entry"].insert(
            1, {"resource": resource, "request": {"method": "POST", "url": resource["resourceType"]}}
        )
    # The blood pressure in mmHg (not UCUM's mm[Hg]): kept as text, with a warning.
    bp = next(e["resource"] for e in bundle["entry"] if e["resource"].get("component"))
    bp["component"][0]["valueQuantity"] = {"value": 170, "unit": "mmHg"}
    return bundle


async def test_a_visit_bundle_keeps_snomed_only_and_text_only_conditions(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    await session.commit()
    resp = await client.post("/fhir", json=_with_findings("V-FIND"), headers=auth_headers("bienestar"))
    assert resp.status_code == 200, resp.text
    out = resp.json()
    Bundle.model_validate(out)
    sr_entry = next(e["response"] for e in out["entry"] if e["response"].get("etag"))
    assert sr_entry["status"] == "201 Created"
    warnings = [i for i in sr_entry["outcome"]["issue"] if i["severity"] == "warning"]
    assert any("Q99.99" in w["diagnostics"] and "catálogo CIE-10" in w["diagnostics"] for w in warnings)
    assert any("mmHg" in w["diagnostics"] and "mm[Hg]" in w["diagnostics"] for w in warnings)
    patient = next(
        e["response"]["location"]
        for e in out["entry"]
        if e["response"].get("location", "").startswith("Patient/")
    )

    clinic = auth_headers("clinic", clues=[A])
    found = (await client.get(f"/fhir/Condition?patient={patient}", headers=clinic)).json()
    Bundle.model_validate(found)
    conds = [e["resource"] for e in found["entry"]]
    for c in conds:
        Condition.model_validate(c)
        assert c["verificationStatus"]["coding"][0]["code"] == "provisional"
    codes = [(k["system"], k["code"]) for c in conds for k in c["code"].get("coding", [])]
    texts = [c["code"].get("text") for c in conds]
    assert (SNOMED, "44054006") in codes  # SNOMED CT alone: kept, not dropped
    assert "dolor de rodilla al caminar" in texts  # words alone: kept as words
    assert ("http://hl7.org/fhir/sid/icd-10", "I10") in codes
    assert "Q99.99" in texts  # a code not in CIE-10 stays as text, never as a code
    assert all(k["code"] != "Q99.99" for c in conds for k in c["code"].get("coding", []))
    read = await client.get(f"/fhir/Condition/{conds[0]['id']}", headers=clinic)
    assert read.status_code == 200
    assert read.json() == conds[0]

    obs = (await client.get(f"/fhir/Observation?patient={patient}", headers=clinic)).json()
    observations = [e["resource"] for e in obs["entry"]]
    for o in observations:
        Observation.model_validate(o)
    text_finding = next(
        o for o in observations if o["code"].get("text") == "pies con heridas que no cicatrizan"
    )
    assert "coding" not in text_finding["code"]  # never the words as a LOINC code
    bp = next(o for o in observations if o.get("component"))
    assert bp["component"][0]["valueString"] == "170 mmHg"
    assert bp["component"][1]["valueQuantity"]["code"] == "mm[Hg]"
    disability = next(
        o for o in observations if o["code"].get("coding", [{}])[0].get("code") == "discapacidad"
    )
    assert disability["valueCodeableConcept"]["coding"][0]["code"] == "visual"
    assert disability["code"]["coding"][0]["display"] == "Discapacidad"
    # A unit that does not hold the referral sees none of it.
    other = auth_headers("clinic", clues=["DFIMB000999"])
    assert "entry" not in (await client.get(f"/fhir/Condition?patient={patient}", headers=other)).json()
    assert (await client.get(f"/fhir/Condition/{conds[0]['id']}", headers=other)).status_code == 404
    for bad in ("-" * 36 + "-c0", f"{conds[0]['id'][:-3]}-o0", "x", "0" * 500):
        assert (await client.get(f"/fhir/Condition/{bad}", headers=clinic)).status_code == 404


async def test_v1_visit_warns_and_keeps_instead_of_refusing(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    await session.commit()
    body = visit_body("V-WARN")
    body["findings"]["conditions"] = [{"code": "e 119"}, {"code": "ZZZ"}]
    body["findings"]["observations"] = [{"code": "2339-0", "value": 240, "unit": "mg/dl"}]
    resp = await client.post("/v1/visits", json=body, headers=auth_headers("bienestar"))
    assert resp.status_code == 201, resp.text
    codes = sorted(w["code"] for w in resp.json()["warnings"])
    assert codes == ["icd10_format", "ucum_unit"]
    english = copy.deepcopy(body)
    english["visit_id"] = "V-WARN-EN"
    resp = await client.post(
        "/v1/visits", json=english, headers={**auth_headers("bienestar"), "Accept-Language": "en"}
    )
    assert any("not well formed" in w["message"] for w in resp.json()["warnings"])


async def test_home_bound_goes_to_a_brigade_and_the_task_says_home_visit(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)  # nearest, type unknown
    await add_unit(session, "DFSSA000002", lat=19.4400, lon=-99.1400, tipo_unidad="brigada")
    await add_unit(session, "DFIMB000003", lat=19.4500, lon=-99.1500, tipo_unidad="brigada")
    await session.commit()
    body = visit_body("V-HOME")
    body["findings"]["functional_status"] = {"mobility": "bedridden", "caregiver": "son"}
    resp = await client.post("/v1/visits", json=body, headers=auth_headers("bienestar"))
    assert resp.status_code == 201, resp.text
    result = resp.json()
    # Mexico City is adhered: the IMSS-Bienestar brigade, not the nearer one of the state services.
    assert result["unit"]["clues"] == "DFIMB000003"
    assert result["routing"]["rule"] == "home-visit"
    clinic = auth_headers("clinic", clues=["DFIMB000003"])
    task = (await client.get(f"/fhir/{result['task']}", headers=clinic)).json()
    assert task["description"] == "Visita domiciliaria"
    sr = (await client.get(f"/fhir/{result['service_request']}", headers=clinic)).json()
    assert sr["code"]["coding"][0]["code"] == "valoracion-domiciliaria"
    sr_en = (
        await client.get(f"/fhir/{result['service_request']}", headers={**clinic, "Accept-Language": "en-US"})
    ).json()
    assert sr_en["code"]["coding"][0]["display"] == "Home assessment"
    # Asked explicitly, what is asked wins over the default.
    body = visit_body("V-LAB", care_requested="laboratorio")
    resp = await client.post("/v1/visits", json=body, headers=auth_headers("bienestar"))
    sr = (
        await client.get(f"/fhir/{resp.json()['service_request']}", headers=auth_headers("bienestar"))
    ).json()
    assert sr["code"]["coding"][0]["code"] == "laboratorio"


async def test_code_systems_are_published_and_in_the_capability_statement(client: httpx.AsyncClient) -> None:
    cs = (await client.get("/fhir/CodeSystem/atencion-solicitada")).json()
    CodeSystem.model_validate(cs)
    assert cs["url"] == "https://www.gob.mx/bienestar/fhir/CodeSystem/atencion-solicitada"
    assert cs["concept"][0]["display"] == "Consulta de primer nivel"
    en = (await client.get("/fhir/CodeSystem/atencion-solicitada", headers={"Accept-Language": "en"})).json()
    assert en["concept"][0]["display"] == "First-level consultation"
    assert en["concept"][0]["designation"] == [{"language": "es-MX", "value": "Consulta de primer nivel"}]
    found = (
        await client.get("/fhir/CodeSystem?url=https://www.gob.mx/bienestar/fhir/CodeSystem/movilidad")
    ).json()
    assert [e["resource"]["id"] for e in found["entry"]] == ["movilidad"]
    missing = await client.get("/fhir/CodeSystem/nada")
    assert missing.status_code == 404
    assert missing.json()["issue"][0]["diagnostics"] == "no existe el CodeSystem nada"
    meta = (await client.get("/fhir/metadata")).json()
    CapabilityStatement.model_validate(meta)
    types = {r["type"] for r in meta["rest"][0]["resource"]}
    assert {"CodeSystem", "Condition", "Observation"} <= types


# date= searches at 23:30 local time, summer and winter, Baja California and Quintana Roo -------------

TIJUANA = ("BCIMB000001", 32.5149, -117.0382, "BC", "TIJUANA")
CANCUN = ("QRIMB000001", 21.1619, -86.8515, "QR", "BENITO JUAREZ")
CASES = [  # visit id, place, local date, what the search for that day must find
    ("V-BC-SUMMER", TIJUANA, "2026-07-15"),
    ("V-BC-WINTER", TIJUANA, "2026-01-15"),
    ("V-QR-SUMMER", CANCUN, "2026-07-15"),
    ("V-QR-WINTER", CANCUN, "2026-01-15"),
]


@pytest.mark.parametrize("resource", ["Observation", "Condition"])
async def test_date_search_reads_the_day_in_the_units_zone(
    resource: str, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    for clues, lat, lon, entidad, municipio in (TIJUANA, CANCUN):
        await add_unit(
            session, clues, lat=lat, lon=lon, entidad=entidad, municipio=municipio, localidad=municipio
        )
    await session.commit()
    h = auth_headers("bienestar")
    for visit_id, (_, lat, lon, entidad, municipio), day in CASES:
        body = visit_body(
            visit_id,
            visit_date=day,
            visited_at=f"{day}T23:30:00",  # the worker's wall clock
            person={
                "entidad": entidad,
                "municipio": municipio,
                "localidad": municipio,
                "latitud": lat,
                "longitud": lon,
            },
        )
        resp = await client.post("/v1/visits", json=body, headers=h)
        assert resp.status_code == 201, resp.text
    param = "date" if resource == "Observation" else "recorded-date"

    async def days_found(query: str) -> set[str]:
        r = await client.get(f"/fhir/{resource}?{param}={query}", headers=h)
        assert r.status_code == 200, r.text
        stamps = {
            e["resource"]["effectiveDateTime" if resource == "Observation" else "recordedDate"]
            for e in r.json().get("entry", [])
        }
        return stamps

    summer = await days_found("2026-07-15")
    # 23:30 in Tijuana in July is 06:30 UTC the next day; in Cancún 04:30 UTC: both are still the 15th.
    assert summer == {"2026-07-15T23:30:00-07:00", "2026-07-15T23:30:00-05:00"}
    winter = await days_found("eq2026-01-15")
    assert winter == {"2026-01-15T23:30:00-08:00", "2026-01-15T23:30:00-05:00"}
    assert await days_found("2026-07-16") == set()
    assert await days_found("2026-01-16") == set()
    assert await days_found("ge2026-07-15") == summer
    assert await days_found("lt2026-07-15") == winter
    assert await days_found("le2026-01-15") == winter
    assert await days_found("gt2026-01-15") == summer
    bad = await client.get(f"/fhir/{resource}?{param}=15/07/2026", headers=h)
    assert bad.status_code == 400
    assert "AAAA-MM-DD" in bad.json()["issue"][0]["diagnostics"]


async def test_a_unit_without_coordinates_is_placed_by_its_municipality(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    # The municipality's point comes from its located units (here a hospital ~2 km from the visit); the
    # brigade has no coordinates and used to be dropped.
    await add_unit(session, "DFIMB000020", lat=19.4500, lon=-99.1400, nivel=2)
    await add_unit(session, "DFIMB000021", lat=None, lon=None, tipo_unidad="brigada")
    await session.commit()
    resp = await client.post("/v1/visits", json=visit_body("V-PLACED"), headers=auth_headers("bienestar"))
    assert resp.status_code == 201, resp.text
    result = resp.json()
    assert result["unit"]["clues"] == "DFIMB000021"  # first level first, though it has no coordinates
    assert "se ubica por su municipio" in result["routing"]["reason"]


def test_a_body_posted_before_issue_17_keeps_its_request_hash() -> None:
    """The idempotency hash of a visit as older clients send it is the one the code before issue 17
    computed (the value below), so a replay after the upgrade is still a replay, not a 409."""
    from interop.referral.schemas import VisitCreate
    from interop.referral.service import request_hash

    # Computed by the code before issue 17 (request_hash of the VisitCreate) for this factory body.
    before = "0a2265892dc934d11f9e1fea43f1bfc700e034875410a9745e5be43317af7715"
    assert request_hash(VisitCreate.model_validate(visit_body("V-HASH")).canonical()) == before
    assert (
        request_hash(
            VisitCreate.model_validate(visit_body("V-HASH", care_requested="laboratorio")).canonical()
        )
        != before
    )
