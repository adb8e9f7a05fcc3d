"""Server side only (issue 19, the intake): PostgreSQL CPU per transaction at 16 pgbench clients for the
plain small write, the write with the record as requests wrote it before migration 0022 (the partitioned
``audit_event`` and its patient row: ``pgbench/audited.sql``) and with the record as an intake row
(``pgbench/intake.sql``), interleaved in rounds on one server; then what the sequencer's move and leaves
cost for the intake rows written (``sequencer.catch_up``: client and server CPU per record).

    nice -n 5 env PYTHONPATH=src /work/main/.venv/bin/python bench/audit/pgbench_intake.py --data-dir DIR
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

sys.path.insert(0, str(Path(__file__).parent))
from run import prepare_database
from throughput import _server_cpu

from interop.audit import sequencer
from interop.audit import service as audit_service
from interop.config import Settings

SCRIPTS = Path(__file__).parent / "pgbench"
TICK = os.sysconf("SC_CLK_TCK")
MODES = ("plain", "audited", "intake")


def _all_cpu(postmaster: int) -> float:
    """The server's CPU seconds: live processes (``_server_cpu``) plus the backends that have exited
    (pgbench's connections end with each run; the postmaster reaps them into its children's times)."""
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    return _server_cpu(postmaster) + (int(fields[13]) + int(fields[14])) / TICK


def _pgbench(url: str, script: str, seconds: int, clients: int) -> int:
    parts = urlparse(url.replace("+asyncpg", ""))
    # The embedded server's URL names its socket directory as ?host=…
    host = parse_qs(parts.query).get("host", [parts.hostname or "localhost"])[0]
    command = [
        shutil.which("pgbench") or "pgbench",
        *("-h", host, "-U", parts.username or "postgres"),
        *(("-p", str(parts.port)) if parts.port else ()),
        *("-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(seconds)),
        *("-f", str(SCRIPTS / f"{script}.sql"), parts.path.lstrip("/")),
    ]
    env = {"PGPASSWORD": parts.password or ""}
    run = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if run.returncode:
        raise RuntimeError(run.stderr)
    out = run.stdout
    line = next(x for x in out.splitlines() if x.startswith("number of transactions actually processed"))
    return int(line.split(":")[1].split("/")[0])


async def bench(url: str, data_dir: Path, rounds: int, seconds: int, clients: int) -> dict[str, object]:
    audit_service.configure(Settings(database_url=url, data_dir=data_dir))
    engine = create_async_engine(url)
    maker = async_sessionmaker(engine, expire_on_commit=False)
    async with maker() as session:
        await session.execute(
            text("CREATE TABLE IF NOT EXISTS bench_work (id bigserial PRIMARY KEY, payload text)")
        )
        backend = int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)
        await session.commit()
    postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    per_tx: dict[str, list[float]] = {m: [] for m in MODES}
    seq_client: dict[str, list[float]] = {m: [] for m in MODES[1:]}
    seq_pg: dict[str, list[float]] = {m: [] for m in MODES[1:]}
    for _ in range(rounds):
        for mode in MODES:
            before = _all_cpu(postmaster)
            done = await asyncio.to_thread(_pgbench, url, mode, seconds, clients)
            per_tx[mode].append((_all_cpu(postmaster) - before) * 1000 / done)
            if mode == "plain":
                continue
            # The sequencer's share for this mode's records: leaves only (audited), move and leaves (intake).
            client, server = time.process_time(), _all_cpu(postmaster)
            n = await sequencer.catch_up(maker, signer=audit_service.current_signer(), origin="bench")
            seq_client[mode].append((time.process_time() - client) * 1000 / max(n, 1))
            seq_pg[mode].append((_all_cpu(postmaster) - server) * 1000 / max(n, 1))
    result: dict[str, object] = {f"pg_cpu_ms_per_tx_{m}": [round(v, 3) for v in per_tx[m]] for m in MODES}
    for m in MODES[1:]:
        result[f"sequencing_ms_per_record_client_{m}"] = [round(v, 3) for v in seq_client[m]]
        result[f"sequencing_ms_per_record_pg_{m}"] = [round(v, 3) for v in seq_pg[m]]
    await engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/interop-bench-audit"))
    parser.add_argument("--database", default="bench_audit_pgbench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    url, server = asyncio.run(prepare_database(args.data_dir, args.database, fresh=True))
    try:
        result = asyncio.run(bench(url, args.data_dir, args.rounds, args.seconds, args.clients))
    finally:
        if server is not None:
            server.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
