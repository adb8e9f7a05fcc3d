"""kill -9 of a match run: the rerun finishes the interrupted job, and the person index it leaves is the
one an undisturbed run leaves on the same data (compared as partitions: person ids are random)."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg

from interop.synth.generate import synthesize

INTEROP = [sys.executable, "-m", "interop.cli"]


def _env(url: str, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "INTEROP_DATABASE_URL"}
    env.update(
        DATABASE_URL=url,
        INTEROP_DATA_DIR=str(data),
        INTEROP_JOB_STALE_AFTER_S="2",
        INTEROP_LOG_LEVEL="WARNING",
    )
    return env


def _cli(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [*INTEROP, *args], env=env, capture_output=True, text=True, check=False, timeout=600
    )
    assert result.returncode == 0, f"interop {' '.join(args)}: {result.stderr[-2000:]}"


def _sql(url: str, query: str) -> list[asyncpg.Record]:
    async def go() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            return list(await conn.fetch(query))
        finally:
            await conn.close()

    return asyncio.run(go())


def _partition(path: Path) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            groups.setdefault(row["person_id"], set()).add(f"{row['source']}:{row['record_id']}")
    return {frozenset(members) for members in groups.values()}


def test_kill_9_during_match_run_then_rerun_equals_undisturbed(pg_server: Any, tmp_path: Path) -> None:
    pop = tmp_path / "pop"
    synthesize(pop, people=1200, seed=5)
    loaded = pg_server.url("kill_match_loaded")
    _sql(pg_server.url("postgres"), 'DROP DATABASE IF EXISTS "kill_match_loaded" WITH (FORCE)')
    _sql(pg_server.url("postgres"), 'CREATE DATABASE "kill_match_loaded" TEMPLATE "interop_template"')
    env = _env(loaded, tmp_path / "data")
    for kind, name in (("units", "units.csv"), ("roll", "pension_roll.csv"), ("patients", "patients.csv")):
        _cli(env, "import", kind, str(pop / name))
    for name in ("kill_match_calm", "kill_match_killed"):
        _sql(pg_server.url("postgres"), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _sql(pg_server.url("postgres"), f'CREATE DATABASE "{name}" TEMPLATE "kill_match_loaded"')
    calm, killed = pg_server.url("kill_match_calm"), pg_server.url("kill_match_killed")

    _cli(_env(calm, tmp_path / "data"), "match", "run")
    _cli(_env(calm, tmp_path / "data"), "persons", "export", "--out", str(tmp_path / "calm.csv"))

    env_killed = _env(killed, tmp_path / "data")
    proc = subprocess.Popen(
        [*INTEROP, "match", "run"], env=env_killed, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while True:
        rows = _sql(killed, "SELECT state, progress::text AS p FROM job WHERE kind = 'matching.run'")
        if rows and rows[0]["state"] == "running" and rows[0]["p"] not in ("{}", None):
            break
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _sql(killed, "SELECT state FROM job WHERE kind = 'matching.run'")[0]["state"] == "running"

    _cli(env_killed, "match", "run")
    states = [
        r["state"] for r in _sql(killed, "SELECT state FROM job WHERE kind = 'matching.run' ORDER BY id")
    ]
    assert len(states) == 2, states
    assert all(state == "succeeded" for state in states), states
    _cli(env_killed, "persons", "export", "--out", str(tmp_path / "killed.csv"))

    calm_groups, killed_groups = _partition(tmp_path / "calm.csv"), _partition(tmp_path / "killed.csv")
    assert sum(len(g) for g in calm_groups) > 1000
    assert killed_groups == calm_groups
