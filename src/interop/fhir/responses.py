"""Responses in ``application/fhir+json``."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

from interop.fhir.outcome import FHIR_JSON


class FhirResponse(Response):
    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
