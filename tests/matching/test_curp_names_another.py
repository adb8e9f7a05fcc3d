"""A record typed from a relative's document (``conflict.curp_names_another``): a clerk who copies a
relative's CURP copies the birth date and sex beside it, under the person's own names. FELIPE
TLACAELEL HUITRON's roll record carries his son JESUS's CURP and birth date (1974); his clinic record
carries his own (1950) and no CURP. The dates alone would settle the pair as two people and no one
would be asked; the roll's CURP names a JESUS TLACAELEL PEREZ, not the FELIPE TLACAELEL HUITRON both
records name, so the dates are a relative's: the pair goes to a reviewer (never an automatic link),
and ``$match`` no longer grades it certainly-not. A namesake father and son whose CURPs are each their
own are still settled apart without review."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import Person, insert_record, load_population, make_people
from tests.matching.test_rules import _candidate, _person, _person_of, _probe, _reviewed, _run

from interop.config import Settings
from interop.identity.curp import build_curp
from interop.matching import service
from interop.matching.conflict import (
    Signature,
    curp_names_another,
    dates_settle_apart,
    hard_conflict,
    settled_apart,
    settled_apart_sql,
)
from interop.matching.features import MatchFeatures, features_of

SON_CURP = build_curp(
    given_names="JESUS",
    paternal_surname="TLACAELEL",
    maternal_surname="PEREZ",
    birth_date=date(1974, 8, 12),
    sex="H",
    state="OC",
    homoclave="5",
)
# The pensioner's clinic record: his own birth date, no CURP.
FELIPE = replace(_person(9601, "FELIPE", "TLACAELEL", "HUITRON", date(1950, 11, 22), "3"), curp="")
# His roll record, typed from his son's document: the son's birth date and CURP under Felipe's names.
FELIPE_ROLL = replace(FELIPE, key=9602, fecha_nacimiento=date(1974, 8, 12), curp=SON_CURP)
# A namesake father and son at one address, each record with its own CURP: two people.
ANSELMO = _person(9603, "ANSELMO", "CUAUTLE", "MIXCOATL", date(1941, 3, 9), "1")
ANSELMO_SON = _person(9604, "ANSELMO", "CUAUTLE", "MIXCOATL", date(1969, 10, 30), "2")


def _features(p: Person, source: str = "patients") -> MatchFeatures:
    return features_of(
        source=source,
        record_id=str(p.key),
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


def _sql_apart(a: MatchFeatures, b: MatchFeatures) -> bool:
    con = duckdb.connect()
    cols = "curp VARCHAR, dob VARCHAR, source VARCHAR, curp16_calc VARCHAR"
    con.execute(f"CREATE TABLE a ({cols}); CREATE TABLE b ({cols})")
    for name, f in (("a", a), ("b", b)):
        con.execute(f"INSERT INTO {name} VALUES (?, ?, ?, ?)", [f.curp, f.dob, f.source, f.curp16_calc])
    row = con.execute(f"SELECT {settled_apart_sql('a', 'b')} FROM a, b").fetchone()
    assert row is not None
    return bool(row[0])


def test_a_curp_naming_someone_else_keeps_the_dates_from_settling_the_pair() -> None:
    roll, clinic = _features(FELIPE_ROLL, "roll"), _features(FELIPE)
    sr, sc = Signature.of(roll), Signature.of(clinic)
    assert roll.curp == SON_CURP  # kept: valid, and it agrees with the record's (the son's) date and sex
    assert curp_names_another(sr, sc)
    assert not curp_names_another(sc, sr)  # the clinic record carries no CURP
    assert not dates_settle_apart(sr, sc)
    assert not dates_settle_apart(sc, sr)
    assert not settled_apart(sr, sc)
    assert hard_conflict(sr, sc)  # still a conflict: a reviewer's question, never an automatic link
    assert not _sql_apart(roll, clinic)
    assert not _sql_apart(clinic, roll)

    # The CURP's name letters its own record's: a namesake father and son are settled apart.
    father, son = _features(ANSELMO, "roll"), _features(ANSELMO_SON)
    assert not curp_names_another(Signature.of(father), Signature.of(son))
    assert dates_settle_apart(Signature.of(father), Signature.of(son))
    assert _sql_apart(father, son)
    assert _sql_apart(son, father)
    # ... and so is the son's record without its CURP beside the father's (nothing names another).
    son_bare = _features(replace(ANSELMO_SON, curp=""))
    assert dates_settle_apart(Signature.of(father), Signature.of(son_bare))
    assert _sql_apart(father, son_bare)

    # The other record's names not the record's (another given name): nothing says whose date it is.
    other = _features(replace(FELIPE, key=9605, nombre="MARCIANO"))
    assert not curp_names_another(sr, Signature.of(other))
    assert dates_settle_apart(sr, Signature.of(other))
    assert _sql_apart(roll, other)
    # A second surname missing on the other record: its letters are not the record's (X), not read.
    no_ap2 = _features(replace(FELIPE, key=9606, segundo_apellido=None))
    assert not curp_names_another(sr, Signature.of(no_ap2))
    assert dates_settle_apart(sr, Signature.of(no_ap2))
    assert _sql_apart(roll, no_ap2)


async def test_a_pensioner_typed_from_his_sons_document_goes_to_a_reviewer(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await load_population(session, make_people(300))
    await insert_record(session, FELIPE_ROLL, source="roll", record_id="FE1")
    await insert_record(session, FELIPE, source="patients", record_id="FE2")
    await insert_record(session, ANSELMO, source="roll", record_id="AN1")
    await insert_record(session, ANSELMO_SON, source="patients", record_id="AN2")
    await session.commit()
    await _run(settings, sessionmaker)

    # Felipe's two records: not linked on their own, but a reviewer is asked (main settled them apart).
    assert await _person_of(session, "roll", "FE1") != await _person_of(session, "patients", "FE2")
    assert await _reviewed(session, ("roll", "FE1"), ("patients", "FE2"))
    # The namesake father and son, each with his own CURP: two people, and no one is asked.
    assert await _person_of(session, "roll", "AN1") != await _person_of(session, "patients", "AN2")
    assert not await _reviewed(session, ("roll", "AN1"), ("patients", "AN2"))

    # Online (``$match``, visits), the same: the roll record is a question for Felipe's clinic record,
    # never certain; the namesake father is certainly not the son.
    cands = await service.match_online(session, probe=_probe(FELIPE), limit=10, settings=settings)
    assert _candidate(cands, "roll", "FE1").grade in ("probable", "possible")
    cands = await service.match_online(session, probe=_probe(ANSELMO_SON), limit=10, settings=settings)
    assert _candidate(cands, "roll", "AN1").grade == "certainly-not"
