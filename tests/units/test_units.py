"""The CLUES catalogue: import, lookups by either code, nearest operating unit, locality points."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.ingest.factories import UNIT_HEADER, csv_text, import_file, write
from tests.referral.factories import add_unit

from interop.config import Settings
from interop.units import service as units_service

UNITS = [
    [
        "DFIMB000001",
        "CENTRO DE SALUD CUAUHTÉMOC",
        "DF",
        "CUAUHTEMOC",
        "CENTRO",
        "1",
        "19.4326",
        "-99.1332",
        "EN OPERACION",
        "DFSSA000101",
    ],
    [
        "DFIMB000002",
        "HOSPITAL GENERAL TACUBA",
        "DF",
        "MIGUEL HIDALGO",
        "TACUBA",
        "2",
        "19.4590",
        "-99.1870",
        "EN OPERACION",
        "",
    ],
    [
        "DFIMB000003",
        "HOSPITAL CERRADO",
        "DF",
        "CUAUHTEMOC",
        "CENTRO",
        "2",
        "19.4330",
        "-99.1340",
        "FUERA DE OPERACION",
        "",
    ],
    [
        "OCIMB000004",
        "HOSPITAL DE ESPECIALIDADES OAXACA",
        "Oaxaca",
        "OAXACA DE JUAREZ",
        "OAXACA",
        "3",
        "17.06",
        "-96.72",
        "EN OPERACION",
        "",
    ],
    [
        "DFIMB000005",
        "CENTRO DE SALUD SIN COORDENADAS",
        "DF",
        "CUAUHTEMOC",
        "CENTRO",
        "1",
        "",
        "",
        "EN OPERACION",
        "",
    ],
    [
        "DFIMB000006",
        "CENTRO DE SALUD MAL UBICADO",
        "DF",
        "CUAUHTEMOC",
        "CENTRO",
        "1",
        "999",
        "-99.1",
        "EN OPERACION",
        "XX",
    ],
    ["BADCLUES", "SIN CLUES", "DF", "", "", "1", "", "", "EN OPERACION", ""],
    ["DFIMB000007", "NIVEL MALO", "DF", "", "", "4", "", "", "EN OPERACION", ""],
    ["DFIMB000008", "SIN ENTIDAD", "ZZ", "", "", "1", "", "", "EN OPERACION", ""],
]


async def _load(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> dict[str, object]:
    return await import_file(
        sessionmaker, settings, "units", write(tmp_path, "units.csv", csv_text(UNIT_HEADER, UNITS))
    )


async def test_units_import_and_lookups(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, session: AsyncSession
) -> None:
    summary = await _load(tmp_path, sessionmaker, settings)
    assert (summary["stored"], summary["rejected"]) == (6, 3)
    by_old = await units_service.get_unit(session, clues="dfssa000101")
    by_new = await units_service.get_unit(session, clues="DFIMB000001")
    assert by_old is not None
    assert by_new is not None
    assert by_old.clues == by_new.clues == "DFIMB000001"
    oaxaca = await units_service.get_unit(session, clues="OCIMB000004")
    assert oaxaca is not None
    assert oaxaca.entidad == "OC"
    assert oaxaca.nivel == 3
    assert oaxaca.operating
    closed = await units_service.get_unit(session, clues="DFIMB000003")
    assert closed is not None
    assert not closed.operating
    misplaced = await units_service.get_unit(session, clues="DFIMB000006")
    assert misplaced is not None
    assert misplaced.latitud is None
    assert misplaced.longitud is None
    assert {i["field"] for i in misplaced.field_issues} == {"latitud", "clues_anterior"}
    assert await units_service.get_unit(session, clues="DFIMB999999") is None


async def test_nearest_operating_by_level_and_distance(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, session: AsyncSession
) -> None:
    await _load(tmp_path, sessionmaker, settings)
    near = await units_service.nearest_operating(session, lat=19.4326, lon=-99.1332, min_level=1, limit=3)
    assert [u.clues for u, _ in near] == ["DFIMB000001", "DFIMB000002", "OCIMB000004"]
    assert near[0][1] == pytest.approx(0.0, abs=0.01)
    assert near[1][1] == pytest.approx(6.8, abs=0.5)
    hospitals = await units_service.nearest_operating(session, lat=19.4326, lon=-99.1332, min_level=2)
    assert [u.clues for u, _ in hospitals] == ["DFIMB000002", "OCIMB000004"]  # the closed one is skipped


async def test_locality_point_falls_back_to_the_municipality(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, session: AsyncSession
) -> None:
    await _load(tmp_path, sessionmaker, settings)
    point = await units_service.locality_point(
        session, entidad="DF", municipio="CUAUHTEMOC", localidad="CENTRO"
    )
    assert point == pytest.approx((19.4328, -99.1336), abs=1e-4)
    fallback = await units_service.locality_point(
        session, entidad="DF", municipio="MIGUEL HIDALGO", localidad="X"
    )
    assert fallback == pytest.approx((19.4590, -99.1870))
    assert (
        await units_service.locality_point(session, entidad="YN", municipio="MERIDA", localidad="X") is None
    )


async def test_reimport_keeps_organization_ids_and_updates_only_changed_units(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, session: AsyncSession
) -> None:
    await _load(tmp_path, sessionmaker, settings)
    first = await units_service.get_unit(session, clues="DFIMB000001")
    other = await units_service.get_unit(session, clues="DFIMB000002")
    assert first is not None
    assert other is not None
    before = (first.organization_id, first.updated_at, other.updated_at)
    changed = [row[:] for row in UNITS]
    changed[0][8] = "FUERA DE OPERACION"
    summary = await import_file(
        sessionmaker, settings, "units", write(tmp_path, "units2.csv", csv_text(UNIT_HEADER, changed))
    )
    assert (summary["new_versions"], summary["unchanged"], summary["new_records"]) == (1, 5, 0)
    session.expire_all()
    first = await units_service.get_unit(session, clues="DFIMB000001")
    other = await units_service.get_unit(session, clues="DFIMB000002")
    assert first is not None
    assert other is not None
    assert first.organization_id == before[0]
    assert not first.operating
    assert first.updated_at > before[1]
    assert other.updated_at == before[2]


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


async def test_nearest_operating_equals_a_scan_of_every_unit(session: AsyncSession) -> None:
    # Units scattered over Mexico, clustered in a few cities, with gaps wider than the first search box:
    # the boxed search must give exactly what comparing every unit gives, wherever the visit is.
    rng = random.Random(11)
    cities = [(19.43, -99.13), (20.67, -103.35), (25.69, -100.32), (21.16, -86.85), (16.75, -93.12)]
    units = []
    for i in range(400):
        lat, lon = rng.choice(cities) if i % 4 else (rng.uniform(14.6, 32.5), rng.uniform(-117.0, -86.8))
        units.append(
            (
                f"ZZIMB{i:06d}",
                lat + rng.gauss(0, 0.3),
                lon + rng.gauss(0, 0.3),
                rng.choice((1, 1, 2, 3)),
                i % 17 != 0,
            )
        )
    # Five units in the corners of the first box around (20, -100), ~76 km away, and one ~66 km due north,
    # just outside that box: the box alone would miss the nearest unit.
    units += [
        (f"ZZIMB9{k:05d}", 20 + dy, -100 + dx, 3, True)
        for k, (dy, dx) in enumerate([(0.5, 0.5), (0.5, -0.5), (-0.5, 0.5), (-0.5, -0.5), (-0.51, 0.5)])
    ]
    units.append(("ZZIMB999999", 20.59, -100.0, 3, True))
    for clues, lat, lon, nivel, operating in units:
        await add_unit(session, clues, lat=lat, lon=lon, nivel=nivel, operating=operating)
    await session.flush()
    probes = [
        (20.0, -100.0),
        (19.40, -99.10),
        (27.5, -110.0),
        (18.0, -88.5),
        (31.9, -116.6),
        (15.0, -92.3),
        (23.0, -106.4),
    ]
    for plat, plon in probes:
        for level, limit in ((1, 5), (2, 5), (3, 8)):
            got = await units_service.nearest_operating(
                session, lat=plat, lon=plon, min_level=level, limit=limit
            )
            expected = sorted(
                (round(_haversine_km(plat, plon, lat, lon), 6), clues)
                for clues, lat, lon, nivel, operating in units
                if operating and nivel >= level
            )[:limit]
            assert [u.clues for u, _ in got] == [clues for _, clues in expected], (plat, plon, level)
            assert [round(km, 3) for _, km in got] == [round(km, 3) for km, _ in expected]


async def test_inegi_keys_are_optional_and_place_a_locality_spelt_differently(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, session: AsyncSession
) -> None:
    header = (*UNIT_HEADER, "cve_mun", "cve_loc")
    rows = [
        [
            "OCIMB000010",
            "CS SAN JUAN",
            "OC",
            "SAN JUAN BAUTISTA",
            "LA CAÑADA",
            "1",
            "17.1",
            "-96.7",
            "EN OPERACION",
            "",
            "15",
            "1",
        ],
        ["OCIMB000011", "CS OTRO", "OC", "OTRO", "OTRO", "1", "17.5", "-96.2", "EN OPERACION", "", "x9", ""],
    ]
    summary = await import_file(
        sessionmaker, settings, "units", write(tmp_path, "u.csv", csv_text(header, rows))
    )
    assert summary["stored"] == 2
    unit = await units_service.get_unit(session, clues="OCIMB000010")
    assert unit is not None
    assert (unit.cve_mun, unit.cve_loc) == ("015", "0001")  # zero-padded as INEGI writes them
    other = await units_service.get_unit(session, clues="OCIMB000011")
    assert other is not None
    assert other.cve_mun is None
    assert {i["field"] for i in other.field_issues} == {"cve_mun"}
    # By key, whatever the spelling; and by name folded for accents, case and spaces.
    by_key = await units_service.locality_point(
        session, entidad="OC", municipio="S. JUAN", localidad="CANADA", cve_mun="015", cve_loc="0001"
    )
    assert by_key == pytest.approx((17.1, -96.7))
    by_name = await units_service.locality_point(
        session, entidad="OC", municipio="san juan  bautista", localidad="la canada"
    )
    assert by_name == pytest.approx((17.1, -96.7))
