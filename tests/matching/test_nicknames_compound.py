"""Nicknames the table lacked (issue 13, session 12): CHEMA for JOSE MARIA — a nickname of two given
names as a whole —, RICHI, JUANCHO, MAITE … Read alike by the batch's SQL level and Python's (``$match``,
visits, the grade), and by the conflict rules: CHEMA and JOSE MARIA were a hard conflict, and given
names settled as two people (never even a review)."""

from __future__ import annotations

from datetime import date

import duckdb

from interop.identity.hypocoristics import compound_nickname, same_by_nickname
from interop.matching import spec
from interop.matching.conflict import Signature, given_variants, hard_conflict, names_settle_apart
from interop.matching.features import MatchFeatures, features_of

BORN = date(1950, 3, 19)


def _f(given: str, sex: str = "H") -> MatchFeatures:
    return features_of(
        source="roll",
        record_id=given,
        curp=None,
        given_names=given,
        paternal_surname="HERNANDEZ",
        maternal_surname="LUNA",
        birth_date=BORN,
        sex=sex,
        entidad="PL",
        municipio="114",
        localidad="0001",
        domicilio="AV REFORMA 10",
    )


def _level(a: MatchFeatures, b: MatchFeatures) -> str:
    return next(lv.label for lv in spec.GIVEN.levels if lv.test(a, b))


def test_chema_is_jose_maria_as_a_whole_and_neither_name_alone() -> None:
    assert compound_nickname("CHEMA", "JOSE MARIA")
    assert compound_nickname("JOSE MARIA", "CHEMA")
    assert compound_nickname("MAITE", "MARIA TERESA")
    assert not compound_nickname("CHEMA", "JOSE")
    assert not compound_nickname("CHEMA", "MARIA")
    assert not compound_nickname("CHEMA", "JOSE LUIS")
    assert not compound_nickname("PEPE", "JOSE")  # one name: the main names' nickname level
    chema, jose_maria = _f("CHEMA"), _f("JOSE MARIA")
    assert _level(chema, jose_maria) == "nickname"  # main: "else"
    assert given_variants("CHEMA", "JOSE MARIA")
    sa, sb = Signature.of(chema), Signature.of(jose_maria)
    assert not hard_conflict(sa, sb)  # main: a hard conflict
    assert not names_settle_apart(sa, sb)  # main: settled as two people
    # Another compound is another person's name still.
    jose_luis = Signature.of(_f("JOSE LUIS"))
    assert hard_conflict(sa, jose_luis)
    assert _level(chema, _f("JOSE LUIS")) == "else"


def test_common_hypocorisms_the_table_lacked() -> None:
    for nickname, formal in (
        ("RICHI", "RICARDO"),
        ("JUANCHO", "JUAN"),
        ("LUPILLO", "GUADALUPE"),
        ("TEMO", "CUAUHTEMOC"),
        ("CHARO", "ROSARIO"),
        ("PEPA", "JOSEFA"),
        ("GABY", "GABRIELA"),
        ("VERO", "VERONICA"),
    ):
        assert same_by_nickname(nickname, formal), nickname
        assert _level(_f(nickname), _f(formal)) == "nickname", nickname
    # A brother's name is not his sister's nickname.
    assert not same_by_nickname("PEPA", "JOSE")


def test_the_nickname_level_in_the_batch_sql_equals_python() -> None:
    names = ("CHEMA", "JOSE MARIA", "JOSE", "MARIA", "JOSE LUIS", "MAITE", "MARIA TERESA", "TERESA", "RICHI")
    people = [_f(n) for n in names] + [_f("RICARDO"), _f("MARIA DE LOURDES", "M"), _f("MARILU", "M")]
    cols = ("given_full", "given_main", "given_rest", "ph_given", "ph_ap1")
    con = duckdb.connect()
    con.execute("CREATE TABLE f (i INTEGER, " + ", ".join(f"{c} VARCHAR" for c in cols) + ")")
    con.executemany(
        f"INSERT INTO f VALUES (?{', ?' * len(cols)})",
        # An empty value is NULL in the batch's tables (read from CSV), as in the run.
        [(i, *(getattr(p, c) or None for c in cols)) for i, p in enumerate(people)],
    )
    whens = " ".join(f"WHEN {lv.sql} THEN '{lv.label}'" for lv in spec.GIVEN.levels if lv.sql != "ELSE")
    pair_cols = ", ".join(f"a.{c} AS {c}_l, b.{c} AS {c}_r" for c in cols)
    rows = con.execute(
        f"SELECT i_l, i_r, CASE {whens} ELSE 'else' END FROM "
        f"(SELECT a.i AS i_l, b.i AS i_r, {pair_cols} FROM f a, f b)"
    ).fetchall()
    nick = 0
    for i, j, got in rows:
        want = _level(people[i], people[j])
        assert got == want, (people[i].given_full, people[j].given_full)
        nick += want == "nickname"
    assert nick >= 6
