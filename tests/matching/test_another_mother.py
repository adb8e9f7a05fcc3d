"""A man's CURP names his mother's surname (``conflict.another_mother``): its third letter is the initial
of the second surname, which does not change with marriage for a man. A father and his son with one
name, MANUEL RAMIREZ: the father's pension-roll record carries his CURP (second surname L…) but not the
surname itself; the son's clinic record, MANUEL RAMIREZ GONZALEZ, was typed with his father's birth date
(read off the father's document). Every field the two records share agrees, so the model links them; the
CURP says the roll's man is another mother's son. The batch sends the pair to a reviewer instead, and
``$match`` grades it probable; the father's own records stay one person."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import insert_record, load_population, make_people
from tests.matching.test_rules import _candidate, _person, _person_of, _probe, _reviewed, _run

from interop.config import Settings
from interop.identity.curp import build_curp
from interop.matching import service
from interop.matching.conflict import Signature, another_mother, hard_conflict
from interop.matching.features import features_of

FATHER = _person(9501, "ANSELMO", "TZOMPAXTLE", "LOPEZ", date(1932, 12, 12), "4")
# The father's roll record, its second surname missing (RENAPO's CURP still states its initial, L).
FATHER_ROLL = replace(FATHER, segundo_apellido=None)
# The son, the same name and another mother (GONZALEZ), typed with his father's birth date, no CURP.
SON = replace(FATHER, key=9502, segundo_apellido="GONZALEZ", curp="")


def _sig(ap2: str | None, curp: str | None, sex: str = "H", given: str = "ANSELMO") -> Signature:
    return Signature.of(
        features_of(
            source="patients",
            record_id="X",
            curp=curp,
            given_names=given,
            paternal_surname="TZOMPAXTLE",
            maternal_surname=ap2,
            birth_date=date(1932, 12, 12),
            sex=sex,
            entidad="OC",
            municipio="067",
            localidad="0001",
            domicilio="CALLE MACEDONIO ALCALA 301",
        )
    )


def test_a_mans_curp_stating_another_second_surname_is_a_conflict() -> None:
    roll, son = _sig(None, FATHER.curp), _sig("GONZALEZ", None)
    assert roll.curp == FATHER.curp  # kept: valid, and it agrees with the record's date and sex
    assert another_mother(roll, son)
    assert not another_mother(son, roll)
    assert hard_conflict(roll, son)
    assert hard_conflict(son, roll)
    # The CURP holder's own second surname written, and the other's a slip of it (a letter, a stray
    # word): the clerk's error, not another mother.
    assert not another_mother(_sig("LOPEZ", FATHER.curp), _sig("OPEZ", None))
    assert not another_mother(_sig("LOPEZ", FATHER.curp), _sig("A LOPEZ", None))
    assert another_mother(_sig("LOPEZ", FATHER.curp), _sig("GONZALEZ", None))
    # The same second surname, or none on the other record: nothing to contradict.
    assert not another_mother(roll, _sig("LOPEZ", None))
    assert not another_mother(roll, _sig(None, None))
    # Surnames written in swapped order (the first surname's letters disagree too), or another given
    # name (its own rules): not read here.
    assert not another_mother(roll, replace(son, curp16_calc="GOTA" + (son.curp16_calc or "")[4:]))
    # A woman's second surname may be her husband's ("DE GONZALEZ"): a woman's CURP is not read.
    woman = build_curp(
        given_names="ROSA",
        paternal_surname="TZOMPAXTLE",
        maternal_surname="LOPEZ",
        birth_date=date(1932, 12, 12),
        sex="M",
        state="OC",
        homoclave="4",
    )
    assert not another_mother(_sig(None, woman, sex="M", given="ROSA"), _sig("GONZALEZ", None, "M", "ROSA"))


async def test_a_son_typed_with_his_fathers_date_goes_to_a_reviewer(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await load_population(session, make_people(300))
    await insert_record(session, FATHER_ROLL, source="roll", record_id="FA1")
    await insert_record(session, FATHER, source="patients", record_id="FA2")
    await insert_record(session, SON, source="patients", record_id="SO1")
    await session.commit()
    await _run(settings, sessionmaker)

    # The son's record is not merged into the father's roll record, and a reviewer is asked; the
    # father's own records stay one person.
    assert await _person_of(session, "patients", "SO1") != await _person_of(session, "roll", "FA1")
    assert await _reviewed(session, ("patients", "SO1"), ("roll", "FA1"))
    assert await _person_of(session, "roll", "FA1") == await _person_of(session, "patients", "FA2")

    # Online (``$match``, visits), the same: the father's roll record is a question, not certain.
    cands = await service.match_online(session, probe=_probe(SON), limit=10, settings=settings)
    assert _candidate(cands, "roll", "FA1").grade == "probable"
    cands = await service.match_online(session, probe=_probe(FATHER), limit=10, settings=settings)
    assert _candidate(cands, "roll", "FA1").grade == "certain"
