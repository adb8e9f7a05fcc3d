"""Audit write-path bench (issue 19): audited transactions per second at concurrency 1, 4 and 16 against
the same transactions without audit, and PostgreSQL CPU per clinic pull of 100 Tasks, in one run.

    PYTHONPATH=src /work/main/.venv/bin/python bench/audit/throughput.py
    PYTHONPATH=/work/wt/base/src /work/main/.venv/bin/python bench/audit/throughput.py   # the old code

A transaction is the raw work of a small write (one INSERT into a bench table, as a Task update does)
then COMMIT; audited, it also records one audit event (one patient) through ``audit_service.record``,
exactly as the API does. Each concurrency runs both modes for ``--seconds`` each, interleaved in halves.
PostgreSQL CPU per transaction (one writer, each mode for half ``--seconds``) is measured
like the pulls'. A clinic pull is one transaction reading 100 rows and recording the search (100 Task
entities, 100
patients), as ``GET /fhir/Task`` does; its PostgreSQL CPU is the user+system time of every process of
this PostgreSQL server (backends, WAL writer, checkpointer…, from /proc) over ``--pulls`` pulls, with and
without the record. ``cN_cpu_ms_per_tx_*`` is the client's (this process) plus the server's CPU per
transaction at concurrency N, and ``cN_cpu_ratio`` the unaudited over the audited one: what the rate
ratio would be on a box where both modes are CPU-bound, and much steadier than the rates on a shared
one. ``--with-sequencer`` runs the sequencer's loop in this process during the rates and the pulls, as
the job worker does beside the requests; either way the records are then sequenced to the end and that
step's CPU per record is printed (``sequencing_*``: with the intake it includes the move into the
searchable tables). Uses DATABASE_URL when set (then only the client's CPU is counted), else an
embedded PostgreSQL in --data-dir. Prints one JSON summary; ratios are audited / unaudited.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

sys.path.insert(0, str(Path(__file__).parent))
from run import prepare_database

from interop.audit import sequencer
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.config import Settings
from interop.context import Actor, RequestContext

TICK = os.sysconf("SC_CLK_TCK")


def _ctx(i: int) -> RequestContext:
    return RequestContext(
        actor=Actor(client_id=f"clinic-{i % 50:03d}", role="clinic", user=None),
        request_id=f"bench-{i}",
        trace_id=f"{i:032x}",
        network_address="10.0.0.7",
    )


async def _transactions(
    maker: async_sessionmaker[AsyncSession], concurrency: int, seconds: float, audited: bool
) -> tuple[int, float]:
    """Transactions done by ``concurrency`` writers in about ``seconds``, and the wall time they took."""
    done = 0
    started = time.perf_counter()
    deadline = started + seconds

    async def worker(w: int) -> None:
        nonlocal done
        i = w
        while time.perf_counter() < deadline:
            # Both modes build the request's context: the API does for every request, audited or not.
            ctx = _ctx(i)
            async with maker() as session:
                await session.execute(text("INSERT INTO bench_work (payload) VALUES (:p)"), {"p": f"t{i}"})
                if audited:
                    await audit_service.record(
                        session,
                        ctx,
                        action="U",
                        subtype="update",
                        entities=[AuditEntity(type="Task", id=f"task-{i}")],
                        patients=[f"p-{i}"],
                    )
                await session.commit()
            done += 1
            i += concurrency

    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return done, time.perf_counter() - started


def _server_cpu(postmaster: int) -> float:
    """User + system seconds of the postmaster and all its children."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == postmaster or int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / TICK


async def _pulls(
    maker: async_sessionmaker[AsyncSession], n: int, audited: bool, postmaster: int | None
) -> float:
    before = _server_cpu(postmaster) if postmaster else 0.0
    for k in range(n):
        async with maker() as session:
            ids = (await session.execute(text("SELECT id FROM bench_task ORDER BY id LIMIT 100"))).scalars()
            rows = list(ids)
            if audited:
                await audit_service.record(
                    session,
                    _ctx(k),
                    action="E",
                    subtype="search-type",
                    entities=[AuditEntity(type="Task", id=str(r)) for r in rows],
                    patients=[f"Patient/p-{r}" for r in rows],
                    query="status=requested&owner:identifier=***",
                )
            await session.commit()
    return ((_server_cpu(postmaster) - before) * 1000 / n) if postmaster else float("nan")


async def _sequencing(
    maker: async_sessionmaker[AsyncSession], postmaster: int | None
) -> tuple[float, float, int]:
    """Sequence everything committed: client and server CPU in ms, and the records sequenced."""
    client, server = time.process_time(), _server_cpu(postmaster) if postmaster else 0.0
    n = await sequencer.catch_up(maker, signer=audit_service.current_signer(), origin="bench")
    pg = (_server_cpu(postmaster) - server) * 1000 if postmaster else float("nan")
    return (time.process_time() - client) * 1000, pg, n


def _load() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


async def _rates(
    maker: async_sessionmaker[AsyncSession], postmaster: int | None, c: int, seconds: float, rounds: int
) -> dict[str, Any]:
    """``rounds`` pairs of runs at concurrency ``c``, unaudited and audited alternated (ABBA: each mode goes
    first in every other round, so a trend in the box's load does not favour one), each ``seconds`` long.
    Per round: the rate ratio (audited / unaudited) and the CPU ratio (unaudited / audited CPU per
    transaction, client + server: what the rate ratio would be on a box where both modes are CPU-bound,
    and much steadier than the rates on a shared one). Medians and the spread over the rounds."""
    load = _load()
    tps: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}  # ms per transaction, client + server
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    for r in range(rounds):
        for audited in (False, True) if r % 2 == 0 else (True, False):
            before = time.process_time() + (_server_cpu(postmaster) if postmaster else 0.0)
            done, elapsed = await _transactions(maker, c, seconds, audited)
            spent = time.process_time() + (_server_cpu(postmaster) if postmaster else 0.0) - before
            tps[audited].append(done / elapsed)
            cpu[audited].append(spent * 1000 / done)
        ratios.append(tps[True][-1] / tps[False][-1])
        cpu_ratios.append(cpu[False][-1] / cpu[True][-1])
    out: dict[str, Any] = {f"c{c}_load": f"{load} -> {_load()}"}
    for audited, key in ((True, "audited"), (False, "unaudited")):
        out[f"c{c}_{key}_tps"] = _spread(tps[audited])
        out[f"c{c}_cpu_ms_per_tx_{key}"] = _spread(cpu[audited])
    out[f"c{c}_ratio"] = _spread(ratios)
    out[f"c{c}_cpu_ratio"] = _spread(cpu_ratios)
    out[f"c{c}_audit_cpu_ms_per_tx"] = _spread([a - u for a, u in zip(cpu[True], cpu[False], strict=True)])
    return out


async def bench(
    url: str,
    data_dir: Path,
    seconds: float,
    pulls: int,
    *,
    with_sequencer: bool = False,
    rounds: int = 3,
    concurrencies: tuple[int, ...] = (1, 4, 16),
    rates_only: bool = False,
) -> dict[str, Any]:
    audit_service.configure(Settings(database_url=url, data_dir=data_dir))
    engine = create_async_engine(url, pool_size=20, max_overflow=0)
    maker = async_sessionmaker(engine, expire_on_commit=False)
    async with maker() as session:
        await session.execute(
            text("CREATE TABLE IF NOT EXISTS bench_work (id bigserial PRIMARY KEY, payload text)")
        )
        await session.execute(text("CREATE TABLE IF NOT EXISTS bench_task (id bigint PRIMARY KEY)"))
        await session.execute(
            text("INSERT INTO bench_task SELECT g FROM generate_series(1, 100) g ON CONFLICT DO NOTHING")
        )
        backend = int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)
        await session.commit()
    postmaster = None
    if not os.environ.get("DATABASE_URL"):
        postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    result: dict[str, Any] = {}
    await _transactions(maker, 4, 1.0, True)  # warm up the pool and the caches
    stop = asyncio.Event()
    loop = None
    if with_sequencer:  # as the job worker runs it beside the requests: a step every half merge delay
        loop = asyncio.create_task(
            sequencer.run(
                maker, signer=audit_service.current_signer(), origin="bench", max_merge_delay_s=1.0, stop=stop
            )
        )
    result["load_start"] = _load()
    for c in concurrencies:
        result.update(await _rates(maker, postmaster, c, seconds, rounds))
    if loop is not None:  # the sequencer ran beside the rates only: the CPU figures below are apart
        stop.set()
        await loop
    await _sequencing(maker, postmaster)  # what is left, so the next figures are the requests' alone
    if rates_only:
        result["load_end"] = _load()
        await engine.dispose()
        return result
    # PostgreSQL CPU per small transaction, one writer: what the record's row, its index entries and its
    # side row cost the server (robust to a busy machine, unlike rates).
    for audited in (False, True):
        before = _server_cpu(postmaster) if postmaster else 0.0
        done, _ = await _transactions(maker, 1, seconds / 2, audited)
        key = "audited" if audited else "unaudited"
        result[f"tx_pg_cpu_ms_{key}"] = (
            (_server_cpu(postmaster) - before) * 1000 / done if postmaster else float("nan")
        )
    result["tx_pg_cpu_ms_for_audit"] = result["tx_pg_cpu_ms_audited"] - result["tx_pg_cpu_ms_unaudited"]
    # What sequencing costs (the job worker's share, off the request path), for the one-writer records
    # and then for the pulls' records: with the intake (migration 0022) the move into the searchable
    # tables is in it, so this is where an intake must not merely push the work. Client + server CPU.
    client_ms, pg_ms, n = await _sequencing(maker, postmaster)
    result["sequencing_small_records"] = n
    result["sequencing_ms_per_small_record_client"] = client_ms / max(n, 1)
    result["sequencing_ms_per_small_record_pg"] = pg_ms / max(n, 1)
    await _pulls(maker, 20, True, None)
    without = await _pulls(maker, pulls, False, postmaster)
    with_audit = await _pulls(maker, pulls, True, postmaster)
    result["pull100_pg_cpu_ms_unaudited"] = without
    result["pull100_pg_cpu_ms_audited"] = with_audit
    result["pull100_pg_cpu_ms_for_audit"] = with_audit - without
    client_ms, pg_ms, n = await _sequencing(maker, postmaster)
    result["pull100_sequencing_ms_client"] = client_ms / (pulls + 20)  # the warm-up pulls too
    result["pull100_sequencing_ms_pg"] = pg_ms / (pulls + 20)
    async with maker() as session:
        result["audit_rows"] = await session.scalar(text("SELECT count(*) FROM audit_event"))
        result["intake"] = bool(await session.scalar(text("SELECT to_regclass('audit_intake') IS NOT NULL")))
    result["load_end"] = _load()
    await engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="per run (a mode, a concurrency, a round)")
    parser.add_argument("--rounds", type=int, default=3, help="audited/unaudited pairs per concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--rates-only", action="store_true", help="skip the per-transaction and pull figures")
    parser.add_argument("--pulls", type=int, default=300)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/interop-bench-audit"))
    parser.add_argument("--database", default="bench_audit_throughput")
    parser.add_argument(
        "--with-sequencer",
        action="store_true",
        help="run the sequencer's loop beside the writers, as the job worker does",
    )
    args = parser.parse_args()
    url, server = asyncio.run(prepare_database(args.data_dir, args.database, fresh=True))
    try:
        result = asyncio.run(
            bench(
                url,
                args.data_dir,
                args.seconds,
                args.pulls,
                with_sequencer=args.with_sequencer,
                rounds=args.rounds,
                concurrencies=tuple(args.concurrency),
                rates_only=args.rates_only,
            )
        )
    finally:
        if server is not None:
            server.stop()
    print(json.dumps(_rounded(result), indent=2))


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


if __name__ == "__main__":
    main()
