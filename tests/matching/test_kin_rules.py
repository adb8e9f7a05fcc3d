"""Nicknames and year-only birth dates in the batch and online (issue 13, the kin population): a
clinic record that calls a pensioner by his nickname, or knows only his birth year, is the same
person; a relative at the same address with another name is not."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import insert_record, load_population, make_people
from tests.matching.test_rules import _candidate, _person, _person_of, _probe, _run

from interop.config import Settings
from interop.matching import service

# A pensioner on the roll with his CURP; his clinic calls him PANCHO and has no CURP for him.
FRANCISCO = _person(9101, "FRANCISCO JAVIER", "XOCOYOTL", "TZOMPA", date(1947, 3, 14), "0")
PANCHO = replace(FRANCISCO, key=9102, nombre="PANCHO", curp="")
# A pensioner whose clinic knows only his birth year (``1949-01-01``) and copied his CURP.
ISAURO = _person(9103, "ISAURO", "ZACATELCO", "YOLOXOCHITL", date(1949, 8, 23), "1")
ISAURO_YEAR = replace(ISAURO, key=9104, fecha_nacimiento=date(1949, 1, 1))
# His brother at the same address, born the year before, also only a year on record.
BROTHER = replace(ISAURO, key=9105, nombre="ENRIQUE", fecha_nacimiento=date(1948, 1, 1), curp="")


async def test_a_nickname_or_a_year_only_birth_date_links_and_a_relative_does_not(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await load_population(session, make_people(300))
    await insert_record(session, FRANCISCO, source="roll", record_id="FR1")
    await insert_record(session, PANCHO, source="patients", record_id="PA1")
    await insert_record(session, ISAURO, source="roll", record_id="IS1")
    await insert_record(session, ISAURO_YEAR, source="patients", record_id="IS2")
    await insert_record(session, BROTHER, source="patients", record_id="BR1")
    await session.commit()
    await _run(settings, sessionmaker)

    assert await _person_of(session, "roll", "FR1") == await _person_of(session, "patients", "PA1")
    assert await _person_of(session, "roll", "IS1") == await _person_of(session, "patients", "IS2")
    assert await _person_of(session, "patients", "BR1") != await _person_of(session, "roll", "IS1")

    # Online (``$match``, visits): the same pairs are certain, the brother is not.
    cands = await service.match_online(session, probe=_probe(PANCHO), limit=10, settings=settings)
    assert _candidate(cands, "roll", "FR1").grade == "certain"
    cands = await service.match_online(session, probe=_probe(ISAURO_YEAR), limit=10, settings=settings)
    assert _candidate(cands, "roll", "IS1").grade == "certain"
    cands = await service.match_online(session, probe=_probe(BROTHER), limit=10, settings=settings)
    assert all(c.grade != "certain" for c in cands if (c.source, c.record_id) == ("roll", "IS1"))
