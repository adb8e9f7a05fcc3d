"""Read, vread and history of versioned resources, written once for every type that has them: the ETag /
Last-Modified headers of a version, the id and version of the URL, and the history Bundle (version 1 a
create, every later one an update)."""

from __future__ import annotations

import uuid
from typing import Any

from interop.errors import DomainError
from interop.fhir.search import is_uuid


def version_headers(resource: dict[str, Any]) -> dict[str, str]:
    """``ETag`` (weak, the versionId) and ``Last-Modified`` of a rendered resource."""
    meta = resource["meta"]
    headers = {"ETag": f'W/"{meta["versionId"]}"'}
    if meta.get("lastUpdated"):
        headers["Last-Modified"] = str(meta["lastUpdated"])
    return headers


def resource_id(raw: str, not_found: DomainError) -> uuid.UUID:
    """The id of the URL; one that is not an id of this server is ``not_found`` (404), never a 400."""
    if not is_uuid(raw):
        raise not_found
    return uuid.UUID(raw)


def version_number(raw: str, not_found: DomainError) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise not_found
    return int(raw)


def history_bundle(*, base: str, kind: str, rid: str, versions: list[dict[str, Any]]) -> dict[str, Any]:
    """A ``history`` Bundle of the rendered ``versions`` of one resource, in the order given."""
    entries = []
    for res in versions:
        created = res["meta"]["versionId"] == "1"
        entries.append(
            {
                "fullUrl": f"{base}/{kind}/{rid}",
                "resource": res,
                "request": {
                    "method": "POST" if created else "PUT",
                    "url": kind if created else f"{kind}/{rid}",
                },
                "response": {
                    "status": "201" if created else "200",
                    "etag": f'W/"{res["meta"]["versionId"]}"',
                    "lastModified": res["meta"]["lastUpdated"],
                },
            }
        )
    return {
        "resourceType": "Bundle",
        "type": "history",
        "total": len(entries),
        "link": [{"relation": "self", "url": f"{base}/{kind}/{rid}/_history"}],
        "entry": entries,
    }
