"""Routing rules (pure): registry unit, nearest from coordinates or locality, tie-breaks, levels."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interop.referral.routing import (
    NoUnit,
    Policy,
    Rule,
    UnitOption,
    choose,
    explain,
    great_circle_km,
    required_level,
)

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
    assert "ya es paciente de DFIMB000001" in d.reason


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
    assert "no elegibles: DFIMB000009" in d.reason


def test_registry_unit_skipped_when_level_too_low_for_stat() -> None:
    d = choose(
        priority="stat",
        registry_units=[HOME],
        nearby=[(NEAR1, 0.2), (HOSP, 5.0)],
        point=(19.44, -99.14),
        point_is_locality=False,
    )
    assert d.clues == HOSP.clues
    assert "nivel 2 o más" in d.reason


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


# The programme's rules (issue 17) ---------------------------------------------------------------------

POINT = (19.0, -98.0)
IMB_FAR = UnitOption("PLIMB000010", nivel=1, operating=True)
SSA_NEAR = UnitOption("PLSSA000011", nivel=1, operating=True)
HOSPITAL_NEAR = UnitOption("PLIMB000012", nivel=2, operating=True)
BRIGADE = UnitOption("PLIMB000013", nivel=1, operating=True, tipo_unidad="brigada")
UNEME = UnitOption("PLIMB000014", nivel=1, operating=True, tipo_unidad="uneme")


def test_adhered_state_prefers_imss_bienestar_over_a_nearer_unit_of_another_institution() -> None:
    d = choose(
        priority="routine",
        registry_units=[],
        nearby=[(SSA_NEAR, 1.0), (IMB_FAR, 6.0)],
        point=POINT,
        point_is_locality=False,
        entidad="PL",
    )
    assert d.clues == IMB_FAR.clues
    assert "Puebla" not in d.reason  # the code is named, not guessed
    assert "PL está adherida a IMSS-Bienestar: se prefiere una unidad IMB" in d.reason
    # Outside an adhered state the nearer unit wins, whatever its institution.
    d = choose(
        priority="routine",
        registry_units=[],
        nearby=[(UnitOption("JCSSA000011", 1, True), 1.0), (UnitOption("JCIMB000010", 1, True), 6.0)],
        point=POINT,
        point_is_locality=False,
        entidad="JC",
    )
    assert d.clues == "JCSSA000011"


def test_routine_never_skips_the_first_level_within_the_configured_distance() -> None:
    d = choose(
        priority="routine",
        registry_units=[HOSPITAL_NEAR],
        nearby=[(HOSPITAL_NEAR, 0.5), (IMB_FAR, 12.0)],
        point=POINT,
        point_is_locality=False,
        entidad="PL",
    )
    assert d.clues == IMB_FAR.clues  # neither the nearer hospital nor the one the person is registered at
    assert "el primer nivel es la puerta de entrada" in d.reason
    assert "dentro de 30 km" in d.reason
    # Beyond the configured distance the nearest unit of any level serves.
    d = choose(
        priority="routine",
        registry_units=[],
        nearby=[(HOSPITAL_NEAR, 0.5), (IMB_FAR, 12.0)],
        point=POINT,
        point_is_locality=False,
        entidad="PL",
        policy=Policy(first_level_km=10.0),
    )
    assert d.clues == HOSPITAL_NEAR.clues
    # A need for a specialty goes to the second level.
    d = choose(
        priority="routine",
        registry_units=[],
        nearby=[(IMB_FAR, 0.5), (HOSPITAL_NEAR, 12.0)],
        point=POINT,
        point_is_locality=False,
        care="especialidad",
    )
    assert d.clues == HOSPITAL_NEAR.clues


def test_home_bound_goes_to_a_home_visit_capable_unit() -> None:
    d = choose(
        priority="routine",
        registry_units=[],
        nearby=[(UNEME, 0.5), (IMB_FAR, 1.0), (BRIGADE, 8.0)],
        point=POINT,
        point_is_locality=False,
        home_bound=True,
        entidad="PL",
    )
    assert d.clues == BRIGADE.clues
    assert d.rule is Rule.HOME_VISIT
    assert d.home_visit
    assert "no puede salir de su domicilio" in d.reason
    assert "brigada de salud" in d.reason
    assert "cannot leave home" in explain(d.parts, "en")
    assert "health brigade" in explain(d.parts, "en")
    # None in reach: the first level still serves, and the reason says no home-visit unit was found.
    d = choose(
        priority="routine",
        registry_units=[],
        nearby=[(UNEME, 0.5), (IMB_FAR, 1.0)],
        point=POINT,
        point_is_locality=False,
        home_bound=True,
    )
    assert d.clues == UNEME.clues
    assert d.home_visit
    assert "ninguna unidad con visita domiciliaria" in d.reason


def test_a_unit_placed_by_municipality_says_so() -> None:
    placed = UnitOption("PLIMB000020", nivel=1, operating=True, placed_by_municipality=True)
    d = choose(
        priority="routine", registry_units=[], nearby=[(placed, 3.0)], point=POINT, point_is_locality=False
    )
    assert d.clues == placed.clues
    assert "se ubica por su municipio" in d.reason


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["PLIMB", "PLSSA", "JCIMB", "JCSSA"]),
            st.integers(1, 3),
            st.booleans(),
            st.sampled_from([None, "brigada", "unidad-movil", "uneme", "caro", "centro-salud"]),
            st.floats(0, 100),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["routine", "urgent", "asap", "stat"]),
    st.booleans(),
)
def test_every_choice_is_eligible_and_explained(
    units: list[tuple[str, int, bool, str | None, float]], priority: str, home_bound: bool
) -> None:
    nearby = [
        (UnitOption(f"{prefix}{i:06d}", nivel, operating, tipo_unidad=tipo), km)
        for i, (prefix, nivel, operating, tipo, km) in enumerate(units)
    ]
    try:
        d = choose(
            priority=priority,
            registry_units=[],
            nearby=nearby,
            point=POINT,
            point_is_locality=False,
            home_bound=home_bound,
        )
    except NoUnit:
        assert not any(u.operating and u.nivel >= required_level(priority) for u, _ in nearby)
        return
    unit = next(u for u, _ in nearby if u.clues == d.clues)
    assert unit.operating
    assert unit.nivel >= required_level(priority)
    assert d.reason
    assert explain(d.parts, "en")
    if priority in ("routine", "urgent") and not (home_bound and unit.home_visits):
        first_in_reach = [u for u, km in nearby if u.operating and u.nivel == 1 and km <= 30]
        if first_in_reach:
            assert unit.nivel == 1
