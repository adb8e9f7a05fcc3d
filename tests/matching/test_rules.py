"""The rules that settle identity (``conflict``), in the batch and online, on pairs the model alone
would link: namesakes whose valid CURPs differ in the homoclave only, and relatives whose birth dates
differ in the year only."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import Person, insert_record, load_population, make_people

from interop.config import Settings
from interop.context import system_context
from interop.identity.curp import build_curp
from interop.job.worker import Worker
from interop.matching import reviews, service
from interop.matching.schemas import IdentityProbe, OnlineCandidate


def _person(key: int, nombre: str, ap1: str, ap2: str, born: date, homoclave: str) -> Person:
    return Person(
        key=key,
        nombre=nombre,
        primer_apellido=ap1,
        segundo_apellido=ap2,
        fecha_nacimiento=born,
        sexo="H",
        entidad="OC",
        municipio="067",
        localidad="0001",
        domicilio="CALLE MACEDONIO ALCALA 301",
        curp=build_curp(
            given_names=nombre,
            paternal_surname=ap1,
            maternal_surname=ap2,
            birth_date=born,
            sex="H",
            state="OC",
            homoclave=homoclave,
        ),
    )


def _with_homoclave(p: Person, homoclave: str) -> Person:
    """A namesake born the same day: RENAPO tells them apart by the homoclave. From 0 to 5 the check
    digit stays the same (weight 2 × 5), so the two valid CURPs are one edit apart."""
    other = _person(
        p.key, p.nombre, p.primer_apellido, p.segundo_apellido or "", p.fecha_nacimiento, homoclave
    )
    assert other.curp[:16] == p.curp[:16]
    assert other.curp[17] == p.curp[17]
    assert other.curp != p.curp
    return other


# Three families at one address each, with rare names (so a name agreement weighs its most).
NAMESAKE = _person(9001, "ZENAIDO", "QUIROGA", "ULLOA", date(1948, 5, 17), "0")
PENSIONER = _person(9002, "ANASTASIO", "YAÑEZ", "ZAVALA", date(1951, 9, 23), "1")
FATHER = _person(9003, "EUSEBIO", "ZEPEDA", "OCHOA", date(1946, 2, 11), "2")
# The son, one year younger, with no CURP on his clinic record.
SON = replace(FATHER, key=9004, fecha_nacimiento=date(1947, 2, 11), curp="")


async def _load(session: AsyncSession) -> None:
    await load_population(session, make_people(300))
    await insert_record(session, NAMESAKE, source="roll", record_id="NA1")
    await insert_record(session, _with_homoclave(NAMESAKE, "5"), source="roll", record_id="NA2")
    await insert_record(session, PENSIONER, source="roll", record_id="PE1")
    await insert_record(session, _with_homoclave(PENSIONER, "6"), source="patients", record_id="PE2")
    await insert_record(session, FATHER, source="roll", record_id="FA1")
    await insert_record(session, SON, source="patients", record_id="SO1")
    await session.commit()


async def _run(settings: Settings, sm: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    ctx = system_context(request_id="r", trace_id="0" * 32)
    async with sm() as session:
        run = await service.start_run(session, ctx)
        await session.commit()
        job_id, run_id = run.job_id, run.id
    assert job_id is not None
    assert await Worker(settings, sm).run_until_done(job_id) == "succeeded"
    async with sm() as session:
        row, _ = await service.get_run(session, run_id=run_id)
        return dict(row.counts)


async def _person_of(session: AsyncSession, source: str, record_id: str) -> Any:
    return (
        await session.execute(
            text("SELECT person_id FROM match_record WHERE source = :s AND record_id = :r"),
            {"s": source, "r": record_id},
        )
    ).scalar_one()


async def _reviewed(session: AsyncSession, a: tuple[str, str], b: tuple[str, str]) -> bool:
    n = (
        await session.execute(
            text(
                "SELECT count(*) FROM match_review WHERE (left_source, left_record_id, right_source, "
                "right_record_id) IN ((:as, :ar, :bs, :br), (:bs, :br, :as, :ar))"
            ),
            {"as": a[0], "ar": a[1], "bs": b[0], "br": b[1]},
        )
    ).scalar_one()
    return bool(n)


def _probe(p: Person) -> IdentityProbe:
    return IdentityProbe(
        curp=p.curp or None,
        given_names=p.nombre,
        paternal_surname=p.primer_apellido,
        maternal_surname=p.segundo_apellido,
        birth_date=p.fecha_nacimiento,
        sex=p.sexo,
        entidad=p.entidad,
        municipio=p.municipio,
        localidad=p.localidad,
        domicilio=p.domicilio,
    )


def _candidate(cands: list[OnlineCandidate], source: str, record_id: str) -> OnlineCandidate:
    return next(c for c in cands if (c.source, c.record_id) == (source, record_id))


async def test_settled_curps_and_year_only_dates_are_never_linked_automatically(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await _load(session)
    counts = await _run(settings, sessionmaker)

    # Two roll records whose valid CURPs (each agreeing with its record's birth date) differ: two
    # pensioners, kept apart without asking anyone.
    assert await _person_of(session, "roll", "NA1") != await _person_of(session, "roll", "NA2")
    assert not await _reviewed(session, ("roll", "NA1"), ("roll", "NA2"))
    assert counts["kept_apart"] >= 1
    # A roll record and a clinic record like that: a reviewer decides.
    assert await _person_of(session, "roll", "PE1") != await _person_of(session, "patients", "PE2")
    assert await _reviewed(session, ("roll", "PE1"), ("patients", "PE2"))
    # Same name, address, day and month, the year one apart: what a father and son look like.
    assert await _person_of(session, "roll", "FA1") != await _person_of(session, "patients", "SO1")
    assert await _reviewed(session, ("roll", "FA1"), ("patients", "SO1"))

    # Online (``$match``, visits): the same pairs are never graded certain, yet still found.
    cands = await service.match_online(
        session, probe=_probe(_with_homoclave(PENSIONER, "6")), limit=10, settings=settings
    )
    assert _candidate(cands, "roll", "PE1").grade in ("probable", "possible")
    cands = await service.match_online(session, probe=_probe(SON), limit=10, settings=settings)
    assert _candidate(cands, "roll", "FA1").grade in ("probable", "possible")
    # A probe that names its padrón record is that pensioner: the namesake is certainly another one.
    namesake = _probe(_with_homoclave(NAMESAKE, "5")).model_copy(update={"roll_record_id": "NA2"})
    cands = await service.match_online(session, probe=namesake, limit=10, settings=settings)
    assert _candidate(cands, "roll", "NA2").grade == "certain"
    assert _candidate(cands, "roll", "NA1").grade == "certainly-not"
    assert cands[-1].grade == "certainly-not"
    # The record itself is still certain.
    cands = await service.match_online(session, probe=_probe(FATHER), limit=10, settings=settings)
    assert _candidate(cands, "roll", "FA1").grade == "certain"

    # The run reports its reviews and, as reviewers decide, how many were the same person.
    run_id = (await session.execute(text("SELECT max(id) FROM match_run"))).scalar_one()
    before = await reviews.run_review_outcome(session, run_id=run_id)
    assert before.queued == counts["reviews_new"] >= 2
    assert (before.decided, before.matches, before.match_share) == (0, 0, None)
    ctx = system_context(request_id="r", trace_id="0" * 32)
    son = (
        await session.execute(
            text(
                "SELECT id FROM match_review WHERE 'FA1' IN (left_record_id, right_record_id) "
                "AND 'SO1' IN (left_record_id, right_record_id)"
            )
        )
    ).scalar_one()
    await reviews.decide_review(session, ctx, review_id=son, decision="not-link", reason="padre e hijo")
    other = (
        (
            await session.execute(
                text("SELECT id FROM match_review WHERE status = 'open' AND run_id = :r ORDER BY score DESC"),
                {"r": run_id},
            )
        )
        .scalars()
        .first()
    )
    assert other is not None
    await reviews.decide_review(session, ctx, review_id=other, decision="link", reason="misma persona")
    await session.commit()
    after = await reviews.run_review_outcome(session, run_id=run_id)
    assert (after.decided, after.matches, after.match_share) == (2, 1, 0.5)


# A pensioner whose clinic record carries his own CURP but a slip in the birth year (1952 for 1951);
# and a namesake son thirty years younger whose clinic record carries his father's CURP.
WIDOWER = _person(9005, "FILOGONIO", "XOCHIPA", "TZONI", date(1951, 7, 30), "3")
FATHER_TOO = _person(9007, "PRISCILIANO", "YAOTL", "ZEMPOALTECATL", date(1946, 4, 9), "4")


async def test_the_same_valid_curp_anchors_a_slip_in_the_year_but_not_a_relatives_date(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    slipped = replace(WIDOWER, fecha_nacimiento=date(1952, 7, 30))
    son = replace(FATHER_TOO, key=9008, fecha_nacimiento=date(1976, 4, 9))
    await load_population(session, make_people(300))
    await insert_record(session, WIDOWER, source="roll", record_id="WI1")
    await insert_record(session, slipped, source="patients", record_id="WI2")
    await insert_record(session, FATHER_TOO, source="roll", record_id="FT1")
    await insert_record(session, son, source="patients", record_id="ST1")
    await session.commit()
    await _run(settings, sessionmaker)

    # Same name, address, day and month, the year one apart — but the same valid CURP on both: one
    # person with a mistyped year, linked without review.
    assert await _person_of(session, "roll", "WI1") == await _person_of(session, "patients", "WI2")
    assert not await _reviewed(session, ("roll", "WI1"), ("patients", "WI2"))
    # The father's CURP on his namesake son's record reads thirty years off: no anchor.
    assert await _person_of(session, "roll", "FT1") != await _person_of(session, "patients", "ST1")

    cands = await service.match_online(session, probe=_probe(slipped), limit=10, settings=settings)
    assert _candidate(cands, "roll", "WI1").grade == "certain"
    cands = await service.match_online(session, probe=_probe(son), limit=10, settings=settings)
    assert all(c.grade != "certain" for c in cands if (c.source, c.record_id) == ("roll", "FT1"))


# A pensioner whose roll record has a slip in its birth year (1950 for 1949) while its CURP, kept for
# that slip, states 1949; and his clinic record, right date, no CURP and no maternal surname (so the
# CURP recomputed from it cannot match). Beside them a father and his namesake son one year younger at
# one address: the father's CURP states the father's own date, the son's clinic record has no CURP.
SLIPPED_ROLL = _person(9011, "HERMENEGILDO", "ZUBIRIA", "XIQUI", date(1949, 3, 14), "5")
FATHER_AGAIN = _person(9013, "TIBURCIO", "YAHUACA", "ZAMACONA", date(1946, 10, 2), "6")


async def test_a_curp_dating_the_other_record_anchors_a_slip_in_the_year_but_a_relatives_own_curp_does_not(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    roll = replace(SLIPPED_ROLL, fecha_nacimiento=date(1950, 3, 14))
    clinic = replace(SLIPPED_ROLL, key=9012, curp="", segundo_apellido=None)
    son = replace(FATHER_AGAIN, key=9014, fecha_nacimiento=date(1947, 10, 2), curp="", segundo_apellido=None)
    await load_population(session, make_people(300))
    await insert_record(session, roll, source="roll", record_id="SR1")
    await insert_record(session, clinic, source="patients", record_id="SR2")
    await insert_record(session, FATHER_AGAIN, source="roll", record_id="FG1")
    await insert_record(session, son, source="patients", record_id="SG1")
    await session.commit()
    await _run(settings, sessionmaker)

    # The roll record's own CURP dates it to the clinic record's day: its year is the slip. One person,
    # linked without review (on main: a review, the look-alike rule holding the birth date back).
    assert await _person_of(session, "roll", "SR1") == await _person_of(session, "patients", "SR2")
    assert not await _reviewed(session, ("roll", "SR1"), ("patients", "SR2"))
    # The father's CURP dates the father: the son, one year younger, stays a reviewer's question.
    assert await _person_of(session, "roll", "FG1") != await _person_of(session, "patients", "SG1")
    assert await _reviewed(session, ("roll", "FG1"), ("patients", "SG1"))

    # Online (``$match``, visits): the same rule grades the pensioner's clinic record certain, the son not.
    cands = await service.match_online(session, probe=_probe(clinic), limit=10, settings=settings)
    assert _candidate(cands, "roll", "SR1").grade == "certain"
    cands = await service.match_online(session, probe=_probe(son), limit=10, settings=settings)
    assert _candidate(cands, "roll", "FG1").grade in ("probable", "possible")
