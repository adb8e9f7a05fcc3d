"""The kin population loads like the default one: every row stored, nothing rejected but what the
files themselves make unloadable, registries resolved to units of the catalogue."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.config import Settings
from interop.synth.kin.generate import synthesize_kin

from .factories import import_file


def _data_rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


async def test_kin_population_imports_cleanly(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, session: AsyncSession
) -> None:
    synthesize_kin(tmp_path, people=3000, seed=5)
    tables = {"units": "unit", "roll": "roll_record", "patients": "registry_patient"}
    files = {"units": "units.csv", "roll": "pension_roll.csv", "patients": "patients.csv"}
    for kind in ("units", "roll", "patients"):
        path = tmp_path / files[kind]
        summary = await import_file(sessionmaker, settings, kind, path, chunk_rows=1500)
        rows = _data_rows(path)
        stored = (await session.execute(text(f"SELECT count(*) FROM {tables[kind]}"))).scalar_one()
        assert summary["state"] == "succeeded"
        assert summary["rejected"] == 0, kind
        assert stored == rows == summary["stored"] > 0, kind
    unresolved = (
        await session.execute(text("SELECT count(*) FROM registry_patient WHERE clues_current IS NULL"))
    ).scalar_one()
    assert unresolved == 0
    trusted = (
        await session.execute(text("SELECT count(*) FROM roll_record WHERE curp_trusted"))
    ).scalar_one()
    assert trusted > 0.8 * _data_rows(tmp_path / "pension_roll.csv")
