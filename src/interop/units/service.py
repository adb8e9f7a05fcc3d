"""The CLUES catalogue: lookups by either code, nearest operating unit, locality points, search, and the
set-based merge of a staged import batch. Never commits."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.db.bulk import STAGE_TABLE, MergeCounts
from interop.units.models import Unit as Unit  # re-exported: what reads return, for type hints

_EARTH_RADIUS_KM = 6371.0088
_MERGE_COLUMNS = (
    "clues_anterior",
    "nombre",
    "entidad",
    "municipio",
    "localidad",
    "nivel",
    "latitud",
    "longitud",
    "estatus",
    "operating",
    "row_digest",
    "field_issues",
    "import_id",
    "tipo_unidad",
    "cve_mun",
    "cve_loc",
)


async def merge_staged(session: AsyncSession, *, import_id: int, staged: int) -> MergeCounts:
    """Upsert the batch in ``ingest_stage`` by CLUES. A unit keeps its ``organization_id``; an unchanged
    row (same digest) is not touched, so re-importing a file changes nothing."""
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _MERGE_COLUMNS)
    rows = await session.execute(
        text(
            f"INSERT INTO unit (clues, {', '.join(_MERGE_COLUMNS)}, organization_id) "
            f"SELECT clues, clues_anterior, nombre, entidad, municipio, localidad, nivel, latitud, longitud, "
            f"estatus, operating, row_digest, field_issues, :import_id, tipo_unidad, cve_mun, cve_loc, "
            f"gen_random_uuid() "
            f"FROM {STAGE_TABLE} "
            f"ON CONFLICT (clues) DO UPDATE SET {updates}, updated_at = now() "
            f"WHERE unit.row_digest <> EXCLUDED.row_digest "
            f"RETURNING (xmax = 0) AS inserted"
        ),
        {"import_id": import_id},
    )
    flags = [bool(r[0]) for r in rows.all()]
    added = sum(flags)
    changed = len(flags) - added
    return MergeCounts(new_records=added, new_versions=changed, unchanged=staged - len(flags))


def _answers_to(clues: str) -> ColumnElement[bool]:
    return or_(Unit.clues == clues, Unit.clues_anterior == clues)


async def get_unit(session: AsyncSession, *, clues: str) -> Unit | None:
    """The unit with this CLUES, current or former (``clues_anterior``); the current code wins."""
    code = clues.strip().upper()
    query = select(Unit).where(_answers_to(code)).order_by((Unit.clues == code).desc()).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


async def current_codes(session: AsyncSession, *, codes: Sequence[str]) -> dict[str, str]:
    """Each known code (current or former, upper-cased) → the unit's current CLUES, in one query; unknown
    codes are left out. Where a code is one unit's current code and another's former one, current wins."""
    wanted = sorted({c.strip().upper() for c in codes})
    if not wanted:
        return {}
    rows = (
        await session.execute(
            select(Unit.clues, Unit.clues_anterior).where(
                or_(Unit.clues.in_(wanted), Unit.clues_anterior.in_(wanted))
            )
        )
    ).all()
    out: dict[str, str] = {}
    for clues, anterior in rows:
        if anterior in wanted and anterior not in out:
            out[anterior] = clues
    for clues, _ in rows:
        if clues in wanted:
            out[clues] = clues
    return out


async def codes_answering(session: AsyncSession, *, codes: Sequence[str]) -> set[str]:
    """``codes`` and every code (current or former) of the units that answer to one of them: what a client
    allowed those units may name them by."""
    wanted = sorted({c.strip().upper() for c in codes})
    if not wanted:
        return set()
    rows = (
        await session.execute(
            select(Unit.clues, Unit.clues_anterior).where(
                or_(Unit.clues.in_(wanted), Unit.clues_anterior.in_(wanted))
            )
        )
    ).all()
    return {*codes, *wanted, *(c for row in rows for c in row if c)}


async def get_by_organization_id(session: AsyncSession, *, organization_id: uuid.UUID) -> Unit | None:
    query = select(Unit).where(Unit.organization_id == organization_id)
    return (await session.execute(query)).scalar_one_or_none()


async def get_by_organization_ids(
    session: AsyncSession, *, organization_ids: Sequence[uuid.UUID]
) -> Sequence[Unit]:
    """The units behind these Organization ids, in one query (unknown ids are left out)."""
    if not organization_ids:
        return []
    query = select(Unit).where(Unit.organization_id.in_(sorted(set(organization_ids))))
    return (await session.execute(query)).scalars().all()


# Search boxes around the point, in km: most visits have a unit within the first; the last is everything.
_SEARCH_RADII_KM = (60.0, 250.0, 1000.0)
_KM_PER_DEGREE = math.pi * _EARTH_RADIUS_KM / 180


async def nearest_operating(
    session: AsyncSession, *, lat: float, lon: float, min_level: int, limit: int = 5
) -> list[tuple[Unit, float]]:
    """Operating units of at least ``min_level`` with coordinates, nearest first, with the great-circle
    distance in kilometres (haversine).

    With ~12,000 units a haversine over every row costs PostgreSQL ~5 ms per visit; so the search first
    looks inside a box of radius r around the point, and keeps the answer only when it holds ``limit``
    units no farther than r (anything outside the box is farther than r), else widens the box.
    """
    distance = (
        2
        * _EARTH_RADIUS_KM
        * func.asin(
            func.sqrt(
                func.power(func.sin(func.radians(Unit.latitud - lat) / 2), 2)
                + func.cos(func.radians(lat))
                * func.cos(func.radians(Unit.latitud))
                * func.power(func.sin(func.radians(Unit.longitud - lon) / 2), 2)
            )
        )
    ).label("km")
    query = (
        select(Unit, distance)
        .where(Unit.operating, Unit.nivel >= min_level, Unit.latitud.is_not(None), Unit.longitud.is_not(None))
        .order_by(distance, Unit.clues)
        .limit(limit)
    )
    for radius in _SEARCH_RADII_KM:
        # 2 % wider than r: a great circle between two points of one parallel is a little shorter than the
        # parallel's arc, and a degree of longitude is shortest at the box edge farthest from the equator.
        dlat = 1.02 * radius / _KM_PER_DEGREE
        widest = min(89.0, abs(lat) + dlat)
        dlon = min(180.0, 1.02 * radius / (_KM_PER_DEGREE * math.cos(math.radians(widest))))
        boxed = query.where(
            Unit.latitud.between(lat - dlat, lat + dlat), Unit.longitud.between(lon - dlon, lon + dlon)
        )
        found = [(unit, float(km)) for unit, km in (await session.execute(boxed)).all()]
        if len(found) == limit and found[-1][1] <= radius:
            return found
    return [(unit, float(km)) for unit, km in (await session.execute(query)).all()]


def _folded(column: Any) -> ColumnElement[str]:
    """Upper case, no accents, single spaces: ``Tlatelolco``, ``TLATELOLCO`` and ``Tlaltelolco ``
    spelt with an accent or doubled space compare equal."""
    return func.upper(func.regexp_replace(func.trim(func.unaccent(column)), r"\s+", " ", "g"))


async def locality_point(
    session: AsyncSession,
    *,
    entidad: str,
    municipio: str | None,
    localidad: str | None,
    cve_mun: str | None = None,
    cve_loc: str | None = None,
) -> tuple[float, float] | None:
    """Centroid of the units in that locality, else of the municipality; None when neither has units.
    Places match by INEGI key where both sides carry one, else by name folded for accents, case and
    spacing."""
    located = and_(Unit.entidad == entidad, Unit.latitud.is_not(None), Unit.longitud.is_not(None))
    mun: list[ColumnElement[bool]] = []
    if cve_mun:
        mun.append(Unit.cve_mun == cve_mun)
    if municipio:
        mun.append(_folded(Unit.municipio) == _folded(municipio))
    loc: list[ColumnElement[bool]] = []
    if cve_mun and cve_loc:
        loc.append(and_(Unit.cve_mun == cve_mun, Unit.cve_loc == cve_loc))
    if municipio and localidad:
        loc.append(
            and_(
                _folded(Unit.municipio) == _folded(municipio),
                _folded(Unit.localidad) == _folded(localidad),
            )
        )
    scopes: list[ColumnElement[bool]] = []
    if municipio and localidad:  # as written first: the common case, without folding every unit's name
        scopes.append(and_(located, Unit.municipio == municipio, Unit.localidad == localidad))
    if loc:
        scopes.append(and_(located, or_(*loc)))
    if mun:
        scopes.append(and_(located, or_(*mun)))
    for scope in scopes:
        row = (
            await session.execute(select(func.avg(Unit.latitud), func.avg(Unit.longitud)).where(scope))
        ).one()
        if row[0] is not None:
            return float(row[0]), float(row[1])
    return None


async def unplaced_operating(
    session: AsyncSession, *, entidad: str, municipio: str, min_level: int, limit: int = 20
) -> Sequence[Unit]:
    """Operating units of at least ``min_level`` in a municipality that have no coordinates (mobile units
    and brigades often have none): routing places them at the municipality's point."""
    query = (
        select(Unit)
        .where(
            Unit.operating,
            Unit.nivel >= min_level,
            Unit.entidad == entidad,
            Unit.municipio == municipio,
            or_(Unit.latitud.is_(None), Unit.longitud.is_(None)),
        )
        .order_by(Unit.clues)
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


@dataclass(frozen=True, slots=True)
class UnitSearch:
    clues: str | None = None
    name: str | None = None
    entidad: str | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    updated_after_inclusive: bool = False
    updated_before_inclusive: bool = False


async def search_units(
    session: AsyncSession, *, criteria: UnitSearch, offset: int = 0, limit: int = 50
) -> tuple[Sequence[Unit], int]:
    """Units matching every given criterion (name: case- and accent-insensitive, starts a word),
    ordered by CLUES; returns the page and the total."""
    conditions: list[ColumnElement[bool]] = []
    if criteria.clues:
        conditions.append(_answers_to(criteria.clues.strip().upper()))
    if criteria.name:
        # FHIR string search: starts with the value (here: any word of the name), ignoring case and accents.
        escaped = criteria.name.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        folded = func.lower(func.unaccent(Unit.nombre))
        wanted = func.lower(func.unaccent(escaped))
        conditions.append(or_(folded.like(wanted + "%"), folded.like("% " + wanted + "%")))
    if criteria.entidad:
        conditions.append(Unit.entidad == criteria.entidad)
    if criteria.updated_after is not None:
        after = criteria.updated_after
        conditions.append(
            Unit.updated_at >= after if criteria.updated_after_inclusive else Unit.updated_at > after
        )
    if criteria.updated_before is not None:
        before = criteria.updated_before
        conditions.append(
            Unit.updated_at <= before if criteria.updated_before_inclusive else Unit.updated_at < before
        )
    total = int(
        (await session.execute(select(func.count()).select_from(Unit).where(*conditions))).scalar_one()
    )
    query = select(Unit).where(*conditions).order_by(Unit.clues).offset(offset).limit(limit)
    return (await session.execute(query)).scalars().all(), total


async def count_units(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Unit))).scalar_one())


async def names_in(
    session: AsyncSession, *, entidades: Sequence[str] | None, clues: Sequence[str] | None = None
) -> dict[str, str]:
    """Current CLUES → the unit's name, for the units of these entidades (``None``: every unit), in one
    query whose size does not grow with the number of units; only the units ``clues`` names when given
    (a page of units)."""
    query = select(Unit.clues, Unit.nombre)
    if entidades is not None:
        query = query.where(Unit.entidad.in_(sorted({e.strip().upper() for e in entidades})))
    if clues is not None:
        query = query.where(Unit.clues.in_(sorted(set(clues))))
    return {str(clues): str(nombre) for clues, nombre in (await session.execute(query)).all()}
