"""Telephone numbers to E.164 with the retired Mexican prefixes removed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interop.identity.phones import PhoneIssue, normalize_phone


@pytest.mark.parametrize(
    ("raw", "e164", "prefix"),
    [
        ("5512345678", "+525512345678", None),
        ("55 1234 5678", "+525512345678", None),
        ("(951) 123-45-67", "+529511234567", None),
        ("+52 55 1234 5678", "+525512345678", None),
        ("0052 55 1234 5678", "+525512345678", None),
        ("52 5512345678", "+525512345678", None),
        ("044 55 1234 5678", "+525512345678", "044"),
        ("045 33 1234 5678", "+523312345678", "045"),
        ("01 951 123 4567", "+529511234567", "01"),
        ("+52 1 55 1234 5678", "+525512345678", "+52 1"),
        ("521 5512345678", "+525512345678", "+52 1"),
        ("55 1234 5678 / 55 8765 4321", "+525512345678", None),
        ("55-1234-5678 ext. 12", "+525512345678", None),
        ("+1 212 555 0100", "+12125550100", None),
    ],
)
def test_numbers_become_e164(raw: str, e164: str, prefix: str | None) -> None:
    parsed = normalize_phone(raw)
    assert parsed.value == e164
    assert parsed.legacy_prefix == prefix
    assert parsed.issue is None
    assert parsed.reason is None
    assert parsed.mexican == e164.startswith("+52")


@pytest.mark.parametrize(
    ("raw", "issue"),
    [
        (None, PhoneIssue.EMPTY),
        ("", PhoneIssue.EMPTY),
        ("sin teléfono", PhoneIssue.UNRECOGNISED),
        ("1234", PhoneIssue.UNRECOGNISED),
        ("123456789", PhoneIssue.UNRECOGNISED),
        ("0000000000", PhoneIssue.UNRECOGNISED),
        ("+52 0000 000 000", PhoneIssue.INVALID),
    ],
)
def test_unusable_numbers_say_why(raw: str | None, issue: PhoneIssue) -> None:
    parsed = normalize_phone(raw)
    assert parsed.value is None
    assert parsed.issue is issue
    assert parsed.reason


@given(
    st.sampled_from(["55", "33", "81", "951", "999", "222"]), st.integers(min_value=0, max_value=10**7 - 1)
)
def test_every_spelling_of_a_number_gives_the_same_e164(area: str, subscriber: int) -> None:
    national = (area + str(subscriber).zfill(10 - len(area)))[:10]
    plain = normalize_phone(national)
    if plain.value is None:
        return
    for spelling in (
        f"044{national}",
        f"01{national}",
        f"+521{national}",
        f"+52 {national}",
        f"0052{national}",
    ):
        assert normalize_phone(spelling).value == plain.value, spelling
