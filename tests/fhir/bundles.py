"""A visit finding as a FHIR transaction Bundle (DESIGN.md), synthetic data."""

from __future__ import annotations

from typing import Any

FATHERS = "http://hl7.org/fhir/StructureDefinition/humanname-fathers-family"
MOTHERS = "http://hl7.org/fhir/StructureDefinition/humanname-mothers-family"


def visit_bundle(
    visit_id: str, *, priority: str = "urgent", lat: float | None = 19.4326, lon: float | None = -99.1332
) -> dict[str, Any]:
    address: dict[str, Any] = {
        "line": ["CALLE 5 DE MAYO 10"],
        "city": "CENTRO",
        "district": "CUAUHTEMOC",
        "state": "DF",
        "country": "MX",
    }
    if lat is not None and lon is not None:
        address["extension"] = [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/geolocation",
                "extension": [
                    {"url": "latitude", "valueDecimal": lat},
                    {"url": "longitude", "valueDecimal": lon},
                ],
            }
        ]
    patient = {
        "resourceType": "Patient",
        "identifier": [{"system": "https://www.gob.mx/bienestar/padron", "value": "PAM-000123"}],
        "name": [
            {
                "use": "official",
                "family": "PEREZ LOPEZ",
                "_family": {
                    "extension": [
                        {"url": FATHERS, "valueString": "PEREZ"},
                        {"url": MOTHERS, "valueString": "LOPEZ"},
                    ]
                },
                "given": ["ROSA", "MARIA"],
            }
        ],
        "gender": "female",
        "birthDate": "1950-03-14",
        "address": [address],
    }
    condition = {
        "resourceType": "Condition",
        "subject": {"reference": "urn:uuid:11111111-1111-4111-8111-111111111111"},
        "code": {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/sid/icd-10",
                    "code": "I10",
                    "display": "Hipertension esencial",
                }
            ]
        },
    }
    bp = {
        "resourceType": "Observation",
        "status": "final",
        "subject": {"reference": "urn:uuid:11111111-1111-4111-8111-111111111111"},
        "code": {
            "coding": [{"system": "http://loinc.org", "code": "85354-9", "display": "Blood pressure panel"}]
        },
        "component": [
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                "valueQuantity": {
                    "value": 170,
                    "unit": "mmHg",
                    "system": "http://unitsofmeasure.org",
                    "code": "mm[Hg]",
                },
            },
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                "valueQuantity": {
                    "value": 100,
                    "unit": "mmHg",
                    "system": "http://unitsofmeasure.org",
                    "code": "mm[Hg]",
                },
            },
        ],
    }
    sr = {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "priority": priority,
        "identifier": [{"system": "https://www.gob.mx/bienestar/visita", "value": visit_id}],
        "subject": {"reference": "urn:uuid:11111111-1111-4111-8111-111111111111"},
        "authoredOn": "2026-11-20T10:30:00-06:00",
        "requester": {"identifier": {"system": "https://www.gob.mx/bienestar/promotor", "value": "PROM-7"}},
        "reasonReference": [{"reference": "urn:uuid:22222222-2222-4222-8222-222222222222"}],
        "note": [{"text": "Cefalea intensa"}],
    }
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:11111111-1111-4111-8111-111111111111",
                "resource": patient,
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": "urn:uuid:22222222-2222-4222-8222-222222222222",
                "resource": condition,
                "request": {"method": "POST", "url": "Condition"},
            },
            {
                "fullUrl": "urn:uuid:33333333-3333-4333-8333-333333333333",
                "resource": bp,
                "request": {"method": "POST", "url": "Observation"},
            },
            {
                "fullUrl": "urn:uuid:44444444-4444-4444-8444-444444444444",
                "resource": sr,
                "request": {"method": "POST", "url": "ServiceRequest"},
            },
        ],
    }
