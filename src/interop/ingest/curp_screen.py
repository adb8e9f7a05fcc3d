"""``validate_curp``'s rules vectorised with numpy over a matrix of CURPs (one row of 18 bytes each).

Exact for the plain upper-case ASCII values it accepts; ``IdentityBatch`` hands everything that fails
here to ``identity.curp`` itself.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import numpy as np

from interop.identity import derivation
from interop.identity.curp import ALPHABET, INCONVENIENT_WORDS, STATE_CODES

_CONSONANT_CLASS = "".join(sorted(derivation.CONSONANTS))
_WEIGHTS = np.arange(18, 1, -1, dtype=np.int64)
_VALUES = np.zeros(128, dtype=np.int64)
for _i, _c in enumerate(ALPHABET):
    if _c.isascii():
        _VALUES[ord(_c)] = _i


def _class_table(chars: str) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[[ord(c) for c in chars]] = True
    return table


_UPPER = _class_table("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGIT = _class_table("0123456789")
_SEX = _class_table("HMX")
_CONSONANT = _class_table(_CONSONANT_CLASS)
_ALNUM = _UPPER | _DIGIT
_STATE_PAIR = np.zeros(1 << 16, dtype=bool)
for _code in STATE_CODES:
    _STATE_PAIR[ord(_code[0]) << 8 | ord(_code[1])] = True
_INCONVENIENT = np.array(
    sorted(int.from_bytes(w.encode("ascii"), "big") for w in INCONVENIENT_WORDS), dtype=np.int64
)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_ORDINAL_OFFSET = date(1970, 1, 1).toordinal()


class CurpScreen(NamedTuple):
    valid: np.ndarray  # well-formed, real date, entidad, consonants, not inconvenient, check digit
    ordinal: np.ndarray  # birth date as date.toordinal() (meaningful where valid)
    sex: np.ndarray  # character 11 as a byte


def screen_curps(codes: np.ndarray) -> CurpScreen:
    """``validate_curp``'s rules on an (n, 18) uint8 matrix of upper-case ASCII CURPs, vectorised."""
    shape = (
        _UPPER[codes[:, 0:4]].all(axis=1)
        & _DIGIT[codes[:, 4:10]].all(axis=1)
        & _SEX[codes[:, 10]]
        & _STATE_PAIR[(codes[:, 11].astype(np.int64) << 8) | codes[:, 12]]
        & _CONSONANT[codes[:, 13:16]].all(axis=1)
        & _ALNUM[codes[:, 16]]
        & _DIGIT[codes[:, 17]]
    )
    initials = (
        codes[:, 0].astype(np.int64) << 24
        | codes[:, 1].astype(np.int64) << 16
        | codes[:, 2].astype(np.int64) << 8
        | codes[:, 3].astype(np.int64)
    )
    digits = codes[:, 4:10].astype(np.int64) - 48
    year = digits[:, 0] * 10 + digits[:, 1] + np.where(_DIGIT[codes[:, 16]], 1900, 2000)
    month = digits[:, 2] * 10 + digits[:, 3]
    day = digits[:, 4] * 10 + digits[:, 5]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    limit = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + ((month == 2) & leap)
    date_ok = month_ok & (day >= 1) & (day <= limit)
    safe_month = np.where(date_ok, month, 1)
    safe_day = np.where(date_ok, day, 1)
    ordinal = (
        (
            (year - 1970).astype("datetime64[Y]").astype("datetime64[M]")
            + (safe_month - 1).astype("timedelta64[M]")
        ).astype("datetime64[D]")
        + (safe_day - 1).astype("timedelta64[D]")
    ).astype(np.int64) + _ORDINAL_OFFSET
    valid = shape & date_ok & ~np.isin(initials, _INCONVENIENT)
    valid &= check_digits_match(codes)
    return CurpScreen(valid=valid, ordinal=ordinal, sex=codes[:, 10])


def check_digits_match(codes: np.ndarray) -> np.ndarray:
    values = _VALUES[np.minimum(codes[:, :17], 127)]
    expected = (10 - (values @ _WEIGHTS) % 10) % 10
    return np.asarray(expected == (codes[:, 17].astype(np.int64) - 48))
