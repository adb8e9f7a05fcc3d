"""A record whose given names are another person's (``names_of_another``): a brother's roll
record typed from his brother's document (the brother's birth date and CURP, his own names) reads
like the brother by every field but the given names — and a third record, with exactly those names
at the same place and another birth date, says whose names they are. The batch sends the pair to a
reviewer instead of linking it, and ``$match`` grades it probable; a typo or a nickname in a given
name, or the same names on both, leave the rule aside."""

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
from interop.matching.features import FEATURE_COLUMNS, MatchFeatures, features_of
from interop.matching.names_of_another import (
    differ_by_a_name,
    names_of_another,
    names_of_another_sql,
    names_owned_elsewhere,
)

# Two brothers sharing a given name, at one address (``_person``'s), four years apart.
ELDER = _person(9301, "TEODULO", "XOCHIHUA", "TLAPALE", date(1941, 6, 24), "0")
YOUNGER = _person(9302, "TEODULO ARTURO", "XOCHIHUA", "TLAPALE", date(1945, 3, 10), "1")
# The younger brother's roll record typed from the elder's document: birth date and CURP his.
BORROWED = replace(YOUNGER, fecha_nacimiento=ELDER.fecha_nacimiento, curp=ELDER.curp)


@pytest.mark.parametrize(
    ("a", "b", "differ"),
    [
        ("JESUS ARTURO", "JESUS", True),  # a name the other lacks
        ("JUAN ANGEL", "JUAN MANUEL", True),  # another second name
        ("JESU", "JESUS", False),  # a typo
        ("TONO", "ANTONIO", False),  # a nickname
        ("CARLOS JUAN", "JUAN CARLOS", False),  # another order
        ("JUAN", "JUAN", False),
    ],
)
def test_given_names_differ_by_a_whole_name_not_by_a_slip(a: str, b: str, differ: bool) -> None:
    assert differ_by_a_name(a, b) is differ
    assert differ_by_a_name(b, a) is differ


def _f(
    record_id: str, given: str, born: date, curp: str | None = None, localidad: str = "0001"
) -> MatchFeatures:
    return features_of(
        source="patients",
        record_id=record_id,
        curp=curp,
        given_names=given,
        paternal_surname="GARCIA",
        maternal_surname="HERNANDEZ",
        birth_date=born,
        sex="H",
        entidad="VZ",
        municipio="087",
        localidad=localidad,
        domicilio="CALLE MORELOS 147",
    )


def test_names_of_another_needs_the_names_their_place_and_two_people() -> None:
    jesus = _f("J1", "JESUS", date(1977, 1, 3))
    borrowed = _f("A2", "JESUS ARTURO", date(1977, 1, 3))  # typed from Jesus's document
    arturo = _f("A1", "JESUS ARTURO", date(1979, 8, 15))  # Jesus Arturo's own record
    assert names_of_another(borrowed, jesus, arturo)
    # Places as written: an accent is no other place.
    at_san_jose = replace(borrowed, localidad="SAN JOSE")
    assert names_of_another(at_san_jose, jesus, replace(arturo, localidad="SAN JOSÉ"))
    assert not names_of_another(at_san_jose, jesus, replace(arturo, localidad="SAN JUAN"))
    assert names_owned_elsewhere(jesus, borrowed, [jesus, borrowed, arturo])  # either side, any third
    # The third record must be someone else than the one linked to: the same birth date is no proof.
    assert not names_of_another(borrowed, jesus, replace(arturo, dob=jesus.dob))
    # Elsewhere (another localidad) it says nothing of this household.
    assert not names_of_another(
        borrowed, jesus, _f("A1", "JESUS ARTURO", date(1979, 8, 15), localidad="0002")
    )
    # A typo in the name is no other name.
    assert not names_of_another(_f("J2", "JESU", date(1977, 1, 3)), jesus, _f("J3", "JESU", date(1950, 2, 1)))
    # The SQL prefilter keeps the triple the rule needs (and drops a pair with the same names).
    con = duckdb.connect()
    cols = ", ".join(f"{c} VARCHAR" for c in FEATURE_COLUMNS)
    marks = ", ".join("?" for _ in FEATURE_COLUMNS)
    for name, f in (("r", borrowed), ("s", jesus), ("x", arturo)):
        con.execute(f"CREATE TABLE {name} ({cols})")
        con.execute(f"INSERT INTO {name} VALUES ({marks})", [getattr(f, c) for c in FEATURE_COLUMNS])
    row = con.execute(f"SELECT {names_of_another_sql('r', 's', 'x')} FROM r, s, x").fetchone()
    assert row is not None
    assert row[0] is True
    con.execute("UPDATE x SET localidad = 'SAN JOSÉ'")
    con.execute("UPDATE r SET localidad = 'SAN JOSE'")
    row = con.execute(f"SELECT {names_of_another_sql('r', 's', 'x')} FROM r, s, x").fetchone()
    assert row is not None
    assert row[0] is True
    row = con.execute(f"SELECT {names_of_another_sql('r', 'r', 'x')} FROM r, x").fetchone()
    assert row is not None
    assert row[0] is False


async def test_a_record_typed_from_a_brothers_document_goes_to_a_reviewer(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await load_population(session, make_people(300))
    await insert_record(session, ELDER, source="roll", record_id="EL1")
    await insert_record(session, replace(ELDER, curp=""), source="patients", record_id="EL2")
    await insert_record(session, YOUNGER, source="patients", record_id="YO1")
    await insert_record(session, BORROWED, source="roll", record_id="YO2")
    await session.commit()
    await _run(settings, sessionmaker)

    # The borrowed record is not merged into the elder brother (two pensioners in one person), and a
    # reviewer is asked; the elder's own records stay one person.
    assert await _person_of(session, "roll", "YO2") != await _person_of(session, "roll", "EL1")
    assert await _person_of(session, "roll", "YO2") != await _person_of(session, "patients", "EL2")
    assert await _reviewed(session, ("roll", "YO2"), ("roll", "EL1"))
    assert await _person_of(session, "roll", "EL1") == await _person_of(session, "patients", "EL2")

    # Online, the same: the elder's records are a question for the borrowed record, not certain.
    cands = await service.match_online(session, probe=_probe(BORROWED), limit=10, settings=settings)
    assert _candidate(cands, "roll", "EL1").grade == "probable"
    # The elder brother's own data still finds him certain.
    cands = await service.match_online(session, probe=_probe(ELDER), limit=10, settings=settings)
    assert _candidate(cands, "roll", "EL1").grade == "certain"
