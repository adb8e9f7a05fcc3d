"""``interop demo --no-serve`` on a fresh data folder, as a newcomer runs it: it exits 0, prints no
third-party warning, and every figure of its summary is what the database holds afterwards."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg

from interop.db.embedded import start_embedded

INTEROP = [sys.executable, "-m", "interop.cli"]
THIRD_PARTY = (
    "Warning",
    "WARNING",
    "not observed in dataset",
    "XDG_RUNTIME_DIR",
    "[EM sampling]",
    "Traceback",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _figure(output: str, label: str) -> str:
    found = re.search(rf"^  {re.escape(label)}: (.+)$", output, re.MULTILINE)
    assert found, (label, output)
    return found[1]


async def _database(data_dir: Path) -> dict[str, Any]:
    server = await start_embedded(data_dir)
    try:
        conn = await asyncpg.connect(server.url().replace("+asyncpg", ""))
        try:
            persons = await conn.fetchrow(
                "SELECT count(*) AS persons, count(*) FILTER (WHERE sources = 2) AS linked FROM "
                "(SELECT person_id, count(DISTINCT source) AS sources FROM match_record "
                "WHERE person_id IS NOT NULL GROUP BY person_id) p"
            )
            units = await conn.fetch(
                "SELECT owner_clues, count(*) AS n FROM referral_task t WHERE NOT EXISTS "
                "(SELECT 1 FROM referral_task x WHERE x.previous_task_id = t.id) GROUP BY owner_clues"
            )
            return {
                "persons": persons["persons"],
                "linked": persons["linked"],
                "reviews": await conn.fetchval("SELECT count(*) FROM match_review WHERE status = 'open'"),
                "visits": await conn.fetchval("SELECT count(*) FROM referral_visit"),
                "referrals": await conn.fetchval("SELECT count(*) FROM referral"),
                "per_unit": {r["owner_clues"]: r["n"] for r in units},
                "tasks": {
                    r["visit_id"]: (r["owner_clues"], r["status"])
                    for r in await conn.fetch("SELECT visit_id, owner_clues, status FROM referral_task")
                },
                "trace_events": {
                    r["trace_id"]: r["n"]
                    for r in await conn.fetch(
                        "SELECT trace_id, count(*) AS n FROM audit_record GROUP BY trace_id"
                    )
                },
            }
        finally:
            await conn.close()
    finally:
        server.stop()


def test_demo_summary_is_what_the_database_holds(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "INTEROP_DATABASE_URL")}
    env.pop("XDG_RUNTIME_DIR", None)
    env.update(INTEROP_DATA_DIR=str(data_dir))
    done = subprocess.run(
        [*INTEROP, "demo", "--no-serve", "--people", "300", "--port", str(_free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert not [line for line in output.splitlines() if any(w in line for w in THIRD_PARTY)], output
    assert not (data_dir / "demo-tokens.json").exists()  # --no-serve: no tokens left behind

    db = asyncio.run(_database(data_dir))
    assert int(_figure(output, "personas en el índice")) == db["persons"] > 0
    assert int(_figure(output, "personas vinculadas padrón–clínicas")) == db["linked"] > 0
    assert int(_figure(output, "revisiones de identidad en cola")) == db["reviews"]
    stored, sent = re.fullmatch(r"(\d+) de (\d+) enviadas", _figure(output, "visitas guardadas")).groups()  # type: ignore[union-attr]
    assert int(stored) == db["visits"]
    assert int(sent) >= 30
    assert int(_figure(output, "referencias").split()[0]) == db["referrals"]
    listed = re.findall(r"^    ([A-Z]{5}\d{6}): (\d+), \d+, \d+$", output, re.MULTILINE)
    assert listed
    for clues, n in listed:
        assert db["per_unit"][clues] == int(n), clues

    case = re.fullmatch(r"visita (\S+) → unidad (\S+)", _figure(output, "caso trazado"))
    assert case, output
    visit_id, unit = case.groups()
    assert db["tasks"][visit_id] == (unit, "completed")
    assert _figure(output, "estados de la tarea") == "requested → accepted → in-progress → completed"
    events = _figure(output, "eventos de auditoría del caso")
    trace_id = events.rsplit("/v1/trace/", 1)[1]
    assert db["trace_events"].get(trace_id, 0) > 0
    assert int(events.split()[0]) >= db["trace_events"][trace_id]  # its own events, and those on its Task
    audit = re.fullmatch(
        r"íntegra \((\d+) eventos, (\d+) cabezas firmadas\)", _figure(output, "auditoría verificada")
    )
    assert audit, output
    assert int(audit[1]) > 0  # it said "0 eventos": the tree's leaves were not counted
    assert int(audit[2]) > 0

    # A second demo on the same folder would mix two populations: refused, saying how to start afresh.
    again = subprocess.run(
        [*INTEROP, "demo", "--no-serve", "--people", "300", "--port", str(_free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert again.returncode == 2, again.stdout + again.stderr
    assert "ya tiene datos" in again.stderr
    assert "INTEROP_DATA_DIR=" in again.stderr
