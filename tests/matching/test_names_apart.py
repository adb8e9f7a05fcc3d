"""Given names with nothing in common settle two people (``conflict.names_settle_apart``, read by
``conflict.settled_apart``): twins share surnames, birth date, sex and a roof, and only their given names
tell them apart. ROSENDO and EULALIO TZOMPAXTLE LOPEZ, born the same day at one address, no CURP on either
record: before, the model scored them high enough to ask a reviewer every run; now no review is made,
the run counts them kept apart, and ``$match`` grades the twin certainly-not. Given names written
another way (a slip of two letters, a nickname, one name cut short or held in the other, a name written
in the surname's field) or CURPs one edit apart are not settled by this rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import insert_record, load_population, make_people
from tests.matching.test_rules import _candidate, _person, _person_of, _probe, _reviewed, _run

from interop.config import Settings
from interop.matching import service
from interop.matching.conflict import Signature, hard_conflict, names_settle_apart, settled_apart

ROSENDO = replace(_person(9601, "ROSENDO", "TZOMPAXTLE", "LOPEZ", date(1950, 3, 4), "4"), curp="")
EULALIO = replace(ROSENDO, key=9602, nombre="EULALIO")


def _sig(given: str, curp: str | None = None, ap1: str = "TZOMPAXTLE") -> Signature:
    return Signature(curp, "1950-03-04", given.split()[0], given, given, "H", "patients", ap1, "LOPEZ")


def test_given_names_with_nothing_in_common_settle_two_people() -> None:
    assert names_settle_apart(_sig("ROSENDO"), _sig("EULALIO"))
    assert names_settle_apart(_sig("MARIA DE LOURDES"), _sig("JOSE DE JESUS"))  # particles are not names
    assert settled_apart(_sig("ROSENDO"), _sig("EULALIO"))
    assert hard_conflict(_sig("ROSENDO"), _sig("EULALIO"))
    # Not settled: a slip of two letters, a nickname, a name cut short or held in the other, a name
    # shared, one written in the surname's field.
    for a, b in (
        ("REYNA", "RELLNA"),
        ("JOSE", "PEPE"),
        ("JOSE LUIS", "PEOE"),  # a nickname mistyped is still a nickname
        ("JAVI", "JAVIER"),
        ("LUPE", "GUADALUPE"),
        ("JUAN CARLOS", "CARLOS"),
        ("MARIA ELENA", "ROSA MARIA"),
        ("GPE", "GUADALUPE"),  # the registers' abbreviations
        ("MARIA GPE", "GUADALUPE"),  # as normalised (MA. GPE.)
        ("FCO JAVIER", "FRANCISCO"),
        ("ALEX", "ALEJANDRO"),  # a nickname the table lacks, the name's start kept
    ):
        assert not names_settle_apart(_sig(a), _sig(b)), (a, b)
    assert not names_settle_apart(_sig("ROSENDO"), _sig("TZOMPAXTLE", ap1="ROSENDO"))
    # CURPs one edit apart say one person: a reviewer's question, as before.
    curp = "TOLR500304HOCZPS04"
    assert not names_settle_apart(_sig("ROSENDO", curp), _sig("EULALIO", curp[:-1] + "5"))
    # Data that cannot tell relatives apart (neither CURP nor sex): the rule stands aside.
    assert not settled_apart(_sig("ROSENDO"), _sig("EULALIO"), relatives=False)


async def test_twins_named_apart_are_kept_apart_without_a_review(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await load_population(session, make_people(300))
    await insert_record(session, ROSENDO, source="patients", record_id="TW1")
    await insert_record(session, replace(ROSENDO, key=9603), source="patients", record_id="TW2")
    await insert_record(session, EULALIO, source="patients", record_id="TW3")
    await session.commit()
    counts = await _run(settings, sessionmaker)

    # Two people, and no reviewer is asked; Rosendo's own two records are one person.
    assert await _person_of(session, "patients", "TW1") != await _person_of(session, "patients", "TW3")
    assert not await _reviewed(session, ("patients", "TW1"), ("patients", "TW3"))
    assert not await _reviewed(session, ("patients", "TW2"), ("patients", "TW3"))
    assert await _person_of(session, "patients", "TW1") == await _person_of(session, "patients", "TW2")
    assert counts["kept_apart"] >= 2

    # Online (``$match``, visits), the same: Eulalio is not a candidate for Rosendo's probe.
    cands = await service.match_online(session, probe=_probe(ROSENDO), limit=10, settings=settings)
    assert _candidate(cands, "patients", "TW3").grade == "certainly-not"
    assert _candidate(cands, "patients", "TW1").grade == "certain"
