"""Full verification of a big Merkle tree log (issue 19: 10 M events in ≤ 60 s), beside its floor in the same
run (:func:`floor`, PostgreSQL's CPU and ours apart): the leaves' text out of PostgreSQL by COPY with nothing
done to it, the same read with one sha256 per line, and the verifier's own statement (PostgreSQL hashing
each leaf) with its result dropped. Load average printed beside every figure.

    nice -n 5 env PYTHONPATH=src /work/main/.venv/bin/python bench/audit/tree_scale.py \\
        --events 10000000 --data-dir /work/data/s19c --workers 2 --workers 3

The records (written as requests write them now: one patient each, spread over five months so they fill
five monthly partitions) and their tree (leaves, every perfect-subtree node, a signed head every 20,000
leaves, as the sequencer stores them) are built once in the database ``bench_audit_scale`` and reused by
later runs (the signing key is kept beside it). The search indexes are dropped during the build: the
verification does not use them. ``--single`` also times the one-process walk.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).parent))
from run import prepare_database

from interop.audit import checkpoint as cp
from interop.audit import leaf, merkle, tree_verification
from interop.audit.signing import Signer

ORIGIN = "bench.interop/audit"
HEAD_EVERY = 20_000
START = datetime(2026, 7, 1, tzinfo=UTC)
SPREAD_S = 1.3  # seconds between records: 10 M span about five months
_TABLES = ("audit_event", "audit_event_patient", "audit_leaf", "audit_node", "audit_head")


_EVENTS = """
INSERT INTO audit_event (seq, recorded_at, type, subtype, action, outcome, client_id, role, user_id,
                         network_address, request_id, trace_id, entities, query, patients, xid)
SELECT g, $2::timestamptz + make_interval(secs => g * $3::float8), 'rest',
       (ARRAY['read', 'read', 'search-type', 'create', 'update', 'vread'])[g % 6 + 1],
       (ARRAY['R', 'R', 'E', 'C', 'U', 'R'])[g % 6 + 1],
       CASE WHEN g % 50 = 0 THEN '4' ELSE '0' END,
       'clinic-' || lpad((g % 52)::text, 3, '0'), 'clinic',
       CASE WHEN g % 2 = 1 THEN 'user-' || (g % 997) END,
       '10.' || (g % 250) || '.' || (g % 200) || '.' || (g % 100),
       left(md5('r' || g), 24), md5('t' || g),
       '[{"id":"' || md5('e' || g)::uuid || '","role":"domain-resource","type":"'
           || (ARRAY['Task', 'ServiceRequest', 'Patient', 'Organization'])[g % 4 + 1] || '"}'
           || CASE WHEN g % 3 = 0
                   THEN ',{"id":"' || md5('s' || g)::uuid
                        || '","role":"domain-resource","type":"ServiceRequest"}'
                   ELSE '' END || ']',
       CASE WHEN g % 6 = 2 THEN 'status=requested&_count=50' END,
       '["Patient/' || md5('p' || (g % 20000))::uuid || '"]', 1
FROM generate_series(1, $1::bigint) AS g
"""


def _json(column: str) -> str:
    return f"coalesce('\"' || {column} || '\"', 'null')"


_LEAF_HASHES = f"""
INSERT INTO audit_node (level, idx, hash)
SELECT 0, seq - 1, sha256('\\x00'::bytea || convert_to(
    '{{"action":"' || action || '","address":' || {_json("network_address")} || ',"client":"' || client_id
    || '","entities":' || entities || ',"outcome":"' || outcome
    || '","outcome_desc":' || {_json("outcome_desc")} || ',"patient":' || {_json("patient")}
    || ',"patients":' || patients || ',"query":' || {_json("query")}
    || ',"recorded":"' || to_char(recorded_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    || '","request":"' || request_id
    || '","role":"' || role || '","seq":' || seq || ',"subtype":"' || subtype || '","trace":"' || trace_id
    || '","type":"' || type || '","user":' || {_json("user_id")} || '}}', 'UTF8'))
FROM audit_event
"""
_LEVEL_UP = """
INSERT INTO audit_node (level, idx, hash)
SELECT $1::smallint + 1, idx / 2, sha256('\\x01'::bytea || hash || right_hash)
FROM (SELECT idx, hash, lead(hash) OVER (ORDER BY idx) AS right_hash
      FROM audit_node WHERE level = $1) AS pairs
WHERE idx % 2 = 0 AND right_hash IS NOT NULL
"""


def _load() -> float:
    return os.getloadavg()[0]


def _own_cpu() -> float:
    """CPU seconds of this process and its reaped children (the verifier's worker processes)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _server_cpu(pid: int | None) -> float:
    """CPU seconds of PostgreSQL: the postmaster, its ended children (backends of closed connections) and
    the live ones; 0 when the server is not ours (``DATABASE_URL``)."""
    if pid is None:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")

    def stat(p: int) -> list[str]:
        return Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()

    fields = stat(pid)
    total = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            total += sum(int(f) for f in stat(int(child))[11:13])
        except OSError:  # ended meanwhile: its time is in the postmaster's cutime by the next reading
            continue
    return total / tick


async def build(dsn: str, n: int, signer: Signer) -> dict[str, float]:
    conn = await asyncpg.connect(dsn)
    try:
        if await conn.fetchval("SELECT coalesce(max(tree_size), 0) FROM audit_head") == n:
            print(f"reusing the {n:,}-leaf tree already built", file=sys.stderr)
            return {}
        if await conn.fetchval("SELECT count(*) FROM audit_node WHERE level = 0") == n:
            print("records and leaf hashes there: building the levels above", file=sys.stderr)
            started = time.perf_counter()
            await _levels_and_heads(conn, n, signer)
            return {"build_levels_seconds": time.perf_counter() - started}
        async with conn.transaction():  # a bench database: the superuser lifts every partition's triggers
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(f"TRUNCATE {', '.join(_TABLES)}")
        for index in ("entities", "trace_id", "recorded_at", "xid"):
            await conn.execute(f"DROP INDEX IF EXISTS ix_audit_event_{index}")
        end = START + timedelta(seconds=SPREAD_S * (n + 1))
        await conn.execute(
            "SELECT audit_partition_create(m::date) FROM generate_series($1::timestamptz, $2, '1 month') m",
            START,
            end,
        )
        started = time.perf_counter()
        await conn.execute("SET TIME ZONE 'UTC'")
        # Built by PostgreSQL (C speed; no Python per row): the records, then each leaf hash from the
        # record's canonical form written out in SQL (the generated values need no JSON escaping), then
        # every perfect subtree level by level. Checked against interop.audit.leaf on a sample below.
        await conn.execute(_EVENTS, n, START, SPREAD_S)
        print(f"  records in (load {_load():.1f})", file=sys.stderr)
        await conn.execute("INSERT INTO audit_leaf (leaf_index, seq) SELECT seq - 1, seq FROM audit_event")
        await conn.execute(_LEAF_HASHES)
        print(f"  leaf hashes in (load {_load():.1f})", file=sys.stderr)
        sample = await conn.fetch(
            f"SELECT {', '.join(leaf.LEAF_FIELDS)} FROM audit_event WHERE seq IN (1, 2, 3, 6, 50, $1)", n
        )
        for row in sample:
            stored = await conn.fetchval(
                "SELECT hash FROM audit_node WHERE level = 0 AND idx = $1", row[0] - 1
            )
            assert merkle.leaf_hash(leaf.canonical_leaf(list(row))) == stored, row[0]
        await _levels_and_heads(conn, n, signer)
        return {"build_seconds": time.perf_counter() - started}
    finally:
        await conn.close()


async def _levels_and_heads(conn: asyncpg.Connection, n: int, signer: Signer) -> None:
    async with conn.transaction():  # a build cut short before: start over (the superuser lifts the trigger)
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute("DELETE FROM audit_node WHERE level > 0")
    level, count = 0, n
    while count > 1:
        await conn.execute(_LEVEL_UP, level)
        level, count = level + 1, count // 2
    print(f"  nodes in (load {_load():.1f})", file=sys.stderr)
    sizes = [*range(HEAD_EVERY, n + 1, HEAD_EVERY)] + ([n] if n % HEAD_EVERY else [])
    wanted = merkle.needed_nodes((0, s) for s in sizes)
    found = {
        (int(r[0]), int(r[1])): bytes(r[2])
        for r in await conn.fetch(
            "SELECT n.level, n.idx, n.hash FROM audit_node n JOIN unnest($1::smallint[], $2::bigint[]) "
            "AS k(level, idx) ON n.level = k.level AND n.idx = k.idx",
            [k[0] for k in wanted],
            [k[1] for k in wanted],
        )
    }
    heads = []
    for size in sizes:
        root = merkle.root(size, found)
        body = cp.format_checkpoint(ORIGIN, size, root)
        heads.append((size, root, datetime.now(UTC), signer.key_id, body, signer.sign(body.encode()), 1))
    await conn.copy_records_to_table(
        "audit_head",
        records=heads,
        columns=["tree_size", "root_hash", "created_at", "kid", "checkpoint", "signature", "watermark"],
    )
    for table in _TABLES:
        await conn.execute(f"VACUUM ANALYZE {table}")


# What the verifier read up to session 8: each leaf's text, written by PostgreSQL, out by COPY.
_LEAF_TEXT = (
    "SELECT l.leaf_index, " + leaf.SQL_LEAF + " FROM audit_leaf l "
    "LEFT JOIN audit_event e ON e.seq = l.seq AND e.seq BETWEEN $1 AND $2 "
    "WHERE l.leaf_index >= $3 AND l.leaf_index < $4"
)


async def floor(dsn: str, pg_pid: int | None) -> dict[str, float]:
    """Where the verification's time goes, range by range on one connection, PostgreSQL's CPU and ours
    apart: the leaf text out by COPY with nothing done to it (the old verifier's read), the same with one
    sha256 a line (the least a verifier hashing in Python must do), and the statement the verifier runs now
    (PostgreSQL hashes each leaf) with its value dropped."""
    conn = await asyncpg.connect(dsn)
    size = await tree_verification.tree_size(conn)
    ranges = tree_verification._ranges(size, tree_verification.RANGE_LEVEL)
    out: dict[str, float] = {}
    try:
        for name in ("copy_out", "copy_out_sha256", "sql_hashed"):
            seen = 0
            rest = b""

            async def sink(data: bytes, hashing: bool = name == "copy_out_sha256") -> None:
                nonlocal seen, rest
                seen += len(data)
                if hashing:
                    lines = (rest + data).split(b"\n")
                    rest = lines.pop()
                    sha256 = hashlib.sha256
                    for line in lines:
                        sha256(line).digest()

            load, started = _load(), time.perf_counter()
            own, pg = _own_cpu(), _server_cpu(pg_pid)
            async with conn.transaction(readonly=True, isolation="repeatable_read"):
                await conn.execute(tree_verification._ONE_SCAN)
                for start, stop in ranges:
                    low, high = await conn.fetchrow(tree_verification._SEQ_BOUNDS, start, stop)
                    if name == "sql_hashed":
                        query = tree_verification._HASHED.format(low=low, high=high, start=start, stop=stop)
                        seen += len(await conn.fetchval(query))
                        continue
                    query = _LEAF_TEXT.replace("$1", str(low)).replace("$2", str(high))
                    query = query.replace("$3", str(start)).replace("$4", str(stop))
                    await conn.copy_from_query(query, output=sink, format="text", null="")
            out[f"{name}_seconds"] = time.perf_counter() - started
            out[f"{name}_postgres_cpu_seconds"] = _server_cpu(pg_pid) - pg
            out[f"{name}_python_cpu_seconds"] = _own_cpu() - own
            out[f"{name}_load_avg"] = max(load, _load())
            out[f"{name}_bytes"] = float(seen)
    finally:
        await conn.close()
    return out


async def single(dsn: str, signer: Signer) -> tree_verification.TreeReport:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction(readonly=True, isolation="repeatable_read"):
            return await tree_verification.verify_tree(conn, verifier=signer.verifier)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, action="append", help="repeatable; default 2")
    parser.add_argument("--single", action="store_true", help="also time the one-process walk")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--no-floor", action="store_true", help="skip the two COPY-out floor runs")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/interop-bench-audit"))
    parser.add_argument(
        "--postmaster-pid",
        type=int,
        help="with DATABASE_URL: the server's postmaster on this machine, so that its CPU is counted too",
    )
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    key = args.data_dir / "bench-audit-ed25519.pem"
    if not key.exists():
        key.write_bytes(Signer.generate().private_pem())
    signer = Signer.from_pem(key.read_bytes())
    url, server = asyncio.run(prepare_database(args.data_dir, "bench_audit_scale"))
    dsn = url.replace("+asyncpg", "")
    result: dict[str, Any] = {"events": args.events, "cpus": os.cpu_count()}
    try:
        result.update(asyncio.run(build(dsn, args.events, signer)))
        if not args.build_only:
            pg_pid = server.postmaster_pid() if server is not None else args.postmaster_pid
            if not args.no_floor:
                result.update(asyncio.run(floor(dsn, pg_pid)))
            runs: list[tuple[str, Any]] = [(f"parallel_{w}", w) for w in args.workers or [2]]
            if args.single:
                runs.append(("single", None))
            for name, workers in runs:
                load, started = _load(), time.perf_counter()
                own, pg = _own_cpu(), _server_cpu(pg_pid)
                if workers is None:
                    report = asyncio.run(single(dsn, signer))
                else:
                    report = asyncio.run(
                        tree_verification.verify_tree_parallel(dsn, verifier=signer.verifier, workers=workers)
                    )
                seconds = time.perf_counter() - started
                result[f"verify_{name}_verifier_cpu_seconds"] = _own_cpu() - own
                result[f"verify_{name}_postgres_cpu_seconds"] = _server_cpu(pg_pid) - pg
                assert report.reason is None, report.reason
                assert report.leaves_checked == args.events, report
                result[f"verify_{name}_seconds"] = seconds
                result[f"verify_{name}_per_s"] = args.events / seconds
                result[f"verify_{name}_load_avg"] = max(load, _load())
                if not args.no_floor:
                    result[f"verify_{name}_over_copy_out"] = seconds / result["copy_out_seconds"]
                    result[f"verify_{name}_over_copy_out_sha256"] = (
                        seconds / result["copy_out_sha256_seconds"]
                    )
                result["heads_checked"] = report.heads_checked
    finally:
        if server is not None:
            server.stop()
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}, indent=2))


if __name__ == "__main__":
    main()
