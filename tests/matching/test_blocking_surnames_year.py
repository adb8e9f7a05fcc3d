"""One person's two records that no blocking rule compared (a blind population, session 14): the
given name written otherwise (a second name dropped, a nickname) *and* the day and month lost to a
year-only date, or the entidad left blank. Both surnames, the birth year and the municipio find them
in the batch; a sibling born another year, or the same family in another municipio, is not joined."""

from __future__ import annotations

from datetime import date

import duckdb

from interop.matching.features import FEATURE_COLUMNS, MatchFeatures, features_of
from interop.matching.layout import Layout, batch_blocking_sql


def _f(
    key: str, given: str, born: date, *, entidad: str | None = "CS", municipio: str = "OCOSINGO"
) -> MatchFeatures:
    return features_of(
        source="patients",
        record_id=key,
        curp=None,
        given_names=given,
        paternal_surname="CASTILLO",
        maternal_surname="ROMERO",
        birth_date=born,
        sex="M",
        entidad=entidad,
        municipio=municipio,
        localidad=municipio,
        domicilio="DOMICILIO CONOCIDO",
    )


def _compared(rules: list[str], a: MatchFeatures, b: MatchFeatures) -> bool:
    con = duckdb.connect()
    cols = ", ".join(f"{c} VARCHAR" for c in FEATURE_COLUMNS)
    marks = ", ".join("?" for _ in FEATURE_COLUMNS)
    for name, f in (("l", a), ("r", b)):
        con.execute(f"CREATE TABLE {name}_t ({cols})")
        con.execute(f"INSERT INTO {name}_t VALUES ({marks})", [getattr(f, c) for c in FEATURE_COLUMNS])
    where = " OR ".join(f"({r})" for r in rules)
    row = con.execute(f"SELECT count(*) FROM l_t l, r_t r WHERE {where}").fetchone()
    return row is not None and row[0] > 0


def test_a_dropped_name_and_a_year_only_date_are_compared_by_surnames_year_and_municipio() -> None:
    rules = batch_blocking_sql(Layout.full())
    roll = _f("R1", "MARIA DEL SOCORRO", date(1959, 11, 25))
    # Fails on main: no rule holds (another main given name, day and month, the entidad blank).
    clinic = _f("E1", "MARIA", date(1959, 1, 1), entidad=None)
    assert _compared(rules, roll, clinic)
    nickname = _f("E2", "COCO", date(1959, 1, 1))
    assert _compared(rules, roll, nickname)
    # A sister born another year, or the family's surnames in another municipio: not by this rule.
    assert not _compared(rules, roll, _f("E3", "GUADALUPE", date(1962, 1, 1), entidad=None))
    assert not _compared(rules, roll, _f("E4", "MARIA", date(1959, 1, 1), entidad=None, municipio="TEKAX"))
    # The municipio written as a postcode by one clerk: the localidad's twin finds them.
    postcode = features_of(
        source="patients",
        record_id="E5",
        curp=None,
        given_names="MARIA",
        paternal_surname="CASTILLO",
        maternal_surname="ROMERO",
        birth_date=date(1959, 1, 1),
        sex="M",
        entidad=None,
        municipio="29950",
        localidad="OCOSINGO",
        domicilio="DOMICILIO CONOCIDO",
    )
    assert _compared(rules, roll, postcode)
    # A layout without municipio and localidad does not get the rule nationwide (surnames and a year alone).
    no_place = Layout(frozenset(("curp", "given_full", "ap1", "ap2", "dob", "sexo", "entidad")))
    assert not any(
        "dob_year" in r and "municipio" not in r and "localidad" not in r and "given" not in r
        for r in batch_blocking_sql(no_place)
    )
