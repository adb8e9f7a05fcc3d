"""Nicknames, year-only birth dates and siblings in the batch and online (issue 13, the kin
population): a clinic record that calls a pensioner by his nickname, or knows only his birth year, is
the same person; a brother at the same address, or a sister named after her sister's name and born
the same day of another year, is not.
The calibration's one-query candidate lookup finds what the per-record lookups find."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import Person, insert_record, load_population, make_people
from tests.matching.test_rules import _person, _person_of, _probe, _run

from interop.config import Settings
from interop.matching import calibration_labels, online, service

# A pensioner on the roll with his CURP; his clinic calls him PANCHO and has no CURP for him.
FRANCISCO = _person(9101, "FRANCISCO JAVIER", "XOCOYOTL", "TZOMPA", date(1947, 3, 14), "0")
PANCHO = replace(FRANCISCO, key=9102, nombre="PANCHO", curp="")
# A pensioner whose clinic knows only his birth year (``1949-01-01``) and copied his CURP.
ISAURO = _person(9103, "ISAURO", "ZACATELCO", "YOLOXOCHITL", date(1949, 8, 23), "1")
ISAURO_YEAR = replace(ISAURO, key=9104, fecha_nacimiento=date(1949, 1, 1))
# His brother at the same address, born the year before, also only a year on record.
BROTHER = replace(ISAURO, key=9105, nombre="ENRIQUE", fecha_nacimiento=date(1948, 1, 1), curp="")
# Two sisters at one address, born on the same day and month five years apart, one named after the
# other's name; the younger's clinic record has no CURP.
ROSALBA = replace(
    _person(9107, "ROSALBA", "ZITLALPOPOCA", "TEXCOCO", date(1950, 3, 12), "3"), sexo="M", curp=""
)
ROSALBA_ITZEL = replace(ROSALBA, key=9108, nombre="ROSALBA ITZEL", fecha_nacimiento=date(1955, 3, 12))


async def test_nicknames_and_year_only_dates_link_and_relatives_do_not(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await load_population(session, make_people(300))
    for p, source, record_id in (
        (FRANCISCO, "roll", "FR1"),
        (PANCHO, "patients", "PA1"),
        (ISAURO, "roll", "IS1"),
        (ISAURO_YEAR, "patients", "IS2"),
        (BROTHER, "patients", "BR1"),
        (ROSALBA, "roll", "RO1"),
        (ROSALBA_ITZEL, "patients", "RO2"),
    ):
        await insert_record(session, p, source=source, record_id=record_id)
    await session.commit()
    await _run(settings, sessionmaker)

    async def same(a: tuple[str, str], b: tuple[str, str]) -> bool:
        return bool(await _person_of(session, *a) == await _person_of(session, *b))

    async def certain(probe_of: Person, source: str, record_id: str) -> bool:
        cands = await service.match_online(session, probe=_probe(probe_of), limit=10, settings=settings)
        return any(c.grade == "certain" for c in cands if (c.source, c.record_id) == (source, record_id))

    # Batch and online (``$match``, visits) give one answer per pair; all of them at once, so that a
    # failure names every pair that went the other way.
    found = {
        "nickname": (await same(("roll", "FR1"), ("patients", "PA1")), await certain(PANCHO, "roll", "FR1")),
        "year only": (
            await same(("roll", "IS1"), ("patients", "IS2")),
            await certain(ISAURO_YEAR, "roll", "IS1"),
        ),
        "brother": (
            await same(("roll", "IS1"), ("patients", "BR1")),
            await certain(BROTHER, "roll", "IS1"),
        ),
        "sisters": (
            await same(("roll", "RO1"), ("patients", "RO2")),
            await certain(ROSALBA_ITZEL, "roll", "RO1"),
        ),
    }
    assert found == {
        "nickname": (True, True),
        "year only": (True, True),
        "brother": (False, False),
        "sisters": (False, False),
    }

    # The calibration fit's candidates, one query for all records, are the per-record lookups'.
    probes = list(
        (
            await calibration_labels.stored_features(
                session,
                [
                    (str(s), str(r))
                    for s, r in (
                        await session.execute(text("SELECT source, record_id FROM match_record"))
                    ).all()
                ],
            )
        ).values()
    )
    one_query = await calibration_labels.candidates_of(session, probes)
    assert len(probes) > 300
    for a in probes:
        sql, params = online.candidate_query(a)
        rows = (await session.execute(text(sql), params)).all() if sql else []
        assert {f"{r[0]}|{r[1]}" for r in rows} == {b.unique_id for b in one_query.get(a.unique_id, [])}
    assert sum(len(v) for v in one_query.values()) > len(probes)
