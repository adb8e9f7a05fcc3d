"""Organization read and search: the CLUES catalogue as FHIR R4 Organizations.

The id is the unit's ``organization_id``; identifiers are its current CLUES (``use`` official) and, for
a unit that moved to IMSS-Bienestar, its former code (``use`` old), both in the CLUES system. Search
by ``identifier`` answers to either code.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Request

from interop.api.deps import SessionDep, SettingsDep
from interop.api.policy import require
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.config import Settings
from interop.context import RequestContext
from interop.errors import NotFound
from interop.fhir import search as fs
from interop.fhir.capability import ResourceCapability, register
from interop.fhir.responses import FhirResponse
from interop.identity.states import state_code
from interop.units import service as units_service

router = APIRouter(tags=["fhir"])

LEVEL_SYSTEM = "https://www.gob.mx/imss-bienestar/fhir/CodeSystem/nivel-atencion"
ORG_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/organization-type"
GEOLOCATION = "http://hl7.org/fhir/StructureDefinition/geolocation"
SEARCH_PARAMS = ("_id", "identifier", "name", "address-state", "_lastUpdated")
_LEVELS = {1: "primer nivel", 2: "segundo nivel (hospital)", 3: "tercer nivel (especialidad)"}

register(
    ResourceCapability(
        type="Organization",
        interactions=["read", "search-type"],
        versioning="no-version",
        search_params=[
            ("_id", "token", "Logical id"),
            ("identifier", "token", "CLUES, current or former ([system|]code)"),
            ("name", "string", "Name: a word of it starts with the value (case and accents ignored)"),
            ("address-state", "string", "Entidad: two-letter CURP code or state name"),
            ("_lastUpdated", "date", "Last change (prefixes gt, ge, lt, le, eq)"),
            ("_count", "number", "Page size"),
        ],
    )
)


class OrganizationNotFound(NotFound):
    code = "organization-not-found"


def organization_resource(unit: units_service.Unit, settings: Settings) -> dict[str, Any]:
    identifiers = [{"use": "official", "system": settings.system_clues, "value": unit.clues}]
    if unit.clues_anterior:
        identifiers.append({"use": "old", "system": settings.system_clues, "value": unit.clues_anterior})
    address: dict[str, Any] = {"state": unit.entidad, "country": "MX"}
    if unit.municipio:
        address["district"] = unit.municipio
    if unit.localidad:
        address["city"] = unit.localidad
    if unit.latitud is not None and unit.longitud is not None:
        address["extension"] = [
            {
                "url": GEOLOCATION,
                "extension": [
                    {"url": "latitude", "valueDecimal": unit.latitud},
                    {"url": "longitude", "valueDecimal": unit.longitud},
                ],
            }
        ]
    return {
        "resourceType": "Organization",
        "id": str(unit.organization_id),
        "meta": {"lastUpdated": unit.updated_at.isoformat()},
        "identifier": identifiers,
        "active": unit.operating,
        "type": [
            {"coding": [{"system": ORG_TYPE_SYSTEM, "code": "prov", "display": "Healthcare Provider"}]},
            {
                "coding": [
                    {"system": LEVEL_SYSTEM, "code": str(unit.nivel), "display": _LEVELS.get(unit.nivel, "")}
                ]
            },
        ],
        "name": unit.nombre,
        "address": [address],
    }


@router.get(
    "/Organization/{id}",
    summary="Read an Organization (a CLUES unit)",
    responses={404: {"description": "No such Organization"}},
)
async def read_organization(
    id: Annotated[str, Path(description="The Organization id")],
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Organization", "r"))],
) -> FhirResponse:
    organization_id = fs.parse_uuid(id, what="Organization id") if fs.is_uuid(id) else None
    unit = (
        await units_service.get_by_organization_id(session, organization_id=organization_id)
        if organization_id is not None
        else None
    )
    if unit is None:
        raise OrganizationNotFound.said("fhir.organization.not_found", id=id)
    await audit_service.record(
        session, ctx, action="R", subtype="read", entities=[AuditEntity(type="Organization", id=id)]
    )
    return FhirResponse(organization_resource(unit, settings))


def _is_uuid(value: str) -> bool:
    try:
        fs.parse_uuid(value, what="id")
    except fs.BadSearch:
        return False
    return True


def _criteria(params: dict[str, list[str]], settings: Settings) -> units_service.UnitSearch:
    clues = None
    for raw in params.get("identifier", []):
        system, code = fs.parse_token(raw)
        if system is not None and system != settings.system_clues:
            raise fs.BadSearch.said("fhir.search.identifier_clues_only")
        clues = code
    entidad = None
    if params.get("address-state"):
        raw_state = params["address-state"][-1]
        entidad = state_code(raw_state) or "??"
    after = before = None
    after_inclusive = before_inclusive = False
    for raw in params.get("_lastUpdated", []):
        for prefix, instant in fs.parse_instant(raw):
            if prefix in ("gt", "ge"):
                after, after_inclusive = instant, prefix == "ge"
            elif prefix in ("lt", "le"):
                before, before_inclusive = instant, prefix == "le"
            else:
                after = before = instant
                after_inclusive = before_inclusive = True
    return units_service.UnitSearch(
        clues=clues,
        name=params["name"][-1] if params.get("name") else None,
        entidad=entidad,
        updated_after=after,
        updated_before=before,
        updated_after_inclusive=after_inclusive,
        updated_before_inclusive=before_inclusive,
    )


@router.get(
    "/Organization",
    summary="Search Organizations (CLUES units)",
    responses={400: {"description": "Unknown or malformed search parameter"}},
)
async def search_organizations(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Organization", "s"))],
) -> FhirResponse:
    params = fs.params_of(request, SEARCH_PARAMS, settings)
    count = fs.parse_count(params.get("_count"))
    offset = fs.parse_cursor(params.get("_cursor")) or 0
    page: Sequence[units_service.Unit]
    if params.get("_id"):
        ids = [uuid.UUID(v) for v in fs.split_or(params["_id"]) if fs.is_uuid(v)]
        found = {
            u.organization_id: u
            for u in await units_service.get_by_organization_ids(session, organization_ids=ids)
        }
        units: list[units_service.Unit] = [
            found[i] for i in ids if i in found
        ]  # in the order asked, repeats kept
        page, total = units[offset : offset + count], len(units)
    else:
        page, total = await units_service.search_units(
            session, criteria=_criteria(params, settings), offset=offset, limit=count
        )
    base = fs.base_url(request, settings)
    query = [(k, v) for k, values in params.items() if k != "_cursor" for v in values]
    links = [
        {"relation": "self", "url": f"{base}/Organization?{urlencode([*query, ('_cursor', str(offset))])}"}
    ]
    if offset + len(page) < total:
        following = urlencode([*query, ("_cursor", str(offset + len(page)))])
        links.append({"relation": "next", "url": f"{base}/Organization?{following}"})
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": datetime.now().astimezone().isoformat(),
        "total": total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}/Organization/{unit.organization_id}",
                "resource": organization_resource(unit, settings),
                "search": {"mode": "match"},
            }
            for unit in page
        ],
    }
    await audit_service.record(
        session,
        ctx,
        action="E",
        subtype="search-type",
        entities=[AuditEntity(type="Organization", id=str(u.organization_id)) for u in page],
        query=fs.redacted_query(request, secret=()),
    )
    return FhirResponse(bundle)
