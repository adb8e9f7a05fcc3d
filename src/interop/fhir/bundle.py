"""``POST /fhir`` with a transaction Bundle holding a visit finding (DESIGN.md, "A visit finding as FHIR").

The Bundle becomes the same ``VisitCreate`` that ``/v1/visits`` takes, so both paths share one idempotency
key and one request hash. Conditions and Observations are kept inside the ServiceRequest (as reasonCode and
contained Observations), so their transaction-response entries say so instead of pointing at new resources.
A Bundle without a ServiceRequest is a visit that asks for no referral (``visit_without_referral``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Request
from pydantic import ValidationError

from interop import messages
from interop.api.deps import SessionDep, SettingsDep
from interop.api.policy import require
from interop.config import Settings
from interop.context import RequestContext
from interop.errors import Invalid
from interop.fhir import search as fs
from interop.fhir import visit_paths as paths
from interop.fhir import visit_without_referral as no_referral
from interop.fhir.capability import register_system_interaction
from interop.fhir.codesystems import HOME_FINDINGS
from interop.fhir.outcome import operation_outcome
from interop.fhir.patient_identity import Systems, read_patient
from interop.fhir.referral_resources import EXT, ICD10, LOINC
from interop.fhir.responses import FhirResponse
from interop.fhir.version import Bundle as BundleModel
from interop.referral import care
from interop.referral import service as referral_service
from interop.referral.schemas import PersonFound, VisitCreate, VisitResult

router = APIRouter(tags=["fhir"])


CARE_REQUESTED = "https://www.gob.mx/bienestar/fhir/CodeSystem/atencion-solicitada"  # s17's CodeSystem


def _person(patient: dict[str, Any], settings: Settings) -> dict[str, Any]:
    identity = read_patient(patient, Systems.of(settings))
    return {k: v for k in PersonFound.model_fields if (v := getattr(identity, k, None)) is not None}


def _coding(concept: dict[str, Any] | None, system: str) -> dict[str, Any] | None:
    return next((c for c in (concept or {}).get("coding") or [] if c.get("system") == system), None)


def _observation(obs: dict[str, Any]) -> dict[str, Any] | None:
    """A LOINC Observation as measured, or a finding in words (``text``: never a made-up code)."""
    coding = _coding(obs.get("code"), LOINC)
    if coding is None:
        text = (obs.get("code") or {}).get("text") or next(
            (c.get("display") for c in (obs.get("code") or {}).get("coding") or [] if c.get("display")), None
        )
        if not text:
            return None
        out: dict[str, Any] = {"text": text[:200]}
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


def _home_finding(obs: dict[str, Any], status: dict[str, Any]) -> bool:
    """An Observation of the person's autonomy (``hallazgo-domiciliario``, or a disability named in words,
    Spanish or English) goes to the functional status; True when it did."""
    coding = _coding(obs.get("code"), HOME_FINDINGS.url)
    words = ((obs.get("code") or {}).get("text") or "").lower()
    kind = coding.get("code") if coding else None
    if kind is None and any(w in words for w in ("discapacidad", "disab")):
        kind = "discapacidad"
    if kind is None:
        return False
    cc = obs.get("valueCodeableConcept") or {}
    value = (
        obs.get("valueString")
        or cc.get("text")
        or next((c.get("display") or c.get("code") for c in cc.get("coding") or []), None)
    )
    if kind == "no-sale-de-casa":
        status["home_bound"] = bool(obs.get("valueBoolean", True))
    elif kind == "discapacidad" and value:
        status.setdefault("disability", []).append(value)
    elif kind == "movilidad" and value:
        status["mobility"] = value
    elif kind == "persona-cuidadora" and value:
        status["caregiver"] = value
    elif kind == "necesidades-medicamentos" and value:
        status.setdefault("medication_needs", []).extend(v.strip() for v in value.split(";") if v.strip())
    return True


def _condition(cond: dict[str, Any]) -> dict[str, Any] | None:
    """Every coding a Condition came with (the first CIE-10 one as ``code``) and its words."""
    concept = cond.get("code") or {}
    out: dict[str, Any] = {}
    others = []
    for c in concept.get("coding") or []:
        if not c.get("code"):
            continue
        if c.get("system") == ICD10 and "code" not in out:
            out["code"] = c["code"]
            if c.get("display"):
                out["display"] = c["display"]
        else:
            others.append({k: c[k] for k in ("system", "code", "display") if c.get(k)})
    if others:
        out["codings"] = [o for o in others if o.get("system")][:5]
    if concept.get("text"):
        out["text"] = concept["text"]
    return out or None


def visit_from_bundle(bundle: dict[str, Any], settings: Settings) -> VisitCreate:
    """Map a visit-finding transaction Bundle to a ``VisitCreate``; 422 names what is missing."""
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
        raise Invalid.said("fhir.bundle.not_transaction")
    try:
        BundleModel.model_validate(bundle)
    except ValidationError as exc:
        raise Invalid.said_with(
            "fhir.bundle.invalid",
            {"count": exc.error_count(), "path": fs.first_problem(exc)},
            details={"fhir_issues": paths.issues_from_structure(exc.errors(), bundle)},
        ) from None
    by_type: dict[str, list[dict[str, Any]]] = {}
    entries: dict[str, int] = {}  # resource type → index of its first entry, for the issues' expressions
    for index, entry in enumerate(bundle.get("entry") or []):
        res = entry.get("resource") or {}
        method = (entry.get("request") or {}).get("method")
        if method != "POST":
            raise paths.refusal(
                paths.issue(
                    "Bundle", f"entry[{index}].request.method", {}, "fhir.visit.entry_not_post", code="value"
                )
            )
        by_type.setdefault(res.get("resourceType", ""), []).append(res)
        entries.setdefault(res.get("resourceType", ""), index)
    unknown = set(by_type) - {"Patient", "Condition", "Observation", "ServiceRequest"}
    if unknown:
        raise Invalid.said("fhir.bundle.unsupported_resources", types=", ".join(sorted(unknown)))
    requests = by_type.get("ServiceRequest", [])
    for kind in ("Patient", "ServiceRequest"):
        if len(by_type.get(kind, [])) != 1 and (kind == "Patient" or requests):
            raise paths.refusal(paths.issue(kind, "", {}, "fhir.visit.exactly_one", {"kind": kind}))
    # No ServiceRequest: a visit that asks for no referral, named by its findings (visit_without_referral).
    sr = requests[0] if requests else {}
    no_referral.refuse_do_not_perform(sr, entries)
    named = None if requests else no_referral.header(by_type, entries, settings.system_visit)
    visit_ident = {"value": named.visit_id} if named else None
    visit_ident = visit_ident or next(
        (i for i in sr.get("identifier") or [] if i.get("system") == settings.system_visit), None
    )
    if visit_ident is None:
        raise paths.refusal(
            paths.issue(
                "ServiceRequest",
                "identifier",
                entries,
                "fhir.visit.visit_identifier",
                {"system": settings.system_visit},
            )
        )
    when = named.when if named else sr.get("occurrenceDateTime") or sr.get("authoredOn")
    if not when:
        raise paths.refusal(paths.issue("ServiceRequest", "authoredOn", entries, "fhir.visit.visit_date"))
    visit_date = date.fromisoformat(when[:10]) if len(when) >= 10 else datetime.fromisoformat(when).date()
    worker = (named.worker if named else None) or (
        ((sr.get("requester") or {}).get("identifier") or {}).get("value")
        or (sr.get("requester") or {}).get("display")
    )
    conditions = [c for c in (_condition(x) for x in by_type.get("Condition", [])) if c is not None]
    for concept in sr.get("reasonCode") or []:
        coding = _coding(concept, ICD10)
        if coding and all(c.get("code") != coding.get("code") for c in conditions):
            conditions.append({"code": coding.get("code")})
    status: dict[str, Any] = {}
    if any(e.get("url") == f"{EXT}no-sale-de-casa" for e in sr.get("extension") or []):
        status["home_bound"] = True
    found = [x for x in by_type.get("Observation", []) if not _home_finding(x, status)]
    observations = [o for o in (_observation(x) for x in found) if o is not None]
    care_coding = _coding(sr.get("code"), care.SYSTEM)
    note = "\n".join(n.get("text", "") for n in sr.get("note") or [] if n.get("text")) or None
    payload = {
        "visit_id": visit_ident.get("value"),
        "visit_date": visit_date.isoformat(),
        "health_worker_id": worker,
        "person": _person(by_type["Patient"][0], settings),
        "findings": {
            "conditions": conditions,
            "observations": observations,
            **({"functional_status": status} if status else {}),
        },
        "urgency": sr.get("priority") or "routine",
        "note": note,
        **({"care_requested": care_coding.get("code")} if care_coding else {}),
        **({"visited_at": when} if "T" in when else {}),
        **({} if requests else {"referral_requested": False}),
    }
    asked = _coding(sr.get("code"), CARE_REQUESTED)
    if asked and asked.get("code"):
        payload["care_requested"] = asked["code"]
    try:
        return VisitCreate.model_validate(payload)
    except ValidationError as exc:
        # In the terms of the Bundle the client sent, never the field names of /v1 (visit_paths).
        issues = paths.issues_from_validation(exc.errors(), entries)
        problems = "; ".join(i["diagnostics"] for i in issues)
        raise Invalid.said_with(
            "fhir.bundle.visit_incomplete", {"problems": problems}, details={"fhir_issues": issues}
        ) from None


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
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Bundle", "c"))],
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> FhirResponse:
    try:
        bundle = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise Invalid.said("fhir.body_not_json") from None
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
                    diagnostics=messages.text(
                        "bundle.finding_kept", service_request=r.service_request or "la visita"
                    ),
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
        why = r.routing.reason if r.routing else ""
        info = messages.text("bundle.referral_waiting", why=why, grade=r.match.grade)
    else:
        info = messages.text(
            "bundle.referral_created",
            task=r.task,
            clues=r.unit.clues,
            rule=r.routing.rule,
            reason=r.routing.reason,
            grade=r.match.grade,
        )
    if r.referral == "added":
        info = f"agregada a la referencia abierta de la misma persona y necesidad; {info}"
    outcome = operation_outcome(code="informational", diagnostics=info, severity="information")
    # A value that failed a check was kept as text: the caller hears it, the visit is not refused.
    outcome["issue"] += [
        {"severity": "warning", "code": "value", "diagnostics": w.message} for w in r.warnings
    ]
    resp: dict[str, Any] = {"status": status, "outcome": outcome}
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
