"""The OpenAPI documents: one for the JSON API (``/v1``, auth, health) and one for ``/fhir``."""

from __future__ import annotations

from typing import Any

from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

import interop
from interop.config import Settings


def documents() -> dict[str, dict[str, Any]]:
    from interop.main import create_app

    app = create_app(Settings(database_url="postgresql+asyncpg://unused/unused"))
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    fhir = [r for r in routes if r.path.startswith("/fhir")]
    rest = [r for r in routes if not r.path.startswith("/fhir")]
    return {
        "v1.json": get_openapi(title="interop JSON API", version=interop.__version__, routes=rest),
        "fhir.json": get_openapi(title="interop FHIR R4 API", version=interop.__version__, routes=fhir),
    }
