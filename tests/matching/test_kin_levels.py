"""Levels and rules for errors a population the matcher was not tuned on showed (issue 13, kin):
nicknames (hypocorísticos) and year-only birth dates. Pure: the batch's SQL against the online
Python for the new levels, and the conflict rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb

from interop.identity.curp import build_curp
from interop.identity.hypocoristics import NICKNAMES, nickname_pairs, same_by_nickname
from interop.matching import spec
from interop.matching.conflict import Signature, given_variants, hard_conflict, settles
from interop.matching.features import (
    MatchFeatures,
    date_unsure,
    features_of,
    matching_curp_sql,
    year_only_placeholder,
)


def _f(given: str, dob: date | None, *, curp: str | None = None, sex: str = "H") -> MatchFeatures:
    return features_of(
        source="roll",
        record_id=given,
        curp=curp,
        given_names=given,
        paternal_surname="QUIROGA",
        maternal_surname="ULLOA",
        birth_date=dob,
        sex=sex,
        entidad="OC",
        municipio="067",
        localidad="0001",
        domicilio="CALLE ALCALA 301",
    )


def test_nicknames_join_a_name_and_its_formal_forms_only() -> None:
    assert same_by_nickname("PANCHO", "FRANCISCO")
    assert same_by_nickname("PACO", "PANCHO")  # two nicknames of one name
    assert same_by_nickname("LUPE", "GUADALUPE")
    assert same_by_nickname("BETO", "ROBERTO")
    assert same_by_nickname("BETO", "ALBERTO")
    assert not same_by_nickname("ROBERTO", "ALBERTO")  # a shared nickname does not make them one
    assert not same_by_nickname("PANCHA", "FRANCISCO")  # a sister's name is not a brother's
    assert not same_by_nickname("FRANCISCO", "FRANCISCO")  # equal is its own level
    assert not same_by_nickname(None, "PEPE")
    pairs = set(nickname_pairs())
    assert {"PEPE|JOSE", "JOSE|PEPE"} <= pairs
    assert "ROBERTO|ALBERTO" not in pairs
    # Folded like every compared name: upper case, no accents, Ñ as N.
    assert all(n.isascii() and n.isupper() for k, v in NICKNAMES.items() for n in (k, *v))


def test_a_nickname_is_no_given_name_conflict_but_other_names_still_are() -> None:
    born = date(1948, 5, 17)
    assert given_variants("PANCHO", "FRANCISCO JAVIER")
    assert given_variants("MA DE JESUS", "CHUY")
    assert not hard_conflict(Signature.of(_f("PANCHO", born)), Signature.of(_f("FRANCISCO", born)))
    assert not hard_conflict(Signature.of(_f("PEPE", born)), Signature.of(_f("JOSE", born)))
    # Twins and siblings keep their conflict: different names, and a nickname of neither.
    assert hard_conflict(Signature.of(_f("ALBERTO", born)), Signature.of(_f("ROBERTO", born)))
    assert hard_conflict(Signature.of(_f("PANCHO", born)), Signature.of(_f("ENRIQUE", born)))
    # Records of different sexes need the same names, nickname or not (LUPE: a brother and a sister).
    lupe, guadalupe = _f("LUPE", born, sex="M"), _f("GUADALUPE", born, sex="H")
    assert hard_conflict(Signature.of(lupe), Signature.of(guadalupe))


def _level_sql(comparison: spec.Comparison) -> str:
    whens = " ".join(f"WHEN {lv.sql} THEN '{lv.label}'" for lv in comparison.levels if lv.sql != "ELSE")
    return f"CASE {whens} ELSE 'else' END"


def test_nickname_and_year_only_levels_in_sql_equal_python() -> None:
    people = [
        _f(g, d)
        for g in ("PANCHO", "FRANCISCO", "PACO", "LUPE", "MARIA GUADALUPE", "JOSE", "PEPE", "ENRIQUE")
        for d in (date(1948, 1, 1), date(1948, 5, 17), date(1949, 1, 1), date(1947, 9, 30), None)
    ]
    cols = ("given_full", "given_main", "given_rest", "ph_given", "ph_ap1", "dob", "dob_year", "dob_md")
    con = duckdb.connect()
    con.execute("CREATE TABLE f (i INTEGER, " + ", ".join(f"{c} VARCHAR" for c in cols) + ")")
    con.executemany(
        f"INSERT INTO f VALUES (?{', ?' * len(cols)})",
        [(i, *(getattr(p, c) for c in cols)) for i, p in enumerate(people)],
    )
    pair_cols = ", ".join(f"a.{c} AS {c}_l, b.{c} AS {c}_r" for c in cols)
    rows = con.execute(
        f"SELECT i_l, i_r, {_level_sql(spec.GIVEN)}, {_level_sql(spec.BIRTH_DATE)} FROM "
        f"(SELECT a.i AS i_l, b.i AS i_r, {pair_cols} FROM f a, f b)"
    ).fetchall()
    seen: set[str] = set()
    for i, j, given, born in rows:
        a, b = people[i], people[j]
        for comparison, got in ((spec.GIVEN, given), (spec.BIRTH_DATE, born)):
            want = next(lv.label for lv in comparison.levels if lv.test(a, b))
            assert got == want, (comparison.name, a.given_full, a.dob, b.given_full, b.dob)
            seen.add(want)
    assert {"nickname", "year only, same year"} <= seen


def test_a_year_only_date_keeps_its_curp_for_comparison_but_it_settles_nothing() -> None:
    born = date(1948, 5, 17)
    curp = build_curp(
        given_names="ZENAIDO",
        paternal_surname="QUIROGA",
        maternal_surname="ULLOA",
        birth_date=born,
        sex="H",
        state="OC",
        homoclave="0",
    )
    assert year_only_placeholder("1948-05-17", "1948-01-01")
    assert not year_only_placeholder("1948-05-17", "1949-01-01")  # another year: a relative's
    assert not year_only_placeholder("1948-01-01", "1948-01-01")  # its own date
    assert date_unsure("1948-05-17", "1948-01-01")
    assert date_unsure("1948-05-17", "1949-05-17")
    con = duckdb.connect()
    sql = matching_curp_sql("curp", "trusted", "dob", "sexo")
    for dob, kept in ((date(1948, 1, 1), True), (date(1949, 1, 1), False), (date(1938, 1, 1), False)):
        f = _f("ZENAIDO", dob, curp=curp)
        assert (f.curp == curp) is kept, dob
        (in_sql,) = con.execute(
            f"SELECT {sql} FROM (SELECT ?::VARCHAR AS curp, false AS trusted, ?::VARCHAR AS dob, "
            "'H' AS sexo)",
            [curp, f.dob],
        ).fetchone() or (None,)
        assert in_sql == f.curp, dob
    placeholder = Signature.of(_f("ZENAIDO", date(1948, 1, 1), curp=curp))
    assert placeholder.curp == curp
    assert not settles(placeholder)
    # On its own record's full date the same CURP settles identity, as before.
    assert settles(Signature.of(_f("ZENAIDO", born, curp=curp)))


def test_sisters_sharing_a_name_born_on_one_day_and_month_look_like_relatives_wherever_they_live() -> None:
    from interop.matching.conflict import relatives_lookalike

    def sister(given: str, born: date, domicilio: str) -> MatchFeatures:
        return features_of(
            source="patients",
            record_id=given,
            curp=None,
            given_names=given,
            paternal_surname="CHAVEZ",
            maternal_surname="CORONA",
            birth_date=born,
            sex="M",
            entidad="VZ",
            municipio="087",
            localidad="0001",
            domicilio=domicilio,
        )

    martha = sister("MARTHA", date(1978, 12, 26), "CALLE IGNACIO RAMIREZ 310")
    martha_eugenia = sister("MARTHA EUGENIA", date(1972, 12, 26), "CALLE 5 DE MAYO 261")
    # Another year of the same day and month, one name inside the other: the birth date anchors
    # nothing, whatever the addresses say.
    assert relatives_lookalike(martha, martha_eugenia)
    # The same names at different addresses: a year slip of one person who moved, as before.
    assert not relatives_lookalike(martha, replace(martha_eugenia, given_full="MARTHA", given_rest="MARTHA"))
    # Names neither holds (MARTHA / EUGENIA): the hard conflict on given names speaks, not this rule.
    assert not relatives_lookalike(martha, replace(martha_eugenia, given_full="EUGENIA"))


def test_one_name_at_one_address_a_few_years_apart_still_looks_like_relatives() -> None:
    """Issue 13 item 1 holds for any year difference under the same full names at one address, a
    year's last digit included (1950 / 1956): the rule keeps no smallest gap between a parent's and a
    child's birth (docs/decisions.md, issue 13 session 7), in Python and in the batch's SQL alike."""
    from interop.matching.features import FEATURE_COLUMNS
    from interop.matching.lookalike import relatives_lookalike, relatives_lookalike_sql

    con = duckdb.connect()
    con.execute(f"CREATE TABLE a ({', '.join(f'{c} VARCHAR' for c in FEATURE_COLUMNS)})")
    con.execute(f"CREATE TABLE b ({', '.join(f'{c} VARCHAR' for c in FEATURE_COLUMNS)})")
    marks = ", ".join("?" for _ in FEATURE_COLUMNS)
    elder = _f("ZENAIDO", date(1950, 7, 24))
    for born in (date(1956, 7, 24), date(1951, 7, 24), date(1978, 7, 24)):
        other = _f("ZENAIDO", born)
        assert relatives_lookalike(elder, other)
        con.execute("DELETE FROM a")
        con.execute("DELETE FROM b")
        con.execute(f"INSERT INTO a VALUES ({marks})", [getattr(elder, c) for c in FEATURE_COLUMNS])
        con.execute(f"INSERT INTO b VALUES ({marks})", [getattr(other, c) for c in FEATURE_COLUMNS])
        row = con.execute(f"SELECT {relatives_lookalike_sql('a', 'b')} FROM a, b").fetchone()
        assert row is not None
        assert row[0] is True
    # Another day and month is no look-alike (the date comparison and the conflicts speak).
    assert not relatives_lookalike(elder, _f("ZENAIDO", date(1956, 8, 24)))


def test_a_sisters_curp_on_a_record_under_a_shared_name_still_looks_like_relatives() -> None:
    """Kin seed 6's JESSICA (1995) and JESSICA TERESA (1993), sisters at one address born on one day and
    month, the elder's record carrying the younger's CURP (kept for comparison: the years differ in the
    last digit only). The CURP dates the other record, but the given names are not the same: the pair
    stays a relatives' look-alike, in Python and in SQL; under the same given names it would not."""
    from interop.matching.features import FEATURE_COLUMNS
    from interop.matching.lookalike import relatives_lookalike, relatives_lookalike_sql

    def sister(given: str, born: date, curp: str | None) -> MatchFeatures:
        return features_of(
            source="patients",
            record_id=given,
            curp=curp,
            given_names=given,
            paternal_surname="MALDONADO",
            maternal_surname="CORTES",
            birth_date=born,
            sex=None,
            entidad="GT",
            municipio="IRAPUATO",
            localidad="IRAPUATO",
            domicilio="OCAMPO 32",
        )

    younger_curp = build_curp(
        given_names="JESSICA",
        paternal_surname="MALDONADO",
        maternal_surname="CORTES",
        birth_date=date(1995, 12, 1),
        sex="M",
        state="GT",
        homoclave="0",
    )
    younger = sister("JESSICA", date(1995, 12, 1), None)
    elder = sister("JESSICA TERESA", date(1993, 12, 1), younger_curp)
    assert elder.curp == younger_curp  # kept: 1993 for 1995 reads as a slip in the year
    con = duckdb.connect()
    cols = ", ".join(f"{c} VARCHAR" for c in FEATURE_COLUMNS)
    marks = ", ".join("?" for _ in FEATURE_COLUMNS)
    for given, lookalike in (("JESSICA TERESA", True), ("JESSICA", False)):
        other = replace(elder, given_full=given)
        assert relatives_lookalike(younger, other) is lookalike
        con.execute(f"CREATE OR REPLACE TABLE a ({cols})")
        con.execute(f"CREATE OR REPLACE TABLE b ({cols})")
        con.execute(f"INSERT INTO a VALUES ({marks})", [getattr(younger, c) for c in FEATURE_COLUMNS])
        con.execute(f"INSERT INTO b VALUES ({marks})", [getattr(other, c) for c in FEATURE_COLUMNS])
        row = con.execute(f"SELECT {relatives_lookalike_sql('a', 'b')} FROM a, b").fetchone()
        assert row is not None
        assert bool(row[0]) is lookalike
