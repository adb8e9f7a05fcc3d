"""``GET /fhir/CodeSystem/{id}`` and ``GET /fhir/CodeSystem`` (``url``, ``_id``): the vocabularies registered
in ``codesystems``. Public (codes and displays, no personal data), readable without a token like the
CapabilityStatement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from interop.api.deps import SettingsDep
from interop.errors import NotFound
from interop.fhir import search as fs
from interop.fhir.capability import ResourceCapability, register
from interop.fhir.codesystems import code_system, code_system_specs, spec_of
from interop.fhir.responses import FhirResponse

router = APIRouter(tags=["fhir"])


@router.get("/CodeSystem/{cs_id}", summary="A CodeSystem the service publishes", response_class=FhirResponse)
async def read_code_system(cs_id: str) -> FhirResponse:
    spec = spec_of(cs_id)
    if spec is None:
        raise NotFound(
            f"no CodeSystem {cs_id[:64]}", key="error.unknown_code_system", params={"id": cs_id[:64]}
        )
    return FhirResponse(code_system(spec))


@router.get(
    "/CodeSystem", summary="Search the CodeSystems the service publishes", response_class=FhirResponse
)
async def search_code_system(
    request: Request,
    settings: SettingsDep,
    url: Annotated[str | None, Query(max_length=500)] = None,
    id_: Annotated[str | None, Query(alias="_id", max_length=64)] = None,
) -> FhirResponse:
    base = fs.base_url(request, settings)
    matches = [
        s for s in code_system_specs() if (url is None or s.url == url) and (id_ is None or s.id == id_)
    ]
    return FhirResponse(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(matches),
            "link": [{"relation": "self", "url": str(request.url)}],
            "entry": [
                {
                    "fullUrl": f"{base}/CodeSystem/{s.id}",
                    "resource": code_system(s),
                    "search": {"mode": "match"},
                }
                for s in matches
            ],
        }
    )


register(
    ResourceCapability(
        type="CodeSystem",
        interactions=["read", "search-type"],
        search_params=[("url", "uri", "The CodeSystem's canonical URL"), ("_id", "token", "Logical id")],
        versioning="no-version",
    )
)
