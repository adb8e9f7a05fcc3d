"""The one FHIR search toolkit: parameters, their values, and searchset Bundles, for every resource type.

Supported prefixes on ``_lastUpdated``: gt, ge, lt, le, eq (default eq, which for a date without time
means that day). References: ``Organization/{id}``, ``{id}``; ``:identifier`` takes ``system|value``.
Unknown parameters are a 400 (strict handling): a typo must not silently widen a clinic's pull.
Paging is keyset: ``_cursor`` is the last ``change_seq`` seen and the ``next`` link repeats the query with it.
A parameter carries at most ``INTEROP_SEARCH_MAX_VALUES`` values (repeats and comma-separated values
together): a 64 KB ``_search`` form could otherwise name tens of thousands of codes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from pydantic import ValidationError

from interop.config import Settings
from interop.errors import DomainError
from interop.identity import zones
from interop.identity.curp import contains_curp

DEFAULT_COUNT = 50
MAX_COUNT = 500
_DATE = re.compile(
    r"^(?P<prefix>eq|gt|ge|lt|le)?(?P<value>\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"
    r"(Z|[+-]\d{2}:\d{2})?)?)?)?)$"
)
CONTROL = frozenset({"_count", "_cursor", "_total", "_include", "_format", "_summary", "_elements"})


class BadSearch(DomainError):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "invalid-search"
    fhir_issue: ClassVar[str] = "invalid"


def base_url(request: Request, settings: Settings) -> str:
    """The ``/fhir`` base the links name: the configured public URL, else the one the request came to."""
    root = settings.base_url or str(request.base_url).rstrip("/")
    return f"{root.rstrip('/')}/fhir"


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def params_of(
    request: Request, allowed: Iterable[str], settings: Settings, *, control: Iterable[str] = CONTROL
) -> dict[str, list[str]]:
    """The query as name → values (repeats kept); modifiers stay in the name (``owner:identifier``)."""
    allowed_set = set(allowed) | set(control)
    limit = settings.search_max_values
    out: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for name, value in request.query_params.multi_items():
        if name not in allowed_set:
            raise BadSearch.said("search.unknown_param", name=name[:64])
        counts[name] = counts.get(name, 0) + value.count(",") + 1
        if counts[name] > limit:
            raise BadSearch.said("search.too_many_values", name=name, limit=limit)
        out.setdefault(name, []).append(value)
    return out


def split_or(values: list[str] | None) -> list[str]:
    """Comma means OR within one parameter."""
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def parse_uuid(value: str, *, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise BadSearch.said("fhir.search.not_an_id", what=what) from None


def parse_token(value: str) -> tuple[str | None, str]:
    if "|" in value:
        system, _, code = value.partition("|")
        return (system or None), code
    return None, value


def parse_reference(value: str, resource_type: str) -> str:
    """``Type/id``, an absolute URL ending in it, or a bare id → the id."""
    tail = value.rstrip("/").split("/")
    if len(tail) >= 2 and tail[-2] == resource_type:
        return tail[-1]
    if "/" in value:
        raise BadSearch.said("fhir.search.reference_type", resource_type=resource_type)
    return value


def parse_instant(raw: str) -> list[tuple[str, datetime]]:
    """``_lastUpdated`` value → comparisons on the instant (a date alone covers that whole day)."""
    prefix = raw[:2] if raw[:2] in ("gt", "ge", "lt", "le", "eq") else "eq"
    text = raw[2:] if raw[:2] == prefix else raw
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, time(0), tzinfo=UTC)
            end = _day_after(start)
            return {
                "eq": [("ge", start), ("lt", end)] if end else [("ge", start)],
                "gt": [("ge", end)] if end else [("gt", _LAST)],
                "ge": [("ge", start)],
                "lt": [("lt", start)],
                "le": [("lt", end)] if end else [("le", _LAST)],
            }[prefix]
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
        # Compared in UTC; an offset that moves the instant out of the calendar is the caller's mistake.
        instant = (instant if instant.tzinfo else instant.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadSearch.said("search.last_updated_invalid") from None
    return [(prefix, instant)]


# The last instant a datetime holds: "after 9999-12-31" matches nothing, and is not an overflow.
_LAST = datetime.max.replace(tzinfo=UTC)


def _day_after(start: datetime) -> datetime | None:
    """The next midnight, or None past the calendar's end (9999-12-31)."""
    try:
        return start + timedelta(days=1)
    except OverflowError:
        return None


def parse_date(raw: str) -> tuple[datetime | None, datetime | None]:
    """One ``date`` value (year, month, day, minute, second or instant precision, with a prefix) →
    (since, before) bounds on an instant; None where the prefix leaves that side open."""
    m = _DATE.match(raw)
    if m is None:
        raise BadSearch.said("fhir.search.date_format")
    prefix, value = m["prefix"] or "eq", m["value"]
    try:
        start, end = _date_bounds(value)
    except (ValueError, OverflowError):
        raise BadSearch.said("search.date_not_calendar") from None
    return {
        "eq": (start, end),
        "ge": (start, None),
        "gt": (end, None),
        "lt": (None, start),
        "le": (None, end),
    }[prefix]


def _date_bounds(value: str, zone: str = zones.AUDIT_ZONE) -> tuple[datetime, datetime]:
    """The instants a ``date`` value covers, [start, end), in UTC. Raises ValueError for a date the calendar
    does not have; a range that runs past 9999-12-31 ends at the last instant a datetime holds.

    A year, month, day or an instant without an offset is read in ``zone``: America/Mexico_City where no
    unit applies (audit searches), so an auditor's "the 15th" is a Mexican day, not a UTC one (issue 17).
    """
    local = ZoneInfo(zone)
    if len(value) == 4:
        start = datetime(int(value), 1, 1, tzinfo=local)

        def following(s: datetime) -> datetime:
            return s.replace(year=s.year + 1)
    elif len(value) == 7:
        start = datetime(int(value[:4]), int(value[5:7]), 1, tzinfo=local)

        def following(s: datetime) -> datetime:
            return (s + timedelta(days=32)).replace(day=1)
    elif len(value) == 10:
        start = datetime.fromisoformat(value).replace(tzinfo=local)

        def following(s: datetime) -> datetime:
            return s + timedelta(days=1)
    else:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        start = parsed if parsed.tzinfo else parsed.replace(tzinfo=local)
        time_part = value.split("T", 1)[1]
        step = (
            timedelta(microseconds=1)
            if "." in time_part
            else timedelta(seconds=1)
            if time_part.count(":") >= 2
            else timedelta(minutes=1)
        )

        def following(s: datetime) -> datetime:
            return s + step

    try:
        end = following(start).astimezone(UTC)
    except (ValueError, OverflowError):
        end = _LAST
    try:
        return start.astimezone(UTC), end
    except OverflowError:  # past the calendar's last instant once in UTC
        return (_LAST, _LAST) if start.year >= 9999 else (datetime.min.replace(tzinfo=UTC), end)


def parse_count(values: list[str] | None) -> int:
    if not values:
        return DEFAULT_COUNT
    try:
        count = int(values[-1])
    except ValueError:
        raise BadSearch.said("fhir.search.count_not_number") from None
    return max(1, min(count, MAX_COUNT))


def parse_cursor(values: list[str] | None) -> int | None:
    if not values:
        return None
    try:
        return int(values[-1])
    except ValueError:
        raise BadSearch.said("fhir.search.cursor_invalid") from None


def wants_total(values: list[str] | None) -> bool:
    if not values:
        return False
    if values[-1] not in ("none", "estimate", "accurate"):
        raise BadSearch.said("fhir.search.total_invalid")
    return values[-1] in ("estimate", "accurate")


def count_only(values: list[str] | None) -> bool:
    """``_summary=count``: the total alone. Other summary modes are answered with whole resources (allowed:
    a server may return more than asked), so only their spelling is checked."""
    if not values:
        return False
    if values[-1] not in ("true", "false", "text", "data", "count"):
        raise BadSearch.said("fhir.search.summary_invalid")
    return values[-1] == "count"


def newest_first(values: list[str] | None) -> bool:
    """``_sort``: ``_lastUpdated`` (the default order, oldest change first) or ``-_lastUpdated``."""
    if not values:
        return False
    if values[-1] not in ("_lastUpdated", "-_lastUpdated"):
        raise BadSearch.said("fhir.search.sort_invalid")
    return values[-1] == "-_lastUpdated"


def includes(values: list[str] | None, allowed: set[str]) -> set[str]:
    out = set(values or [])
    unknown = out - allowed
    if unknown:
        raise BadSearch.said("fhir.search.include_unsupported", names=", ".join(sorted(unknown)))
    return out


def searchset(
    request: Request,
    *,
    base: str,
    resource_type: str,
    matches: list[dict[str, Any]],
    included: list[dict[str, Any]] = (),  # type: ignore[assignment]
    total: int | None,
    next_cursor: int | str | None,
) -> dict[str, Any]:
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "_cursor"]
    self_url = f"{base}/{resource_type}" + (
        f"?{urlencode(request.query_params.multi_items())}" if query else ""
    )
    links = [{"relation": "self", "url": self_url}]
    if next_cursor is not None:
        links.append(
            {
                "relation": "next",
                "url": f"{base}/{resource_type}?{urlencode([*query, ('_cursor', next_cursor)])}",
            }
        )
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": datetime.now(UTC).isoformat(),
        "link": links,
        "entry": [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
            for r in matches
        ]
        + [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "include"}}
            for r in included
        ],
    }
    if total is not None:
        bundle["total"] = total
    if not bundle["entry"]:
        del bundle["entry"]
    return bundle


def redacted_query(
    request: Request, *, secret: Iterable[str] = ("identifier", "name", "family", "given")
) -> str:
    """The query string for audit, with the values of parameters that may carry names or CURPs removed, and
    any other value that looks like a CURP (the audit writer refuses one: the caller typed it, and the event
    must still be written)."""
    hidden = set(secret)
    items = [
        (k, "***" if k.split(":")[0] in hidden or contains_curp(v) else v)
        for k, v in request.query_params.multi_items()
    ]
    return urlencode(items)


def first_problem(exc: ValidationError) -> str:
    """The path of the first structural problem (element names only, never values)."""
    errors = exc.errors()
    if not errors:
        return "the root"
    return ".".join(str(p) for p in errors[0]["loc"]) or "the root"
