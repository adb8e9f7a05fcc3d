"""Search parameters of ``Task`` and ``ServiceRequest`` → the referral domain's ``SearchQuery``. Pure: the
parameters are already split by ``fhir.search.params_of``; errors are ``BadSearch`` (a 400)."""

from __future__ import annotations

from interop.config import Settings
from interop.fhir import search as fs
from interop.referral.service import SearchQuery

COMMON_PARAMS = ("_id", "status", "_lastUpdated", "patient", "subject", "identifier", "_sort")

SEARCH_DOC = [
    ("_id", "token", "Logical id"),
    ("status", "token", "Status (comma = or)"),
    ("_lastUpdated", "date", "gt/ge/lt/le/eq; polling contract"),
    ("patient", "reference", "Patient/{id}"),
    ("subject", "reference", "Patient/{id}"),
    ("identifier", "token", "Visit identifier (system|value)"),
    ("_count", "number", f"Page size (max {fs.MAX_COUNT})"),
    ("_total", "token", "accurate|estimate|none"),
    ("_sort", "token", "_lastUpdated (default) or -_lastUpdated"),
    ("_summary", "token", "count: the total alone"),
]


def query_of(
    params: dict[str, list[str]], unit_param: str, settings: Settings, *, count_only: bool
) -> SearchQuery:
    """The query a Task (``unit_param`` owner) or ServiceRequest (performer) search asks for."""
    q = SearchQuery(
        count=1 if count_only else fs.parse_count(params.get("_count")),
        cursor=fs.parse_cursor(params.get("_cursor")),
        total=count_only or fs.wants_total(params.get("_total")),
        newest_first=fs.newest_first(params.get("_sort")),
    )
    if "_id" in params:
        q.ids = [fs.parse_uuid(v, what="_id") for v in fs.split_or(params["_id"])]
    if "status" in params:
        q.statuses = fs.split_or(params["status"])
    for raw in params.get("_lastUpdated", []):
        q.last_updated += fs.parse_instant(raw)
    patients = fs.split_or(params.get("patient", []) + params.get("subject", []))
    if patients:
        q.patient_ids = [fs.parse_uuid(fs.parse_reference(v, "Patient"), what="patient") for v in patients]
    if "identifier" in params:
        values = []
        for raw in fs.split_or(params["identifier"]):
            system, value = fs.parse_token(raw)
            if system not in (None, settings.system_visit):
                raise fs.BadSearch.said("fhir.search.identifier_visit_only")
            values.append(value)
        q.visit_ids = values
    for raw in fs.split_or(params.get(unit_param)):
        if raw.startswith("Organization/") or fs.is_uuid(raw):
            q.unit_org_ids = [
                *(q.unit_org_ids or []),
                fs.parse_uuid(fs.parse_reference(raw, "Organization"), what=unit_param),
            ]
        else:
            q.unit_clues = [*(q.unit_clues or []), raw]
    for raw in fs.split_or(params.get(f"{unit_param}:identifier")):
        system, value = fs.parse_token(raw)
        if system not in (None, settings.system_clues):
            raise fs.BadSearch.said("fhir.search.unit_identifier_clues", param=unit_param)
        q.unit_clues = [*(q.unit_clues or []), value]
    if "focus" in params:
        q.focus_ids = [
            fs.parse_uuid(fs.parse_reference(v, "ServiceRequest"), what="focus")
            for v in fs.split_or(params["focus"])
        ]
    return q
