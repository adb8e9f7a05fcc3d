"""Strict ISO dates and the tolerated forms of real extracts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interop.identity.dates import DateForm, DateIssue, parse_date

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("raw", "form"),
    [
        ("1948-05-12", DateForm.ISO),
        (" 1948-05-12 ", DateForm.ISO),
        ("1948-05-12T00:00:00", DateForm.ISO_DATETIME),
        ("1948-05-12 00:00:00", DateForm.ISO_DATETIME),
        ("1948-05-12T00:00:00Z", DateForm.ISO_DATETIME),
        ("12/05/1948", DateForm.DMY_SLASH),
        ("12/5/1948", DateForm.DMY_SLASH),
        ("12-05-1948", DateForm.DMY_DASH),
        ("19480512", DateForm.COMPACT),
    ],
)
def test_accepted_forms_read_the_same_date(raw: str, form: DateForm) -> None:
    parsed = parse_date(raw, today=TODAY)
    assert parsed.value == date(1948, 5, 12)
    assert parsed.form is form
    assert parsed.ok
    assert parsed.tolerated == (form is not DateForm.ISO)
    assert parsed.issue is None
    assert parsed.reason is None


@pytest.mark.parametrize(
    ("raw", "issue"),
    [
        (None, DateIssue.EMPTY),
        ("", DateIssue.EMPTY),
        ("  ", DateIssue.EMPTY),
        ("1948-02-30", DateIssue.IMPOSSIBLE),
        ("1951-02-29", DateIssue.IMPOSSIBLE),
        ("31/04/1950", DateIssue.IMPOSSIBLE),
        ("19481312", DateIssue.IMPOSSIBLE),
        ("05/31/1950", DateIssue.IMPOSSIBLE),  # month-first is not a form we read
        ("2026-11-24", DateIssue.FUTURE),
        ("1899-12-31", DateIssue.BEFORE_1900),
        ("1948/05/12", DateIssue.UNRECOGNISED),
        ("12/05/48", DateIssue.UNRECOGNISED),  # two-digit years are ambiguous
        ("12 de mayo de 1948", DateIssue.UNRECOGNISED),
        ("1948-5-12", DateIssue.UNRECOGNISED),
        ("1948-05-12T10:30:00", DateIssue.UNRECOGNISED),  # a time of day is not a birth date
    ],
)
def test_rejected_dates_say_why(raw: str | None, issue: DateIssue) -> None:
    parsed = parse_date(raw, today=TODAY)
    assert parsed.value is None
    assert not parsed.ok
    assert not parsed.tolerated
    assert parsed.issue is issue
    assert parsed.reason


def test_today_is_accepted_and_defaults_to_the_current_date() -> None:
    today = datetime.now(UTC).date()
    assert parse_date(today.isoformat()).value == today
    assert parse_date((today + timedelta(days=2)).isoformat()).issue is DateIssue.FUTURE


def test_date_objects_pass_through_the_bounds() -> None:
    assert parse_date(date(1948, 5, 12), today=TODAY).value == date(1948, 5, 12)
    assert parse_date(datetime(1948, 5, 12, tzinfo=UTC), today=TODAY).value == date(1948, 5, 12)
    assert parse_date(date(1850, 1, 1), today=TODAY).issue is DateIssue.BEFORE_1900


@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
def test_every_form_round_trips(day: date) -> None:
    iso = parse_date(day.isoformat(), today=TODAY)
    assert (iso.value, iso.form) == (day, DateForm.ISO)
    for text in (day.strftime("%d/%m/%Y"), day.strftime("%d-%m-%Y"), day.strftime("%Y%m%d")):
        tolerated = parse_date(text, today=TODAY)
        assert tolerated.value == day
        assert tolerated.tolerated
