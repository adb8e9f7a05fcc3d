"""Two valid CURPs that differ only in the homoclave, on records with the same full name and birth
date (``conflict.duplicate_curp``): RENAPO's duplicate CURPs of one person, left to the model — the
batch links a pensioner's clinic record carrying his older CURP and ``$match`` grades it certain —,
while two roll records like that stay two pensioners, also when a clinic record fits both."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import Person, insert_record, load_population, make_people
from tests.matching.test_rules import _candidate, _person, _person_of, _probe, _reviewed, _run

from interop.config import Settings
from interop.matching import service
from interop.matching.conflict import Signature, duplicate_curp, hard_conflict, kept_apart, settled_apart


def _other_homoclave(p: Person, homoclave: str) -> Person:
    """``p`` under another valid CURP of the same first 16 characters (its check digit recomputed)."""
    curp = _person(
        p.key, p.nombre, p.primer_apellido, p.segundo_apellido or "", p.fecha_nacimiento, homoclave
    ).curp
    assert curp[:16] == p.curp[:16]
    assert curp != p.curp
    return replace(p, curp=curp)


JUAN = _person(9100, "JUAN", "GOMEZ", "MARTINEZ", date(1951, 9, 23), "0")
OLD, NEW = JUAN.curp, _other_homoclave(JUAN, "7").curp


def _sig(
    curp: str, *, source: str = "patients", given: str = "JUAN", ap2: str | None = "MARTINEZ"
) -> Signature:
    return Signature(curp, "1951-09-23", given, None, given, "H", source, "GOMEZ", ap2)


def test_a_homoclave_alone_under_one_full_name_and_date_is_no_hard_conflict() -> None:
    a, b = _sig(OLD, source="roll"), _sig(NEW)
    assert sum(x != y for x, y in zip(OLD, NEW, strict=True)) == 2  # the check digit differs too
    assert duplicate_curp(a, b)
    assert duplicate_curp(b, a)
    assert not hard_conflict(a, b)
    assert not settled_apart(a, b)


def test_anything_else_beside_the_homoclave_keeps_the_conflict() -> None:
    # Two roll records: RENAPO validates the roll, two CURPs there are two pensioners.
    a, b = _sig(OLD, source="roll"), _sig(NEW, source="roll")
    assert not duplicate_curp(a, b)
    assert hard_conflict(a, b)
    assert kept_apart(a, b)
    # Another given name (twins JUAN and JOSE share the CURP's letters), a second surname missing,
    # another sixteenth character.
    for other in (_sig(NEW, given="JOSE"), _sig(NEW, ap2=None), _sig(NEW[:15] + "S" + NEW[16:])):
        assert not duplicate_curp(_sig(OLD, source="roll"), other)
        assert hard_conflict(_sig(OLD, source="roll"), other)
    # The CURP settles nothing when the record's date is a slip of the CURP's: no exception either.
    slipped = replace(_sig(NEW), dob="1952-09-23")
    assert not duplicate_curp(_sig(OLD), slipped)


# A pensioner on the roll and his clinic record under his older CURP (another homoclave), one name,
# one date, one address; two namesake pensioners born the same day (each their own CURP) and a clinic
# record of one of them under a third homoclave.
PENSIONER = _person(9101, "CRISOFORO", "TLACHI", "ZEQUEIDA", date(1949, 4, 17), "0")
NAMESAKE = _person(9103, "ROSENDO", "XALTENO", "YOVAL", date(1947, 12, 2), "1")


async def test_a_pensioners_older_curp_is_linked_but_two_namesake_pensioners_stay_apart(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await load_population(session, make_people(300))
    await insert_record(session, PENSIONER, source="roll", record_id="CR1")
    await insert_record(session, _other_homoclave(PENSIONER, "3"), source="patients", record_id="CR2")
    await insert_record(session, NAMESAKE, source="roll", record_id="RO1")
    await insert_record(session, _other_homoclave(NAMESAKE, "4"), source="roll", record_id="RO2")
    await insert_record(session, _other_homoclave(NAMESAKE, "5"), source="patients", record_id="RO3")
    await session.commit()
    await _run(settings, sessionmaker)

    assert await _person_of(session, "roll", "CR1") == await _person_of(session, "patients", "CR2")
    assert not await _reviewed(session, ("roll", "CR1"), ("patients", "CR2"))
    # The clinic record fits both namesake pensioners: it may join one, never make them one.
    assert await _person_of(session, "roll", "RO1") != await _person_of(session, "roll", "RO2")
    assert not await _reviewed(session, ("roll", "RO1"), ("roll", "RO2"))

    cands = await service.match_online(
        session, probe=_probe(_other_homoclave(PENSIONER, "3")), limit=10, settings=settings
    )
    assert _candidate(cands, "roll", "CR1").grade == "certain"
    # A probe naming its padrón record stands for that pensioner: the namesake pensioner is another.
    probe = _probe(_other_homoclave(NAMESAKE, "4")).model_copy(update={"roll_record_id": "RO2"})
    cands = await service.match_online(session, probe=probe, limit=10, settings=settings)
    assert _candidate(cands, "roll", "RO1").grade == "certainly-not"
