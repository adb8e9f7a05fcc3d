"""What is wrong with one value of a request, in the caller's language, from a pydantic error.

Pydantic writes its messages in English ("Field required", "String should have at most 200 characters").
Callers read them in ``/v1`` error details and ``/fhir`` OperationOutcome diagnostics, so each error *type*
(stable across pydantic releases, part of its public API) maps to a catalogue entry ``validation.<type>``
filled from the error's ``ctx``. The value sent is never repeated: it may be personal data.

A type without an entry says "invalid value (<type>)": still in the caller's language, and the type
names the rule for a developer. Our own validators raise ``PydanticCustomError`` with a type that has an
entry (``validation.condition_without_code`` …), so their words come from the catalogue too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interop.messages import SPANISH, current_language, has, render

# Pydantic types that mean the same thing to a caller share one entry.
_SAME_AS: dict[str, str] = {
    "int_type": "int_parsing",
    "int_from_float": "int_parsing",
    "float_type": "float_parsing",
    "decimal_parsing": "float_parsing",
    "decimal_type": "float_parsing",
    "bool_type": "bool_parsing",
    "date_type": "date_parsing",
    "date_from_datetime_parsing": "date_parsing",
    "date_from_datetime_inexact": "date_parsing",
    "datetime_type": "datetime_parsing",
    "datetime_from_date_parsing": "datetime_parsing",
    "enum": "literal_error",
    "dict_type": "model_type",
    "model_attributes_type": "model_type",
    "uuid_type": "uuid_parsing",
    "url_type": "url_parsing",
    "url_scheme": "url_parsing",
    "string_unicode": "string_type",
    "bytes_type": "string_type",
}

# ``ctx`` values copied into the message; anything else in ``ctx`` (an exception, an input) is left out.
_CTX = ("max_length", "min_length", "gt", "ge", "lt", "le", "pattern", "expected", "max_digits")


def describe(error: Mapping[str, Any], lang: str | None = None) -> str:
    """The message for one pydantic error (``ValidationError.errors()`` item) in ``lang`` (the request's
    language when not given)."""
    chosen = lang or current_language.get()
    kind = str(error.get("type", ""))
    key = f"validation.{_SAME_AS.get(kind, kind)}"
    if not has(key):
        return render("validation.unknown", {"kind": kind or "?"}, chosen)
    ctx = error.get("ctx") or {}
    params = {name: _shown(ctx.get(name), chosen) for name in _CTX if name in ctx}
    try:
        return render(key, params, chosen)
    except (KeyError, IndexError, ValueError):  # a ctx a release renamed: still a message, never a 500
        return render("validation.unknown", {"kind": kind}, chosen)


def _shown(value: object, lang: str) -> str:
    # Pydantic lists a literal's choices as "'a', 'b' or 'c'": the conjunction is English.
    shown = str(value)
    return shown.replace(" or ", " o ") if lang == SPANISH else shown
