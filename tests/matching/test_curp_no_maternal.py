"""The CURP recomputed from a record without its second surname (issue 13, session 12's CURP levels):
RENAPO writes X for a missing second surname (character 3, and 15 for its inner consonant), so the CURP
recomputed from a clinic record that left the mother's surname out never equalled the person's own
CURP on another record, and the pair read as "missing". Its own level now, the same pure rule in the
batch's SQL and in Python (``$match``, visits and the grade score with ``spec`` levels)."""

from __future__ import annotations

from datetime import date

import duckdb

from interop.identity.curp import build_curp
from interop.matching import spec
from interop.matching.features import MatchFeatures, features_of

BORN = date(1951, 11, 4)
LEVEL = "recomputed, second surname missing"
CURP = build_curp(
    given_names="ROSALBA",
    paternal_surname="CRUZ",
    maternal_surname="LOPEZ",
    birth_date=BORN,
    sex="M",
    state="DF",
    homoclave="0",
)


def _f(
    rid: str, *, curp: str | None, maternal: str | None, given: str = "ROSALBA", born: date = BORN
) -> MatchFeatures:
    return features_of(
        source="patients",
        record_id=rid,
        curp=curp,
        given_names=given,
        paternal_surname="CRUZ",
        maternal_surname=maternal,
        birth_date=born,
        sex="M",
        entidad="MC",  # lives in another entidad than the one she was born in
        municipio="033",
        localidad="0001",
        domicilio="CALLE 5 DE MAYO 12",
    )


def _level(a: MatchFeatures, b: MatchFeatures) -> str:
    return next(lv.label for lv in spec.CURP.levels if lv.test(a, b))


def test_a_curp_agrees_with_the_one_recomputed_from_a_record_without_its_second_surname() -> None:
    own = _f("A", curp=CURP, maternal="LOPEZ")
    bare = _f("B", curp=None, maternal=None)
    assert bare.curp16_calc is not None
    assert bare.curp16_calc[2] == "X"
    assert _level(own, bare) == LEVEL  # main: "missing"
    assert _level(bare, own) == LEVEL
    # With the second surname written, the full recomputation holds, as before.
    assert _level(own, _f("C", curp=None, maternal="LOPEZ")) == "recomputed from the other record"
    # Not for a record with another given name's initial or another birth date (another person) ...
    assert _level(own, _f("D", curp=None, maternal=None, given="MARTA")) == "missing"
    assert _level(own, _f("E", curp=None, maternal=None, born=date(1953, 11, 4))) == "missing"
    # ... nor for one with a CURP of its own that differs: that CURP speaks for its record.
    other = build_curp(
        given_names="ROSALBA",
        paternal_surname="CRUZ",
        maternal_surname=None,
        birth_date=BORN,
        sex="M",
        state="MC",
        homoclave="0",
    )
    assert _level(own, _f("F", curp=other, maternal=None)) == "else"


def test_the_level_in_the_batch_sql_equals_python() -> None:
    records = [
        _f("A", curp=CURP, maternal="LOPEZ"),
        _f("B", curp=None, maternal=None),
        _f("C", curp=None, maternal="LOPEZ"),
        _f("D", curp=None, maternal=None, given="MARTA"),
        _f("E", curp=None, maternal=None, born=date(1953, 11, 4)),
        _f("G", curp=None, maternal=None, given="ROSA MARIA"),
        _f("H", curp=CURP, maternal=None),
    ]
    cols = ("curp", "curp16", "curp16_calc", "given_main", "given_rest")
    con = duckdb.connect()
    con.execute("CREATE TABLE f (i INTEGER, " + ", ".join(f"{c} VARCHAR" for c in cols) + ")")
    con.executemany(
        f"INSERT INTO f VALUES (?{', ?' * len(cols)})",
        [(i, *(getattr(r, c) for c in cols)) for i, r in enumerate(records)],
    )
    whens = " ".join(f"WHEN {lv.sql} THEN '{lv.label}'" for lv in spec.CURP.levels if lv.sql != "ELSE")
    pair_cols = ", ".join(f"a.{c} AS {c}_l, b.{c} AS {c}_r" for c in cols)
    rows = con.execute(
        f"SELECT i_l, i_r, CASE {whens} ELSE 'else' END FROM "
        f"(SELECT a.i AS i_l, b.i AS i_r, {pair_cols} FROM f a, f b WHERE a.i <> b.i)"
    ).fetchall()
    seen = set()
    for i, j, got in rows:
        assert got == _level(records[i], records[j]), (records[i].record_id, records[j].record_id)
        seen.add(got)
    assert LEVEL in seen
