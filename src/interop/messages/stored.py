"""Words kept in the database and read later, in the reader's language: a row stores a catalogue key and its
parameters (``keep``), never the sentence, and ``said`` renders it when it is read (es-MX by default, English
on request). Text stored before keys were used is not a key and is shown as written.

The stored form is ``key`` alone, or ``key`` and a space and a JSON object of parameters (a key has no space).
Parameters are identifiers, counts and FHIR paths only: never personal data.
"""

from __future__ import annotations

import json

from interop.messages import has, render


def keep(key: str, /, **params: object) -> str:
    """The stored form of the message ``key`` with ``params`` (an unknown key is a bug: KeyError)."""
    if not has(key):
        raise KeyError(key)
    if not params:
        return key
    return (
        f"{key} {json.dumps(params, ensure_ascii=False, separators=(',', ':'), sort_keys=True, default=str)}"
    )


def unpack(stored: str) -> tuple[str, dict[str, object]]:
    """The key and parameters of a stored message (to raise it as a ``DomainError.said``). ValueError when
    ``stored`` is not a message of the catalogue."""
    key, _, raw = stored.partition(" ")
    params = json.loads(raw) if raw else {}
    if not has(key) or not isinstance(params, dict):
        raise ValueError("not a stored message")
    return key, params


def said(stored: str, lang: str | None = None) -> str:
    """A stored message in ``lang`` (the request's language when not given); plain text comes back as is."""
    key, _, raw = stored.partition(" ")
    if not has(key):
        return stored
    try:
        params = json.loads(raw) if raw else {}
        return render(key, params if isinstance(params, dict) else {}, lang)
    except (ValueError, KeyError, IndexError):  # a damaged row is shown as stored, never fails the read
        return stored
