"""Small synthetic identity records for matching tests, written straight into the imports' tables
(normalised the way the imports normalise, through ``interop.identity``)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.identity.curp import assess_curp, build_curp
from interop.identity.keys import curp16_of
from interop.identity.names import normalize_given_names, normalize_surname

GIVEN_H = [
    "JUAN",
    "JOSE",
    "LUIS",
    "CARLOS",
    "JESUS",
    "MIGUEL",
    "PEDRO",
    "ANTONIO",
    "FRANCISCO",
    "MANUEL",
    "RAFAEL",
    "ROBERTO",
    "JORGE",
]
GIVEN_M = [
    "MARIA",
    "GUADALUPE",
    "JUANA",
    "ROSA",
    "ANA",
    "MARGARITA",
    "LETICIA",
    "PATRICIA",
    "ELENA",
    "TERESA",
    "CARMEN",
    "LAURA",
    "SILVIA",
]
SURNAMES = [
    "HERNANDEZ",
    "GARCIA",
    "MARTINEZ",
    "LOPEZ",
    "GONZALEZ",
    "RODRIGUEZ",
    "PEREZ",
    "SANCHEZ",
    "RAMIREZ",
    "CRUZ",
    "FLORES",
    "GOMEZ",
    "MORALES",
    "VAZQUEZ",
    "REYES",
    "JIMENEZ",
    "TORRES",
    "DIAZ",
    "GUTIERREZ",
    "RUIZ",
    "MENDOZA",
    "AGUILAR",
    "ORTIZ",
    "MORENO",
    "CASTILLO",
    "ROMERO",
    "ALVAREZ",
    "MENDEZ",
    "CHAVEZ",
    "RIVERA",
    "JUAREZ",
    "RAMOS",
    "DOMINGUEZ",
    "HERRERA",
    "MEDINA",
    "CASTRO",
    "VARGAS",
    "GUZMAN",
    "VELAZQUEZ",
    "ROJAS",
]
STATES = ["AS", "BC", "CH", "DF", "GT", "JC", "MC", "MN", "NL", "OC", "PL", "SP", "VZ", "YN"]


@dataclass(frozen=True)
class Person:
    key: int
    nombre: str
    primer_apellido: str
    segundo_apellido: str | None
    fecha_nacimiento: date
    sexo: str
    entidad: str
    municipio: str
    localidad: str
    domicilio: str
    curp: str


def make_people(n: int, *, seed: int = 7) -> list[Person]:
    rng = random.Random(seed)
    people = []
    for key in range(n):
        sexo = rng.choice("HM")
        names = GIVEN_H if sexo == "H" else GIVEN_M
        nombre = rng.choice(names) + (" " + rng.choice(names) if rng.random() < 0.4 else "")
        ap1, ap2 = rng.choice(SURNAMES), rng.choice(SURNAMES)
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 30))
        entidad = rng.choice(STATES)
        curp = build_curp(
            given_names=nombre,
            paternal_surname=ap1,
            maternal_surname=ap2,
            birth_date=born,
            sex=sexo,
            state=entidad,
            homoclave=str(rng.randrange(10)),
        )
        people.append(
            Person(
                key,
                nombre,
                ap1,
                ap2,
                born,
                sexo,
                entidad,
                f"{rng.randint(1, 20):03d}",
                f"{rng.randint(1, 9):04d}",
                f"CALLE {rng.choice(SURNAMES)} {rng.randint(1, 300)}",
                curp,
            )
        )
    return people


def typo(value: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(value) - 1)
    return value[:i] + value[i + 1] + value[i] + value[i + 2 :]


def variant(p: Person, rng: random.Random, *, keep_curp: bool) -> Person:
    """Another clerk's record of the same person: a typo, a dropped second surname or CURP, a swapped date."""
    out = replace(p, curp=p.curp if keep_curp else "")
    roll = rng.random()
    if roll < 0.25:
        out = replace(out, primer_apellido=typo(p.primer_apellido, rng))
    elif roll < 0.4:
        out = replace(out, segundo_apellido=None)
    elif roll < 0.5 and p.fecha_nacimiento.day <= 12:
        d = p.fecha_nacimiento
        out = replace(out, fecha_nacimiento=d.replace(day=d.month, month=d.day))
    elif roll < 0.6:
        out = replace(out, nombre=out.nombre.title())
    return out


def _row(p: Person, *, source: str, record_id: str) -> dict[str, Any]:
    given = normalize_given_names(p.nombre)
    ap1 = normalize_surname(p.primer_apellido)
    ap2 = normalize_surname(p.segundo_apellido)
    check = assess_curp(
        p.curp or None,
        given_names=p.nombre,
        paternal_surname=p.primer_apellido,
        maternal_surname=p.segundo_apellido,
        birth_date=p.fecha_nacimiento,
        sex=p.sexo,
        state=p.entidad,
    )
    return {
        "record_id": record_id,
        "nombre": p.nombre,
        "primer_apellido": p.primer_apellido,
        "segundo_apellido": p.segundo_apellido,
        "given_norm": given.value if given else None,
        "paternal_norm": ap1.value if ap1 else None,
        "maternal_norm": ap2.value if ap2 else None,
        "given_main": given.main if given else None,
        "curp": check.check.value if check.check.valid else None,
        "curp_raw": p.curp or None,
        "curp_trusted": check.trusted,
        "curp16_computed": curp16_of(
            given_names=p.nombre,
            paternal_surname=p.primer_apellido,
            maternal_surname=p.segundo_apellido,
            birth_date=p.fecha_nacimiento,
            sex=p.sexo,
            state=p.entidad,
        ),
        "fecha_nacimiento": p.fecha_nacimiento,
        "sexo": p.sexo,
        "entidad": p.entidad,
        "municipio": p.municipio,
        "localidad": p.localidad,
        "domicilio": p.domicilio,
        "row_digest": f"{hash((p, record_id)) & 0xFFFFFFFF:x}",
    }


_COLS = (
    "record_id, nombre, primer_apellido, segundo_apellido, given_norm, paternal_norm, maternal_norm, "
    "given_main, curp, curp_raw, curp_trusted, curp16_computed, fecha_nacimiento, sexo, entidad, "
    "municipio, localidad, domicilio, row_digest"
)


_KEY_UPSERT = (
    "ON CONFLICT (record_id) DO UPDATE SET version = excluded.version, pkey = excluded.pkey, "
    "row_digest = excluded.row_digest, curp = excluded.curp"
)


async def insert_record(
    session: AsyncSession, p: Person, *, source: str, record_id: str, version: int = 1
) -> None:
    """A version of a source record, as an import stores it: the row in its entidad's partition and
    the record's key row naming it."""
    row = _row(p, source=source, record_id=record_id)
    values = ", ".join(f":{c.strip()}" for c in _COLS.split(","))
    params = {**row, "version": version, "pkey": row["entidad"] or "00"}
    if source == "roll":
        await session.execute(
            text("UPDATE roll_record SET is_current = false WHERE record_id = :r"), {"r": record_id}
        )
        await session.execute(
            text(
                f"INSERT INTO roll_record ({_COLS}, version, is_current, import_id, pkey) "
                f"VALUES ({values}, :version, true, 1, :pkey)"
            ),
            params,
        )
        await session.execute(
            text(
                "INSERT INTO roll_record_key (record_id, version, pkey, row_digest, curp) "
                f"VALUES (:record_id, :version, :pkey, :row_digest, :curp) {_KEY_UPSERT}"
            ),
            params,
        )
    else:
        params["pid"] = uuid.uuid5(uuid.NAMESPACE_URL, record_id)
        await session.execute(
            text("UPDATE registry_patient SET is_current = false WHERE record_id = :r"), {"r": record_id}
        )
        await session.execute(
            text(
                f"INSERT INTO registry_patient ({_COLS}, version, is_current, import_id, clues, "
                f"clues_current, patient_id, pkey) VALUES ({values}, :version, true, 1, 'DFIMB000001', "
                "'DFIMB000001', :pid, :pkey)"
            ),
            params,
        )
        await session.execute(
            text(
                "INSERT INTO registry_patient_key (record_id, version, pkey, row_digest, curp, patient_id) "
                f"VALUES (:record_id, :version, :pkey, :row_digest, :curp, :pid) {_KEY_UPSERT}"
            ),
            params,
        )


async def load_population(session: AsyncSession, people: list[Person], *, seed: int = 11) -> dict[str, int]:
    """Each person: one roll record; 70 % also a clinic record (half without CURP), 10 % a second one.
    Returns the truth: record key ("source|record_id") → person key."""
    rng = random.Random(seed)
    truth: dict[str, int] = {}
    for p in people:
        await insert_record(session, p, source="roll", record_id=f"R{p.key}")
        truth[f"roll|R{p.key}"] = p.key
        if rng.random() < 0.7:
            await insert_record(
                session,
                variant(p, rng, keep_curp=rng.random() < 0.5),
                source="patients",
                record_id=f"P{p.key}",
            )
            truth[f"patients|P{p.key}"] = p.key
        if rng.random() < 0.1:
            await insert_record(
                session, variant(p, rng, keep_curp=True), source="patients", record_id=f"Q{p.key}"
            )
            truth[f"patients|Q{p.key}"] = p.key
    await session.commit()
    return truth


async def pad_feature_store(session: AsyncSession, rows: int) -> None:
    """``rows`` made-up records of every entidad in the feature store (key rows and their detail),
    then ANALYZE: the statistics a real load gives, so that a plan test sees the plan a real index
    gets (on a few dozen rows PostgreSQL rightly reads small tables whole). Their names and dates
    share no value with ``make_people``'s (digits in every name)."""
    from interop.identity.states import STATE_CODES

    codes = "ARRAY[" + ", ".join(f"'{c}'" for c in STATE_CODES) + "]"
    await session.execute(
        text(
            "INSERT INTO match_record (source, record_id, curp16, given_main, ap1, ap2, ph_given, ph_ap1, "
            "ph_ap2, dob, dob_year, dob_md, entidad, feature_digest) "
            "SELECT 'roll', 'PAD' || i, 'PADX' || lpad(i::text, 12, '0'), 'G' || i % 499, "
            "'A' || i % 701, 'B' || i % 809, 'g' || i % 499, 'a' || i % 701, 'b' || i % 809, "
            "to_char(d, 'YYYY-MM-DD'), to_char(d, 'YYYY'), to_char(d, 'MM-DD'), "
            f"({codes})[1 + i % {len(STATE_CODES)}], 'pad' "
            "FROM generate_series(1, :n) i, LATERAL (SELECT date '1930-01-01' + (i * 7919) % 25000 AS d) x"
        ),
        {"n": rows},
    )
    await session.execute(
        text(
            "INSERT INTO match_record_detail (pkey, source, record_id, given_full, sexo, municipio) "
            "SELECT pkey, source, record_id, given_main, 'H', '001' FROM match_record "
            "WHERE feature_digest = 'pad'"
        )
    )
    await session.execute(text("ANALYZE match_record, match_record_detail"))
