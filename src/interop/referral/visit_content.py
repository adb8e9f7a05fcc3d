"""What a visit tells the unit, checked and structured before the referral is made: conditions and
observations as found (``findings``), the functional status, what is asked (``care``), where the person
was found and when. Pure: the service stores what this returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from interop import messages
from interop.identity import zones
from interop.referral import care
from interop.referral import finding_checks as findings
from interop.referral.schemas import FindingWarning, VisitCreate

NOON = time(12, 0)


@dataclass(frozen=True)
class VisitContent:
    conditions: list[dict[str, Any]]
    observations: list[dict[str, Any]]
    status: findings.FunctionalStatus
    care_requested: str
    warnings: list[findings.Warning]

    @property
    def home_bound(self) -> bool:
        return self.status.home_bound


def content_of(visit: VisitCreate) -> VisitContent:
    warnings: list[findings.Warning] = []
    conditions = []
    for c in visit.findings.conditions:
        checked, found = findings.check_condition(c.model_dump(mode="json"))
        conditions.append(checked)
        warnings.extend(found)
    observations = []
    for o in visit.findings.observations:
        checked, found = findings.check_observation(o.model_dump(mode="json"))
        observations.append(checked)
        warnings.extend(found)
    given = visit.findings.functional_status
    disability = [
        *(given.disability if given else []),
        *([visit.findings.disability] if visit.findings.disability else []),
    ]
    status, found = findings.functional_status(
        home_bound=bool(given and given.home_bound),
        mobility=given.mobility if given else None,
        disability=[d for d in disability if d],
        caregiver=given.caregiver if given else None,
        medication_needs=given.medication_needs if given else [],
    )
    warnings.extend(found)
    return VisitContent(
        conditions=conditions,
        observations=observations,
        status=status,
        care_requested=care.care_for(
            requested=visit.care_requested, urgency=visit.urgency, home_bound=status.home_bound
        ),
        warnings=warnings,
    )


def visit_zone(visit: VisitCreate) -> str:
    return zones.zone_for(visit.person.entidad, visit.person.municipio)


def occurred_at(visit: VisitCreate) -> datetime:
    """The visit's instant in UTC: ``visited_at`` (a wall-clock time is read in the visit's zone), else
    noon of ``visit_date`` there (a day alone stays on its day in any Mexican zone)."""
    zone = visit_zone(visit)
    if visit.visited_at is None:
        return zones.local_instant(visit.visit_date, NOON, zone)
    if visit.visited_at.tzinfo is None:
        return zones.local_instant(visit.visited_at.date(), visit.visited_at.time(), zone)
    return visit.visited_at.astimezone(UTC)


def context_json(visit: VisitCreate, content: VisitContent, routing_parts: Any) -> dict[str, Any]:
    """``referral.visit_context``: where the person was found, their functional status, and the routing
    reason's parts (rendered in the reader's language)."""
    p = visit.person
    place = {
        "domicilio": p.domicilio,
        "entidad": p.entidad,
        "municipio": p.municipio,
        "localidad": p.localidad,
        "latitud": p.latitud,
        "longitud": p.longitud,
    }
    return {
        "place_found": {k: v for k, v in place.items() if v is not None},
        "visit_date": visit.visit_date.isoformat(),
        "visit_time_known": visit.visited_at is not None,
        "visit_zone": visit_zone(visit),
        "functional_status": content.status.as_json(),
        "routing_parts": [[key, dict(params)] for key, params in routing_parts],
        "warnings": [[key, params] for key, params in content.warnings],
    }


def warnings_read(content: VisitContent) -> list[FindingWarning]:
    """The warnings for the caller, in the request's language."""
    return [
        FindingWarning(code=key.removeprefix("warning."), message=messages.render(key, params))
        for key, params in content.warnings
    ]
