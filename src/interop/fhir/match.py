"""``POST /fhir/Patient/$match``: the FHIR face of online matching.

In: R4 Parameters with ``resource`` (a Patient), ``onlyCertainMatches`` and ``count``. Out: a searchset
Bundle; ``search.score`` is the match probability and the ``match-grade`` extension says:

- ``certain``: at or above the auto-link threshold, with the CURP or the birth date agreeing and no
  hard conflict (e.g. given names that are not variants of each other) — what a batch run would link;
- ``probable`` / ``possible``: the upper / lower half of the review band;
- ``certainly-not``: a reviewer decided (MANUAL NO_MATCH) that the candidate's person is not the person
  of the submitted Patient. The submitted Patient's person is that of the stored records it names —
  its ``id`` when it is a registry Patient of this server, an identifier in the padrón system (a roll
  record) — or, when it names none, that of its best ``certain`` candidate.

Entries are ordered by score, certainly-not entries last (whatever their score); ``count`` applies
after that order and after what the caller may see (``fhir.match_disclosure``: a clinic only the Patients
it may already read, Bienestar also the roll, reviewers and administrators everything), and
``onlyCertainMatches`` keeps certain entries only. Registry patients come back as the Patient the
registry serves; pension-roll records as a Patient identified by the padrón record (no server id: they
are not FHIR Patients of this server). Every disclosed record is audited.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from interop.api.deps import LookupSessionDep, SettingsDep
from interop.api.policy import require
from interop.config import Settings
from interop.context import RequestContext
from interop.errors import Invalid
from interop.fhir import match_disclosure as disclosure
from interop.fhir import search as fs
from interop.fhir.patient import patient_resource
from interop.fhir.patient_identity import Systems, read_patient
from interop.fhir.responses import FhirResponse
from interop.matching import service as matching_service
from interop.matching.schemas import IdentityProbe, OnlineCandidate

router = APIRouter(tags=["fhir"])

MATCH_GRADE = "http://hl7.org/fhir/StructureDefinition/match-grade"
MAX_COUNT = 50


class MatchRequestInvalid(Invalid):
    code = "match-request-invalid"


def probe_of_patient(patient: dict[str, Any], settings: Settings) -> IdentityProbe:
    """The identity data of a FHIR Patient, read as every Patient path reads it (``patient_identity``)."""
    if patient.get("resourceType") != "Patient":
        raise MatchRequestInvalid.said("fhir.match.resource_not_patient")
    identity = read_patient(patient, Systems.of(settings))
    birth: date | None = None
    if identity.fecha_nacimiento is not None:
        try:
            birth = date.fromisoformat(identity.fecha_nacimiento)
        except ValueError:
            raise MatchRequestInvalid.said("fhir.match.birthdate_full") from None
    try:
        patient_id = uuid.UUID(identity.id) if identity.id else None
    except ValueError:
        patient_id = None  # not an id of this server: nothing it names
    return IdentityProbe(
        roll_record_id=identity.roll_record_id,
        patient_id=patient_id,
        curp=identity.curp,
        given_names=identity.nombre,
        paternal_surname=identity.primer_apellido,
        maternal_surname=identity.segundo_apellido,
        birth_date=birth,
        sex=identity.sexo,
        entidad=identity.entidad,
        municipio=identity.municipio,
        localidad=identity.localidad,
        domicilio=identity.domicilio,
        telefono=identity.telefono,
    )


def parse_parameters(body: dict[str, Any]) -> tuple[dict[str, Any], bool, int]:
    if body.get("resourceType") != "Parameters":
        raise MatchRequestInvalid.said("fhir.match.body_not_parameters")
    resource: dict[str, Any] | None = None
    only_certain = False
    count = 10
    for p in body.get("parameter", []) or []:
        name = p.get("name")
        if name == "resource":
            resource = p.get("resource")
        elif name == "onlyCertainMatches":
            only_certain = bool(p.get("valueBoolean"))
        elif name == "count":
            value = p.get("valueInteger")
            if not isinstance(value, int) or value < 1:
                raise MatchRequestInvalid.said("fhir.match.count_positive")
            count = min(value, MAX_COUNT)
    if not isinstance(resource, dict):
        raise MatchRequestInvalid.said("fhir.match.resource_required")
    return resource, only_certain, count


def _entry(
    cand: OnlineCandidate, view: dict[str, Any] | None, settings: Settings, base: str
) -> dict[str, Any]:
    data = dict(view or {})
    data["updated_at"] = data.get("created_at") or datetime.now(UTC)
    data["clues"] = data.get("clues_current")
    if cand.source == "roll":
        data["id"] = None
        data["roll_record_id"] = cand.record_id
    else:
        data["id"] = str(cand.patient_id) if cand.patient_id else None
    resource = patient_resource(data, settings)
    if resource.get("id") is None:
        resource.pop("id", None)
    entry: dict[str, Any] = {
        "resource": resource,
        "search": {
            "mode": "match",
            "score": round(cand.probability, 6),
            "extension": [{"url": MATCH_GRADE, "valueCode": cand.grade}],
        },
    }
    if resource.get("id"):
        entry["fullUrl"] = f"{base}/Patient/{resource['id']}"
    return entry


@router.post(
    "/Patient/$match", summary="Patient $match (online identity matching)", response_class=FhirResponse
)
async def patient_match(
    request: Request,
    session: LookupSessionDep,
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Patient", "s"))],
    body: Annotated[dict[str, Any], Body(media_type="application/fhir+json")],
) -> FhirResponse:
    """Stored records matching the Patient in ``resource``, as a searchset Bundle. ``match-grade``:
    certain (what a batch run would link), probable / possible (the review band), certainly-not (a
    reviewer declared the candidate's person another than the Patient's — the Patient's person being
    that of the records it names by ``id`` or padrón identifier, else of its best certain candidate).
    Ordered by score, certainly-not entries last; ``onlyCertainMatches`` keeps certain entries only."""
    resource, only_certain, count = parse_parameters(body)
    probe = probe_of_patient(resource, settings)
    # A caller who sees only some candidates gets up to ``count`` of those it may see.
    limit = count if disclosure.sees_every_candidate(ctx.actor) else MAX_COUNT
    # The lookup session's connections plan generically already: no plan setting per call.
    candidates = await matching_service.match_online(
        session, probe=probe, limit=limit, settings=settings, generic_plans="connection"
    )
    if only_certain:
        candidates = [c for c in candidates if c.grade == "certain"]
    candidates, views = await disclosure.disclosed_records(session, ctx, candidates, count)
    base = fs.base_url(request, settings)
    entries = [_entry(c, views.get((c.source, c.record_id)), settings, base) for c in candidates]
    await disclosure.audit_disclosure(session, ctx, candidates)
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": datetime.now(UTC).isoformat(),
        "total": len(entries),
        "entry": entries,
    }
    return FhirResponse(bundle)
