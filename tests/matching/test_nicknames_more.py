"""Nicknames of general Mexican usage the table lacked (session 14, issue 13): a clerk writing FREDO
for ALFREDO made one person's two records two given names that contradict each other (a hard
conflict), however alike the rest. And once a nickname is the same name, the relatives' look-alike
rule must read it so: a father ROBERTO and the son named after him, written BETO, at one address,
the same day and month, years apart, never link on that alone (item 1) — in Python and in the
batch's SQL alike."""

from __future__ import annotations

from datetime import date

import pytest
from tests.matching.test_settled_apart import lookalike_in_sql

from interop.identity.hypocoristics import same_by_nickname
from interop.matching.conflict import Signature, hard_conflict
from interop.matching.features import MatchFeatures, features_of
from interop.matching.lookalike import relatives_lookalike

FORMS = [
    ("FREDO", "ALFREDO"),
    ("GERA", "GERARDO"),
    ("CHECO", "SERGIO"),
    ("MUNDO", "RAYMUNDO"),
    ("CHIO", "ROCIO"),
    ("YOLI", "YOLANDA"),
]


def _f(given: str, born: date, domicilio: str = "CALLE NOGAL 86", sex: str = "H") -> MatchFeatures:
    return features_of(
        source="patients",
        record_id=f"{given}-{born}",
        curp=None,
        given_names=given,
        paternal_surname="REYES",
        maternal_surname="XOCHIPA",
        birth_date=born,
        sex=sex,
        entidad="VZ",
        municipio="ZONGOLICA",
        localidad="ZONGOLICA",
        domicilio=domicilio,
    )


@pytest.mark.parametrize(("nickname", "formal"), FORMS)
def test_a_common_nickname_is_no_given_name_conflict(nickname: str, formal: str) -> None:
    sex = "M" if formal in ("ROCIO", "YOLANDA") else "H"
    born = date(1952, 11, 1)
    assert same_by_nickname(nickname, formal)  # fails on main: not in the table
    a, b = _f(nickname, born, sex=sex), _f(formal, born, sex=sex)
    assert not hard_conflict(Signature.of(a), Signature.of(b))


def test_names_a_shared_nickname_stands_for_stay_apart() -> None:
    born = date(1952, 11, 1)
    assert not same_by_nickname("EDMUNDO", "RAYMUNDO")  # MUNDO stands for both: two names
    assert hard_conflict(Signature.of(_f("EDMUNDO", born)), Signature.of(_f("RAYMUNDO", born)))


@pytest.mark.parametrize(
    ("son", "born", "domicilio", "lookalike"),
    [
        ("BETO", date(1962, 6, 22), "CALLE NOGAL 86", True),  # fails on main: BETO is not ROBERTO there
        ("JOSE ROBERTO", date(1962, 6, 22), "NOGAL 86", True),  # a name held within: no address needed
        ("BETO", date(1962, 6, 22), "CALLE PINO 12", False),  # a nickname is the same name: one address
        ("BETO", date(1932, 6, 22), "CALLE NOGAL 86", True),
        ("BETO", date(1962, 7, 22), "CALLE NOGAL 86", False),  # another day and month
        ("LALO", date(1962, 6, 22), "CALLE NOGAL 86", False),  # another name's nickname
    ],
)
def test_a_father_and_his_son_written_by_his_nickname_are_look_alikes(
    son: str, born: date, domicilio: str, lookalike: bool
) -> None:
    father = _f("ROBERTO", date(1937, 6, 22))
    child = _f(son, born, domicilio)
    assert relatives_lookalike(father, child) is lookalike
    assert relatives_lookalike(child, father) is lookalike
    assert lookalike_in_sql(father, child) is lookalike
    assert lookalike_in_sql(child, father) is lookalike


def test_a_compound_nickname_reads_the_whole_given_names() -> None:
    father = _f("JOSE MARIA", date(1937, 6, 22))
    son = _f("CHEMA", date(1962, 6, 22))
    assert relatives_lookalike(father, son)
    assert lookalike_in_sql(father, son)
    elsewhere = _f("CHEMA", date(1962, 6, 22), "CALLE PINO 12")
    assert not relatives_lookalike(father, elsewhere)
    assert not lookalike_in_sql(father, elsewhere)
