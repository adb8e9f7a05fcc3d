"""A pensioner on the roll twice under the one CURP, once without the second surname or with the two
surnames swapped. ``conflict.roll_curp_of_another`` read the CURP's letters against the names the record
writes (X for a missing surname, the surnames in the order written) and took the pensioner's own CURP
for another pensioner's: a hard conflict, so the roll pair and every other record of the person went to
a reviewer (default seed 2: 57 such roll pairs, all one person). ``conflict.curp_letters_as_written``
excuses exactly those two ways of writing, nothing else: a relative's CURP copied onto a roll record
still states another given name's initial or other surnames."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import insert_record, load_population, make_people
from tests.matching.test_rules import _person, _person_of, _run

from interop.config import Settings
from interop.identity.curp import build_curp
from interop.matching.conflict import (
    Signature,
    curp_letters_as_written,
    hard_conflict,
    roll_curp_of_another,
)
from interop.matching.features import MatchFeatures, features_of
from interop.matching.online import pair_grade
from interop.matching.scoring import FieldEvidence, PairScore

BORN = date(1951, 1, 26)
CURP = build_curp(
    given_names="MARIO",
    paternal_surname="PONCE",
    maternal_surname="GARCIA",
    birth_date=BORN,
    sex="H",
    state="HG",
    homoclave="9",
)


def _roll(given: str, ap1: str, ap2: str | None, curp: str = CURP) -> MatchFeatures:
    return features_of(
        source="roll",
        record_id=f"{given} {ap1} {ap2}",
        curp=curp,
        given_names=given,
        paternal_surname=ap1,
        maternal_surname=ap2,
        birth_date=BORN,
        sex="H",
        entidad="HG",
        municipio="SANTA CRUZ TENANCINGO",
        localidad="SANTA CRUZ TENANCINGO",
        domicilio="DOMICILIO CONOCIDO",
    )


def _sig(f: MatchFeatures) -> Signature:
    return Signature.of(f)


def test_the_pensioners_own_curp_without_a_surname_or_with_them_swapped_is_not_another_pensioners() -> None:
    full = _roll("MARIO", "PONCE", "GARCIA")
    assert full.curp16_calc == CURP[:16]
    short = _roll("MARIO", "PONCE", None)
    swapped = _roll("MARIO", "GARCIA", "PONCE")
    assert short.curp16_calc is not None
    assert short.curp16_calc[:4] == "POXM"
    for other in (short, swapped):
        assert curp_letters_as_written(_sig(other), _sig(full))
        assert not roll_curp_of_another(_sig(other), _sig(full))
        assert not roll_curp_of_another(_sig(full), _sig(other))
        assert not hard_conflict(_sig(other), _sig(full))
        # ``$match``, visits and the calibration's grade read the rule through ``online.pair_grade``.
        assert _grade(other, full) == "certain"


def _grade(a: MatchFeatures, b: MatchFeatures) -> str:
    evidence = (FieldEvidence("curp", "exact", 14.5), FieldEvidence("birth_date", "exact", 12.9))
    scored = PairScore(match_weight=30.0, probability=0.99999, evidence=evidence)
    return pair_grade(
        scored, a, b, relatives=True, households=True, auto_threshold=0.99, review_threshold=0.5
    )


def test_a_relatives_curp_on_the_roll_still_names_another_pensioner() -> None:
    # Twins MARIO and DANIEL PONCE GARCIA, DANIEL's roll record (second surname missing) under MARIO's
    # CURP: the given name's initial is not DANIEL's.
    mario = _roll("MARIO", "PONCE", "GARCIA")
    daniel = _roll("DANIEL", "PONCE", None)
    assert not curp_letters_as_written(_sig(daniel), _sig(mario))
    assert roll_curp_of_another(_sig(daniel), _sig(mario))
    assert _grade(daniel, mario) == "probable"
    # Cousins MARIO GARCIA PONCE and MARIO PONCE GARCIA: swapped surnames excuse the CURP only under the
    # very given names; a cousin MARIO ALBERTO carrying MARIO's CURP is another pensioner.
    cousin = _roll("MARIO ALBERTO", "GARCIA", "PONCE")
    assert not curp_letters_as_written(_sig(cousin), _sig(mario))
    assert roll_curp_of_another(_sig(cousin), _sig(mario))
    # A roll record whose second surname is written, and whose CURP states another one: not excused.
    other_mother = _roll("MARIO", "PONCE", "LOPEZ")
    assert not curp_letters_as_written(_sig(other_mother), _sig(mario))
    assert roll_curp_of_another(_sig(other_mother), _sig(mario))


PENSIONER = replace(
    _person(9701, "ZENOBIO", "QUIROGA", "ULLOA", date(1947, 8, 19), "3"),
    domicilio="CALLE ZARAGOZA 17",
)


async def test_a_pensioner_on_the_roll_twice_is_one_person_in_the_batch(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await load_population(session, make_people(300))
    await insert_record(session, PENSIONER, source="roll", record_id="ZQ1")
    await insert_record(session, replace(PENSIONER, curp=""), source="patients", record_id="ZQ3")
    await session.commit()
    await _run(settings, sessionmaker)
    # The same pensioner registered again without his mother's surname, under his one CURP, before the
    # next run: his person is a former one, so the assignment weighs every pair (``assign_persons``).
    await insert_record(session, replace(PENSIONER, segundo_apellido=None), source="roll", record_id="ZQ2")
    await session.commit()
    await _run(settings, sessionmaker)

    person = await _person_of(session, "roll", "ZQ1")
    assert await _person_of(session, "roll", "ZQ2") == person
    assert await _person_of(session, "patients", "ZQ3") == person
