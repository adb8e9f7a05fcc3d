"""Responses in ``application/fhir+json``."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse

from interop.fhir.outcome import FHIR_JSON


class FhirResponse(JSONResponse):
    # A JSONResponse subclass so the OpenAPI documents declare a JSON body, not a string.
    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
