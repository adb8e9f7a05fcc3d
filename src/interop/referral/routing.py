"""Where a referral goes. Pure: the service gathers units and distances, this module decides.

Rules, in order:

1. **registry unit** — a unit where the person is already a registry patient (from the certain match), if it
   is operating and its level is at least the one the urgency needs. Several such units: the nearest to the
   visit point when the point is known, then the lower level, then the CLUES in alphabetical order.
2. **nearest from coordinates** — else the nearest operating unit of at least the needed level from the
   visit's captured coordinates (great-circle distance).
3. **nearest from locality** — else the same from the locality's point (centroid of its units, or of its
   municipality's).

Ties between nearby units (distances within ``TIE_KM``) go to the lower level (the least specialised unit
that is enough), then to the CLUES in alphabetical order, so the same visit always routes the same way.
Units already tried (they rejected the referral) are skipped.

Level for urgency (``required_level``): routine → 1; urgent → 1 (a primary unit attends urgent but not
emergent cases the same day, and it is usually where the person is known); asap and stat → 2 (a hospital:
they are emergencies).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
TIE_KM = 0.001  # one metre: coordinates are never more precise than that


class Priority(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"
    ASAP = "asap"
    STAT = "stat"


_LEVEL = {Priority.ROUTINE: 1, Priority.URGENT: 1, Priority.ASAP: 2, Priority.STAT: 2}


class Rule(StrEnum):
    REGISTRY_UNIT = "registry-unit"
    NEAREST_FROM_COORDINATES = "nearest-from-coordinates"
    NEAREST_FROM_LOCALITY = "nearest-from-locality"


@dataclass(frozen=True, slots=True)
class UnitOption:
    clues: str
    nivel: int
    operating: bool
    latitud: float | None = None
    longitud: float | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    clues: str
    rule: Rule
    reason: str
    distance_km: float | None


class NoUnit(Exception):
    """No unit satisfies the rules (no registry unit, and no point to measure from or no unit near it)."""


def required_level(priority: str) -> int:
    return _LEVEL[Priority(priority)]


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on the mean-radius sphere, in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _rank(option: UnitOption, distance: float | None) -> tuple[float, int, str]:
    # Distances are bucketed to TIE_KM so that float noise never decides between two equidistant units.
    bucket = math.inf if distance is None else round(distance / TIE_KM)
    return (bucket, option.nivel, option.clues)


def eligible(option: UnitOption, level: int, tried: Iterable[str] = ()) -> bool:
    return option.operating and option.nivel >= level and option.clues not in set(tried)


def choose(
    *,
    priority: str,
    registry_units: Sequence[UnitOption],
    nearby: Sequence[tuple[UnitOption, float]],
    point: tuple[float, float] | None,
    point_is_locality: bool,
    tried: Sequence[str] = (),
) -> Decision:
    """Pick the unit. ``nearby`` are candidates with their distance from ``point`` (any order)."""
    level = required_level(priority)
    home = [u for u in registry_units if eligible(u, level, tried)]
    if home:

        def home_distance(u: UnitOption) -> float | None:
            if point is None or u.latitud is None or u.longitud is None:
                return None
            return great_circle_km(point[0], point[1], u.latitud, u.longitud)

        best = min(home, key=lambda u: _rank(u, home_distance(u)))
        dist = home_distance(best)
        return Decision(
            clues=best.clues,
            rule=Rule.REGISTRY_UNIT,
            reason=(
                f"already a patient at {best.clues} (level {best.nivel}, operating; "
                f"{priority} needs level {level})"
            ),
            distance_km=None if dist is None else round(dist, 3),
        )
    candidates = [(u, d) for u, d in nearby if eligible(u, level, tried)]
    if point is None or not candidates:
        raise NoUnit("no operating unit of the needed level could be found for this visit")
    best_unit, best_dist = min(candidates, key=lambda c: _rank(c[0], c[1]))
    rule = Rule.NEAREST_FROM_LOCALITY if point_is_locality else Rule.NEAREST_FROM_COORDINATES
    origin = "the locality of the visit" if point_is_locality else "the visit coordinates"
    skipped = [u.clues for u in registry_units if u.clues not in tried]
    why_not_home = f"; registry unit(s) {', '.join(skipped)} not eligible" if skipped else ""
    return Decision(
        clues=best_unit.clues,
        rule=rule,
        reason=(
            f"nearest operating unit of level >= {level} for {priority}: {best_dist:.1f} km from {origin}"
            f"{why_not_home}"
        ),
        distance_km=round(best_dist, 3),
    )
