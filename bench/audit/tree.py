"""Merkle tree bench (issue 19): sequencing rate, inclusion and consistency proof latency from the stored
nodes, and full tree verification rate, over N records as requests write them (no chain hash, the
patients in ``patients``; one patient each here).

    PYTHONPATH=src /work/main/.venv/bin/python bench/audit/tree.py --events 200000

Uses DATABASE_URL when set, else an embedded PostgreSQL in --data-dir. The database ``bench_audit_tree``
is dropped and rebuilt each run. Prints one JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

sys.path.insert(0, str(Path(__file__).parent))
from run import generate, prepare_database

from interop.audit import leaf, proofs, sequencer, tree_verification
from interop.audit.models import AuditHead
from interop.audit.signing import Signer

ORIGIN = "bench.interop/audit"


async def bench(url: str, n: int, samples: int) -> dict[str, Any]:
    dsn = url.replace("+asyncpg", "")
    conn = await asyncpg.connect(dsn)
    started = time.perf_counter()
    for rows, _ in generate(n):
        records = [(*r[:13], None, *r[14:], leaf.patients_text([r[13]]) if r[13] else None) for r in rows]
        await conn.copy_records_to_table("audit_event", records=records, columns=list(leaf.LEAF_FIELDS))
    load = time.perf_counter() - started
    signer = Signer.generate()
    engine = create_async_engine(url)
    maker = async_sessionmaker(engine, expire_on_commit=False)
    started = time.perf_counter()
    added = await sequencer.catch_up(maker, signer=signer, origin=ORIGIN)
    sequencing = time.perf_counter() - started
    assert added == n, added
    rng = random.Random(1)
    inclusion, consistency = [], []
    async with maker() as session:
        for _ in range(samples):
            t = time.perf_counter()
            await proofs.inclusion(session, index=rng.randrange(n), tree_size=n)
            inclusion.append(time.perf_counter() - t)
        sizes = [int(s) for s in await session.scalars(select(AuditHead.tree_size))]
        for _ in range(min(samples, 200)):
            t = time.perf_counter()
            await proofs.consistency(session, first=rng.choice(sizes), second=n)
            consistency.append(time.perf_counter() - t)
    await engine.dispose()
    started = time.perf_counter()
    async with conn.transaction(readonly=True, isolation="repeatable_read"):
        report = await tree_verification.verify_tree(conn, verifier=signer.verifier)
    verify = time.perf_counter() - started
    await conn.close()
    assert report.reason is None, report.reason

    def ms(values: list[float], q: float) -> float:
        return 1000 * statistics.quantiles(values, n=100)[int(q) - 1]

    return {
        "events": n,
        "load_seconds": load,
        "sequencing_seconds": sequencing,
        "sequenced_per_second": n / sequencing,
        "heads": report.heads_checked,
        "inclusion_ms_p50": ms(inclusion, 50),
        "inclusion_ms_p99": ms(inclusion, 99),
        "consistency_ms_p50": ms(consistency, 50),
        "consistency_ms_p99": ms(consistency, 99),
        "verify_seconds": verify,
        "verified_per_second": n / verify,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/interop-bench-audit"))
    args = parser.parse_args()
    url, server = asyncio.run(prepare_database(args.data_dir, "bench_audit_tree", fresh=True))
    try:
        result = asyncio.run(bench(url, args.events, args.samples))
    finally:
        if server is not None:
            server.stop()
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}, indent=2))


if __name__ == "__main__":
    main()
