"""``POST /fhir`` with a transaction Bundle holding a visit finding (DESIGN.md, "A visit finding as FHIR").

The Bundle becomes the same ``VisitCreate`` that ``/v1/visits`` takes, so both paths share one idempotency
key and one request hash. Conditions and Observations are kept inside the ServiceRequest (as reasonCode and
contained Observations), so their transaction-response entries say so instead of pointing at new resources.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Request
from fhir.resources.R4B.bundle import Bundle as BundleModel
from pydantic import ValidationError

from interop.api.deps import SessionDep
from interop.auth.dependencies import require
from interop.config import Settings
from interop.context import RequestContext
from interop.errors import Invalid
from interop.fhir import search as fs
from interop.fhir.capability import register_system_interaction
from interop.fhir.outcome import operation_outcome
from interop.fhir.patient import FATHERS, MOTHERS
from interop.fhir.referral_resources import ICD10, LOINC
from interop.fhir.responses import FhirResponse
from interop.referral import service as referral_service
from interop.referral.schemas import VisitCreate, VisitResult

router = APIRouter(tags=["fhir"])


GEOLOCATION = "http://hl7.org/fhir/StructureDefinition/geolocation"
CARE_REQUESTED = "https://www.gob.mx/bienestar/fhir/CodeSystem/atencion-solicitada"  # s17's CodeSystem
SEX = {"male": "H", "female": "M", "other": "X"}


def _ext(extensions: list[dict[str, Any]] | None, url: str) -> dict[str, Any] | None:
    return next((e for e in extensions or [] if e.get("url") == url), None)


def _person(patient: dict[str, Any], settings: Settings) -> dict[str, Any]:
    person: dict[str, Any] = {}
    for ident in patient.get("identifier") or []:
        if ident.get("system") == settings.system_curp:
            person["curp"] = ident.get("value")
        elif ident.get("system") == settings.system_roll:
            person["roll_record_id"] = ident.get("value")
    names = patient.get("name") or []
    name = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    if name.get("given"):
        person["nombre"] = " ".join(name["given"])
    fam_ext = (name.get("_family") or {}).get("extension")
    fathers, mothers = _ext(fam_ext, FATHERS), _ext(fam_ext, MOTHERS)
    if fathers:
        person["primer_apellido"] = fathers.get("valueString")
        if mothers:
            person["segundo_apellido"] = mothers.get("valueString")
    elif name.get("family"):
        # Without the extensions the split is a guess: first word paternal, the rest maternal.
        first, _, rest = name["family"].partition(" ")
        person["primer_apellido"] = first
        if rest:
            person["segundo_apellido"] = rest
    if patient.get("birthDate"):
        person["fecha_nacimiento"] = patient["birthDate"]
    if patient.get("gender") in SEX:
        person["sexo"] = SEX[patient["gender"]]
    phone = next((t for t in patient.get("telecom") or [] if t.get("system") == "phone"), None)
    if phone:
        person["telefono"] = phone.get("value")
    addresses = patient.get("address") or []
    if addresses:
        a = addresses[0]
        for src, dst in (("state", "entidad"), ("district", "municipio"), ("city", "localidad")):
            if a.get(src):
                person[dst] = a[src]
        if a.get("line"):
            person["domicilio"] = ", ".join(a["line"])
        geo = _ext(a.get("extension"), GEOLOCATION)
        if geo:
            for part in geo.get("extension") or []:
                if part.get("url") == "latitude":
                    person["latitud"] = part.get("valueDecimal")
                elif part.get("url") == "longitude":
                    person["longitud"] = part.get("valueDecimal")
    return person


def _coding(concept: dict[str, Any] | None, system: str) -> dict[str, Any] | None:
    return next((c for c in (concept or {}).get("coding") or [] if c.get("system") == system), None)


def _observation(obs: dict[str, Any]) -> dict[str, Any] | None:
    coding = _coding(obs.get("code"), LOINC)
    if coding is None:
        text = (obs.get("code") or {}).get("text")
        if not text:
            return None
        out: dict[str, Any] = {"code": "disability" if "disab" in text.lower() else text[:32]}
    else:
        out = {
            "code": coding.get("code"),
            **({"display": coding["display"]} if coding.get("display") else {}),
        }
    q = obs.get("valueQuantity")
    if q:
        out["value"] = q.get("value")
        out["unit"] = q.get("code") or q.get("unit")
    elif obs.get("valueString"):
        out["value_text"] = obs["valueString"]
    elif obs.get("valueCodeableConcept"):
        cc = obs["valueCodeableConcept"]
        out["value_text"] = cc.get("text") or ((cc.get("coding") or [{}])[0].get("display"))
    comps = []
    for comp in obs.get("component") or []:
        cc = _coding(comp.get("code"), LOINC)
        cq = comp.get("valueQuantity") or {}
        if cc and cq.get("value") is not None:
            comps.append(
                {"code": cc.get("code"), "value": cq["value"], "unit": cq.get("code") or cq.get("unit")}
            )
    if comps:
        out["components"] = comps
    return out


def visit_from_bundle(bundle: dict[str, Any], settings: Settings) -> VisitCreate:
    """Map a visit-finding transaction Bundle to a ``VisitCreate``; 422 names what is missing."""
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
        raise Invalid("POST /fhir takes a transaction Bundle")
    try:
        BundleModel.model_validate(bundle)
    except ValidationError as exc:
        raise Invalid(
            f"not a valid Bundle: {exc.error_count()} problem(s), first at {fs.first_problem(exc)}"
        ) from None
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in bundle.get("entry") or []:
        res = entry.get("resource") or {}
        method = (entry.get("request") or {}).get("method")
        if method != "POST":
            raise Invalid("every entry of a visit Bundle is a POST")
        by_type.setdefault(res.get("resourceType", ""), []).append(res)
    unknown = set(by_type) - {"Patient", "Condition", "Observation", "ServiceRequest"}
    if unknown:
        raise Invalid(f"unsupported resources in a visit Bundle: {', '.join(sorted(unknown))}")
    if len(by_type.get("Patient", [])) != 1 or len(by_type.get("ServiceRequest", [])) != 1:
        raise Invalid("a visit Bundle holds exactly one Patient and one ServiceRequest")
    sr = by_type["ServiceRequest"][0]
    visit_ident = next(
        (i for i in sr.get("identifier") or [] if i.get("system") == settings.system_visit), None
    )
    if visit_ident is None:
        raise Invalid(f"the ServiceRequest needs an identifier with system {settings.system_visit}")
    when = sr.get("authoredOn") or sr.get("occurrenceDateTime")
    if not when:
        raise Invalid("the ServiceRequest needs authoredOn (the visit date)")
    visit_date = date.fromisoformat(when[:10]) if len(when) >= 10 else datetime.fromisoformat(when).date()
    worker = ((sr.get("requester") or {}).get("identifier") or {}).get("value") or (
        sr.get("requester") or {}
    ).get("display")
    conditions = []
    for cond in by_type.get("Condition", []):
        coding = _coding(cond.get("code"), ICD10)
        if coding:
            conditions.append(
                {
                    "code": coding.get("code"),
                    **({"display": coding["display"]} if coding.get("display") else {}),
                }
            )
    for concept in sr.get("reasonCode") or []:
        coding = _coding(concept, ICD10)
        if coding and all(c["code"] != coding.get("code") for c in conditions):
            conditions.append({"code": coding.get("code")})
    observations = [o for o in (_observation(x) for x in by_type.get("Observation", [])) if o is not None]
    disability = next((o.get("value_text") for o in observations if o["code"] == "disability"), None)
    observations = [o for o in observations if o["code"] != "disability"]
    note = "\n".join(n.get("text", "") for n in sr.get("note") or [] if n.get("text")) or None
    payload = {
        "visit_id": visit_ident.get("value"),
        "visit_date": visit_date.isoformat(),
        "health_worker_id": worker,
        "person": _person(by_type["Patient"][0], settings),
        "findings": {
            "conditions": conditions,
            "observations": observations,
            **({"disability": disability} if disability else {}),
        },
        "urgency": sr.get("priority") or "routine",
        "note": note,
    }
    asked = _coding(sr.get("code"), CARE_REQUESTED)
    if asked and asked.get("code"):
        payload["care_requested"] = asked["code"]
    try:
        return VisitCreate.model_validate(payload)
    except ValidationError as exc:
        problems = "; ".join(".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in exc.errors()[:10])
        raise Invalid(f"the visit Bundle is incomplete: {problems}") from None


@router.post(
    "",
    summary="Transaction Bundle: a visit finding becomes a referral",
    response_class=FhirResponse,
    responses={
        409: {"description": "Key reused with a different body"},
        422: {"description": "Not a valid visit Bundle"},
    },
)
async def transaction(
    request: Request,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("Bundle", "c"))],
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> FhirResponse:
    settings: Settings = request.app.state.settings
    try:
        bundle = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise Invalid("the body is not JSON") from None
    visit = visit_from_bundle(bundle, settings)
    posted = await referral_service.post_visit(
        session, ctx, visit=visit, idempotency_key=idempotency_key, settings=settings
    )
    r = posted.result
    status = "201 Created" if posted.created else "200 OK"
    entries = []
    for entry in bundle.get("entry") or []:
        kind = entry["resource"]["resourceType"]
        if kind == "ServiceRequest":
            resp = _service_request_entry(r, status)
        elif kind == "Patient":
            resp = {"status": status, "location": r.match.patient}
        else:
            resp = {
                "status": "200 OK",
                "outcome": operation_outcome(
                    code="informational",
                    severity="information",
                    diagnostics=f"kept inside {r.service_request or 'the visit'} "
                    "(reasonCode / contained Observation)",
                ),
            }
        entries.append({"response": resp})
    return FhirResponse(
        {"resourceType": "Bundle", "type": "transaction-response", "entry": entries}, status_code=200
    )


def _service_request_entry(r: VisitResult, status: str) -> dict[str, Any]:
    """The ServiceRequest's entry: created (version 1), added to the open referral of the same person
    and need (its current version), or waiting to be routed."""
    if r.service_request is None:
        return {"status": status}
    if r.unit is None or r.routing is None:
        where = f"waiting to be routed ({r.routing.reason if r.routing else ''})"
    else:
        where = f"{r.task} owned by {r.unit.clues}; routing {r.routing.rule}: {r.routing.reason}"
    if r.referral == "added":
        where = f"added to the open referral of the same person and need; {where}"
    info = f"{where}; match grade {r.match.grade}"
    resp: dict[str, Any] = {
        "status": status,
        "outcome": operation_outcome(code="informational", diagnostics=info, severity="information"),
    }
    if r.referral == "added":
        resp["location"] = r.service_request
    else:
        resp["location"] = f"{r.service_request}/_history/1"
        resp["etag"] = 'W/"1"'
    return resp


def install(parent: APIRouter) -> None:
    """Add ``POST`` on the parent's own path (``/fhir``)."""
    parent.add_api_route(
        "",
        transaction,
        methods=["POST"],
        summary="Transaction Bundle: a visit finding becomes a referral",
        response_class=FhirResponse,
        tags=["fhir"],
        responses={
            409: {"description": "Key reused with a different body"},
            422: {"description": "Not a valid visit Bundle"},
        },
    )


register_system_interaction("transaction")
