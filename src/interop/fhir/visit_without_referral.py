"""A visit Bundle without a ServiceRequest: a visit that asks for no referral (``referral_requested``
false under ``/v1``). Pure.

In FHIR a ServiceRequest *is* the request (for a referral, here), so a visit Bundle that holds none
requests none; its findings are recorded all the same. ``ServiceRequest.doNotPerform`` is not this: it
says the service must *not* be done (a prohibition), and is refused with a pointer to this form. Without
a ServiceRequest the visit is named by its findings, as the service's own Conditions and Observations of
a visit are: each carries the visit identifier (``Condition.identifier`` / ``Observation.identifier``,
system the visit's), is dated (``Condition.recordedDate`` or ``onsetDateTime``,
``Observation.effectiveDateTime`` or ``issued``) and names the health worker by identifier
(``Condition.recorder`` or ``asserter``, ``Observation.performer``). See docs/decisions.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interop.fhir import visit_paths as paths

_DATES = {"Condition": ("recordedDate", "onsetDateTime"), "Observation": ("effectiveDateTime", "issued")}
_WORKERS = {"Condition": ("recorder", "asserter"), "Observation": ("performer",)}


@dataclass(frozen=True)
class VisitHeader:
    """Which visit, when, and who made it, read from the findings."""

    visit_id: str
    when: str
    worker: str


def refuse_do_not_perform(sr: dict[str, Any], entries: dict[str, int]) -> None:
    if sr.get("doNotPerform"):
        raise paths.refusal(
            paths.issue(
                "ServiceRequest", "doNotPerform", entries, "fhir.visit.do_not_perform", code="not-supported"
            )
        )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _reference_value(ref: Any) -> str | None:
    if not isinstance(ref, dict):
        return None
    value = (ref.get("identifier") or {}).get("value") or ref.get("display")
    return str(value) if value else None


def header(
    by_type: dict[str, list[dict[str, Any]]], entries: dict[str, int], system_visit: str
) -> VisitHeader:
    """The visit of a Bundle without a ServiceRequest, from its Conditions and Observations; 422 naming
    the element when there is no finding, no (or more than one) visit identifier, no date or no worker."""
    findings = [(kind, res) for kind in ("Condition", "Observation") for res in by_type.get(kind, [])]
    if not findings:
        raise paths.refusal(paths.issue("Condition", "", entries, "fhir.visit.no_findings"))
    ids = {
        str(i["value"])
        for _, res in findings
        for i in res.get("identifier") or []
        if isinstance(i, dict) and i.get("system") == system_visit and i.get("value")
    }
    if len(ids) != 1:
        kind = findings[0][0]
        raise paths.refusal(
            paths.issue(
                kind,
                "identifier",
                entries,
                "fhir.visit.findings_identifier",
                {"system": system_visit},
                code="required" if not ids else "value",
            )
        )
    when = next((res[e] for kind, res in findings for e in _DATES[kind] if res.get(e)), None)
    if not when:
        kind = findings[0][0]
        raise paths.refusal(paths.issue(kind, _DATES[kind][0], entries, "fhir.visit.findings_date"))
    workers = (
        _reference_value(ref)
        for kind, res in findings
        for element in _WORKERS[kind]
        for ref in _as_list(res.get(element))
    )
    worker = next((w for w in workers if w), None)
    if worker is None:
        kind = findings[0][0]
        raise paths.refusal(paths.issue(kind, _WORKERS[kind][0], entries, "fhir.visit.findings_worker"))
    return VisitHeader(visit_id=ids.pop(), when=str(when), worker=worker)
