"""The refusals' catalogue modules: both languages say the same things, and a key defined in two modules of
one language is refused instead of silently overriding the other's words."""

from __future__ import annotations

import string

import pytest

from interop import messages
from interop.messages import refusals_en, refusals_es_mx, stored


def test_a_key_defined_twice_across_catalogue_modules_is_refused() -> None:
    assert messages.merged({"a": "uno"}, {"b": "dos"}) == {"a": "uno", "b": "dos"}
    with pytest.raises(ValueError, match="defined twice: a"):
        messages.merged({"a": "uno"}, {"a": "otro"})


def test_the_refusals_modules_say_the_same_things_in_both_languages() -> None:
    assert set(refusals_es_mx.MESSAGES) == set(refusals_en.MESSAGES)
    for key, spanish in refusals_es_mx.MESSAGES.items():
        assert key.split(".")[0] in ("audit", "auth", "backup", "fhir", "ingest", "matching", "referral"), key
        assert _fields(spanish) == _fields(refusals_en.MESSAGES[key]), key
        assert spanish != refusals_en.MESSAGES[key] or key in _SAME_IN_BOTH, key


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# Messages made only of FHIR names and codes read the same in both languages.
_SAME_IN_BOTH: frozenset[str] = frozenset()


def test_a_stored_message_is_said_in_the_reader_language() -> None:
    kept = stored.keep("ingest.reject.duplicate", first=6)
    assert kept == 'ingest.reject.duplicate {"first":6}'
    assert stored.said(kept) == "duplicado de la línea 6 (mismo identificador)"
    assert stored.said(kept, "en") == "duplicate of line 6 (same identifier)"
    with messages.speaking("en"):
        assert stored.said(stored.keep("ingest.reject.nul")) == "the line holds a NUL character"
    # Rows written before keys were used, or damaged ones, are shown as written.
    assert stored.said("no given name (nombre)") == "no given name (nombre)"
    assert stored.said("ingest.reject.duplicate {broken") == "ingest.reject.duplicate {broken"
    with pytest.raises(KeyError):
        stored.keep("no.such.key")
