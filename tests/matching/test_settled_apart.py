"""Relatives' look-alike names are seen through a typo (FERNADA DEL CARMEN holds FERNANDA). Birth
dates that settle a pair as two people (``conflict.dates_settle_apart``): a namesake father and son at
one address, thirty years apart, are neither linked nor put to a reviewer; ``$match`` grades the
father certainly-not for the son and shows a low calibrated probability; a slip in the year, a
day/month swap or a transposed pair of digits still reaches review. The batch's SQL and the online
Python agree on every kind of date pair."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import insert_record, load_population, make_people
from tests.matching.test_rules import _candidate, _person, _person_of, _probe, _reviewed, _run

from interop.config import Settings
from interop.matching import service
from interop.matching.conflict import (
    Signature,
    dates_settle_apart,
    relatives_lookalike,
    relatives_lookalike_sql,
    settled_apart,
    settled_apart_sql,
)
from interop.matching.features import FEATURE_COLUMNS, MatchFeatures, features_of

# A pensioner and his namesake son (no CURP on the son's clinic record) at one address, 30 years apart.
FATHER = _person(9201, "ANACLETO", "XICOTENCATL", "ZOMPANTLE", date(1944, 6, 3), "0")
SON = replace(FATHER, key=9202, fecha_nacimiento=date(1974, 11, 19), curp="")
# A pensioner whose clinic record swapped two digits of his birth year (1953 for 1935): one person.
SWAPPED = _person(9203, "CIRILO", "TLAXCALTECA", "YAUTEPEC", date(1935, 8, 21), "1")
SWAPPED_CLINIC = replace(SWAPPED, key=9204, fecha_nacimiento=date(1953, 8, 21), curp="")

CURP_A = "XIZA440603HOCCMN00"


def _sig(dob: str | None, curp: str | None = None, source: str = "patients") -> Signature:
    return Signature(curp, dob, "JUAN", None, "JUAN", "H", source, "PEREZ")


DATE_PAIRS = [
    ("1944-06-03", "1974-11-19", True),  # years apart, nothing alike
    ("1944-06-03", "1944-06-03", False),  # the same date
    ("1944-06-03", "1945-06-03", False),  # one digit of the year
    ("1935-08-21", "1953-08-21", False),  # two digits of the year transposed: one slip
    ("1944-06-03", "1944-03-06", False),  # day and month swapped
    ("1941-02-04", "1942-04-02", False),  # day and month swapped, and a digit of the year
    ("1941-02-04", "1972-04-02", True),  # day and month swapped, and two digits of the year
    ("1944-06-03", "1944-12-30", False),  # within about a year
    ("1944-06-03", "1964-06-03", False),  # one digit, twenty years: a slip
    ("1944-06-03", "1966-06-03", False),  # two digits: still two slips
    ("1944-06-03", "1966-07-03", True),  # three digits
    ("1950-01-01", "1981-09-17", True),
    (None, "1981-09-17", False),  # a date missing settles nothing
]


@pytest.mark.parametrize(("a", "b", "apart"), DATE_PAIRS)
def test_dates_settle_apart_in_python_and_in_sql_alike(a: str | None, b: str | None, apart: bool) -> None:
    assert dates_settle_apart(_sig(a), _sig(b)) is apart
    con = duckdb.connect()
    cols = "dob VARCHAR, curp VARCHAR, source VARCHAR, curp16_calc VARCHAR"
    con.execute(f"CREATE TABLE a ({cols}); CREATE TABLE b ({cols})")
    con.execute("INSERT INTO a VALUES (?, NULL, 'patients', NULL)", [a])
    con.execute("INSERT INTO b VALUES (?, NULL, 'patients', NULL)", [b])
    row = con.execute(f"SELECT {settled_apart_sql('a', 'b')} FROM a, b").fetchone()
    assert row is not None
    assert bool(row[0]) is apart
    # The same CURP (or one a typo of the other) on both says one person with a mistyped date.
    assert not dates_settle_apart(_sig(a, CURP_A), _sig(b, CURP_A))
    assert not dates_settle_apart(_sig(a, CURP_A), _sig(b, CURP_A[:-1] + "1"))
    con.execute("UPDATE a SET curp = ?", [CURP_A])
    con.execute("UPDATE b SET curp = ?", [CURP_A])
    row = con.execute(f"SELECT {settled_apart_sql('a', 'b')} FROM a, b").fetchone()
    assert row is not None
    assert row[0] is False


def test_dates_settle_nothing_where_the_rules_for_relatives_step_aside() -> None:
    a, b = _sig("1944-06-03"), _sig("1974-11-19")
    assert settled_apart(a, b)
    assert settled_apart(a, b, relatives=False)  # the data still shows households
    assert not settled_apart(a, b, relatives=False, households=False)


async def test_a_namesake_father_and_son_are_not_a_question_for_a_reviewer(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await load_population(session, make_people(300))
    await insert_record(session, FATHER, source="roll", record_id="AF1")
    await insert_record(session, SON, source="patients", record_id="AS1")
    await insert_record(session, SWAPPED, source="roll", record_id="SW1")
    await insert_record(session, SWAPPED_CLINIC, source="patients", record_id="SW2")
    await session.commit()
    counts = await _run(settings, sessionmaker)

    # Thirty years apart under one full name and roof: two people, and no one is asked.
    assert await _person_of(session, "roll", "AF1") != await _person_of(session, "patients", "AS1")
    assert not await _reviewed(session, ("roll", "AF1"), ("patients", "AS1"))
    assert counts["kept_apart"] >= 1
    # Two digits of the year transposed: a clerk's slip, still a reviewer's question.
    assert await _person_of(session, "roll", "SW1") != await _person_of(session, "patients", "SW2")
    assert await _reviewed(session, ("roll", "SW1"), ("patients", "SW2"))

    # Online, the same: the father is certainly not the son (and shown as unlikely), the swapped
    # year a question.
    cands = await service.match_online(session, probe=_probe(SON), limit=10, settings=settings)
    father = _candidate(cands, "roll", "AF1")
    assert father.grade == "certainly-not"
    assert father.raw_probability is not None
    assert father.raw_probability > 0.5
    assert father.probability < 0.5
    cands = await service.match_online(session, probe=_probe(SWAPPED_CLINIC), limit=10, settings=settings)
    assert _candidate(cands, "roll", "SW1").grade in ("probable", "possible")


def _sister(given: str, born: date, domicilio: str) -> MatchFeatures:
    return features_of(
        source="patients",
        record_id=given,
        curp=None,
        given_names=given,
        paternal_surname="GARCIA",
        maternal_surname="LOPEZ",
        birth_date=born,
        sex="M",
        entidad="VZ",
        municipio="087",
        localidad="0001",
        domicilio=domicilio,
    )


def lookalike_in_sql(a: MatchFeatures, b: MatchFeatures) -> bool:
    """``relatives_lookalike_sql`` over two records, each a one-row DuckDB table."""
    con = duckdb.connect()
    cols = ", ".join(f"{c} VARCHAR" for c in FEATURE_COLUMNS)
    marks = ", ".join("?" for _ in FEATURE_COLUMNS)
    for name, f in (("a", a), ("b", b)):
        con.execute(f"CREATE TABLE {name} ({cols})")
        con.execute(f"INSERT INTO {name} VALUES ({marks})", [getattr(f, c) for c in FEATURE_COLUMNS])
    row = con.execute(f"SELECT {relatives_lookalike_sql('a', 'b')} FROM a, b").fetchone()
    assert row is not None
    return bool(row[0])


@pytest.mark.parametrize(
    ("other", "lookalike"),
    [
        ("FERNANDA DEL CARMEN", True),  # a sister named after her sister's name
        ("FERNADA DEL CARMEN", True),  # the same, mistyped: the typo must not hide the likeness
        ("FERNADA", True),  # the same name mistyped, at the same address
        ("CARMEN", False),  # names neither holds: the given-name conflict speaks, not this rule
        ("JOSEFINA", False),
    ],
)
def test_relatives_lookalike_sees_through_a_typo_in_python_and_in_sql_alike(
    other: str, lookalike: bool
) -> None:
    a = _sister("FERNANDA", date(1989, 6, 22), "CALLE NOGAL 86")
    b = _sister(other, date(1983, 6, 22), "CALLE NOGAL 86")
    assert relatives_lookalike(a, b) is lookalike
    assert lookalike_in_sql(a, b) is lookalike
