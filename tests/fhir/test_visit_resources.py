"""Issue 17, golden files: what a unit reads of a home-bound person with two findings (a CIE-10 code sent
without its dot, and a SNOMED CT one alone), each resource validated by fhir.resources, Spanish displays;
the same resources in English on request. The snapshot is made by the real pipeline (schemas → checks →
routing → stored columns), so the golden files pin it too."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task
from interop import messages
from interop.config import Settings
from interop.fhir.clinical import conditions, observations
from interop.fhir.codesystems import CARE, code_system
from interop.fhir.patient import patient_resource
from interop.fhir.referral_resources import service_request, task
from interop.referral import routing, visit_content
from interop.referral.schemas import VisitCreate

GOLDEN = Path(__file__).parent / "golden" / "home_bound"
BRIGADE = "BCIMB000042"
REFERRAL_ID = "4b0e7c1a-2f3d-4e5a-9b6c-7d8e9f0a1b2c"
PATIENT_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"

VISIT = VisitCreate.model_validate(
    {
        "visit_id": "V-BC-0715",
        "visit_date": "2026-07-15",
        "visited_at": "2026-07-15T23:30:00",  # wall-clock time in Tijuana (UTC−7 in summer)
        "health_worker_id": "PROM-0099",
        "person": {
            "nombre": "JUANA",
            "primer_apellido": "RAMIREZ",
            "segundo_apellido": "SOTO",
            "fecha_nacimiento": "1944-02-02",
            "sexo": "M",
            "entidad": "BC",
            "municipio": "TIJUANA",
            "localidad": "TIJUANA",
            "domicilio": "AV. REVOLUCION 100",
            "latitud": 32.5149,
            "longitud": -117.0382,
        },
        "findings": {
            "conditions": [
                {"code": "E119", "display": "Diabetes mellitus tipo 2 sin complicaciones"},
                {
                    "codings": [
                        {
                            "system": "http://snomed.info/sct",
                            "code": "38341003",
                            "display": "Hipertensión arterial",
                        }
                    ]
                },
            ],
            "observations": [
                {
                    "code": "85354-9",
                    "components": [
                        {"code": "8480-6", "value": 165, "unit": "mm[Hg]"},
                        {"code": "8462-4", "value": 95, "unit": "mm[Hg]"},
                    ],
                },
                {"code": "2339-0", "value": 240, "unit": "mg/dL"},
            ],
            "functional_status": {
                "mobility": "encamada desde hace un año",
                "disability": ["discapacidad motriz"],
                "caregiver": "hija",
                "medication_needs": ["insulina NPH", "losartán"],
            },
        },
        "urgency": "routine",
    }
)


def snapshot() -> dict[str, Any]:
    content = visit_content.content_of(VISIT)
    decision = routing.choose(
        priority=VISIT.urgency,
        registry_units=[],
        nearby=[
            (routing.UnitOption("BCSSA000001", 1, True), 0.8),
            (routing.UnitOption(BRIGADE, 1, True, tipo_unidad="brigada"), 4.2),
        ],
        point=(32.5149, -117.0382),
        point_is_locality=False,
        care=content.care_requested,
        home_bound=content.home_bound,
        entidad="BC",
    )
    return {
        "id": REFERRAL_ID,
        "visit_pk": 1,
        "visit_id": VISIT.visit_id,
        "requester_client_id": "bienestar-1",
        "requester_worker_id": VISIT.health_worker_id,
        "status": "active",
        "priority": "routine",
        "patient_id": PATIENT_ID,
        "patient_provisional": True,
        "match_grade": "possible",
        "match_probability": 0.41,
        "performer_clues": decision.clues,
        "performer_org_id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
        "performer_name": "Brigada de Salud Tijuana",
        "tried_clues": [decision.clues],
        "required_level": 1,
        "origin_lat": 32.5149,
        "origin_lon": -117.0382,
        "routing_rule": decision.rule.value,
        "routing_reason": decision.reason,
        "distance_km": decision.distance_km,
        "reasons": content.conditions,
        "observations": content.observations,
        "note": None,
        "authored_on": "2026-07-16T06:31:05+00:00",
        "occurred_at": visit_content.occurred_at(VISIT).isoformat(),
        "time_zone": "America/Tijuana",
        "care_requested": content.care_requested,
        "home_bound": content.home_bound,
        "visit_context": visit_content.context_json(VISIT, content, decision.parts),
        "version": 1,
        "change_seq": 3,
        "created_at": "2026-07-16T06:31:05+00:00",
        "updated_at": "2026-07-16T06:31:05+00:00",
    }


TASK: dict[str, Any] = {
    "id": "5c1f8d2b-3a4e-4f6b-8c7d-9e0f1a2b3c4d",
    "referral_id": REFERRAL_ID,
    "previous_task_id": None,
    "visit_id": "V-BC-0715",
    "requester_client_id": "bienestar-1",
    "status": "requested",
    "priority": "routine",
    "business_status": None,
    "status_reason": None,
    "output": [],
    "patient_id": PATIENT_ID,
    "owner_clues": BRIGADE,
    "owner_org_id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
    "owner_name": "Brigada de Salud Tijuana",
    "home_visit": True,
    "authored_on": "2026-07-16T06:31:05+00:00",
    "version": 1,
    "change_seq": 4,
    "created_at": "2026-07-16T06:31:05+00:00",
    "updated_at": "2026-07-16T06:31:05+00:00",
}


def patient_view(s: dict[str, Any]) -> dict[str, Any]:
    p = VISIT.person
    return {
        "id": PATIENT_ID,
        "provisional": True,
        "nombre": p.nombre,
        "primer_apellido": p.primer_apellido,
        "segundo_apellido": p.segundo_apellido,
        "curp": None,
        "fecha_nacimiento": "1944-02-02",
        "sexo": "M",
        "entidad": p.entidad,
        "municipio": p.municipio,
        "localidad": p.localidad,
        "domicilio": p.domicilio,
        "telefono": None,
        "clues": None,
        "expediente": None,
        "roll_record_id": None,
        "updated_at": "2026-07-16T06:31:05+00:00",
        "version": 1,
        "match_grade": "possible",
        "visit_context": s["visit_context"],
    }


def _golden(name: str, value: Any) -> None:
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    assert value == json.loads(path.read_text())


def _render_all(lang: str) -> dict[str, Any]:
    settings = Settings()
    with messages.speaking(lang):
        s = snapshot()
        return {
            "service_request": service_request(s, settings),
            "task": task(TASK, settings),
            "patient": patient_resource(patient_view(s), settings),
            "conditions": conditions(s, visit_system=settings.system_visit),
            "observations": observations(s),
        }


MODELS = {"service_request": ServiceRequest, "task": Task, "patient": Patient}


@pytest.mark.parametrize("name", ["service_request", "task", "patient", "conditions", "observations"])
def test_golden_resources_validate_and_speak_spanish(name: str) -> None:
    rendered = _render_all("es-MX")[name]
    if name == "conditions":
        assert len(rendered) == 2
        for c in rendered:
            Condition.model_validate(c)
    elif name == "observations":
        assert len(rendered) == 2 + 5  # two measurements, five home findings
        for o in rendered:
            Observation.model_validate(o)
    else:
        MODELS[name].model_validate(rendered)
    _golden(name, rendered)


def test_what_the_unit_reads() -> None:
    r = _render_all("es-MX")
    sr, t, patient = r["service_request"], r["task"], r["patient"]
    # What is asked, from the default rule: home-bound → a home assessment, by a home-visit capable unit.
    assert sr["code"]["coding"][0] == {
        "system": "https://www.gob.mx/bienestar/fhir/CodeSystem/atencion-solicitada",
        "code": "valoracion-domiciliaria",
        "display": "Valoración domiciliaria",
    }
    assert sr["performer"][0]["identifier"]["value"] == BRIGADE
    assert "no puede salir de su domicilio" in sr["note"][0]["text"]
    assert t["description"] == "Visita domiciliaria"
    assert sr["locationCode"][0]["coding"][0]["code"] == "PTRES"
    # When: the visit, 23:30 in Tijuana (UTC−7 in July), not the server's receipt.
    assert sr["occurrenceDateTime"] == sr["authoredOn"] == "2026-07-15T23:30:00-07:00"
    assert all(o["effectiveDateTime"] == "2026-07-15T23:30:00-07:00" for o in r["observations"])
    # Where the person was found reaches the unit, on the request and on the Patient (use home, period).
    found = next(e for e in sr["extension"] if e["url"].endswith("lugar-encontrado"))["valueAddress"]
    assert found["line"] == ["AV. REVOLUCION 100"]
    assert found["period"] == {"start": "2026-07-15"}
    assert patient["address"][0]["use"] == "home"
    assert patient["address"][0]["period"] == {"start": "2026-07-15"}
    # Findings as found: provisional, every coding kept, the CIE-10 code normalised.
    first, second = r["conditions"]
    assert {c["verificationStatus"]["coding"][0]["code"] for c in r["conditions"]} == {"provisional"}
    assert first["code"]["coding"][0]["code"] == "E11.9"
    assert second["code"]["coding"] == [
        {"system": "http://snomed.info/sct", "code": "38341003", "display": "Hipertensión arterial"}
    ]
    assert sr["reasonReference"] == [{"reference": f"Condition/{c['id']}"} for c in r["conditions"]]
    bp = r["observations"][0]
    assert bp["code"]["text"] == "Presión arterial"
    assert bp["component"][0]["valueQuantity"] == {
        "value": 165.0,
        "unit": "mm[Hg]",
        "system": "http://unitsofmeasure.org",
        "code": "mm[Hg]",
    }
    home = {o["code"]["coding"][0]["code"]: o for o in r["observations"][2:]}
    assert home["discapacidad"]["valueCodeableConcept"]["coding"][0]["code"] == "fisica"
    assert home["movilidad"]["valueCodeableConcept"]["coding"][0]["code"] == "encamado"
    assert home["no-sale-de-casa"]["valueBoolean"] is True
    assert home["persona-cuidadora"]["valueString"] == "hija"


def test_the_same_resources_in_english_on_request() -> None:
    r = _render_all("en")
    sr = r["service_request"]
    assert sr["code"]["coding"][0]["display"] == "Home assessment"
    assert "cannot leave home" in sr["note"][0]["text"]
    assert r["task"]["description"] == "Home visit"
    assert r["conditions"][0]["verificationStatus"]["coding"][0]["display"] == "Provisional"
    # The stored reason stays es-MX; only its rendering changes.
    assert "no puede salir" in snapshot()["routing_reason"]


def test_care_requested_code_system_validates_with_both_languages() -> None:
    with messages.speaking("es-MX"):
        cs = code_system(CARE)
    CodeSystem.model_validate(cs)
    assert [c["code"] for c in cs["concept"]] == [
        "consulta-primer-nivel",
        "valoracion-domiciliaria",
        "especialidad",
        "laboratorio",
        "urgencias",
    ]
    home = cs["concept"][1]
    assert home["display"] == "Valoración domiciliaria"
    assert home["designation"] == [{"language": "en", "value": "Home assessment"}]
    _golden("codesystem_atencion_solicitada", cs)
