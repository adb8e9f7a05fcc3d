"""Where a referral goes. Pure: the service gathers units and distances, this module decides, and writes
down why (``Decision.reason``, es-MX; ``explain`` renders the same reason in another language).

The programme's rules, in order:

1. **home visit** — a person who cannot leave home (``home_bound``) with a first-level need goes to a
   home-visit capable unit (``HOME_VISIT_TYPES``: mobile units, brigades, health centres and rural units
   with their community team) where they are already a patient, else the nearest such unit within
   ``Policy.first_level_km``. None in reach: the rules below, and the reason says so.
2. **registry unit** — a unit where the person is already a registry patient (from the certain match), if
   it is operating and of the level the need calls for: for a first-level need a first-level unit (a
   hospital where the person is registered is no entry point for routine care). Several: the nearest to
   the visit point, then the lower level, then the CLUES.
3. **first level first** — for a first-level need, the nearest operating first-level unit within
   ``Policy.first_level_km`` of the visit point.
4. **nearest** — else the nearest operating unit of at least the needed level.

In a state adhered to IMSS-Bienestar (``Policy.adhered``, by the visit's entidad, else the candidate's),
each step prefers IMSS-Bienestar units (institution ``IMB``, CLUES characters 3–5) when it has any.
The point is the visit's coordinates, else its locality's (centroid of its units, or of its
municipality's); a unit without coordinates is placed at its municipality's point by the caller
(``UnitOption.placed_by_municipality``).

Needed level (``level_for``): routine and urgent → 1 (a first-level unit attends urgent but not emergent
cases the same day, and is usually where the person is known); asap and stat → 2 (emergencies go to a
hospital); care requested ``especialidad`` or ``urgencias`` → 2. Third level is reached by referral from
the second, never from a home visit.

Ties between nearby units (within ``TIE_KM``) go to the lower level, then to the CLUES in alphabetical
order, so the same visit always routes the same way. Units already tried (they rejected) are skipped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from interop import messages

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
TIE_KM = 0.001  # one metre: coordinates are never more precise than that
IMB = "IMB"
FIRST_LEVEL_KM = 30.0

# Unit types (units CSV ``tipo_unidad``, normalised at import) whose staff visit people at home.
HOME_VISIT_TYPES = frozenset({"unidad-movil", "brigada", "centro-salud", "umr"})

# Entidades whose state health services were transferred to IMSS-Bienestar (two-letter codes); settings
# may change the list (``routing_adhered_entidades``).
ADHERED_ENTIDADES = frozenset(
    {
        "BC", "BS", "CC", "CM", "CS", "DF", "GR", "HG", "MN", "MS", "NT", "OC",
        "PL", "QR", "SL", "SP", "SR", "TC", "TL", "TS", "VZ", "YN", "ZS",
    }
)  # fmt: skip


class Priority(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"
    ASAP = "asap"
    STAT = "stat"


_LEVEL = {Priority.ROUTINE: 1, Priority.URGENT: 1, Priority.ASAP: 2, Priority.STAT: 2}
_HOSPITAL_CARE = frozenset({"especialidad", "urgencias"})


class Rule(StrEnum):
    REGISTRY_UNIT = "registry-unit"
    NEAREST_FROM_COORDINATES = "nearest-from-coordinates"
    NEAREST_FROM_LOCALITY = "nearest-from-locality"
    HOME_VISIT = "home-visit"


@dataclass(frozen=True, slots=True)
class UnitOption:
    clues: str
    nivel: int
    operating: bool
    latitud: float | None = None
    longitud: float | None = None
    name: str | None = None
    tipo_unidad: str | None = None
    placed_by_municipality: bool = False

    @property
    def institution(self) -> str:
        return self.clues[2:5]

    @property
    def home_visits(self) -> bool:
        return self.tipo_unidad in HOME_VISIT_TYPES


@dataclass(frozen=True, slots=True)
class Policy:
    first_level_km: float = FIRST_LEVEL_KM
    adhered: frozenset[str] = ADHERED_ENTIDADES


Part = tuple[str, Mapping[str, object]]  # a message key and its parameters


@dataclass(frozen=True, slots=True)
class Decision:
    clues: str
    rule: Rule
    reason: str  # es-MX, as stored
    distance_km: float | None
    parts: tuple[Part, ...] = field(default=())
    home_visit: bool = False


class NoUnit(Exception):
    """No unit satisfies the rules (no registry unit, and no point to measure from or no unit near it)."""


def required_level(priority: str) -> int:
    return _LEVEL[Priority(priority)]


def level_for(priority: str, care: str | None = None) -> int:
    """The least level that can give the care: the priority's, raised to 2 for hospital care."""
    level = required_level(priority)
    return max(level, 2) if care in _HOSPITAL_CARE else level


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


def explain(parts: Sequence[Part], lang: str | None = None) -> str:
    """The reason in ``lang`` (the request's by default); codes among the parameters are worded too."""
    worded = {"priority": "priority.", "origin": "routing.origin.", "unit_type": "unit_type."}
    out = []
    for key, params in parts:
        shown: dict[str, object] = {}
        for name, value in params.items():
            prefix = worded.get(name)
            if prefix and isinstance(value, str) and messages.has(prefix + value):
                shown[name] = messages.text(prefix + value, lang)
            else:
                shown[name] = value
        out.append(messages.render(key, shown, lang))
    return "; ".join(out)


Candidate = tuple[UnitOption, float | None]


def _preferred(
    cands: Sequence[Candidate], entidad: str | None, policy: Policy
) -> tuple[Sequence[Candidate], bool]:
    """IMSS-Bienestar units first in an adhered state; True when that set others aside."""
    if not cands:
        return cands, False
    state = entidad or cands[0][0].clues[:2]
    if state not in policy.adhered:
        return cands, False
    imb = [c for c in cands if c[0].institution == IMB]
    return (imb, len(imb) < len(cands)) if imb else (cands, False)


def _decide(
    cands: Sequence[Candidate],
    *,
    rule: Rule,
    lead: Part | None,
    entidad: str | None,
    policy: Policy,
    tail: Sequence[Part],
    home_visit: bool,
    lead_for: str | None = None,
) -> Decision:
    chosen, narrowed = _preferred(cands, entidad, policy)
    unit, dist = min(chosen, key=lambda c: _rank(c[0], c[1]))
    km = None if dist is None else round(dist, 3)
    parts: list[Part] = []
    if lead is not None:
        key, params = lead
        parts.append((key, {**params, "km": f"{dist:.1f}" if dist is not None else "?"}))
    if lead_for is not None:
        parts.append((lead_for, {"clues": unit.clues, "level": unit.nivel}))
    if narrowed:
        parts.append(("routing.imb_preferred", {"entidad": entidad or unit.clues[:2]}))
    if unit.placed_by_municipality:
        parts.append(("routing.placed_by_municipality", {}))
    parts.extend(tail)
    return Decision(
        clues=unit.clues,
        rule=rule,
        reason=explain(parts, messages.SPANISH),
        distance_km=km,
        parts=tuple(parts),
        home_visit=home_visit,
    )


def choose(
    *,
    priority: str,
    registry_units: Sequence[UnitOption],
    nearby: Sequence[tuple[UnitOption, float]],
    point: tuple[float, float] | None,
    point_is_locality: bool,
    tried: Sequence[str] = (),
    care: str | None = None,
    home_bound: bool = False,
    entidad: str | None = None,
    policy: Policy | None = None,
) -> Decision:
    """Pick the unit. ``nearby`` are candidates with their distance from ``point`` (any order)."""
    policy = policy or Policy()
    level = level_for(priority, care)
    skip = set(tried)
    origin = "locality" if point_is_locality else "coordinates"
    nearest_rule = Rule.NEAREST_FROM_LOCALITY if point_is_locality else Rule.NEAREST_FROM_COORDINATES

    def distance(u: UnitOption) -> float | None:
        if point is None or u.latitud is None or u.longitud is None:
            return None
        return great_circle_km(point[0], point[1], u.latitud, u.longitud)

    def fits(u: UnitOption) -> bool:
        # A first-level need enters by the first level: a registry hospital does not take routine care.
        return eligible(u, level, skip) and (level > 1 or u.nivel == 1)

    registry: list[Candidate] = [(u, distance(u)) for u in registry_units if fits(u)]
    seen = {u.clues for u, _ in registry}
    near: list[Candidate] = [(u, d) for u, d in nearby if u.clues not in seen and eligible(u, level, skip)]
    within = [(u, d) for u, d in near if d is not None and d <= policy.first_level_km]
    tail: list[Part] = []
    home_visit = home_bound and level == 1

    if home_visit:
        capable = [(u, d) for u, d in registry if u.home_visits]
        capable = capable or [(u, d) for u, d in within if u.home_visits]
        if capable:
            return _decide(
                capable,
                rule=Rule.HOME_VISIT,
                lead=(
                    "routing.home_visit",
                    {"unit_type": capable[0][0].tipo_unidad or "", "origin": origin},
                ),
                entidad=entidad,
                policy=policy,
                tail=(),
                home_visit=True,
            )
        tail.append(("routing.home_visit_none", {}))

    common = {"priority": priority, "required": level, "origin": origin}
    if registry:
        return _decide(
            registry,
            rule=Rule.REGISTRY_UNIT,
            lead=None,
            lead_for="routing.registry_unit",
            entidad=entidad,
            policy=policy,
            tail=[*tail, ("routing.registry_unit_level", {"priority": priority, "required": level})],
            home_visit=home_visit,
        )
    unfit = sorted(u.clues for u in registry_units if u.clues not in skip)
    if unfit:
        tail.append(("routing.registry_not_eligible", {"clues": ", ".join(unfit)}))
    if point is None or not near:
        raise NoUnit(messages.text("routing.no_unit", messages.SPANISH))
    first = [(u, d) for u, d in within if u.nivel == 1]
    if level == 1 and first:
        return _decide(
            first,
            rule=nearest_rule,
            lead=("routing.first_level", {**common, "max_km": f"{policy.first_level_km:g}"}),
            entidad=entidad,
            policy=policy,
            tail=tail,
            home_visit=home_visit,
        )
    return _decide(
        near,
        rule=nearest_rule,
        lead=("routing.nearest", common),
        entidad=entidad,
        policy=policy,
        tail=tail,
        home_visit=home_visit,
    )
