"""A synthetic population loads: rows in the database = rows in the files − the rejects listed."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.config import Settings
from interop.ingest.models import Reject
from interop.synth.generate import synthesize

from .factories import import_file


def _data_rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


async def test_synthetic_population_counts(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, session: AsyncSession
) -> None:
    synthesize(tmp_path, people=4000, seed=5)
    tables = {"units": "unit", "roll": "roll_record", "patients": "registry_patient"}
    files = {"units": "units.csv", "roll": "pension_roll.csv", "patients": "patients.csv"}
    for kind in ("units", "roll", "patients"):
        path = tmp_path / files[kind]
        summary = await import_file(sessionmaker, settings, kind, path, chunk_rows=1500)
        rows = _data_rows(path)
        listed = (
            await session.execute(
                select(func.count()).select_from(Reject).where(Reject.import_id == summary["import_id"])
            )
        ).scalar_one()
        stored = (await session.execute(text(f"SELECT count(*) FROM {tables[kind]}"))).scalar_one()
        assert summary["state"] == "succeeded"
        assert summary["rows"] == rows > 0
        assert listed == summary["rejected"]
        assert stored == rows - listed == summary["stored"], kind
    # Registries point at units of the catalogue (either code) and the view sees both sources.
    unresolved = (
        await session.execute(text("SELECT count(*) FROM registry_patient WHERE clues_current IS NULL"))
    ).scalar_one()
    assert unresolved == 0
    by_source = dict(
        (await session.execute(text("SELECT source, count(*) FROM identity_record GROUP BY source"))).all()
    )
    assert set(by_source) == {"roll", "patients"}
    trusted = (
        await session.execute(text("SELECT count(*) FROM roll_record WHERE curp_trusted"))
    ).scalar_one()
    assert trusted > 0.5 * by_source["roll"]
