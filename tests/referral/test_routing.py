"""Routing rules (pure): registry unit, nearest from coordinates or locality, tie-breaks, levels."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interop.referral.routing import NoUnit, Rule, UnitOption, choose, great_circle_km, required_level

HOME = UnitOption("DFIMB000001", nivel=1, operating=True, latitud=19.43, longitud=-99.13)
HOSP = UnitOption("DFIMB000002", nivel=2, operating=True, latitud=19.40, longitud=-99.10)
NEAR1 = UnitOption("DFIMB000003", nivel=1, operating=True, latitud=19.44, longitud=-99.14)


def test_levels_for_urgency() -> None:
    assert [required_level(p) for p in ("routine", "urgent", "asap", "stat")] == [1, 1, 2, 2]
    with pytest.raises(ValueError, match="emergency"):
        required_level("emergency")


def test_great_circle_known_distance() -> None:
    # Mexico City Zócalo → Guadalajara cathedral: about 461 km.
    d = great_circle_km(19.4326, -99.1332, 20.6767, -103.3475)
    assert 455 < d < 465
    assert great_circle_km(19.0, -99.0, 19.0, -99.0) == 0.0
    # one degree of latitude ≈ 111.2 km
    assert math.isclose(great_circle_km(0, 0, 1, 0), 111.195, rel_tol=1e-3)


@given(st.floats(-89, 89), st.floats(-179, 179), st.floats(-89, 89), st.floats(-179, 179))
def test_great_circle_symmetric_and_bounded(a: float, b: float, c: float, d: float) -> None:
    x = great_circle_km(a, b, c, d)
    assert math.isclose(x, great_circle_km(c, d, a, b), abs_tol=1e-6)
    assert 0 <= x <= math.pi * 6371.0088 + 1e-6


def test_registry_unit_wins_when_operating_and_of_level() -> None:
    d = choose(
        priority="routine",
        registry_units=[HOME],
        nearby=[(NEAR1, 0.1)],
        point=(19.44, -99.14),
        point_is_locality=False,
    )
    assert d.clues == HOME.clues
    assert d.rule is Rule.REGISTRY_UNIT
    assert d.distance_km is not None
    assert d.distance_km > 0
    assert "already a patient" in d.reason


def test_registry_unit_skipped_when_not_operating() -> None:
    closed = UnitOption("DFIMB000009", nivel=1, operating=False, latitud=19.43, longitud=-99.13)
    d = choose(
        priority="routine",
        registry_units=[closed],
        nearby=[(NEAR1, 1.5)],
        point=(19.44, -99.14),
        point_is_locality=False,
    )
    assert d.clues == NEAR1.clues
    assert d.rule is Rule.NEAREST_FROM_COORDINATES
    assert "DFIMB000009 not eligible" in d.reason


def test_registry_unit_skipped_when_level_too_low_for_stat() -> None:
    d = choose(
        priority="stat",
        registry_units=[HOME],
        nearby=[(NEAR1, 0.2), (HOSP, 5.0)],
        point=(19.44, -99.14),
        point_is_locality=False,
    )
    assert d.clues == HOSP.clues
    assert "level >= 2" in d.reason


def test_nearest_from_locality_rule_named() -> None:
    d = choose(
        priority="urgent",
        registry_units=[],
        nearby=[(NEAR1, 3.0), (HOME, 2.0)],
        point=(19.4, -99.1),
        point_is_locality=True,
    )
    assert d.clues == HOME.clues
    assert d.rule is Rule.NEAREST_FROM_LOCALITY
    assert d.distance_km == 2.0


def test_tie_break_lower_level_then_clues() -> None:
    a = UnitOption("ZZIMB000001", nivel=2, operating=True)
    b = UnitOption("AAIMB000001", nivel=2, operating=True)
    c = UnitOption("MMIMB000001", nivel=1, operating=True)
    d = choose(
        priority="routine",
        registry_units=[],
        nearby=[(a, 4.0), (b, 4.0), (c, 4.0)],
        point=(0, 0),
        point_is_locality=False,
    )
    assert d.clues == c.clues  # lower level first
    d2 = choose(
        priority="routine",
        registry_units=[],
        nearby=[(a, 4.0), (b, 4.0 + 1e-7)],
        point=(0, 0),
        point_is_locality=False,
    )
    assert d2.clues == b.clues  # same level, sub-metre difference: CLUES order


def test_several_registry_units_nearest_first() -> None:
    far = UnitOption("DFIMB000100", nivel=1, operating=True, latitud=20.5, longitud=-99.0)
    d = choose(
        priority="routine",
        registry_units=[far, HOME],
        nearby=[],
        point=(19.43, -99.13),
        point_is_locality=False,
    )
    assert d.clues == HOME.clues


def test_tried_units_skipped_and_no_unit_raises() -> None:
    d = choose(
        priority="routine",
        registry_units=[HOME],
        nearby=[(NEAR1, 1.0), (HOME, 0.5)],
        point=(19.4, -99.1),
        point_is_locality=False,
        tried=[HOME.clues],
    )
    assert d.clues == NEAR1.clues
    with pytest.raises(NoUnit):
        choose(
            priority="routine",
            registry_units=[],
            nearby=[(NEAR1, 1.0)],
            point=(19.4, -99.1),
            point_is_locality=False,
            tried=[NEAR1.clues],
        )
    with pytest.raises(NoUnit):
        choose(priority="routine", registry_units=[], nearby=[], point=None, point_is_locality=False)
