"""kill -9 during an import, then run it again: it resumes after the last committed batch, nothing lost
or doubled."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg

from .factories import ROLL_HEADER, csv_text, roll_row, write

ROWS = 30_000


def _cli_env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        INTEROP_DATA_DIR=str(data_dir),
        INTEROP_IMPORT_CHUNK_ROWS="1000",
        INTEROP_JOB_STALE_AFTER_S="1",
        INTEROP_WORKER_POLL_INTERVAL_S="0.1",
    )
    return env


async def _state(dsn: str) -> tuple[int, int, str | None]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT last_line, rows_read, state FROM ingest_import ORDER BY id DESC LIMIT 1"
        )
        return (row["last_line"], row["rows_read"], row["state"]) if row else (0, 0, None)
    finally:
        await conn.close()


async def test_kill_9_mid_import_then_rerun_loses_and_doubles_nothing(
    database_url: str, tmp_path: Path
) -> None:
    rows = [
        roll_row(f"R{i:06d}", domicilio=f"CALLE {i}", nombre="ANA" if i % 1000 else "") for i in range(ROWS)
    ]
    path = write(tmp_path, "roll.csv", csv_text(ROLL_HEADER, rows))
    dsn = database_url.replace("+asyncpg", "")
    env = _cli_env(database_url, tmp_path / "data")
    command = [sys.executable, "-m", "interop.cli", "import", "roll", str(path)]
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    killed_at = 0
    while time.monotonic() < deadline:
        last_line, _, _ = await _state(dsn)
        if last_line >= 3_000:
            first.send_signal(signal.SIGKILL)
            killed_at = last_line
            break
        assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
        await asyncio.sleep(0.05)
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    last_line, _rows_read, state = await _state(dsn)
    assert state == "running"
    assert 0 < last_line < ROWS + 1, "the kill must land mid-import"
    assert last_line >= killed_at

    second = subprocess.run(command, env=env, capture_output=True, timeout=300, check=False)
    assert second.returncode == 0, second.stderr.decode()
    assert "se reanuda la importación" in second.stderr.decode()

    conn = await asyncpg.connect(dsn)
    try:
        stored = await conn.fetchval("SELECT count(*) FROM roll_record")
        distinct = await conn.fetchval("SELECT count(DISTINCT record_id) FROM roll_record")
        versions = await conn.fetchval("SELECT max(version) FROM roll_record")
        rejects = await conn.fetch("SELECT line, reason FROM ingest_reject ORDER BY line")
        imp = await conn.fetchrow("SELECT * FROM ingest_import")
        attempts = await conn.fetchval("SELECT attempts FROM job WHERE id = $1", imp["job_id"])
        missing = await conn.fetchval(
            "SELECT count(*) FROM generate_series(0, $1 - 1) AS i "
            "WHERE i % 1000 <> 0 AND NOT EXISTS (SELECT 1 FROM roll_record r "
            "WHERE r.record_id = 'R' || lpad(i::text, 6, '0'))",
            ROWS,
        )
    finally:
        await conn.close()
    expected_rejects = ROWS // 1000
    assert imp["state"] == "succeeded"
    assert imp["rows_read"] == ROWS
    assert imp["last_line"] == ROWS + 1
    assert stored == distinct == ROWS - expected_rejects
    assert versions == 1
    assert missing == 0
    assert [r["line"] for r in rejects] == [i + 2 for i in range(0, ROWS, 1000)]
    assert imp["rejected"] == expected_rejects
    assert imp["new_records"] == stored
    assert attempts == 2
