"""Telephone numbers to E.164, reading the Mexican forms found in extracts.

Since August 2019 every Mexican number is dialled as 10 digits: the long-distance prefix 01, the
mobile prefixes 044/045 and the "1" after +52 for mobiles were retired, but old records still
carry them. They are removed here before phonenumbers validates the number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

MEXICO = "MX"
MEXICO_CODE = "52"
_NATIONAL_LENGTH = 10
_NON_DIGITS = re.compile(r"\D")
# A field that holds two numbers ("55 1234 5678 / 55 8765 4321"): only the first is read.
_SEPARATORS = re.compile(r"\s*(?:[/;,|]|\bY\b|\bO\b)\s*", re.IGNORECASE)
_EXTENSION = re.compile(r"\s*(?:EXT\.?|EXTENSION|X)\s*\d+\s*$", re.IGNORECASE)


class PhoneIssue(StrEnum):
    EMPTY = "empty"
    UNRECOGNISED = "unrecognised"
    INVALID = "invalid"


_REASONS: dict[PhoneIssue, str] = {
    PhoneIssue.EMPTY: "no telephone number given",
    PhoneIssue.UNRECOGNISED: "not a telephone number (a Mexican number has 10 digits)",
    PhoneIssue.INVALID: "no such number in the numbering plan",
}


@dataclass(frozen=True, slots=True)
class PhoneParse:
    """A number in E.164 (``+525512345678``) or why there is none. ``legacy_prefix`` names a
    retired prefix (01, 044, 045, +52 1) that was removed."""

    value: str | None
    issue: PhoneIssue | None
    reason: str | None
    legacy_prefix: str | None = None

    @property
    def mexican(self) -> bool:
        return self.value is not None and self.value.startswith("+" + MEXICO_CODE)


def _failed(issue: PhoneIssue) -> PhoneParse:
    return PhoneParse(value=None, issue=issue, reason=_REASONS[issue])


def _international(digits: str) -> tuple[str, str | None]:
    """E.164 digits (without +) with the retired mobile "1" after 52 removed."""
    if digits.startswith(MEXICO_CODE + "1") and len(digits) == len(MEXICO_CODE) + 1 + _NATIONAL_LENGTH:
        return MEXICO_CODE + digits[3:], "+52 1"
    return digits, None


def _national(digits: str) -> tuple[str, str | None]:
    """Digits dialled inside Mexico, as E.164 digits without + when recognisable."""
    for prefix in ("044", "045", "01"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + _NATIONAL_LENGTH:
            return MEXICO_CODE + digits[len(prefix) :], prefix
    if digits.startswith(MEXICO_CODE) and len(digits) in (12, 13):
        # "52 55 1234 5678" or "521 55 1234 5678" written without the plus sign.
        return _international(digits)
    return MEXICO_CODE + digits, None


def normalize_phone(raw: str | None) -> PhoneParse:
    """E.164 for a raw telephone field, Mexico assumed when no country code is written."""
    text = _SEPARATORS.split((raw or "").strip(), maxsplit=1)[0]
    text = _EXTENSION.sub("", text)
    digits = _NON_DIGITS.sub("", text)
    if not digits:
        return _failed(PhoneIssue.EMPTY if not (raw or "").strip() else PhoneIssue.UNRECOGNISED)
    if text.startswith("+") or digits.startswith("00"):
        e164_digits, prefix = _international(digits.removeprefix("00"))
    elif len(digits) < _NATIONAL_LENGTH:
        return _failed(PhoneIssue.UNRECOGNISED)
    else:
        e164_digits, prefix = _national(digits)
    try:
        number = phonenumbers.parse("+" + e164_digits, None)
    except phonenumbers.NumberParseException:
        return _failed(PhoneIssue.UNRECOGNISED)
    if not phonenumbers.is_valid_number(number):
        return _failed(PhoneIssue.INVALID)
    value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return PhoneParse(value=value, issue=None, reason=None, legacy_prefix=prefix)
