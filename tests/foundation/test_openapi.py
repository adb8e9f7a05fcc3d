"""openapi/ holds exactly what the app serves; regenerate with `interop openapi`."""

from __future__ import annotations

import json
from pathlib import Path

from interop.openapi import documents

OPENAPI_DIR = Path(__file__).resolve().parents[2] / "openapi"


def test_openapi_documents_match_the_app() -> None:
    for name, doc in documents().items():
        stored = json.loads((OPENAPI_DIR / name).read_text())
        assert stored == json.loads(json.dumps(doc)), f"openapi/{name} is stale: run `interop openapi`"


def test_fhir_and_v1_documents_are_split() -> None:
    docs = documents()
    assert all(path.startswith("/fhir") for path in docs["fhir.json"]["paths"])
    assert not any(path.startswith("/fhir") for path in docs["v1.json"]["paths"])
    assert "/readyz" in docs["v1.json"]["paths"]
