"""Roll and registry rows of a chunk → staged tuples and rejects, column by column. Pure: no I/O.

The rules are those of one row at a time (see ``normalise``), applied per column: a value that repeats
(a name, a date, a sex, an entidad, a programa) is normalised once per import through the
``IdentityBatch`` caches and mapped back with C-level ``map``; only the rejection decisions, the CURP
characters 1-16, telephones and the digest are per row. Rejects keep their line order.

This is the reference the column-wise path (``identity_columns``, on Arrow columns) is tested against,
and the path of batches read row by row (NDJSON, and CSV that Arrow cannot read exactly).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import partial
from operator import itemgetter, methodcaller
from typing import Any, TypeVar

import orjson

from interop.ingest.identity_batch import IdentityBatch
from interop.ingest.reading import MAX_FIELD_CHARS
from interop.messages import stored

_T = TypeVar("_T")
Reject = tuple[int, str | None, str]
NO_ISSUES = "[]"
_SEP = "\x1f"
_DATE_ISSUE = "fecha_nacimiento"
_SEX_REASON = "unknown sexo; expected H, M or X"
_STATE_REASON = "unknown entidad; expected a two-letter CURP state code"
_PROGRAMA_REASON = "unknown programa; expected PAM or PCD"


def _mapped(column: Sequence[str], cache: dict[str, _T], compute: Callable[[str], _T]) -> list[_T]:
    """``compute`` of every value, each distinct value computed once (and kept for later chunks)."""
    for value in set(column).difference(cache):
        compute(value)  # fills ``cache``
    return list(map(cache.__getitem__, column))


def _mapped_present(
    column: Sequence[str], cache: dict[str, _T], compute: Callable[[str], _T]
) -> list[_T | None]:
    """Like ``_mapped`` for an optional field: an empty value is None and is never computed."""
    missing = set(column).difference(cache)
    missing.discard("")
    for value in missing:
        compute(value)
    return list(map(cache.get, column))


def _take(column: Sequence[_T], keep: list[int]) -> list[_T]:
    if len(keep) == len(column):
        return list(column)
    if not keep:
        return []
    if len(keep) == 1:
        return [column[keep[0]]]
    return list(itemgetter(*keep)(column))


_BLAKE2B_16 = partial(hashlib.blake2b, digest_size=16)
_HEX = methodcaller("hexdigest")


def _digests(columns: list[list[str]]) -> list[str]:
    """``normalise.digest`` of every row (its values joined by U+001F), without a Python call per row."""
    return list(map(_HEX, map(_BLAKE2B_16, map(str.encode, map(_SEP.join, zip(*columns, strict=True))))))


def identity_rows(
    ib: IdentityBatch,
    seen: dict[str, int],
    *,
    patients: bool,
    clues_format: Callable[[str], object],
    programas: frozenset[str],
    lines: list[int],
    raw_columns: Sequence[Sequence[str]],
    staged: list[tuple[Any, ...]],
    rejects: list[Reject],
    short: bool = False,
) -> None:
    """Columns in ``spec.columns`` order, one value per line ('' when absent). Appends to ``staged``
    and ``rejects``. ``short``: the caller knows no value is longer than ``MAX_FIELD_CHARS``."""
    if not lines:
        return
    columns = [list(map(str.strip, column)) for column in raw_columns]
    record_ids, nombres, paternals_raw, maternals_raw = columns[0], *columns[2:5]
    extras = columns[12]
    givens = _mapped(nombres, ib._given, ib.given)
    paternals = _mapped(paternals_raw, ib._surname, ib.surname)
    maternals = _mapped(maternals_raw, ib._surname, ib.surname)
    too_long: list[bool] | None = None
    if not short and any(max(map(len, column)) > MAX_FIELD_CHARS for column in columns):
        too_long = [max(map(len, values)) > MAX_FIELD_CHARS for values in zip(*columns, strict=True)]
    clues: list[str] = [extra.upper() for extra in extras] if patients else []

    if (
        too_long is None
        and not patients
        and all(record_ids)
        and None not in givens
        and None not in paternals
        and len(set(record_ids)) == len(record_ids)
        and seen.keys().isdisjoint(record_ids)
    ):  # the usual batch, nothing to reject: the loop below would keep every row
        seen.update(zip(record_ids, lines, strict=True))
        keep = list(range(len(lines)))
    else:
        keep = _kept(
            seen,
            patients,
            clues_format,
            lines,
            columns,
            givens,
            paternals,
            maternals,
            too_long,
            clues,
            rejects,
        )
    if not keep:
        return
    _store(
        ib,
        [_take(c, keep) for c in columns],
        _take(lines, keep),
        keep,
        givens,
        paternals,
        maternals,
        _take(clues, keep) if patients else None,
        programas,
        staged,
    )


def _kept(
    seen: dict[str, int],
    patients: bool,
    clues_format: Callable[[str], object],
    lines: list[int],
    columns: list[list[str]],
    givens: list[tuple[str, str] | None],
    paternals: list[str | None],
    maternals: list[str | None],
    too_long: list[bool] | None,
    clues: list[str],
    rejects: list[Reject],
) -> list[int]:
    """Positions of the rows that are stored; the others are rejected (in line order)."""
    record_ids = columns[0]
    keep: list[int] = []
    setdefault = seen.setdefault
    for i, line in enumerate(lines):
        record_id = record_ids[i]
        if too_long is not None and too_long[i]:
            reason = stored.keep("ingest.reject.field_too_long", max=MAX_FIELD_CHARS)
            rejects.append((line, record_id[:200] or None, reason))
            continue
        if not record_id:
            rejects.append((line, None, stored.keep("ingest.reject.record_id_empty")))
            continue
        first = setdefault(record_id, line)
        if first != line:
            rejects.append((line, record_id, stored.keep("ingest.reject.duplicate", first=first)))
            continue
        if givens[i] is None:
            rejects.append((line, record_id, stored.keep("ingest.reject.no_given_name")))
            continue
        if paternals[i] is None and maternals[i] is None:
            rejects.append((line, record_id, stored.keep("ingest.reject.no_surname")))
            continue
        if patients:
            code = clues[i]
            if not clues_format(code):
                reason = stored.keep("ingest.reject.clues_invalid" if code else "ingest.reject.clues_empty")
                rejects.append((line, record_id, reason))
                continue
        keep.append(i)
    return keep


def _store(
    ib: IdentityBatch,
    columns: list[list[str]],
    lines: list[int],
    keep: list[int],
    givens_all: list[tuple[str, str] | None],
    paternals_all: list[str | None],
    maternals_all: list[str | None],
    clues: list[str] | None,
    programas: frozenset[str],
    staged: list[tuple[Any, ...]],
) -> None:
    n = len(lines)
    record_ids, curp_raws, nombres, paternals_raw, maternals_raw = columns[:5]
    raw_dates, raw_sexes, raw_states = columns[5:8]
    municipios, localidades, domicilios, raw_phones, extras = columns[8:13]
    givens: list[tuple[str, str]] = _take(givens_all, keep)  # type: ignore[arg-type]
    paternals = _take(paternals_all, keep)
    maternals = _take(maternals_all, keep)
    issues: dict[int, list[dict[str, str]]] = {}

    def issue(i: int, name: str, raw: str, reason: str) -> None:
        issues.setdefault(i, []).append({"field": name, "raw": raw, "reason": reason})

    # Field by field, so that each row's issues keep the order of its fields.
    dates = _mapped_present(raw_dates, ib._dates, ib.birth_date)
    births = [None if result is None else result.value for result in dates]
    for i, reason in [(i, r.issue) for i, r in enumerate(dates) if r is not None and r.issue]:
        issue(i, _DATE_ISSUE, raw_dates[i], reason)
    sexes = _mapped_present(raw_sexes, ib._sex, ib.sex)
    for i in [i for i, (raw, sex) in enumerate(zip(raw_sexes, sexes, strict=True)) if raw and sex is None]:
        issue(i, "sexo", raw_sexes[i], _SEX_REASON)
    states = _mapped_present(raw_states, ib._state, ib.entidad)
    for i in [i for i, (raw, st) in enumerate(zip(raw_states, states, strict=True)) if raw and st is None]:
        issue(i, "entidad", raw_states[i], _STATE_REASON)
    phones: list[str | None] = [None] * n
    phone_of = ib.phone
    for i in [i for i, raw in enumerate(raw_phones) if raw]:
        value, why = phone_of(raw_phones[i])
        phones[i] = value
        if value is None:
            issue(i, "telefono", raw_phones[i], why or "invalid")
    tail: list[tuple[Any, ...]]
    if clues is not None:
        tail = [(code, expediente or None) for code, expediente in zip(clues, columns[13], strict=True)]
    else:
        programa_of: dict[str, tuple[str | None]] = {}
        for extra in set(extras):
            upper = extra.upper()
            programa_of[extra] = (upper if upper in programas else None,)
        for i in [i for i, extra in enumerate(extras) if extra and programa_of[extra][0] is None]:
            issue(i, "programa", extras[i], _PROGRAMA_REASON)
        tail = list(map(programa_of.__getitem__, extras))
    curp16s = ib.curp16_column(nombres, paternals_raw, maternals_raw, births, sexes, states)
    digests = _digests(columns)
    curps: list[str | None] = [None] * n
    trusted = [False] * n
    curp_rows = [i for i, raw in enumerate(curp_raws) if raw]
    if curp_rows:
        found_curps, found_trusted, curp_issues = ib.curp_columns(
            _take(curp_raws, curp_rows),
            _take(births, curp_rows),
            _take(sexes, curp_rows),
            _take(nombres, curp_rows),
            _take(paternals_raw, curp_rows),
            _take(maternals_raw, curp_rows),
            _take(states, curp_rows),
        )
        for i, curp, ok in zip(curp_rows, found_curps, found_trusted, strict=True):
            curps[i] = curp
            trusted[i] = ok
        for k, reason in curp_issues.items():
            issue(curp_rows[k], "curp", curp_raws[curp_rows[k]], reason)
    field_issues = [NO_ISSUES] * n
    for i, found in issues.items():
        field_issues[i] = orjson.dumps(found).decode()
    staged.extend(
        map(
            tuple.__add__,
            zip(
                lines,
                record_ids,
                digests,
                _or_none(nombres),
                _or_none(paternals_raw),
                _or_none(maternals_raw),
                [given[0] for given in givens],
                paternals,
                maternals,
                [given[1] for given in givens],
                curps,
                _or_none(curp_raws),
                trusted,
                curp16s,
                births,
                sexes,
                states,
                _or_none(municipios),
                _or_none(localidades),
                _or_none(domicilios),
                phones,
                field_issues,
                strict=True,
            ),
            tail,
        )
    )


def _or_none(column: list[str]) -> list[str | None]:
    if "" not in column:
        return list(column)
    return [value or None for value in column]
