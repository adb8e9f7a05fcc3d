"""Patient read and search: registry patients (through the referral domain, which asks the registry) and
provisional patients built from visits (tagged ``provisional`` until a reviewer links them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from interop import messages
from interop.api.deps import SessionDep, SettingsDep
from interop.api.policy import require
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.config import Settings
from interop.context import RequestContext
from interop.fhir import search as fs
from interop.fhir.capability import ResourceCapability, register
from interop.fhir.clinical import place_found
from interop.fhir.instance import resource_id
from interop.fhir.patient_identity import FATHERS, GENDER_OF_SEX, MOTHERS
from interop.fhir.responses import FhirResponse
from interop.referral import service as referral_service
from interop.referral.errors import ReferralNotFound

router = APIRouter(tags=["fhir"])

TAG_SYSTEM = "https://www.gob.mx/bienestar/fhir/CodeSystem/patient-tag"


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def patient_resource(p: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """A patient view (registry or provisional) as an R4 Patient; names per DESIGN.md."""
    res: dict[str, Any] = {
        "resourceType": "Patient",
        "id": p["id"],
        "meta": {"versionId": str(p.get("version") or 1), "lastUpdated": _iso(p["updated_at"])},
    }
    tags = []
    if p.get("provisional"):
        tags.append(
            {
                "system": TAG_SYSTEM,
                "code": "provisional",
                "display": messages.text("display.provisional_patient"),
            }
        )
    if p.get("under_review"):
        tags.append(
            {"system": TAG_SYSTEM, "code": "identity-under-review", "display": "Identidad en revisión"}
        )
    if p.get("known_pensioner"):
        tags.append(
            {
                "system": TAG_SYSTEM,
                "code": "known-pensioner",
                "display": "Pensionado del padrón, sin expediente",
            }
        )
    if tags:
        res["meta"]["tag"] = tags
    identifiers = []
    if p.get("curp"):
        identifiers.append({"system": settings.system_curp, "value": p["curp"]})
    if p.get("expediente") and p.get("clues"):
        identifiers.append(
            {
                "system": settings.system_expediente_template.replace("{CLUES}", p["clues"]),
                "value": p["expediente"],
            }
        )
    if p.get("roll_record_id"):
        identifiers.append({"system": settings.system_roll, "value": p["roll_record_id"]})
    if identifiers:
        res["identifier"] = identifiers
    surnames = [s for s in (p.get("primer_apellido"), p.get("segundo_apellido")) if s]
    name: dict[str, Any] = {"use": "official"}
    if surnames:
        name["family"] = " ".join(surnames)
        ext = [{"url": FATHERS, "valueString": p["primer_apellido"]}] if p.get("primer_apellido") else []
        if p.get("segundo_apellido"):
            ext.append({"url": MOTHERS, "valueString": p["segundo_apellido"]})
        name["_family"] = {"extension": ext}
    if p.get("nombre"):
        name["given"] = p["nombre"].split()
    if len(name) > 1:
        res["name"] = [name]
    if p.get("sexo") in GENDER_OF_SEX:
        res["gender"] = GENDER_OF_SEX[p["sexo"]]
    if p.get("fecha_nacimiento"):
        res["birthDate"] = _iso(p["fecha_nacimiento"])
    if p.get("telefono"):
        res["telecom"] = [{"system": "phone", "value": p["telefono"]}]
    address = {
        k: v
        for k, v in (
            ("line", [p["domicilio"]] if p.get("domicilio") else None),
            ("city", p.get("localidad")),
            ("district", p.get("municipio")),
            ("state", p.get("entidad")),
        )
        if v
    }
    if address:
        res["address"] = [{"country": "MX", **address}]
    home = place_found({"visit_context": p["visit_context"]}) if p.get("visit_context") else None
    if home is not None:
        # Where the visit found the person, from that day: first. A provisional Patient's own address is
        # the same visit's, so it is replaced; a registry Patient keeps the registry's after it.
        res["address"] = [home] if p.get("provisional") else [home, *res.get("address", [])]
    if p.get("clues"):
        res["managingOrganization"] = {"identifier": {"system": settings.system_clues, "value": p["clues"]}}
    return res


@router.get("/Patient", summary="Search Patients (registry and provisional)", response_class=FhirResponse)
async def search_patient(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Patient", "s"))],
) -> FhirResponse:
    params = fs.params_of(request, ("_id", "identifier"), settings)
    cursor = fs.parse_cursor(params.get("_cursor"))
    ids = [fs.parse_uuid(v, what="_id") for v in fs.split_or(params["_id"])] if "_id" in params else None
    curps: list[str] | None = None
    if "identifier" in params:
        curps = []
        for raw in fs.split_or(params["identifier"]):
            system, value = fs.parse_token(raw)
            if system not in (None, settings.system_curp):
                raise fs.BadSearch.said("fhir.search.patient_identifier_curp")
            curps.append(value.upper())
    count_only = fs.count_only(params.get("_summary"))
    scope = await referral_service.scope_for(session, ctx)
    views, next_cursor, total = await referral_service.search_patients(
        session,
        scope=scope,
        ids=ids,
        curps=curps,
        count=1 if count_only else fs.parse_count(params.get("_count")),
        cursor=cursor,
        with_total=count_only or fs.wants_total(params.get("_total")),
    )
    if count_only:  # the number alone: no patient is disclosed, so the audit event names none
        views, next_cursor = [], None
    await audit_service.record(
        session,
        ctx,
        action="E",
        subtype="search-type",
        entities=[AuditEntity(type="Patient", id=v["id"]) for v in views],
        patients=[f"Patient/{v['id']}" for v in views],
        query=fs.redacted_query(request),
    )
    return FhirResponse(
        fs.searchset(
            request,
            base=fs.base_url(request, settings),
            resource_type="Patient",
            matches=[patient_resource(v, settings) for v in views],
            total=total,
            next_cursor=next_cursor,
        )
    )


@router.get("/Patient/{patient_id}", summary="Read a Patient", response_class=FhirResponse)
async def read_patient(
    patient_id: str,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Patient", "r"))],
) -> FhirResponse:
    pid = resource_id(patient_id, ReferralNotFound.said("referral.not_found", kind="Patient"))
    scope = await referral_service.scope_for(session, ctx)
    view = await referral_service.get_patient(session, scope=scope, patient_id=pid)
    res = patient_resource(view, settings)
    await audit_service.record(
        session,
        ctx,
        action="R",
        subtype="read",
        entities=[AuditEntity(type="Patient", id=patient_id)],
        patients=[f"Patient/{patient_id}"],
    )
    return FhirResponse(res, headers={"ETag": f'W/"{res["meta"]["versionId"]}"'})


register(
    ResourceCapability(
        type="Patient",
        interactions=["read", "search-type"],
        search_params=[
            ("_id", "token", "Logical id"),
            ("identifier", "token", "CURP (system|value)"),
            ("_count", "number", "Page size"),
        ],
        # One capability entry per type: the $match route (fhir/match.py) is listed here with the rest.
        operations=[("match", "http://hl7.org/fhir/OperationDefinition/Patient-match")],
    )
)
