"""Words people read, in es-MX first and English second: one catalogue per language (``es_mx``, ``en``)
keyed by stable message keys, and the choice of language.

The language of a request comes from its ``Accept-Language`` header (``negotiate``), es-MX when the header
is absent or names neither; the API middleware puts it in ``current_language`` for the request, so error
rendering, FHIR displays and routing reasons read it without passing it around. CLI output uses es-MX, or the
language named by ``INTEROP_LANGUAGE`` (``process_language``).

A low layer: imports nothing of ``interop`` (errors, FHIR mapping, routing and the CLI all use it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from interop.messages import en, es_mx, refusals_en, refusals_es_mx

SPANISH = "es-MX"
ENGLISH = "en"
LANGUAGES = (SPANISH, ENGLISH)
DEFAULT = SPANISH


def merged(*parts: Mapping[str, str]) -> dict[str, str]:
    """One language's catalogue from its modules. A key defined twice is a bug (ValueError at import), never
    a silent override of one module's words by another's."""
    catalogue: dict[str, str] = {}
    for part in parts:
        twice = sorted(catalogue.keys() & part.keys())
        if twice:
            raise ValueError(f"message keys defined twice: {', '.join(twice)}")
        catalogue.update(part)
    return catalogue


CATALOGUES: dict[str, dict[str, str]] = {
    SPANISH: merged(es_mx.MESSAGES, refusals_es_mx.MESSAGES),
    ENGLISH: merged(en.MESSAGES, refusals_en.MESSAGES),
}

current_language: ContextVar[str] = ContextVar("interop_language", default=DEFAULT)

_MAX_HEADER = 512  # a longer Accept-Language is a hostile or broken client: the default serves it


def negotiate(accept_language: str | None) -> str:
    """The language to answer in, from an ``Accept-Language`` value (RFC 9110 §12.5.4).

    Ranges are read with their q-values; ``es`` and any ``es-*`` give es-MX, ``en`` and any ``en-*``
    English; ``*`` or nothing we speak gives es-MX. Equal weights keep the header's order.
    """
    if not accept_language or len(accept_language) > _MAX_HEADER:
        return DEFAULT
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        primary = tag.strip().lower().split("-", 1)[0]
        lang = {"es": SPANISH, "en": ENGLISH, "*": DEFAULT}.get(primary)
        if lang is not None and weight > 0:
            ranked.append((-weight, position, lang))
    return min(ranked)[2] if ranked else DEFAULT


def process_language() -> str:
    """The language of a command-line process: ``INTEROP_LANGUAGE`` (``es``, ``es-MX``, ``en`` …), es-MX by
    default. Not ``LANG``: servers often run with an English locale nobody chose."""
    return negotiate(os.environ.get("INTEROP_LANGUAGE"))


def help_text(key: str) -> str:
    """A command-line help text, in the process's language (read when the commands are declared)."""
    return render(key, {}, process_language())


def text(key: str, /, lang: str | None = None, **params: object) -> str:
    """The message ``key`` in ``lang`` (the request's language when not given), ``params`` filled in.

    An unknown key is a bug (KeyError); the catalogue test keeps both languages' keys and placeholders equal.
    """
    return render(key, params, lang)


def render(key: str, params: Mapping[str, object], lang: str | None = None) -> str:
    """``text`` with its parameters as one mapping (stored with an error, say).

    A parameter given in every language (a mapping by language tag, from ``each``) is filled in the
    language chosen: words composed of several catalogue entries stay translatable once stored.
    """
    chosen = lang if lang in CATALOGUES else current_language.get()
    chosen = chosen if chosen in CATALOGUES else DEFAULT
    template = CATALOGUES[chosen][key]
    filled = {
        name: (
            value.get(chosen, value.get(DEFAULT))
            if isinstance(value, Mapping) and DEFAULT in value
            else value
        )
        for name, value in params.items()
    }
    return template.format(**filled)


def each(words: Callable[[str], str]) -> dict[str, str]:
    """A message parameter in every language: ``words(lang)`` for each, filled by ``render`` in the one
    chosen."""
    return {lang: words(lang) for lang in LANGUAGES}


def both(key: str, /, **params: object) -> dict[str, str]:
    """The message in every language, by language tag (CodeSystem designations carry both)."""
    return {lang: text(key, lang, **params) for lang in LANGUAGES}


def has(key: str) -> bool:
    return key in CATALOGUES[DEFAULT]


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Run a block in one language (tests, jobs, the CLI)."""
    token = current_language.set(lang if lang in CATALOGUES else DEFAULT)
    try:
        yield
    finally:
        current_language.reset(token)
