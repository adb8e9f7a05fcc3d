"""Gathers the candidate units for a referral and asks ``routing`` to choose (on create and on re-route),
and finds the point to route from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from interop.referral import routing
from interop.referral.errors import Unroutable
from interop.referral.schemas import PersonFound
from interop.units import service as units_service
from interop.units.models import Unit


def option(unit: Unit) -> routing.UnitOption:
    return routing.UnitOption(
        unit.clues, unit.nivel, unit.operating, unit.latitud, unit.longitud, unit.nombre
    )


async def route(
    session: AsyncSession,
    *,
    priority: str,
    registry_units: Sequence[Unit],
    point: tuple[float, float] | None,
    point_is_locality: bool,
    tried: list[str],
) -> tuple[routing.Decision, Unit]:
    """The decision and the chosen unit (no second lookup of the unit)."""
    known = {u.clues: u for u in registry_units}
    nearby: list[tuple[routing.UnitOption, float]] = []
    if point is not None:
        found = await units_service.nearest_operating(
            session,
            lat=point[0],
            lon=point[1],
            min_level=routing.required_level(priority),
            limit=5 + len(tried),
        )
        for unit, km in found:
            known.setdefault(unit.clues, unit)
            nearby.append((option(unit), km))
    try:
        decision = routing.choose(
            priority=priority,
            registry_units=[option(u) for u in registry_units],
            nearby=nearby,
            point=point,
            point_is_locality=point_is_locality,
            tried=tried,
        )
    except routing.NoUnit as exc:
        raise Unroutable(str(exc)) from None
    return decision, known[decision.clues]


async def origin(
    session: AsyncSession, *, person: PersonFound | dict[str, Any]
) -> tuple[tuple[float, float] | None, bool]:
    """The point to route from: the captured coordinates, else the locality's (by INEGI key or folded
    name); the flag says it is a locality's."""
    get = person.get if isinstance(person, dict) else lambda name: getattr(person, name)
    lat, lon = get("latitud"), get("longitud")
    if lat is not None and lon is not None:
        return (float(lat), float(lon)), False
    entidad = get("entidad")
    if not entidad:
        return None, False
    point = await units_service.locality_point(
        session,
        entidad=str(entidad),
        municipio=get("municipio"),
        localidad=get("localidad"),
        cve_mun=get("cve_mun"),
        cve_loc=get("cve_loc"),
    )
    return point, point is not None
