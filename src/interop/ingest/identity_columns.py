"""Roll and registry rows of a chunk as Arrow columns → the staged columns and rejects. Pure: no I/O.

The same rules, in the same order, as ``identity_rows`` (which stays the reference and the path for
rows read one by one); here each rule runs over a whole column (``identity_fields``) and Python only
over distinct values and the rows a rule singles out (rejects, field issues). The result is an Arrow
table in ``STAGE_COLUMNS`` order, written by binary COPY (``copy_binary``). Tests compare both paths
value by value on corrupted data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import partial
from operator import methodcaller
from typing import Any

import numpy as np
import orjson
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from interop.db.identity_records import COMMON_COLUMNS
from interop.ingest import identity_fields as fields
from interop.ingest.identity_batch import IdentityBatch
from interop.ingest.identity_rows import _PROGRAMA_REASON, _SEX_REASON, _STATE_REASON, Reject, _kept
from interop.ingest.reading import MAX_FIELD_CHARS

NO_ISSUES = "[]"
_BLAKE2B_16 = partial(hashlib.blake2b, digest_size=16)
_DIGEST = methodcaller("digest")
_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_NONE = pa.scalar(None, pa.string())


def _or_none(column: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(column, ""), _NONE, column)


def _rows(mask: Any) -> list[int]:
    values = mask.to_numpy(zero_copy_only=False) if isinstance(mask, pa.Array) else mask
    return [int(i) for i in np.flatnonzero(values)]


def identity_table(
    ib: IdentityBatch,
    seen: dict[str, int],
    *,
    patients: bool,
    clues_format: Callable[[str], object],
    programas: frozenset[str],
    lines: Sequence[int],
    raw_columns: Sequence[pa.Array],
    rejects: list[Reject],
    short: bool = False,
) -> pa.Table | None:
    """``identity_rows`` on columns in ``spec.columns`` order ('' when absent): appends the rejects and
    returns the staged rows (None when every row is rejected)."""
    if not lines:
        return None
    columns = [fields.strip(column) for column in raw_columns]
    n = len(lines)
    record_ids = columns[0]
    given_results, given_at = fields.by_value(columns[2], ib._given, ib.given)
    paternal_results, paternal_at = fields.by_value(columns[3], ib._surname, ib.surname)
    maternal_results, maternal_at = fields.by_value(columns[4], ib._surname, ib.surname)
    given_ok = np.array([r is not None for r in given_results], dtype=bool)[given_at]
    paternal_ok = np.array([r is not None for r in paternal_results], dtype=bool)[paternal_at]
    maternal_ok = np.array([r is not None for r in maternal_results], dtype=bool)[maternal_at]
    too_long: np.ndarray | None = None
    if not short:
        longest = np.max([pc.utf8_length(c).to_numpy(zero_copy_only=False) for c in columns], axis=0)
        if longest.max() > MAX_FIELD_CHARS:
            too_long = longest > MAX_FIELD_CHARS
    clues: list[str] = [extra.upper() for extra in columns[12].to_pylist()] if patients else []
    ids: list[str] = record_ids.to_pylist()
    if (
        too_long is None
        and pc.all(pc.not_equal(record_ids, "")).as_py()
        and given_ok.all()
        and (paternal_ok | maternal_ok).all()
        and (not patients or all(map(bool, map(clues_format, clues))))
        and len(set(ids)) == n
        and seen.keys().isdisjoint(ids)
    ):  # the usual batch, nothing to reject: ``_kept`` would keep every row
        seen.update(zip(ids, lines, strict=True))
        keep = None
    else:
        kept = _kept(
            seen,
            patients,
            clues_format,
            list(lines),
            [ids],
            [None if not ok else () for ok in given_ok.tolist()],  # type: ignore[misc]
            [None if not ok else "" for ok in paternal_ok.tolist()],
            [None if not ok else "" for ok in maternal_ok.tolist()],
            None if too_long is None else too_long.tolist(),
            clues,
            rejects,
        )
        if not kept:
            return None
        keep = pa.array(kept, pa.int64()) if len(kept) < n else None
    if keep is not None:
        columns = [c.take(keep) for c in columns]
        index = keep.to_numpy()
        given_at, paternal_at, maternal_at = given_at[index], paternal_at[index], maternal_at[index]
        lines = [lines[i] for i in index.tolist()]
        clues = [clues[i] for i in index.tolist()] if patients else []
    return _store(
        ib,
        columns,
        list(lines),
        (given_results, given_at),
        fields.spread(paternal_results, paternal_at, pa.string()),
        fields.spread(maternal_results, maternal_at, pa.string()),
        clues if patients else None,
        programas,
    )


def _store(
    ib: IdentityBatch,
    columns: list[pa.Array],
    lines: list[int],
    givens: tuple[list[Any], np.ndarray],
    paternals: pa.Array,
    maternals: pa.Array,
    clues: list[str] | None,
    programas: frozenset[str],
) -> pa.Table:
    n = len(lines)
    record_ids, curp_raws, nombres, paternals_raw, maternals_raw = columns[:5]
    raw_dates, raw_sexes, raw_states = columns[5:8]
    municipios, localidades, domicilios, raw_phones, extras = columns[8:13]
    issues: dict[int, list[dict[str, str]]] = {}

    def issue(where: list[int] | dict[int, str], name: str, raws: pa.Array, reason: str | None) -> None:
        rows = list(where)
        if not rows:
            return
        values = raws.take(pa.array(rows, pa.int64())).to_pylist()
        for i, raw in zip(rows, values, strict=True):
            why = reason if reason is not None else str(where[i])  # type: ignore[call-overload]
            issues.setdefault(i, []).append({"field": name, "raw": raw, "reason": why})

    # Field by field, so that each row's issues keep the order of its fields.
    date_results, date_at = fields.by_value(raw_dates, ib._dates, ib.birth_date, skip_empty=True)
    births = fields.spread([r.value if r else None for r in date_results], date_at, pa.date32())
    date_issues = [r.issue if r is not None else None for r in date_results]
    with_issue = np.array([bool(reason) for reason in date_issues], dtype=bool)[date_at]
    issue({i: date_issues[date_at[i]] for i in _rows(with_issue)}, "fecha_nacimiento", raw_dates, None)
    sex_results, sex_at = fields.by_value(raw_sexes, ib._sex, ib.sex, skip_empty=True)
    sexes = fields.spread(sex_results, sex_at, pa.string())
    issue(_rows(pc.and_(pc.not_equal(raw_sexes, ""), sexes.is_null())), "sexo", raw_sexes, _SEX_REASON)
    state_results, state_at = fields.by_value(raw_states, ib._state, ib.entidad, skip_empty=True)
    states = fields.spread(state_results, state_at, pa.string())
    issue(
        _rows(pc.and_(pc.not_equal(raw_states, ""), states.is_null())), "entidad", raw_states, _STATE_REASON
    )
    phones, phone_issues = fields.phones(ib, raw_phones)
    issue(dict(sorted(phone_issues.items())), "telefono", raw_phones, None)
    tail: list[tuple[str, pa.Array]]
    if clues is not None:
        tail = [("clues", pa.array(clues, pa.string())), ("expediente", _or_none(columns[13]))]
    else:
        programa_cache: dict[str, str | None] = {}

        def programa_of(extra: str) -> str | None:
            upper = extra.upper()
            programa_cache[extra] = upper if upper in programas else None
            return programa_cache[extra]

        found, at = fields.by_value(extras, programa_cache, programa_of)
        programa = fields.spread(found, at, pa.string())
        issue(
            _rows(pc.and_(pc.not_equal(extras, ""), programa.is_null())), "programa", extras, _PROGRAMA_REASON
        )
        tail = [("programa", programa)]
    curp16s = fields.curp16(ib, nombres, paternals_raw, maternals_raw, births, sexes, states)
    curps, trusted, curp_issues = fields.curps(
        ib, curp_raws, births, sexes, (nombres, paternals_raw, maternals_raw), states
    )
    issue(dict(sorted(curp_issues.items())), "curp", curp_raws, None)
    field_issues = [NO_ISSUES] * n
    for i, found_issues in issues.items():
        field_issues[i] = orjson.dumps(found_issues).decode()
    given_results, given_at = givens
    return pa.table(
        [
            pa.array(lines, pa.int32()),
            record_ids,
            _digests(columns),
            _or_none(nombres),
            _or_none(paternals_raw),
            _or_none(maternals_raw),
            fields.spread([g[0] if g else None for g in given_results], given_at, pa.string()),
            paternals,
            maternals,
            fields.spread([g[1] if g else None for g in given_results], given_at, pa.string()),
            curps,
            _or_none(curp_raws),
            pa.array(trusted, pa.bool_()),
            curp16s,
            births,
            sexes,
            states,
            _or_none(municipios),
            _or_none(localidades),
            _or_none(domicilios),
            phones,
            pa.array(field_issues, pa.string()),
            *(values for _, values in tail),
        ],
        names=["line", *COMMON_COLUMNS, *(name for name, _ in tail)],
    )


def _digests(columns: list[pa.Array]) -> pa.Array:
    """``normalise.digest`` of every row: its values joined by U+001F, hashed without a Python call
    per row (Arrow joins, C-level ``map`` hashes, numpy writes the hex digits)."""
    joined = pc.binary_join_element_wise(*columns, "\x1f").cast(pa.binary()).to_pylist()
    digests = np.frombuffer(b"".join(map(_DIGEST, map(_BLAKE2B_16, joined))), dtype=np.uint8)
    hexed = np.empty((len(joined), 32), dtype=np.uint8)
    hexed[:, 0::2] = _HEX_DIGITS[digests >> 4].reshape(-1, 16)
    hexed[:, 1::2] = _HEX_DIGITS[digests & 15].reshape(-1, 16)
    offsets = np.arange(0, 32 * len(joined) + 1, 32, dtype=np.int32)
    return pa.StringArray.from_buffers(len(joined), pa.py_buffer(offsets), pa.py_buffer(hexed))
