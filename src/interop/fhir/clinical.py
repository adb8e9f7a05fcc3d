"""Condition and Observation of visits: what a home visit found, as found (issue 17).

Mapping (pure) from a referral snapshot; the routes ``GET /fhir/Condition[/{id}]`` and
``GET /fhir/Observation[/{id}]`` (ids ``{referral id}-c{n}``, ``-o{n}``, ``-f{n}``) live in
``clinical_routes``, visible to whoever may see the referral. A community worker's finding is a
suspicion: every Condition is ``verificationStatus = provisional`` and keeps every coding it came with
and its words; an Observation's ``effective`` is the visit's time, a text finding is ``code.text``,
never a code. Searches by ``date`` (Observation) and ``recorded-date`` (Condition) cut days in the zone
of the unit the referral went to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from interop import messages
from interop.fhir.codesystems import DISABILITY, HOME_FINDINGS, MOBILITY
from interop.referral import finding_checks as findings

ICD10, SNOMED, LOINC = findings.ICD10, findings.SNOMED, findings.LOINC
UCUM = "http://unitsofmeasure.org"
HEALTH_WORKER_SYSTEM = "https://www.gob.mx/bienestar/promotor"
TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"
GEOLOCATION = "http://hl7.org/fhir/StructureDefinition/geolocation"


def visit_time(s: dict[str, Any]) -> str:
    """When the visit was: the instant in the unit's zone (its offset shown), or the day alone when only
    the day was given; rows older than issue 17 fall back to the referral's receipt."""
    ctx = s.get("visit_context") or {}
    if ctx.get("visit_date") and not ctx.get("visit_time_known"):
        return str(ctx["visit_date"])
    if s.get("occurred_at") and s.get("time_zone"):
        return datetime.fromisoformat(s["occurred_at"]).astimezone(ZoneInfo(s["time_zone"])).isoformat()
    return str(s["authored_on"])


def _concept(code: str, system_url: str, display: str, text: str | None = None) -> dict[str, Any]:
    return {"coding": [{"system": system_url, "code": code, "display": display}], "text": text or display}


def _worker(s: dict[str, Any]) -> dict[str, Any] | None:
    if not s.get("requester_worker_id"):
        return None
    return {
        "identifier": {"system": HEALTH_WORKER_SYSTEM, "value": s["requester_worker_id"]},
        "display": messages.text("display.health_worker"),
    }


def conditions(s: dict[str, Any], *, visit_system: str) -> list[dict[str, Any]]:
    """The referral's findings; each carries the identifiers of the visits that found it (the first
    visit's when a finding does not say), so ``Condition?identifier=`` by visit finds it."""
    out = []
    for i, r in enumerate(s.get("reasons") or []):
        codings = r.get("codings")
        if codings is None:  # stored before issue 17: a CIE-10 code and its display
            codings = [
                {
                    "system": ICD10,
                    "code": r["code"],
                    **({"display": r["display"]} if r.get("display") else {}),
                }
            ]
        code: dict[str, Any] = {}
        if codings:
            code["coding"] = [dict(c) for c in codings]
        text = r.get("text") or r.get("display")
        if text:
            code["text"] = text
        res: dict[str, Any] = {
            "resourceType": "Condition",
            "id": f"{s['id']}-c{i}",
            "meta": {
                "versionId": "1",
                "lastUpdated": s["created_at"] if s.get("created_at") else s["updated_at"],
            },
            "identifier": [
                {"system": visit_system, "value": v} for v in r.get("visit_ids") or [s["visit_id"]]
            ],
            "clinicalStatus": _concept(
                "active", f"{TERMINOLOGY}condition-clinical", messages.text("display.active")
            ),
            "verificationStatus": _concept(
                "provisional", f"{TERMINOLOGY}condition-ver-status", messages.text("display.provisional")
            ),
            "category": [
                _concept(
                    "problem-list-item",
                    f"{TERMINOLOGY}condition-category",
                    messages.text("display.finding_text"),
                )
            ],
            "code": code,
            "subject": {"reference": f"Patient/{s['patient_id']}"},
            "recordedDate": visit_time(s),
        }
        worker = _worker(s)
        if worker:
            res["asserter"] = worker
        out.append(res)
    return out


def _quantity(value: Any, unit: str | None, code: str | None, checked: bool) -> dict[str, Any]:
    q: dict[str, Any] = {"value": value}
    if unit:
        q["unit"] = unit
        if checked:  # a UCUM code only where the unit was checked against the vital's UCUM unit
            q["system"], q["code"] = UCUM, unit
    return q


def _vital_concept(code: str, display: str | None) -> dict[str, Any]:
    vital = findings.VITALS.get(code)
    key = vital.display_key if vital else findings.PANELS.get(code)
    shown = messages.text(key) if key else display
    coding: dict[str, Any] = {"system": LOINC, "code": code}
    if shown:
        coding["display"] = shown
    concept: dict[str, Any] = {"coding": [coding]}
    if shown or display:
        concept["text"] = shown or display
    return concept


def _category(code: str) -> dict[str, Any]:
    return _concept(
        code, f"{TERMINOLOGY}observation-category", messages.text(f"display.{code.replace('-', '_')}")
    )


def _measured(s: dict[str, Any], i: int, o: dict[str, Any]) -> dict[str, Any]:
    vital = o.get("code") in findings.VITALS or o.get("code") in findings.PANELS
    obs: dict[str, Any] = {"resourceType": "Observation", "id": f"{s['id']}-o{i}"}
    if o.get("code") == "disability":  # stored before issue 17
        obs["code"] = {"text": messages.text("display.disability")}
    elif o.get("code"):
        obs["code"] = _vital_concept(o["code"], o.get("display"))
    else:
        obs["code"] = {"text": o.get("text") or o.get("display")}
    obs["status"] = "final" if o.get("value") is not None or o.get("components") else "preliminary"
    if vital:
        obs["category"] = [_category("vital-signs")]
    if o.get("value") is not None:
        obs["valueQuantity"] = _quantity(
            o["value"], o.get("unit"), o.get("code"), o.get("code") in findings.VITALS
        )
    elif o.get("value_text"):
        obs["valueString"] = o["value_text"]
    comps = []
    for c in o.get("components") or []:
        comp: dict[str, Any] = {"code": _vital_concept(c["code"], c.get("display"))}
        if c.get("value") is not None:
            comp["valueQuantity"] = _quantity(
                c["value"], c.get("unit"), c["code"], c["code"] in findings.VITALS
            )
        elif c.get("value_text"):
            comp["valueString"] = c["value_text"]
        comps.append(comp)
    if comps:
        obs["component"] = comps
    return obs


def _home_findings(s: dict[str, Any]) -> list[dict[str, Any]]:
    """Functional status as coded Observations (``hallazgo-domiciliario``), Spanish displays."""
    fs_ = (s.get("visit_context") or {}).get("functional_status") or {}
    found: list[tuple[str, dict[str, Any]]] = []
    if fs_.get("disability") or fs_.get("disability_text"):
        coded = [
            {"system": DISABILITY.url, "code": k, "display": messages.text(f"disability.{k}")}
            for k in fs_.get("disability") or []
        ]
        value: dict[str, Any] = {"text": fs_.get("disability_text") or ", ".join(c["display"] for c in coded)}
        if coded:
            value["coding"] = coded
        found.append(("discapacidad", {"valueCodeableConcept": value}))
    if fs_.get("mobility") or fs_.get("mobility_text"):
        value = {"text": fs_.get("mobility_text") or messages.text(f"mobility.{fs_['mobility']}")}
        if fs_.get("mobility"):
            m = fs_["mobility"]
            value["coding"] = [{"system": MOBILITY.url, "code": m, "display": messages.text(f"mobility.{m}")}]
        found.append(("movilidad", {"valueCodeableConcept": value}))
    if s.get("home_bound"):
        found.append(("no-sale-de-casa", {"valueBoolean": True}))
    if fs_.get("caregiver"):
        found.append(("persona-cuidadora", {"valueString": fs_["caregiver"]}))
    if fs_.get("medication_needs"):
        found.append(("necesidades-medicamentos", {"valueString": "; ".join(fs_["medication_needs"])}))
    return [
        {
            "resourceType": "Observation",
            "id": f"{s['id']}-f{n}",
            "status": "final",
            "category": [_category("survey")],
            "code": _concept(code, HOME_FINDINGS.url, messages.text(f"home_finding.{code}")),
            **value,
        }
        for n, (code, value) in enumerate(found)
    ]


def observations(s: dict[str, Any]) -> list[dict[str, Any]]:
    out = [_measured(s, i, o) for i, o in enumerate(s.get("observations") or [])] + _home_findings(s)
    for obs in out:
        obs["meta"] = {"versionId": "1", "lastUpdated": s.get("created_at") or s["updated_at"]}
        obs["subject"] = {"reference": f"Patient/{s['patient_id']}"}
        obs["effectiveDateTime"] = visit_time(s)
        worker = _worker(s)
        if worker:
            obs["performer"] = [worker]
        # Keep the element order FHIR shows: meta after id.
        obs_meta = obs.pop("meta")
        obs_rest = {k: obs.pop(k) for k in list(obs) if k not in ("resourceType", "id")}
        obs.update({"meta": obs_meta, **obs_rest})
    return out


def place_found(s: dict[str, Any]) -> dict[str, Any] | None:
    """Where the visit found the person, as an Address of use ``home`` from the visit day on."""
    ctx = s.get("visit_context") or {}
    place = ctx.get("place_found") or {}
    if not place:
        return None
    address: dict[str, Any] = {"use": "home", "type": "physical"}
    if place.get("domicilio"):
        address["line"] = [place["domicilio"]]
    for src, dst in (("localidad", "city"), ("municipio", "district"), ("entidad", "state")):
        if place.get(src):
            address[dst] = place[src]
    address["country"] = "MX"
    if ctx.get("visit_date"):
        address["period"] = {"start": ctx["visit_date"]}
    if place.get("latitud") is not None and place.get("longitud") is not None:
        address["extension"] = [
            {
                "url": GEOLOCATION,
                "extension": [
                    {"url": "latitude", "valueDecimal": place["latitud"]},
                    {"url": "longitude", "valueDecimal": place["longitud"]},
                ],
            }
        ]
    return address
