"""Leaf hashes from PostgreSQL's COPY text of the records, many lines at a time.

The full verification's hot loop (10 M records, issue 19). PostgreSQL writes each record's leaf text
around its instant with its values as stored (:data:`SQL_COLUMNS`): no JSON escaping and no ``to_char``,
which were most of its CPU a leaf when it wrote the whole text. Here the instant is put in canonical form
and the bytes hashed, one bytes template a line, for every record whose values need no JSON escaping.

Why a match proves the record: a line is hashed only when its string values hold no double quote (the
stored JSON texts ``entities`` and ``patients`` are embedded verbatim, as :func:`leaf.canonical_leaf`
does) and the line no backslash (COPY writes a backslash, and the control characters it escapes, with
one; ``\\N`` is its NULL). Such a record's JSON strings are its values verbatim, so the text is the
record's canonical leaf and the hash decides. A raw control character (COPY leaves some raw, JSON never
does) makes a text that no canonical leaf is, so it cannot match. Any other line gets :data:`REBUILD` in
place of its hash: the caller rebuilds that record from its fields (``leaf.canonical_leaf``, the
definition).
"""

from __future__ import annotations

import hashlib



def _nullable(column: str) -> str:
    return f"coalesce('\"' || e.{column} || '\"', 'null')"


# The leaf's text of the record aliased ``e`` up to its instant and after it, each one concat() (one result
# buffer) with the values as stored: no escaping and no to_char() (most of PostgreSQL's CPU a leaf when it
# wrote the whole text). Then the instant as UTC ``timestamp`` text (``2026-07-01 00:00:01.3``, trailing
# zeros dropped; ``DateStyle`` ISO set by the caller: anything else fails the shape check below and is
# rebuilt), and the string values joined, which tell whether any needs JSON escaping.
_BEFORE = (
    "concat('{\"action\":\"', e.action, '\",\"address\":', " + _nullable("network_address")
    + ", ',\"client\":\"', e.client_id, '\",\"entities\":', e.entities, ',\"outcome\":\"', e.outcome, "
    "'\",\"outcome_desc\":', " + _nullable("outcome_desc") + ", ',\"patient\":', " + _nullable("patient")
    + ", CASE WHEN e.patients IS NOT NULL THEN ',\"patients\":' END, e.patients, ',\"query\":', "
    + _nullable("query") + ", ',\"recorded\":\"')"
)
_AFTER = (
    "concat('\",\"request\":\"', e.request_id, '\",\"role\":\"', e.role, '\",\"seq\":', e.seq, "
    "',\"subtype\":\"', e.subtype, '\",\"trace\":\"', e.trace_id, '\",\"type\":\"', e.type, "
    "'\",\"user\":', " + _nullable("user_id") + ", '}')"
)
_STRINGS = (
    "concat(e.action, e.network_address, e.client_id, e.outcome, e.outcome_desc, e.patient, e.query, "
    "e.request_id, e.role, e.subtype, e.trace_id, e.type, e.user_id)"
)
SQL_COLUMNS = f"e.recorded_at AT TIME ZONE 'UTC', {_BEFORE}, {_AFTER}, {_STRINGS}"
# What the walker's connection must have set in its transaction for the instant's text.
SQL_SETTINGS = "SET LOCAL DateStyle = 'ISO, YMD'"
REBUILD = b"?"  # never a 32-byte hash: the stored hash differs, and the record is rebuilt
GONE = b""  # the place of a leaf whose record is gone (NULL instant)

_NULL = b"\\N"
_LEAF = b"\x00%s%sT%s%sZ%s"  # RFC 9162's leaf prefix, then the text with the instant in canonical form


def hash_lines(chunk: bytes, start: int, hashes: list[bytes | None], gone: list[int]) -> None:
    """Hash every complete line of ``chunk`` (leaf index, then :data:`SQL_COLUMNS`; NULL as ``\\N``)
    into ``hashes[index - start]``: the leaf hash, :data:`GONE` (its index added to ``gone``) or
    :data:`REBUILD`."""
    lines = chunk.split(b"\n")
    lines.pop()  # after the last newline: nothing (the caller keeps any partial line)
    # Checked over the whole chunk in C: most chunks hold no backslash at all.
    strict = b"\\" in chunk
    sha256, null, template = hashlib.sha256, _NULL, _LEAF
    for line in lines:
        index, ts, before, after, strings = line.split(b"\t")
        at = int(index) - start
        if ts == null:
            gone.append(at + start)
            hashes[at] = GONE
        elif b'"' in strings or ts[10:11] != b" " or (strict and b"\\" in line):
            hashes[at] = REBUILD
        else:
            frac = (ts[19:] or b".").ljust(7, b"0")  # PostgreSQL drops the fraction's trailing zeros
            hashes[at] = sha256(template % (before, ts[:10], ts[11:19], frac, after)).digest()
