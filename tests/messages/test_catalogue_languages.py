"""Every word people read has both languages: the pages' catalogue (``interop.web.messages``, filled by
each page module at import) holds the same keys and placeholders in es-MX and English; a visit Bundle
that waits to be routed, and a refused PATCH, say so in the request's language (es-MX by default)."""

from __future__ import annotations

import string
from collections.abc import Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from tests.fhir.bundles import visit_bundle
from tests.referral.factories import add_unit, visit_body

import interop.web.router  # noqa: F401 - imports every page module, which adds its words
from interop.web import messages as web_messages

Headers = Callable[..., dict[str, str]]


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_pages_catalogue_has_every_key_in_both_languages() -> None:
    es, en = web_messages.CATALOGUES["es-MX"], web_messages.CATALOGUES["en"]
    assert sorted(set(es) - set(en)) == []
    assert sorted(set(en) - set(es)) == []
    for key in es:
        assert _fields(es[key]) == _fields(en[key]), key
        assert es[key].strip(), key
        assert en[key].strip(), key


async def test_a_visit_waiting_to_be_routed_is_told_in_spanish_by_default(
    client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    # No unit is loaded: the visit is kept, waiting to be routed, never refused.
    spanish = await client.post("/fhir", json=visit_bundle("V-LANG-ES"), headers=auth_headers("bienestar"))
    assert spanish.status_code == 200, spanish.text
    said = spanish.json()["entry"][-1]["response"]["outcome"]["issue"][0]["diagnostics"]
    assert said.startswith("en espera de ruta (no se encontró una unidad en operación"), said
    assert "grado de coincidencia" in said


async def test_a_visit_waiting_to_be_routed_is_told_in_english_when_asked(
    client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    english = await client.post(
        "/fhir",
        json=visit_bundle("V-LANG-EN"),
        headers={**auth_headers("bienestar"), "Accept-Language": "en"},
    )
    assert english.status_code == 200, english.text
    said = english.json()["entry"][-1]["response"]["outcome"]["issue"][0]["diagnostics"]
    assert said.startswith("waiting to be routed (no operating unit of the needed level"), said
    assert "match grade" in said
    assert "grado de coincidencia" not in said
    assert "en espera de ruta" not in said  # why it waits is in the caller's language too


async def test_a_refused_patch_is_explained_in_english_when_asked(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    await add_unit(session, "DFIMB000001", lat=19.4330, lon=-99.1330)
    posted = (
        await client.post("/v1/visits", json=visit_body("V-PATCH"), headers=auth_headers("bienestar"))
    ).json()
    h = {**auth_headers("clinic", clues=["DFIMB000001"]), "Content-Type": "application/json-patch+json"}
    many = [{"op": "test", "path": "/status", "value": "requested"}] * 101
    spanish = await client.patch(f"/fhir/{posted['task']}", headers=h, json=many)
    assert spanish.status_code == 422
    assert "101 operaciones" in spanish.json()["issue"][0]["diagnostics"]
    english = await client.patch(f"/fhir/{posted['task']}", headers={**h, "Accept-Language": "en"}, json=many)
    assert english.status_code == 422
    said = english.json()["issue"][0]["diagnostics"]
    assert "has 101 operations; at most 100 are accepted" in said, said
    assert "operaciones" not in said
    broken = [{"op": "remove", "path": "/no-such-element"}]
    english = await client.patch(
        f"/fhir/{posted['task']}", headers={**h, "Accept-Language": "en"}, json=broken
    )
    assert english.json()["issue"][0]["diagnostics"] == "the JSON Patch does not apply to this Task"
    spanish = await client.patch(f"/fhir/{posted['task']}", headers=h, json=broken)
    assert spanish.json()["issue"][0]["diagnostics"] == "el JSON Patch no se puede aplicar a esta Task"
