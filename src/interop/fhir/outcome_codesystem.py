"""``GET /fhir/CodeSystem/resultado-referencia``: the referral outcomes (contrarreferencia) the service
publishes, Spanish displays with an English designation. Public vocabulary: no personal data, so any
authenticated client may read it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from interop.fhir.responses import FhirResponse
from interop.referral.outcomes import CODESYSTEM_ID, OUTCOMES, SYSTEM

router = APIRouter(tags=["fhir"])


def codesystem() -> dict[str, Any]:
    return {
        "resourceType": "CodeSystem",
        "id": CODESYSTEM_ID,
        "url": SYSTEM,
        "name": "ResultadoReferencia",
        "title": "Resultado de la referencia (contrarreferencia)",
        "status": "active",
        "content": "complete",
        "caseSensitive": True,
        "language": "es-MX",
        "publisher": "Programa Pensiones para el Bienestar / IMSS-Bienestar",
        "description": "Lo que la unidad informa a Bienestar al terminar una referencia.",
        "count": len(OUTCOMES),
        "concept": [
            {
                "code": o.code,
                "display": o.es,
                "definition": o.definition_es,
                "designation": [{"language": "en", "value": o.en}],
            }
            for o in OUTCOMES.values()
        ],
    }


@router.get(
    f"/CodeSystem/{CODESYSTEM_ID}",
    summary="The referral outcome CodeSystem (resultado-referencia)",
    response_class=FhirResponse,
)
async def read_outcome_codesystem() -> FhirResponse:
    return FhirResponse(codesystem())
