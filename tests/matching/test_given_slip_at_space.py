"""Given names that differ by one keystroke at the space between two names (MARIAQGUADALUPE, JOSEL UIS,
ALEJANDRANANCY): the model's given-name comparison reads another main name and lands on its "else"
level, which vetoes an automatic link — default seed 2 held 22 true pairs so (and none of two people)
with the same CURP or birth date on both. ``given_names.slip_at_a_space`` lifts the veto for exactly
that slip, in the batch (``batch.linkable_sql``) and in ``online.pair_grade`` alike; a slip inside a
name (RAUL / SAUL, two brothers) still vetoes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import insert_record, load_population, make_people
from tests.matching.test_first_name_alone import _f
from tests.matching.test_rules import _person, _person_of, _run

from interop.config import Settings
from interop.matching.given_names import slip_at_a_space, slip_at_a_space_sql
from interop.matching.online import pair_grade
from interop.matching.scoring import FieldEvidence, PairScore

PAIRS = [
    ("MARIA GUADALUPE", "MARIAQGUADALUPE", True),  # the space typed as a letter
    ("ALEJANDRA NANCY", "ALEJANDRANANCY", True),  # left out
    ("JOSE ANTONIO", "JOSE A NTONIO", True),  # added
    ("JOSE LUIS", "JOSEL UIS", True),  # swapped with the letter beside it
    ("RAUL", "SAUL", False),  # a slip inside a name: brothers
    ("JOSE LUIS", "JOSE LUIZ", False),
    ("MARIA JOSE", "MARA A JOSA", False),  # more than one slip
    ("MARIA JOSE", "MARIA JOSE", False),  # the same names: nothing to excuse
    ("JOSE ANGEL", "JOSEANGELA", False),
]


def test_a_slip_at_a_space_and_its_sql_twin() -> None:
    for a, b, want in PAIRS:
        assert slip_at_a_space(a, b) is want, (a, b)
        assert slip_at_a_space(b, a) is want, (b, a)
    assert not slip_at_a_space(None, "MARIA")
    con = duckdb.connect()
    con.execute("CREATE TABLE p (a VARCHAR, b VARCHAR)")
    rows = [(a, b) for a, b, _ in PAIRS] + [(b, a) for a, b, _ in PAIRS] + [(None, "MARIA")]
    con.executemany("INSERT INTO p VALUES (?, ?)", rows)
    got = [r[0] for r in con.execute(f"SELECT {slip_at_a_space_sql('a', 'b')} FROM p").fetchall()]
    assert got == [slip_at_a_space(a, b) for a, b in rows]


def _grade(a: str, b: str) -> str:
    evidence = (
        FieldEvidence("given", "else", -9.0),
        FieldEvidence("birth_date", "exact", 12.9),
        FieldEvidence("paternal", "exact", 9.0),
    )
    scored = PairScore(match_weight=20.0, probability=0.9999, evidence=evidence)
    return pair_grade(
        scored, _f(a), _f(b), relatives=True, households=True, auto_threshold=0.99, review_threshold=0.5
    )


def test_the_grade_lifts_the_veto_for_a_slip_at_a_space_only() -> None:
    assert _grade("JOSE LUIS", "JOSEL UIS") == "certain"
    assert _grade("RAUL", "SAUL") == "probable"


PENSIONER = _person(9801, "JUAN CARLOS", "ZUBIETA", "ECHEVERRIA", date(1952, 3, 21), "4")


async def test_a_clinic_record_with_a_slip_at_the_space_links_in_the_batch(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await load_population(session, make_people(300))
    await insert_record(session, PENSIONER, source="roll", record_id="JC1")
    await insert_record(session, replace(PENSIONER, nombre="JUANLCARLOS"), source="patients", record_id="JC2")
    await session.commit()
    await _run(settings, sessionmaker)

    assert await _person_of(session, "patients", "JC2") == await _person_of(session, "roll", "JC1")
