"""The bytes of a tree leaf: one stored audit record in canonical form. Pure (no I/O).

A record written before the compact storage (``patients`` NULL: one row per patient, the legacy hash chain
included) is a leaf in the chain's canonical form (:mod:`interop.audit.chain`), so the leaves already in
the tree keep verifying. A record written since (one per request) adds one key to that form:
``"patients"``, the JSON array of the patient references it concerns, in recorded order (``patient`` is
then null)::

    {..., "patient": null, "patients": ["Patient/1", "Patient/2"], "query": ..., ...}

Rows are given in ``LEAF_FIELDS`` order (the chain's ``ROW_FIELDS`` then ``patients``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from interop.audit import chain

LEAF_FIELDS = (*chain.ROW_FIELDS, "patients")
_PATIENTS = len(chain.ROW_FIELDS)


def patients_text(refs: Sequence[str]) -> str:
    """The stored (and hashed) form of a record's patients: a compact JSON array of references."""
    return orjson.dumps(list(refs)).decode()


def canonical_leaf(row: Sequence[Any]) -> bytes:
    """The leaf bytes of one record given in ``LEAF_FIELDS`` order (``patients`` the stored JSON text)."""
    body = chain.canonical_row(row[:_PATIENTS])
    patients = row[_PATIENTS]
    if patients is None:
        return body
    return _with_patients(body, patients.encode() if isinstance(patients, str) else patients)


def _with_patients(body: bytes, patients: bytes) -> bytes:
    # Keys are sorted: "patients" follows "patient" and precedes "query" (every record has both keys).
    cut = body.rindex(b',"query":')  # the values after it are serialised here, never raw text
    return body[:cut] + b',"patients":' + patients + body[cut:]


# The chain's COPY template with the patients in their sorted place: one formatting per line.
_TEMPLATE = chain.COPY_TEMPLATE.replace(b',"query":', b',"patients":%s,"query":')


def _fast(line: bytes, fields: Sequence[bytes], patients: bytes) -> bytes | None:
    """:func:`chain.canonical_from_copy` with the patients: None when a value needs decoding. The fields
    after ``patients`` (index, seq, hex hash) hold no quote, backslash or control character."""
    if chain.COPY_UNSAFE.search(line) or line.count(b'"') != fields[14].count(b'"') + patients.count(b'"'):
        return None
    recorded = fields[1]
    if len(recorded) < 22 or recorded[-3:] != b"+00":
        return None
    desc, user, address, patient, query = fields[6], fields[9], fields[10], fields[13], fields[15]
    return _TEMPLATE % (
        fields[4],
        b'"%s"' % address if address else b"null",
        fields[7],
        fields[14],
        fields[5],
        b'"%s"' % desc if desc else b"null",
        b'"%s"' % patient if patient else b"null",
        patients,
        b'"%s"' % query if query else b"null",
        recorded[:10],
        recorded[11:19],
        ((recorded[19:-3] or b".") + b"000000")[:7],
        fields[11],
        fields[8],
        fields[0],
        fields[3],
        fields[12],
        fields[2],
        b'"%s"' % user if user else b"null",
    )


def canonical_leaf_from_copy(line: bytes, fields: Sequence[bytes]) -> bytes:
    """The leaf bytes rebuilt from one COPY text line (``LEAF_FIELDS`` first, NULL as empty), through
    the chain's fast path where it applies."""
    patients = fields[_PATIENTS]
    if not patients:
        return chain.canonical_from_copy(line, fields) or chain.canonical_from_copy_slow(fields)
    fast = _fast(line, fields, patients)
    if fast is not None:
        return fast
    # The fast path compares the quotes of the line with the entities' own: hand it the chain's fields only.
    head = b"\t".join(fields[:_PATIENTS])
    body = chain.canonical_from_copy(head, fields) or chain.canonical_from_copy_slow(fields)
    if b"\\" in patients:  # a COPY escape: the stored text is what was hashed, so undo the escape only
        patients = chain.unescape_copy(patients).encode()
    return _with_patients(body, patients)


def _sql_escaped(column: str) -> str:
    # Quote and backslash escaped (as JSON must), so that the text of a record is unambiguous: one text,
    # one record. A control character stays raw here where orjson escapes it: such a record's text does
    # not hash to its leaf and the verifier rebuilds it in Python (the definition).
    return f"replace(replace(e.{column}, '\\', '\\\\'), '\"', '\\\"')"


# (key, column) in key order; None: written otherwise below.
_SQL_KEYS = (
    ("action", "action"),
    ("address", "network_address"),
    ("client", "client_id"),
    ("entities", None),
    ("outcome", "outcome"),
    ("outcome_desc", "outcome_desc"),
    ("patient", "patient"),
    ("patients", None),
    ("query", "query"),
    ("recorded", None),
    ("request", "request_id"),
    ("role", "role"),
    ("seq", None),
    ("subtype", "subtype"),
    ("trace", "trace_id"),
    ("type", "type"),
    ("user", "user_id"),
)
_NULLABLE = frozenset({"network_address", "outcome_desc", "patient", "query", "user_id"})
_RECORDED = "to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"


def _sql_leaf() -> str:
    # One concat() call: one result buffer per record (chained || copies the growing text at every step);
    # the quotes around a value that is never NULL ride in the literals beside it.
    args: list[str] = []
    after = ""  # the closing quote of the value before, when it was written bare
    for i, (key, column) in enumerate(_SQL_KEYS):
        if key == "patients":  # a compact record's (absent on the rows before); "patient" came before
            args += ["CASE WHEN e.patients IS NOT NULL THEN ',\"patients\":' END", "e.patients"]
            continue
        label = after + ("{" if i == 0 else ",") + f'"{key}":'
        after = ""
        if key == "entities":  # stored as the very JSON text that is hashed
            args += [f"'{label}'", "e.entities"]
        elif key == "seq":
            args += [f"'{label}'", "e.seq"]
        elif key == "recorded":
            args += [f"'{label}\"'", _RECORDED]
            after = '"'
        elif column in _NULLABLE:
            args += [f"'{label}'", f"coalesce('\"' || {_sql_escaped(str(column))} || '\"', 'null')"]
        else:
            args += [f"'{label}\"'", _sql_escaped(str(column))]
            after = '"'
    args.append(f"'{after}}}'")
    # NULL (not "{...}") when the record is gone.
    return f"CASE WHEN e.seq IS NOT NULL THEN concat({', '.join(args)}) END"


# The leaf bytes of the record aliased ``e``, written by PostgreSQL (NULL when ``e`` is absent): what the
# full verification hashes, so that no Python work per record but the hash remains. Where it differs from
# :func:`canonical_leaf` (a control character, which orjson escapes) the verifier rebuilds that record in
# Python before calling it altered; a match proves the record, as the SQL text of a record is unambiguous.
SQL_LEAF = _sql_leaf()
