"""The per-field rules of ``identity_rows`` on Arrow columns: stripping, values mapped per distinct value,
telephones, CURP verdicts and CURP characters 1–16. Pure: no I/O.

Every function returns what ``identity_rows`` / ``IdentityBatch`` return for the same values; only the
way is different: Arrow and numpy work on whole columns, Python runs once per distinct value (through
the same ``IdentityBatch`` caches), and whatever a vectorised rule does not cover exactly (non-ASCII
CURPs or CURPs that fail the screen, telephones that are not ten plain digits) is handed, value by
value, to the very functions ``identity_rows`` calls.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from interop.identity import derivation
from interop.identity.curp import INCONVENIENT_WORDS
from interop.identity.phones import normalize_phone
from interop.ingest.curp_screen import screen_curps
from interop.ingest.identity_batch import _CONTRADICTS, _EPOCH_DAYS, IdentityBatch

# The characters str.strip() removes: those for which str.isspace() is true.
_SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)
# identity_batch._PLAIN_PHONE, anchored; or "+52" before ten plain digits, which normalize_phone reads
# exactly as the ten digits alone (no separator, extension, retired prefix: the same E.164 digits).
_TEN_DIGITS = "^(?:[(]?[2-9][0-9 ().-]{9,16}|[+]52 ?[2-9][0-9]{9})$"
_PLUS_52 = "^[+]52 ?"
_PHONE_NOISE = "[ ().-]"
_UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_INCONVENIENT = pa.array(sorted(INCONVENIENT_WORDS))
_MISSING = derivation.MISSING
_NONE = pa.scalar(None, pa.string())


def strip(column: pa.Array) -> pa.Array:
    """``str.strip`` of every value (Arrow trims the same characters)."""
    return pc.utf8_trim(column, characters=_SPACES)


def by_value(
    column: pa.Array, cache: dict[str, Any], compute: Callable[[str], object], *, skip_empty: bool = False
) -> tuple[list[Any], np.ndarray]:
    """(result of each distinct value, position of each row's value in that list): ``compute`` runs
    once per value new to ``cache``. ``skip_empty``: the empty value is None and never computed."""
    encoded = pc.dictionary_encode(column)
    values: list[str] = encoded.dictionary.to_pylist()
    for value in set(values).difference(cache):
        if not (skip_empty and value == ""):
            compute(value)
    if skip_empty and "" in values:
        results: list[Any] = [None if value == "" else cache[value] for value in values]
    else:
        results = list(map(cache.__getitem__, values))
    return results, encoded.indices.to_numpy(zero_copy_only=False)


def spread(results: list[Any], indices: np.ndarray, arrow_type: pa.DataType) -> pa.Array:
    """Each row's value: ``results`` taken at the rows' positions."""
    return pa.array(results, arrow_type).take(pa.array(indices))


def phones(ib: IdentityBatch, raws: pa.Array) -> tuple[pa.Array, dict[int, str]]:
    """``IdentityBatch.phone`` of every non-empty value: (E.164 or None, issue reason by position).
    Ten plain digits (also after "+52") are judged by their prefix as ``IdentityBatch.phone`` judges
    them; any other value by ``normalize_phone`` itself."""
    n = len(raws)
    plain = pc.match_substring_regex(raws, _TEN_DIGITS)
    digits = pc.replace_substring_regex(pc.replace_substring_regex(raws, _PLUS_52, ""), _PHONE_NOISE, "")
    ten = pc.and_(plain, pc.equal(pc.binary_length(digits), 10)).to_numpy(zero_copy_only=False)
    issues: dict[int, str] = {}
    rows = np.flatnonzero(ten)
    if len(rows):
        ten_digits = digits.take(pa.array(rows))
        prefixes = pc.utf8_slice_codeunits(ten_digits, 0, 4)
        encoded = pc.dictionary_encode(prefixes)
        known = ib._phone_prefix
        firsts = np.unique(encoded.indices.to_numpy(zero_copy_only=False), return_index=True)[1]
        for prefix, first in zip(encoded.dictionary.to_pylist(), firsts.tolist(), strict=True):
            if prefix not in known:  # judged, as IdentityBatch.phone does, on its first number
                known[prefix] = normalize_phone(ten_digits[first].as_py()).value is not None
        ok = np.array([known[p] for p in encoded.dictionary.to_pylist()], dtype=bool)
        valid = ok[encoded.indices.to_numpy(zero_copy_only=False)]
        e164 = pc.binary_join_element_wise("+52", ten_digits, "")
        values = pc.if_else(pa.array(valid), e164, pa.scalar(None, pa.string()))
        out_array = pa.nulls(n, pa.string())
        out_array = pc.replace_with_mask(out_array, pa.array(ten), values)
        for k in np.flatnonzero(~valid).tolist():
            issues[int(rows[k])] = normalize_phone(ten_digits[k].as_py()).reason or "invalid"
    else:
        out_array = pa.nulls(n, pa.string())
    other = pc.and_(pc.invert(pa.array(ten)), pc.not_equal(raws, "")).to_numpy(zero_copy_only=False)
    rest = np.flatnonzero(other)
    if len(rest):
        found: list[str | None] = []
        for i, raw in zip(rest.tolist(), raws.take(pa.array(rest)).to_pylist(), strict=True):
            parsed = normalize_phone(raw)
            found.append(parsed.value)
            if parsed.value is None:
                issues[i] = parsed.reason or "invalid"
        out_array = pc.replace_with_mask(out_array, pa.array(other), pa.array(found, pa.string()))
    return out_array, issues


def _single_bytes(values: pa.Array) -> np.ndarray:
    """The byte of each one-byte value (the data buffer of the column, read in place)."""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[
        values.offset : values.offset + len(values) + 1
    ]
    if offsets[-1] - offsets[0] != len(values):  # not one byte each: the first character's code
        return np.array([ord(value[0]) if value else 0 for value in values.to_pylist()], dtype=np.int64)
    return np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]


def ordinals(births: pa.Array) -> np.ndarray:
    """``date.toordinal()`` of each birth date, ``_EPOCH_DAYS`` where there is none."""
    days = births.cast(pa.int32()).fill_null(0).to_numpy().astype(np.int64) + _UNIX_EPOCH_ORDINAL
    return np.where(births.is_valid().to_numpy(zero_copy_only=False), days, _EPOCH_DAYS)


def curps(
    ib: IdentityBatch,
    raws: pa.Array,
    births: pa.Array,
    sexes: pa.Array,
    names: tuple[pa.Array, pa.Array, pa.Array],
    states: pa.Array,
) -> tuple[pa.Array, np.ndarray, dict[int, str]]:
    """``IdentityBatch.curp_columns`` of the rows with a CURP: (CURP or None, trusted, issue by position).

    Upper-case plain ASCII values of 18 characters that pass the screen are judged here; every other
    value goes through ``curp_columns`` itself (their verdicts do not depend on other rows)."""
    n = len(raws)
    present = pc.not_equal(raws, "").to_numpy(zero_copy_only=False)
    ascii_ = pc.string_is_ascii(raws).to_numpy(zero_copy_only=False)
    upper = pc.ascii_upper(raws)
    plain = present & ascii_ & (pc.binary_length(raws).to_numpy(zero_copy_only=False) == 18)
    trusted = np.zeros(n, dtype=bool)
    issues: dict[int, str] = {}
    accepted = np.zeros(n, dtype=bool)
    screened = np.flatnonzero(plain)
    if len(screened):
        codes_array = upper.take(pa.array(screened))
        offsets = np.frombuffer(codes_array.buffers()[1], dtype=np.int32)
        offsets = offsets[codes_array.offset : codes_array.offset + len(codes_array) + 1]
        data = np.frombuffer(codes_array.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
        verdict = screen_curps(data.reshape(len(screened), 18))
        record_days = ordinals(births.take(pa.array(screened)))
        record_sex = _single_bytes(pc.fill_null(sexes.take(pa.array(screened)), "?"))
        agrees = ((record_days == _EPOCH_DAYS) | (record_days == verdict.ordinal)) & (
            (record_sex == ord("?")) | (record_sex == verdict.sex)
        )
        valid_rows = screened[verdict.valid]
        accepted[valid_rows] = True
        trusted[valid_rows] = agrees[verdict.valid]
        for i in valid_rows[~agrees[verdict.valid]].tolist():
            issues[i] = _CONTRADICTS
    judged = np.flatnonzero(present & ~accepted)
    curp_values = pc.if_else(pa.array(accepted), upper, pa.scalar(None, pa.string()))
    if len(judged):
        at = pa.array(judged)
        found, found_trusted, found_issues = ib.curp_columns(
            raws.take(at).to_pylist(),
            births.take(at).to_pylist(),
            sexes.take(at).to_pylist(),
            names[0].take(at).to_pylist(),
            names[1].take(at).to_pylist(),
            names[2].take(at).to_pylist(),
            states.take(at).to_pylist(),
        )
        mask = np.zeros(n, dtype=bool)
        mask[judged] = True
        curp_values = pc.replace_with_mask(curp_values, pa.array(mask), pa.array(found, pa.string()))
        trusted[judged] = found_trusted
        for k, reason in found_issues.items():
            issues[int(judged[k])] = reason
    return curp_values, trusted, issues


def curp16(
    ib: IdentityBatch,
    givens: pa.Array,
    paternals: pa.Array,
    maternals: pa.Array,
    births: pa.Array,
    sexes: pa.Array,
    states: pa.Array,
) -> pa.Array:
    """``IdentityBatch.curp16_column``: pieces per distinct name and date, composed column-wise."""
    given_pieces, given_at = by_value(givens, ib._given_pieces, ib._given_piece)
    g0 = spread([p[0] if p else None for p in given_pieces], given_at, pa.string())
    g1 = spread([p[1] if p else None for p in given_pieces], given_at, pa.string())
    first = _surname_pieces(ib, paternals)
    second = _surname_pieces(ib, maternals)
    has_first = first[0].is_valid()
    # No paternal piece: the maternal one is read first and the second is missing.
    f = [pc.if_else(has_first, a, b) for a, b in zip(first, second, strict=True)]
    s = [pc.if_else(has_first, b, pa.scalar(None, pa.string())) for b in second]
    s0 = pc.fill_null(s[0], _MISSING)
    s2 = pc.fill_null(s[2], _MISSING)
    initials = pc.binary_join_element_wise(f[0], f[1], s0, g0, "")
    softened = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(initials, 0, 1), _MISSING, pc.utf8_slice_codeunits(initials, 2, 4), ""
    )
    initials = pc.if_else(pc.is_in(initials, value_set=_INCONVENIENT), softened, initials)
    tokens = _tokens(births)
    return pc.binary_join_element_wise(initials, tokens, sexes, states, f[2], s2, g1, "")


def _surname_pieces(ib: IdentityBatch, column: pa.Array) -> list[pa.Array]:
    pieces, at = by_value(column, ib._surname_pieces, ib._surname_piece)
    return [spread([p[k] if p else None for p in pieces], at, pa.string()) for k in range(3)]


def _tokens(births: pa.Array) -> pa.Array:
    """``%y%m%d`` of each birth date in 1900–2099, else None (then no CURP characters 1–16)."""
    years = pc.year(births)
    in_range = pc.and_(pc.greater_equal(years, 1900), pc.less_equal(years, 2099))
    number = pc.add(
        pc.add(
            pc.multiply(pc.subtract(years, pc.multiply(pc.divide(years, 100), 100)), 10_000),
            pc.multiply(pc.month(births), 100),
        ),
        pc.day(births),
    )
    token = pc.utf8_lpad(pc.cast(number, pa.string()), width=6, padding="0")
    return pc.if_else(in_range, token, _NONE)
