"""MARIA or JOSE written alone for a compound given name that begins with it (MARIA for MARIA
GUADALUPE, JOSE for JOSE FRANCISCO): how clinics often register a person. RENAPO's main name of the
compound is the second, so the model's given-name comparison saw two unrelated names, its veto level
(``else``): the person's own records were never linked, and often not even reviewed (an independent
population, session 13: about 2,000 of 23,000 true pairs). The comparison has a level for it now, in
the batch's SQL and the online Python alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import insert_record, load_population, make_people
from tests.matching.test_rules import _candidate, _person, _person_of, _probe, _reviewed, _run

from interop.config import Settings
from interop.identity.curp import build_curp
from interop.matching import service, short_names, spec
from interop.matching.conflict import Signature, hard_conflict, roll_curp_of_another
from interop.matching.features import MatchFeatures, features_of
from interop.matching.names_of_another import names_of_another

NAMES = [
    "MARIA",
    "MARIA GUADALUPE",
    "MA GUADALUPE",
    "MARIA DE LOURDES",
    "MARIA ELENA",
    "DULCE MARIA",
    "JOSE",
    "JOSE FRANCISCO",
    "J FRANCISCO",
    "JOSEFINA",
    "PEPE",
    "JOSE R",
    "JOSE REFUGIO",
    "MARIA P",
    "MARIA DE LA PAZ",
    "MARIA DE LA",
    "CHEMA",
    "JOSE MARIA",
    "GUADALUPE",
    "JUAN",
]


def _f(given: str) -> MatchFeatures:
    return features_of(
        source="roll",
        record_id=given,
        curp=None,
        given_names=given,
        paternal_surname="QUIROGA",
        maternal_surname="ULLOA",
        birth_date=date(1948, 5, 17),
        sex="M",
        entidad="OC",
        municipio="067",
        localidad="0001",
        domicilio="CALLE ALCALA 301",
    )


def test_maria_or_jose_alone_is_the_compound_that_begins_with_it() -> None:
    alone = short_names.first_name_alone
    assert alone(_f("MARIA"), _f("MARIA GUADALUPE"))
    assert alone(_f("MARIA GUADALUPE"), _f("MARIA"))
    assert alone(_f("MARIA"), _f("MA. DE LOURDES"))
    assert alone(_f("JOSE"), _f("JOSE FRANCISCO"))
    assert alone(_f("J."), _f("JOSE FRANCISCO"))
    assert alone(_f("PEPE"), _f("JOSE LUIS"))  # JOSE's nickname for JOSE LUIS
    assert alone(_f("JOSE R"), _f("JOSE REFUGIO"))  # and the main name's initial
    assert alone(_f("MARIA DE LA PAZ"), _f("MARIA P"))
    assert not alone(_f("MARIA R"), _f("MARIA DE LA PAZ"))
    assert not alone(_f("PEPE"), _f("MARIA LUISA"))
    # Not the first name of the compound, not the same skipped name, or both alone: not this level.
    assert not alone(_f("MARIA"), _f("DULCE MARIA"))
    assert not alone(_f("MARIA"), _f("JOSE MARIA"))
    assert not alone(_f("MARIA"), _f("MARIA"))
    assert not alone(_f("JOSEFINA"), _f("JOSE FRANCISCO"))
    assert not alone(_f("MARIA ELENA"), _f("MARIA GUADALUPE"))


def _label(a: MatchFeatures, b: MatchFeatures) -> str:
    return next(lv.label for lv in spec.GIVEN.levels if lv.sql == "ELSE" or lv.test(a, b))


def test_the_given_name_level_in_sql_equals_python() -> None:
    people = [_f(n) for n in NAMES]
    whens = " ".join(f"WHEN {lv.sql} THEN '{lv.label}'" for lv in spec.GIVEN.levels if lv.sql != "ELSE")
    con = duckdb.connect()
    cols = ("given_full", "given_main", "given_rest", "ph_given", "ap1", "ph_ap1")
    rows = [[getattr(a, c) for c in cols] + [getattr(b, c) for c in cols] for a in people for b in people]
    con.execute(
        "CREATE TABLE p (given_full_l TEXT, given_main_l TEXT, given_rest_l TEXT, ph_given_l TEXT, "
        "ap1_l TEXT, ph_ap1_l TEXT, given_full_r TEXT, given_main_r TEXT, given_rest_r TEXT, "
        "ph_given_r TEXT, ap1_r TEXT, ph_ap1_r TEXT)"
    )
    con.executemany("INSERT INTO p VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    got = [r[0] for r in con.execute(f"SELECT CASE {whens} ELSE 'else' END FROM p").fetchall()]
    want = [_label(a, b) for a in people for b in people]
    assert got == want
    assert "MARIA or JOSE alone" in got
    assert _label(_f("MARIA"), _f("MARIA GUADALUPE")) == "MARIA or JOSE alone"
    assert _label(_f("MARIA ELENA"), _f("MARIA GUADALUPE")) == "else"  # two sisters' names
    # MARIA and JOSE alone share no name (the batch once read two empty rests as one shared word).
    assert _label(_f("MARIA"), _f("JOSE")) == "else"


# A pensioner registered at her clinic by her first name only.
LUPE = replace(
    _person(9601, "MARIA GUADALUPE", "TZOMPAXTLE", "LOPEZ", date(1944, 3, 9), "2"),
    sexo="M",
    curp=build_curp(
        given_names="MARIA GUADALUPE",
        paternal_surname="TZOMPAXTLE",
        maternal_surname="LOPEZ",
        birth_date=date(1944, 3, 9),
        sex="M",
        state="OC",
        homoclave="2",
    ),
)


async def test_a_clinic_record_with_maria_alone_links_to_her_roll_record(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    people = make_people(300)
    # Others of the population written the same way, as a clinic does, so the model learns the level.
    await load_population(session, people)
    for p in people[:150]:
        first = p.nombre.split()[0]
        if first in ("MARIA", "JOSE") and len(p.nombre.split()) > 1:
            await insert_record(session, replace(p, nombre=first), source="patients", record_id=f"A{p.key}")
    await insert_record(session, LUPE, source="roll", record_id="LU1")
    await insert_record(session, replace(LUPE, nombre="MARIA"), source="patients", record_id="LU2")
    await session.commit()
    await _run(settings, sessionmaker)

    assert await _person_of(session, "patients", "LU2") == await _person_of(session, "roll", "LU1")
    probe = _probe(replace(LUPE, nombre="MARIA"))
    cands = await service.match_online(session, probe=probe, limit=10, settings=settings)
    assert _candidate(cands, "roll", "LU1").grade == "certain"


def _twin(given: str) -> MatchFeatures:
    """A brother of a household in León: twins JOSE MANUEL and JOSE LUIS ORTIZ JUAREZ."""
    brother = replace(_f(given), source="patients", sexo="H", ap1="ORTIZ", ap2="JUAREZ", dob="1934-10-28")
    return replace(brother, unique_id=f"patients|{given}", municipio="LEON", localidad="LEON")


def test_a_short_form_that_fits_two_brothers_is_a_reviewers_question() -> None:
    jose, manuel, luis = _twin("JOSE"), _twin("JOSE MANUEL"), _twin("JOSE LUIS")
    # JOSE alone fits JOSE MANUEL and his twin JOSE LUIS: the pair is held whichever brother it names.
    assert names_of_another(jose, manuel, luis)
    assert names_of_another(jose, luis, manuel)
    # JOSE MANUEL's own records do not hold it, nor does a brother a birth date settles apart from JOSE.
    assert not names_of_another(jose, manuel, _twin("JOSE MANUEL"))
    older = replace(_twin("JOSE LUIS"), dob="1930-02-11")
    assert not names_of_another(jose, manuel, older)
    # The brother's place or surname elsewhere: not the same household's name.
    assert not names_of_another(jose, manuel, replace(luis, localidad="SILAO"))
    assert not names_of_another(jose, manuel, replace(luis, ap1="ORTEGA"))


# Twins on the roll, MARIA and MARIA GUADALUPE, the second's record carrying her sister's CURP (a
# relative's CURP copied): the new level makes the names compatible, the CURP and date agree.
TWIN = replace(LUPE, key=9602, nombre="MARIA", domicilio="CALLE HIDALGO 89")
TWIN_CURP = build_curp(
    given_names="MARIA",
    paternal_surname="TZOMPAXTLE",
    maternal_surname="LOPEZ",
    birth_date=date(1944, 3, 9),
    sex="M",
    state="OC",
    homoclave="2",
)


async def test_two_roll_records_under_other_given_names_are_never_one_pensioner_unasked(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await load_population(session, make_people(300))
    await insert_record(session, replace(LUPE, curp=TWIN_CURP), source="roll", record_id="TW1")
    await insert_record(session, replace(TWIN, curp=TWIN_CURP), source="roll", record_id="TW2")
    await session.commit()
    await _run(settings, sessionmaker)

    assert await _person_of(session, "roll", "TW1") != await _person_of(session, "roll", "TW2")
    assert await _reviewed(session, ("roll", "TW1"), ("roll", "TW2"))
    cands = await service.match_online(session, probe=_probe(TWIN), limit=10, settings=settings)
    assert _candidate(cands, "roll", "TW1").grade != "certain"


def test_roll_curp_of_another_reads_a_roll_curp_naming_the_other_pensioner() -> None:
    lupe = replace(_f("MARIA GUADALUPE"), curp=TWIN_CURP, curp16_calc="TOLG440309MOCZPP")
    twin = replace(_f("MARIA"), curp=TWIN_CURP, curp16_calc=TWIN_CURP[:16])
    assert TWIN_CURP.startswith("TOLM")
    assert roll_curp_of_another(Signature.of(lupe), Signature.of(twin))
    assert hard_conflict(Signature.of(lupe), Signature.of(twin))
    # A clinic record, or the CURP the record's own names give (one pensioner twice, a name dropped).
    assert not roll_curp_of_another(Signature.of(lupe), Signature.of(replace(twin, source="patients")))
    own = replace(lupe, curp="TOLG440309MOCZPP02")
    assert not roll_curp_of_another(Signature.of(own), Signature.of(replace(twin, curp=own.curp)))
