"""The auditor's case view: ``/app/cases`` searches by CURP, padrón folio, visit id, referral id or trace
id and shows the case's visits, records, reviews, one timeline of audit events and the verification of
the log that holds them; exports as NDJSON and PDF.

The search is a POST (CSRF-checked) so a CURP never sits in a URL, a browser history or an access log.
Each view and export is itself audited (subtype ``search-type`` / ``export``) with the auditor as the
acting user and one event per patient of the case, so reading a person's trail shows up in it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from interop.api.deps import SessionDep
from interop.audit import service as audit_service
from interop.web import case_export, case_file, messages, referral_words  # noqa: F401 - registers words
from interop.web.deps import Person, require_person
from interop.web.pages import WebRoute, language, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Auditor = Annotated[Person, Depends(require_person("auditor"))]

messages.add(
    {
        "cases.title": "Casos: seguimiento de punta a punta",
        "cases.intro": "Busque por CURP, folio del padrón, visita, referencia o traza.",
        "cases.query": "Dato a buscar",
        "cases.kind": "Tipo",
        "cases.kind.auto": "Detectar",
        "cases.kind.curp": "CURP",
        "cases.kind.folio": "Folio del padrón",
        "cases.kind.visita": "Visita",
        "cases.kind.referencia": "Referencia",
        "cases.kind.traza": "Traza",
        "cases.search": "Buscar",
        "cases.none": "No se encontró ningún caso con ese dato.",
        "cases.visits": "Visitas y referencias",
        "cases.visit": "Visita",
        "cases.date": "Fecha",
        "cases.referral": "Referencia",
        "cases.status": "Estado",
        "cases.unit": "Unidad",
        "cases.tasks": "Tareas",
        "cases.identity": "Identidad",
        "cases.records": "Registros",
        "cases.reviews": "Revisiones de identidad",
        "cases.timeline": "Línea de tiempo ({n} eventos)",
        "cases.when": "Fecha (UTC)",
        "cases.institution": "Institución",
        "cases.who": "Quién",
        "cases.what": "Qué",
        "cases.resources": "Recursos",
        "cases.proof": "Prueba",
        "cases.read_person": "lectura de datos de la persona",
        "cases.verification": "Verificación de la bitácora",
        "cases.status.verified": "Verificado: cada evento del caso está incluido en el árbol firmado "
        "(tamaño {size}); la firma Ed25519 de la cabecera es válida.",
        "cases.status.pending": "Parcial: {pending} eventos aún no se secuencian en el árbol; "
        "los demás están incluidos en el árbol firmado (tamaño {size}).",
        "cases.status.failed": "FALLÓ la verificación: {failed} pruebas no verifican. Avise a seguridad.",
        "cases.status.unsigned": "La bitácora aún no tiene una cabecera firmada; "
        "vuelva a intentar en un momento.",
        "cases.checkpoint": "Cabecera firmada (checkpoint)",
        "cases.export": "Exportar",
        "cases.export.ndjson": "NDJSON con pruebas",
        "cases.export.pdf": "PDF",
        "cases.truncated": "El caso tiene más eventos de los que se muestran.",
        "cases.yes": "sí",
        "cases.pending": "pendiente",
    },
    {
        "cases.title": "Cases: end to end",
        "cases.intro": "Search by CURP, roll folio, visit, referral or trace id.",
        "cases.query": "Search for",
        "cases.kind": "Kind",
        "cases.search": "Search",
        "cases.none": "No case found.",
        "cases.timeline": "Timeline ({n} events)",
        "cases.verification": "Log verification",
        "cases.export": "Export",
        "cases.checkpoint": "Signed tree head (checkpoint)",
        "cases.date": "Date",
        "cases.export.ndjson": "NDJSON with proofs",
        "cases.export.pdf": "PDF",
        "cases.identity": "Identity",
        "cases.institution": "Institution",
        "cases.kind.auto": "Detect",
        "cases.kind.curp": "CURP",
        "cases.kind.folio": "Roll folio",
        "cases.kind.referencia": "Referral",
        "cases.kind.traza": "Trace",
        "cases.kind.visita": "Visit",
        "cases.pending": "pending",
        "cases.proof": "Proof",
        "cases.read_person": "read of the person's data",
        "cases.records": "Records",
        "cases.referral": "Referral",
        "cases.resources": "Resources",
        "cases.reviews": "Identity reviews",
        "cases.status": "Status",
        "cases.status.failed": "Verification FAILED: {failed} proofs do not verify. Tell security.",
        "cases.status.pending": (
            "Partial: {pending} events are not yet sequenced into the tree; the others are "
            "included in the signed tree (size {size})."
        ),
        "cases.status.unsigned": "The log has no signed tree head yet; try again in a moment.",
        "cases.status.verified": (
            "Verified: every event of the case is included in the signed tree (size {size}); the "
            "head's Ed25519 signature is valid."
        ),
        "cases.tasks": "Tasks",
        "cases.truncated": "The case has more events than are shown.",
        "cases.unit": "Unit",
        "cases.visit": "Visit",
        "cases.visits": "Visits and referrals",
        "cases.what": "What",
        "cases.when": "Date (UTC)",
        "cases.who": "Who",
        "cases.yes": "yes",
    },
)


async def _case(
    request: Request, session: SessionDep, person: Person, query: str, kind: str
) -> tuple[case_file.Case | None, str | None]:
    lang = language(request)
    try:
        chosen, value = case_file.classify(query, kind or None)
    except case_file.CaseKeyInvalid as exc:
        return None, messages.translate(lang, exc.key)
    case = await case_file.assemble(session, kind=chosen, value=value, language=lang)
    if not case.found and kind in ("", "auto", None) and chosen == "visita":
        case = await case_file.assemble(session, kind="folio", value=value, language=lang)
    return case, None


@router.get("/cases")
async def case_form(request: Request, person: Auditor) -> Response:
    return render(request, "cases.html", person=person, case=None, query="", kind="", error=None)


@router.post("/cases")
async def case_view(
    request: Request,
    session: SessionDep,
    person: Auditor,
    q: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(pattern="^(|auto|curp|folio|visita|referencia|traza)$")] = "",
) -> Response:
    case, error = await _case(request, session, person, q, kind)
    if case is not None:
        await audit_service.record(
            session,
            person.ctx,
            action="E",
            subtype="search-type",
            query=f"case:{case.kind}",
            patients=case.patient_ids,
        )
    return render(
        request,
        "cases.html",
        status_code=422 if error else 200,
        person=person,
        case=case,
        query=q,
        kind=kind,
        error=error,
    )


@router.post("/cases/export")
async def case_export_file(
    request: Request,
    session: SessionDep,
    person: Auditor,
    q: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(pattern="^(|auto|curp|folio|visita|referencia|traza)$")] = "",
    fmt: Annotated[str, Form(alias="format", pattern="^(ndjson|pdf)$")] = "ndjson",
) -> Response:
    case, error = await _case(request, session, person, q, kind)
    if case is None:
        return render(
            request, "cases.html", status_code=422, person=person, case=None, query=q, kind=kind, error=error
        )
    await audit_service.record(
        session,
        person.ctx,
        action="E",
        subtype="export",
        query=f"case:{case.kind}:{fmt}",
        patients=case.patient_ids,
    )
    if fmt == "pdf":
        body, media, ext = (
            case_export.pdf(case, generated_by=person.username, language=language(request)),
            "application/pdf",
            "pdf",
        )
    else:
        body, media, ext = (
            case_export.ndjson(case, generated_by=person.username),
            "application/x-ndjson",
            "ndjson",
        )
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="caso-{case.kind}.{ext}"',
            "Cache-Control": "no-store",
        },
    )
