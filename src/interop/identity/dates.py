"""Birth dates from extracts: strict ISO 8601 (YYYY-MM-DD), plus the tolerant forms real extracts
carry (DD/MM/YYYY, DD-MM-YYYY, YYYYMMDD), accepted but flagged with the form that was read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

EARLIEST = date(1900, 1, 1)


class DateForm(StrEnum):
    ISO = "YYYY-MM-DD"
    ISO_DATETIME = "YYYY-MM-DDThh:mm:ss"
    DMY_SLASH = "DD/MM/YYYY"
    DMY_DASH = "DD-MM-YYYY"
    COMPACT = "YYYYMMDD"


class DateIssue(StrEnum):
    EMPTY = "empty"
    UNRECOGNISED = "unrecognised"
    IMPOSSIBLE = "impossible"
    FUTURE = "future"
    BEFORE_1900 = "before-1900"


_REASONS: dict[DateIssue, str] = {
    DateIssue.EMPTY: "no date given",
    DateIssue.UNRECOGNISED: "not a date in YYYY-MM-DD (or DD/MM/YYYY, DD-MM-YYYY, YYYYMMDD)",
    DateIssue.IMPOSSIBLE: "no such day in the calendar",
    DateIssue.FUTURE: "date is in the future",
    DateIssue.BEFORE_1900: "date is before 1900",
}

# Each form captures year, month and day by name; one or two digits for day and month in the
# day-first forms, since spreadsheets drop leading zeros.
_FORMS: tuple[tuple[DateForm, re.Pattern[str]], ...] = (
    (DateForm.ISO, re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})")),
    (
        DateForm.ISO_DATETIME,
        re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00:?00)?"),
    ),
    (DateForm.DMY_SLASH, re.compile(r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})")),
    (DateForm.DMY_DASH, re.compile(r"(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})")),
    (DateForm.COMPACT, re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})")),
)


@dataclass(frozen=True, slots=True)
class DateParse:
    """A parsed date, or why there is none. ``form`` says which spelling was read; anything but
    ``DateForm.ISO`` is ``tolerated`` and should be reported as such by an import."""

    value: date | None
    form: DateForm | None
    issue: DateIssue | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.value is not None

    @property
    def tolerated(self) -> bool:
        return self.value is not None and self.form is not DateForm.ISO


def _failed(issue: DateIssue, form: DateForm | None = None) -> DateParse:
    return DateParse(value=None, form=form, issue=issue, reason=_REASONS[issue])


def parse_date(raw: str | date | None, *, today: date | None = None) -> DateParse:
    """Read a birth date. ``today`` (default: the current UTC date) bounds it from above; 1900-01-01
    bounds it from below. Only midnight is accepted in the date-time form: a time of day on a
    birth date means the column held something else."""
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        return _bounded(raw, DateForm.ISO, today)
    text = (raw or "").strip()
    if not text:
        return _failed(DateIssue.EMPTY)
    for form, pattern in _FORMS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        try:
            value = date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            return _failed(DateIssue.IMPOSSIBLE, form)
        return _bounded(value, form, today)
    return _failed(DateIssue.UNRECOGNISED)


def _bounded(value: date, form: DateForm, today: date | None) -> DateParse:
    if value < EARLIEST:
        return _failed(DateIssue.BEFORE_1900, form)
    if value > (today or datetime.now(UTC).date()):
        return _failed(DateIssue.FUTURE, form)
    return DateParse(value=value, form=form, issue=None, reason=None)
