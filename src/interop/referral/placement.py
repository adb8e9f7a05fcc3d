"""Gathers the candidate units for a referral and asks ``routing`` to choose (on create and on re-route)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from interop.referral import routing
from interop.referral.errors import Unroutable
from interop.units import service as units_service


async def route(
    session: AsyncSession,
    *,
    priority: str,
    registry_units: list[routing.UnitOption],
    point: tuple[float, float] | None,
    point_is_locality: bool,
    tried: list[str],
) -> routing.Decision:
    nearby: list[tuple[routing.UnitOption, float]] = []
    if point is not None:
        found = await units_service.nearest_operating(
            session,
            lat=point[0],
            lon=point[1],
            min_level=routing.required_level(priority),
            limit=5 + len(tried),
        )
        nearby = [
            (routing.UnitOption(u.clues, u.nivel, u.operating, u.latitud, u.longitud, u.nombre), km)
            for u, km in found
        ]
    try:
        return routing.choose(
            priority=priority,
            registry_units=registry_units,
            nearby=nearby,
            point=point,
            point_is_locality=point_is_locality,
            tried=tried,
        )
    except routing.NoUnit as exc:
        raise Unroutable(str(exc)) from None
