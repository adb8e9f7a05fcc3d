"""Time zones by entidad: the border strip keeps daylight saving, the rest of the country does not."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from interop.identity import zones
from interop.identity.states import STATE_CODES


def test_every_entidad_has_a_zone_python_knows() -> None:
    assert set(zones.ENTIDAD_ZONES) == set(STATE_CODES) - {"NE"}
    for zone in zones.ZONES:
        ZoneInfo(zone)


@pytest.mark.parametrize(
    ("entidad", "municipio", "zone"),
    [
        ("BC", "Tijuana", "America/Tijuana"),
        ("BC", None, "America/Tijuana"),
        ("QR", "Benito Juárez", "America/Cancun"),
        ("SR", "Hermosillo", "America/Hermosillo"),
        ("CH", "Juárez", "America/Ciudad_Juarez"),
        ("CH", "Chihuahua", "America/Chihuahua"),
        ("TS", "Reynosa", "America/Matamoros"),
        ("TS", "Victoria", "America/Monterrey"),
        ("NT", "Bahía de Banderas", "America/Bahia_Banderas"),
        ("DF", None, "America/Mexico_City"),
        ("NE", None, "America/Mexico_City"),
        (None, None, "America/Mexico_City"),
    ],
)
def test_zone_for(entidad: str | None, municipio: str | None, zone: str) -> None:
    assert zones.zone_for(entidad, municipio) == zone


@pytest.mark.parametrize(
    ("zone", "day", "offset_hours"),
    [
        ("America/Tijuana", date(2026, 7, 15), -7),  # border strip: daylight saving in summer
        ("America/Tijuana", date(2026, 1, 15), -8),
        ("America/Cancun", date(2026, 7, 15), -5),  # no daylight saving
        ("America/Cancun", date(2026, 1, 15), -5),
        ("America/Mexico_City", date(2026, 7, 15), -6),  # none since 2022
        ("America/Hermosillo", date(2026, 7, 15), -7),
    ],
)
def test_day_bounds_follow_the_zone(zone: str, day: date, offset_hours: int) -> None:
    start, end = zones.day_bounds(day, zone)
    assert start == datetime.combine(day, time.min, tzinfo=UTC) - timedelta(hours=offset_hours)
    assert end - start == timedelta(hours=24)
    late = zones.local_instant(day, time(23, 30), zone)
    assert start <= late < end
    assert zones.local_date(late, zone) == day
    # The same instant is already the next day in UTC: cutting days at UTC would misfile it.
    assert late.date() == day + timedelta(days=1)


def test_day_bounds_on_a_daylight_saving_change() -> None:
    start, end = zones.day_bounds(date(2026, 3, 8), "America/Tijuana")
    assert end - start == timedelta(hours=23)


@pytest.mark.parametrize("zone", sorted(zones.ZONES))
def test_day_bounds_at_the_ends_of_the_calendar(zone: str) -> None:
    first, _ = zones.day_bounds(date(1, 1, 1), zone)
    _, last = zones.day_bounds(date(9999, 12, 31), zone)
    assert first.year == 1
    assert last == datetime.max.replace(tzinfo=UTC)
