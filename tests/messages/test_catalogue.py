"""The message catalogue: both languages say the same things, the request's language is negotiated from
Accept-Language (es-MX first), and errors under /fhir and /v1 follow it."""

from __future__ import annotations

import string

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from interop import messages
from interop.errors import Invalid


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    es, en = messages.CATALOGUES["es-MX"], messages.CATALOGUES["en"]
    assert set(es) == set(en)
    for key in es:
        assert _fields(es[key]) == _fields(en[key]), key
        assert es[key].strip(), key
        assert en[key].strip(), key


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "es-MX"),
        ("", "es-MX"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("es-MX,es;q=0.9,en;q=0.8", "es-MX"),
        ("es-ES", "es-MX"),
        ("en;q=0.5, es;q=0.9", "es-MX"),
        ("es;q=0.2, en;q=0.8", "en"),
        ("fr-FR, de", "es-MX"),
        ("fr, en;q=0.1", "en"),
        ("*", "es-MX"),
        ("en;q=0", "es-MX"),
        ("en;q=abc", "es-MX"),
        ("en" + ",x" * 600, "es-MX"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert messages.negotiate(header) == expected


@given(st.text(max_size=300))
def test_negotiate_never_fails(header: str) -> None:
    assert messages.negotiate(header) in messages.LANGUAGES


def test_text_follows_the_current_language_and_fills_parameters() -> None:
    assert messages.text("priority.urgent") == "urgente"
    with messages.speaking("en"):
        assert messages.text("priority.urgent") == "urgent"
        assert messages.text("priority.urgent", "es-MX") == "urgente"
    assert messages.text("error.unknown_code_system", id="x") == "no existe el CodeSystem x"
    assert messages.both("care.urgencias") == {"es-MX": "Urgencias", "en": "Emergency"}


def test_a_domain_error_with_a_key_speaks_the_request_language() -> None:
    err = Invalid("no CodeSystem x", key="error.unknown_code_system", params={"id": "x"})
    assert err.localised() == "no existe el CodeSystem x"
    with messages.speaking("en"):
        assert err.localised() == "no CodeSystem x"
    assert Invalid("plain").localised() == "plain"
    # A placeholder the key does not fill falls back to the message rather than failing the error path.
    assert Invalid("fallback", key="error.unknown_code_system").localised() == "fallback"


async def test_fhir_and_v1_errors_in_spanish_by_default_english_on_request(client: httpx.AsyncClient) -> None:
    r = await client.get("/fhir/NoSuchThing/1")
    assert r.status_code == 404
    assert r.headers["content-language"] == "es-MX"
    assert r.json()["issue"][0]["diagnostics"] == "no encontrado"
    r = await client.get("/fhir/NoSuchThing/1", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert r.headers["content-language"] == "en"
    assert r.json()["issue"][0]["diagnostics"] == "not found"
    r = await client.get("/v1/no-such-thing")
    assert r.status_code == 404
    assert r.json()["error"]["message"] == "no encontrado"
    r = await client.get("/v1/no-such-thing", headers={"Accept-Language": "en"})
    assert r.json()["error"]["message"] == "not found"
