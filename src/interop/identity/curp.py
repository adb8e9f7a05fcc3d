"""The CURP: format, check digit, decoding, construction and consistency with a record.

Format and check digit lean on python-stdnum's ``stdnum.mx.curp``, which does not accept sex X
(issued since 2023); the positional checks here give a precise reason and accept X.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from stdnum import exceptions as stdnum_errors
from stdnum.mx import curp as stdnum_curp

from interop.identity.derivation import (
    CONSONANTS,
    INCONVENIENT_WORDS,
    CurpNamePart,
    derive_curp16,
    derive_name_part,
)
from interop.identity.sex import Sex, parse_sex
from interop.identity.states import BORN_ABROAD, STATE_CODES, state_code

__all__ = [
    "ALPHABET",
    "INCONVENIENT_WORDS",
    "STATE_CODES",
    "CurpCheck",
    "CurpConsistency",
    "CurpNamePart",
    "CurpParts",
    "CurpProblem",
    "Sex",
    "Verdict",
    "assess_curp",
    "build_curp",
    "check_digit",
    "decode_curp",
    "derive_curp16",
    "derive_name_part",
    "validate_curp",
]

# Character values for the check digit: 0–9, then A–N, Ñ, O–Z (Ñ is worth 24, O 25 …).
ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
LENGTH = 18
_FORMAT = re.compile(r"[A-Z]{4}[0-9]{6}[HMX][A-Z]{2}[A-Z]{3}[0-9A-Z][0-9]")
# A CURP anywhere in free text, any case: for screening what must never carry one (audit fields, headers).
_CURP_IN_TEXT = re.compile(
    r"[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{2}[B-DF-HJ-NP-TV-Z]{3}[A-Z0-9]\d", re.IGNORECASE
)


def contains_curp(value: str | None) -> bool:
    """Does ``value`` hold something shaped like a CURP (checked by shape, not by check digit)?"""
    return bool(value and _CURP_IN_TEXT.search(value))


def check_digit(curp17: str) -> str:
    """Character 18 for the first 17: weights 18..2 over ``ALPHABET``, ``(10 − sum mod 10) mod 10``.

    It catches a single changed character only when weight·Δvalue is not a multiple of 10: about
    80% of substitutions overall, none at position 9 (weight 10, the tens of the birth day), and
    only about half at positions 4 and 14 (weights 15 and 5). The positional and calendar checks
    catch some of the rest. Raises ``ValueError`` when ``curp17`` is not 17 alphabet characters.
    """
    if len(curp17) != LENGTH - 1 or any(c not in ALPHABET for c in curp17):
        raise ValueError("check digit needs 17 characters from 0-9, A-Z and Ñ")
    # stdnum spells Ñ as "&" in its alphabet; the index (24) is the same.
    return str(stdnum_curp.calc_check_digit(curp17.replace("Ñ", "&")))


class CurpProblem(StrEnum):
    EMPTY = "empty"
    LENGTH = "length"
    FORMAT = "format"
    INCONVENIENT_WORD = "inconvenient-word"
    BIRTH_DATE = "birth-date"
    STATE = "state"
    CONSONANTS = "consonants"
    CHECK_DIGIT = "check-digit"


_REASONS: dict[CurpProblem, str] = {
    CurpProblem.EMPTY: "no CURP given",
    CurpProblem.LENGTH: "a CURP has 18 characters",
    CurpProblem.FORMAT: "characters not of the kind their position needs "
    "(4 letters, 6 digits, H/M/X, 2 letters, 3 letters, letter or digit, digit)",
    CurpProblem.INCONVENIENT_WORD: "characters 1-4 form an inconvenient word that RENAPO never issues",
    CurpProblem.BIRTH_DATE: "characters 5-10 are not a real date",
    CurpProblem.STATE: "characters 12-13 are not an entidad code",
    CurpProblem.CONSONANTS: "characters 14-16 must be consonants",
    CurpProblem.CHECK_DIGIT: "character 18 does not match the check digit",
}


@dataclass(frozen=True, slots=True)
class CurpCheck:
    """A raw CURP after checking. ``value`` is the normalised (upper-case, separators removed)
    text whenever anything was given, valid or not, so that it can be kept as raw evidence."""

    value: str | None
    valid: bool
    reason: str | None
    problem: CurpProblem | None = None

    @property
    def decodable(self) -> bool:
        """The birth date, sex and state can be read (only the check digit may be wrong)."""
        return self.valid or self.problem is CurpProblem.CHECK_DIGIT


def _failed(value: str | None, problem: CurpProblem) -> CurpCheck:
    return CurpCheck(value=value, valid=False, reason=_REASONS[problem], problem=problem)


def _birth_date(value: str) -> date | None:
    try:
        decoded: date = stdnum_curp.get_birth_date(value)
    except (stdnum_errors.ValidationError, ValueError):
        return None
    return decoded


def validate_curp(raw: str | None) -> CurpCheck:
    """Check format by position, birth date, entidad, consonants and check digit.

    For sex H and M this accepts exactly what ``stdnum.mx.curp.is_valid`` accepts, less the CURPs
    whose characters 14–16 are not consonants (which RENAPO never issues); the tests hold the two
    to that. Sex X is accepted as well.
    """
    value = stdnum_curp.compact(raw) if raw is not None else ""
    if not value:
        return _failed(None, CurpProblem.EMPTY)
    if len(value) != LENGTH:
        return _failed(value, CurpProblem.LENGTH)
    if _FORMAT.fullmatch(value) is None:
        return _failed(value, CurpProblem.FORMAT)
    if value[:4] in INCONVENIENT_WORDS:
        return _failed(value, CurpProblem.INCONVENIENT_WORD)
    if _birth_date(value) is None:
        return _failed(value, CurpProblem.BIRTH_DATE)
    if value[11:13] not in STATE_CODES:
        return _failed(value, CurpProblem.STATE)
    if any(c not in CONSONANTS for c in value[13:16]):
        return _failed(value, CurpProblem.CONSONANTS)
    if value[17] != check_digit(value[:17]):
        return _failed(value, CurpProblem.CHECK_DIGIT)
    return CurpCheck(value=value, valid=True, reason=None)


@dataclass(frozen=True, slots=True)
class CurpParts:
    """What a CURP says about its holder."""

    birth_date: date
    sex: Sex
    state: str
    name_part: CurpNamePart
    homoclave: str

    @property
    def state_name(self) -> str:
        return STATE_CODES[self.state]

    @property
    def born_abroad(self) -> bool:
        return self.state == BORN_ABROAD


def decode_curp(curp: str) -> CurpParts:
    """Birth date (century from character 17: a digit before 2000, a letter from 2000), sex and
    entidad. Needs a well-formed CURP; the check digit is not required to match. Raises ``ValueError``."""
    check = validate_curp(curp)
    value = check.value or ""
    birth_date = _birth_date(value) if check.decodable else None
    if birth_date is None:
        raise ValueError(f"CURP cannot be decoded: {check.reason}")
    return CurpParts(
        birth_date=birth_date,
        sex=Sex(value[10]),
        state=value[11:13],
        name_part=CurpNamePart(initials=value[:4], consonants=value[13:16]),
        homoclave=value[16],
    )


def build_curp(
    *,
    given_names: str,
    paternal_surname: str | None,
    maternal_surname: str | None,
    birth_date: date,
    sex: Sex | str,
    state: str,
    homoclave: str,
) -> str:
    """A full CURP: ``derive_curp16`` + the homoclave RENAPO assigns + the check digit.

    The homoclave must be a digit for births to 1999 and a letter from 2000 (it carries the
    century); otherwise ``ValueError``.
    """
    if len(homoclave) != 1 or homoclave not in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        raise ValueError("homoclave is one character 0-9 or A-Z")
    if homoclave.isdigit() != (birth_date.year < 2000):
        raise ValueError("homoclave must be a digit for births to 1999 and a letter from 2000")
    curp17 = (
        derive_curp16(
            given_names=given_names,
            paternal_surname=paternal_surname,
            maternal_surname=maternal_surname,
            birth_date=birth_date,
            sex=sex,
            state=state,
        )
        + homoclave
    )
    return curp17 + check_digit(curp17)


class Verdict(StrEnum):
    AGREES = "agrees"
    CONTRADICTS = "contradicts"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CurpConsistency:
    """How a CURP fits the record that carries it, component by component.

    ``trusted`` — the CURP may serve as an identifier: it is valid (check digit included) and
    contradicts neither the record's birth date nor its sex. Names and state are evidence only:
    spellings vary, and a record's state is often where the person lives, not where they were born.
    ``name_characters_agreeing`` counts the 7 name characters (1–4, 14–16) that match the names.
    """

    check: CurpCheck
    names: Verdict
    birth_date: Verdict
    sex: Verdict
    state: Verdict
    name_characters_agreeing: int | None
    trusted: bool


def _compare(curp_says: object, record_says: object | None) -> Verdict:
    if record_says is None:
        return Verdict.UNKNOWN
    return Verdict.AGREES if curp_says == record_says else Verdict.CONTRADICTS


def assess_curp(
    curp: str | None,
    *,
    given_names: str | None,
    paternal_surname: str | None,
    maternal_surname: str | None,
    birth_date: date | None,
    sex: Sex | str | None,
    state: str | None,
) -> CurpConsistency:
    """Compare a CURP with the record's own data. Components the record lacks, or that the CURP
    cannot say (malformed), are UNKNOWN. A CURP whose only fault is its check digit is still
    compared, since its parts remain evidence, but it is never trusted."""
    check = validate_curp(curp)
    if not check.decodable:
        unknown = Verdict.UNKNOWN
        return CurpConsistency(check, unknown, unknown, unknown, unknown, None, trusted=False)
    parts = decode_curp(check.value or "")
    try:
        derived: CurpNamePart | None = derive_name_part(
            given_names=given_names, paternal_surname=paternal_surname, maternal_surname=maternal_surname
        )
    except ValueError:
        derived = None
    agreeing = (
        None
        if derived is None
        else sum(a == b for a, b in zip(derived.characters, parts.name_part.characters, strict=True))
    )
    names = _compare(parts.name_part, derived)
    dates = _compare(parts.birth_date, birth_date)
    sexes = _compare(parts.sex, parse_sex(sex))
    states = _compare(parts.state, state_code(state))
    trusted = check.valid and Verdict.CONTRADICTS not in (dates, sexes)
    return CurpConsistency(check, names, dates, sexes, states, agreeing, trusted)
