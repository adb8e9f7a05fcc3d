"""The calibration's sample of records with a CURP (``calibration_labels.SAMPLE_SQL``) is read from the key
tables alone: the same records, CURPs and order as drawn from ``identity_record``, the view that joins
every key row to its current version."""

from __future__ import annotations

import random
from dataclasses import replace

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.matching.factories import insert_record, load_population, make_people

from interop.matching.calibration_labels import SAMPLE_SQL

# What SAMPLE_SQL stands for: the view's current records with a CURP, in the same order.
SAMPLE_SQL_VIEW = (
    "SELECT source, record_id, curp FROM identity_record WHERE curp IS NOT NULL "
    "ORDER BY hashtext(source || '|' || record_id), source, record_id LIMIT :n"
)


async def _drawn(session: AsyncSession, sql: str, n: int) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in (await session.execute(text(sql), {"n": n})).all()]


async def test_the_sample_from_the_key_tables_is_the_views(session: AsyncSession) -> None:
    people = make_people(240, seed=3)
    await load_population(session, people, seed=5)
    # Later versions: a CURP taken away, one given, one changed, an entidad moved (another partition).
    rng = random.Random(9)
    for p in rng.sample(people, 40):
        choice = rng.randrange(3)
        if choice == 0:
            later = replace(p, curp="")
        elif choice == 1:
            later = replace(p, entidad="YN" if p.entidad != "YN" else "MC")
        else:
            later = replace(p, nombre=p.nombre + " JOSE")
        await insert_record(session, later, source="roll", record_id=f"R{p.key}", version=2)
    await session.commit()
    total = (
        await session.execute(text("SELECT count(*) FROM identity_record WHERE curp IS NOT NULL"))
    ).scalar_one()
    assert 100 < total < 600  # some records carry no CURP: the filter is tested too
    for n in (1, 57, total - 1, total + 10):
        drawn = await _drawn(session, SAMPLE_SQL, n)
        assert drawn == await _drawn(session, SAMPLE_SQL_VIEW, n)
        assert len(drawn) == min(n, total)
