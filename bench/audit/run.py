"""Audit bench: verification rate over N chained events beside raw sha256 over the same bytes, and the
latency that recording adds to a visit post (with vs without), in one run.

    /work/venv/bin/python bench/audit/run.py --events 10000000            # full run (~10 min)
    /work/venv/bin/python bench/audit/run.py --events 200000 --visits 100  # quick look

Uses DATABASE_URL when set, else an embedded PostgreSQL in --data-dir (kept between runs: a chain of the
requested size already there is reused). Events are generated with the production canonical form and
chain (``interop.audit.chain``) and loaded with COPY; only the primary key is kept during the load (the
search indexes play no part in verification). Prints one JSON summary at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import asyncpg
import httpx

from interop.audit import chain, verification
from interop.audit import service as audit_service
from interop.config import Settings
from interop.db import migrate
from interop.db.embedded import EmbeddedServer, ensure_database, start_embedded

COLUMNS = (*chain.ROW_FIELDS, "hash")
CHUNK = 50_000
START = datetime(2026, 1, 1, tzinfo=UTC)
SUBTYPES = [
    ("R", "read"),
    ("R", "read"),
    ("E", "search-type"),
    ("C", "create"),
    ("U", "update"),
    ("R", "vread"),
]
TYPES = ["Task", "ServiceRequest", "Patient", "Organization"]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate(n: int, seed: int = 7) -> Iterator[tuple[list[tuple[Any, ...]], list[bytes]]]:
    """Chunks of (rows in COLUMNS order without the hash, their canonical bytes), deterministic."""
    rng = random.Random(seed)
    clients = [f"clinic-{i:03d}" for i in range(50)] + ["bienestar-app", "reviewer-1"]
    patients = [_uuid(rng) for _ in range(20_000)]
    rows: list[tuple[Any, ...]] = []
    bodies: list[bytes] = []
    for seq in range(1, n + 1):
        action, subtype = SUBTYPES[seq % len(SUBTYPES)]
        entities = [{"id": _uuid(rng), "role": "domain-resource", "type": TYPES[seq % 4]}]
        if seq % 3 == 0:
            entities.append({"id": _uuid(rng), "role": "domain-resource", "type": "ServiceRequest"})
        row = (
            seq,
            START + timedelta(microseconds=seq * 3000),
            "rest",
            subtype,
            action,
            "0" if seq % 50 else "4",
            None,
            clients[seq % len(clients)],
            "clinic",
            f"user-{seq % 997}" if seq % 2 else None,
            f"10.{seq % 250}.{seq % 200}.{seq % 100}",
            f"{rng.getrandbits(96):024x}",
            f"{rng.getrandbits(128):032x}",
            f"Patient/{patients[seq % len(patients)]}",
            chain.entities_text(entities),
            "status=requested&_count=50" if subtype == "search-type" else None,
        )
        rows.append(row)
        bodies.append(chain.canonical_row(row))
        if len(rows) == CHUNK:
            yield rows, bodies
            rows, bodies = [], []
    if rows:
        yield rows, bodies


async def load(dsn: str, n: int) -> dict[str, float]:
    """Generate, chain and COPY n events; time the pure chained sha256 over the canonical bytes apart."""
    conn = await asyncpg.connect(dsn)
    try:
        existing = await conn.fetchval("SELECT coalesce(max(seq), 0) FROM audit_event")
        if existing == n and await conn.fetchval("SELECT count(*) FROM audit_event") == n:
            print(f"reusing the {n:,} events already loaded", file=sys.stderr)
            return {"reused": 1.0}
        # A bench database: the superuser lifts the append-only triggers to start from an empty chain.
        async with conn.transaction():
            for table in ("audit_event", "audit_checkpoint"):
                await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            await conn.execute("TRUNCATE audit_event, audit_checkpoint")
            for table in ("audit_event", "audit_checkpoint"):
                await conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        for index in ("entities", "client_id", "patient", "trace_id", "recorded_at"):
            await conn.execute(f"DROP INDEX IF EXISTS ix_audit_event_{index}")
        prev, hash_seconds, hashed_bytes = chain.GENESIS, 0.0, 0
        started = time.perf_counter()
        pending: asyncio.Task[str] | None = None
        for rows, bodies in generate(n):
            t = time.perf_counter()
            hashes = []
            for body in bodies:
                prev = chain.link(prev, body)
                hashes.append(prev)
            hash_seconds += time.perf_counter() - t
            hashed_bytes += sum(map(len, bodies))
            records = [(*row, digest) for row, digest in zip(rows, hashes, strict=True)]
            if pending is not None:
                await pending
            pending = asyncio.ensure_future(
                conn.copy_records_to_table("audit_event", records=records, columns=list(COLUMNS))
            )
            if rows[-1][0] % 1_000_000 < CHUNK:
                print(f"  loaded {rows[-1][0]:,}", file=sys.stderr)
        if pending is not None:
            await pending
        await conn.execute("ANALYZE audit_event")
        return {
            "load_seconds": time.perf_counter() - started,
            "raw_sha256_seconds": hash_seconds,
            "raw_sha256_bytes": float(hashed_bytes),
        }
    finally:
        await conn.close()


async def copy_out_floor(dsn: str) -> dict[str, float]:
    """Reading the same rows out of PostgreSQL with nothing done to them (COPY, one connection)."""
    conn = await asyncpg.connect(dsn)
    seen = 0

    async def sink(data: bytes) -> None:
        nonlocal seen
        seen += len(data)

    try:
        started = time.perf_counter()
        await conn.copy_from_query(
            f"SELECT {', '.join(COLUMNS)} FROM audit_event ORDER BY seq", output=sink, format="binary"
        )
        return {"copy_out_seconds": time.perf_counter() - started, "copy_out_bytes": float(seen)}
    finally:
        await conn.close()


def _visit(i: int) -> dict[str, Any]:
    return {
        "visit_id": f"BENCH-{i:07d}-{uuid.uuid4().hex[:6]}",
        "visit_date": "2026-11-20",
        "health_worker_id": "PROM-0042",
        "person": {
            "nombre": "ROSA MARIA",
            "primer_apellido": "PEREZ",
            "segundo_apellido": "LOPEZ",
            "fecha_nacimiento": "1950-03-14",
            "sexo": "M",
            "entidad": "DF",
            "municipio": "CUAUHTEMOC",
            "localidad": "CENTRO",
            "latitud": 19.4326,
            "longitud": -99.1332,
        },
        "findings": {"conditions": [{"code": "E11.9", "display": "Diabetes mellitus tipo 2"}]},
        "urgency": "routine",
    }


async def visit_overhead(url: str, data_dir: Path, visits: int) -> dict[str, float]:
    """Median latency of POST /v1/visits through the app, recording on vs ``record`` replaced by a no-op,
    interleaved in blocks so drift on a shared machine hits both alike."""
    from interop.auth.scopes import ROLE_SCOPES, Role
    from interop.auth.tokens import mint
    from interop.main import create_app

    settings = Settings(database_url=url, data_dir=data_dir, run_worker=False, rate_limit_per_minute=10**9)
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.execute(
            "INSERT INTO unit (clues, nombre, entidad, municipio, localidad, nivel, latitud, longitud, "
            "estatus, operating, organization_id, row_digest, field_issues) VALUES ('DFIMB000001', "
            "'Unidad bench', 'DF', 'CUAUHTEMOC', 'CENTRO', 1, 19.437, -99.135, 'EN OPERACION', true, "
            "gen_random_uuid(), 'x', '[]') ON CONFLICT DO NOTHING"
        )
    finally:
        await conn.close()
    app = create_app(settings)
    real_record = audit_service.record

    async def no_record(*args: Any, **kwargs: Any) -> None:
        return None

    timings: dict[bool, list[float]] = {True: [], False: []}
    async with app.router.lifespan_context(app):
        token = mint(
            app.state.keyring,
            settings,
            client_id="bench",
            role="bienestar",
            scopes=ROLE_SCOPES[Role.BIENESTAR],
            clues=frozenset(),
        )
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for i in range(20):  # warm up both paths
                r = await client.post("/v1/visits", json=_visit(-i - 1), headers=headers)
                assert r.status_code == 201, r.text
            block = 10
            for start in range(0, visits, block):
                for recording in (True, False) if (start // block) % 2 == 0 else (False, True):
                    audit_service.record = real_record if recording else no_record  # type: ignore[assignment]
                    for i in range(start, start + block):
                        t = time.perf_counter()
                        r = await client.post(
                            "/v1/visits", json=_visit(i * 2 + int(recording)), headers=headers
                        )
                        timings[recording].append(time.perf_counter() - t)
                        assert r.status_code == 201, r.text
            audit_service.record = real_record  # type: ignore[assignment]
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        events = await conn.fetchval("SELECT count(*) FROM audit_event")
    finally:
        await conn.close()
    with_ms = statistics.median(timings[True]) * 1000
    without_ms = statistics.median(timings[False]) * 1000
    return {
        "visit_posts_each": float(len(timings[True])),
        "visit_median_ms_with_audit": with_ms,
        "visit_median_ms_without_audit": without_ms,
        "visit_mean_ms_with_audit": statistics.fmean(timings[True]) * 1000,
        "visit_mean_ms_without_audit": statistics.fmean(timings[False]) * 1000,
        "visit_audit_overhead_pct": (with_ms / without_ms - 1) * 100,
        "audit_events_per_recorded_visit": events / (len(timings[True]) + 20),
    }


async def prepare_database(
    data_dir: Path, name: str, *, fresh: bool = False, migrate_db: bool = True
) -> tuple[str, EmbeddedServer | None]:
    server = None
    if os.environ.get("DATABASE_URL"):
        base = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+asyncpg://", 1)
        url = base.rsplit("/", 1)[0] + f"/{name}"
    else:
        server = await start_embedded(data_dir)
        url = server.url(name)
    if fresh:
        admin = await asyncpg.connect(
            urlparse(url.replace("+asyncpg", ""))._replace(path="/postgres").geturl()
        )
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
    await ensure_database(url)
    if migrate_db:  # off for the old code on a database the new code built (it knows fewer revisions)
        await asyncio.to_thread(migrate.upgrade, url)
    return url, server


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--visits", type=int, default=300, help="visit posts per mode (0 skips)")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/interop-bench-audit"))
    parser.add_argument("--only-visits", action="store_true", help="skip the chain: time visit posts only")
    args = parser.parse_args()

    result: dict[str, Any] = {"events": args.events, "workers": args.workers, "cpus": os.cpu_count()}
    url, server = asyncio.run(prepare_database(args.data_dir, "bench_audit"))
    try:
        run(args, url, result)
    finally:
        if server is not None:
            server.stop()
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}, indent=2))


def run(args: argparse.Namespace, url: str, result: dict[str, Any]) -> None:
    if not args.only_visits:
        run_chain(args, url, result)
    if args.visits:
        print("timing visit posts with and without recording…", file=sys.stderr)
        visit_url, _ = asyncio.run(prepare_database(args.data_dir, "bench_audit_visits", fresh=True))
        result.update(asyncio.run(visit_overhead(visit_url, args.data_dir / "app", args.visits)))


def run_chain(args: argparse.Namespace, url: str, result: dict[str, Any]) -> None:
    dsn = url.replace("+asyncpg", "")
    print(f"generating and loading {args.events:,} events…", file=sys.stderr)
    result.update(asyncio.run(load(dsn, args.events)))

    settings = Settings(database_url=url, data_dir=args.data_dir / "app")
    verifier = audit_service.configure(settings).verifier
    print("verifying…", file=sys.stderr)
    report = verification.verify_parallel(dsn, verifier=verifier, workers=args.workers)
    assert report.ok, report
    assert report.events_checked == args.events
    result["verify_seconds"] = report.seconds
    result["verify_events_per_s"] = args.events / report.seconds
    if "raw_sha256_seconds" not in result:  # a reused chain: time sha256 over the first 1 M entries' bytes
        sample = min(args.events, 1_000_000)
        prev, seconds, size = chain.GENESIS, 0.0, 0
        for _, bodies in generate(sample):
            t = time.perf_counter()
            for body in bodies:
                prev = chain.link(prev, body)
            seconds += time.perf_counter() - t
            size += sum(map(len, bodies))
        scale = args.events / sample
        result["raw_sha256_seconds"] = seconds * scale
        result["raw_sha256_bytes"] = size * scale
        result["raw_sha256_note"] = f"measured on the first {sample:,} entries, scaled"
    if "raw_sha256_seconds" in result:
        result["raw_sha256_events_per_s"] = args.events / result["raw_sha256_seconds"]
        result["raw_sha256_MB_per_s"] = result["raw_sha256_bytes"] / result["raw_sha256_seconds"] / 1e6
        result["verify_over_raw_sha256"] = report.seconds / result["raw_sha256_seconds"]
    result.update(asyncio.run(copy_out_floor(dsn)))
    result["verify_over_copy_out"] = report.seconds / result["copy_out_seconds"]


if __name__ == "__main__":
    main()
