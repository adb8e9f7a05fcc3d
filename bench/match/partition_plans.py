"""Partitioning ``match_record`` by entidad: what each layout costs the online ``$match``, measured side by
side on one loaded database (issue 20 item 4; the figures and the recommendation are in docs/scale.md).

    python bench/match/partition_plans.py --work /tmp/bm100k --probes 300      # after bench.py --work …

Builds, beside the real tables and without touching them, in the schema ``exp_part``:

- ``rec_p``: a copy of ``match_record`` LIST-partitioned by entidad (one partition per code, one for a
  missing entidad), with the eleven blocking indexes on the parent: last session's layout (branch s20c);
- ``key_g``: one unpartitioned table holding, per record, the blocking key columns and its partition
  key (``pkey``), with the same eleven indexes: the global index from blocking key to (entidad,
  record) that the partitioned feature table is then read through, partition key in the predicate.

Then runs ``service.match_online`` (the whole in-process ``$match``: candidates, scoring, refusals,
calibration) on the same probes (registry rows drawn as ``bench.py --latency`` draws them), the layouts
interleaved probe by probe, each on its own connection so each keeps its own prepared statements:

- ``today``: the unpartitioned ``match_record``;
- ``partitioned``: the 22 blocking lookups on ``rec_p`` (s20c), and ``partitioned_generic`` the same
  with ``plan_cache_mode = force_generic_plan``;
- ``global_index``: the lookups on ``key_g``, the features read from ``rec_p`` joined on
  ``(pkey, source, record_id)``, and ``global_index_generic``.

Also ``EXPLAIN (ANALYZE)`` planning and execution time of the candidate query of each layout, and how many
partitions the global-index read opened. Prints one JSON document; nothing here is asserted.

It copies the wide ``match_record`` of before migration 0020 (which built the global-index layout):
run it with that revision's code on a database at 0019 (``PYTHONPATH=/work/wt/base/src`` before the
merge). The built layout against the old one: ``layout_latency.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import probe_of, probe_rows
from interop.config import Settings
from interop.db.runtime import open_database, prepare
from interop.matching import online, service
from interop.matching.blocking import BLOCKING_INDEXES, BLOCKING_RULES, index_predicate, key_sql
from interop.matching.features import MatchFeatures

# Every stored column a lookup rechecks (the indexes hold hashes of theirs).
KEY_COLUMNS = sorted({stored for rule in BLOCKING_RULES for _, stored in rule.pairs})
SCHEMA = "exp_part"


def _indexes(table: str) -> list[str]:
    return [
        f"CREATE INDEX ON {SCHEMA}.{table} ({key_sql(cols)}) WHERE {index_predicate(name)}"
        for name, cols in BLOCKING_INDEXES.items()
    ]


async def build(session: Any) -> dict[str, Any]:
    """The two layouts' tables, filled from ``match_record`` (seconds per step in the result)."""
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    await session.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    await session.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    codes = [
        r[0]
        for r in (
            await session.execute(text("SELECT DISTINCT entidad FROM match_record WHERE entidad IS NOT NULL"))
        ).all()
    ]
    # The partition key is never NULL: a record without entidad lives in partition '00', so that a
    # read naming (pkey, source, record_id) always prunes to one partition.
    await session.execute(
        text(
            f"CREATE TABLE {SCHEMA}.rec_p (LIKE match_record, pkey char(2) NOT NULL) PARTITION BY LIST (pkey)"
        )
    )
    for code in [*codes, "00"]:
        await session.execute(
            text(
                f"CREATE TABLE {SCHEMA}.rec_p_{code.lower()} PARTITION OF {SCHEMA}.rec_p "
                f"FOR VALUES IN ('{code}')"
            )
        )
    await session.execute(
        text(f"INSERT INTO {SCHEMA}.rec_p SELECT m.*, coalesce(m.entidad, '00') FROM match_record m")
    )
    out["partitions"] = len(codes) + 1
    out["rec_p_fill_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    await session.execute(text(f"ALTER TABLE {SCHEMA}.rec_p ADD PRIMARY KEY (source, record_id, pkey)"))
    for ddl in _indexes("rec_p"):
        await session.execute(text(ddl))
    out["rec_p_index_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    cols = ", ".join(KEY_COLUMNS)
    await session.execute(
        text(
            f"CREATE TABLE {SCHEMA}.key_g AS SELECT source, record_id, "
            f"coalesce(entidad, '00')::char(2) AS pkey, {cols} FROM match_record"
        )
    )
    await session.execute(text(f"ALTER TABLE {SCHEMA}.key_g ADD PRIMARY KEY (source, record_id)"))
    for ddl in _indexes("key_g"):
        await session.execute(text(ddl))
    out["key_g_build_s"] = round(time.perf_counter() - t0, 1)
    # The same rows and indexes unpartitioned, for the write cost alone.
    t0 = time.perf_counter()
    await session.execute(text(f"CREATE TABLE {SCHEMA}.rec_u (LIKE match_record)"))
    await session.execute(text(f"INSERT INTO {SCHEMA}.rec_u SELECT * FROM match_record"))
    await session.execute(text(f"ALTER TABLE {SCHEMA}.rec_u ADD PRIMARY KEY (source, record_id)"))
    for ddl in _indexes("rec_u"):
        await session.execute(text(ddl))
    out["rec_u_fill_and_index_s"] = round(time.perf_counter() - t0, 1)
    await session.execute(text(f"ANALYZE {SCHEMA}.rec_p"))
    await session.execute(text(f"ANALYZE {SCHEMA}.key_g"))
    sizes = await session.execute(
        text(
            "SELECT 'match_record', pg_table_size('match_record'), pg_indexes_size('match_record') UNION ALL "
            f"SELECT 'key_g', pg_table_size('{SCHEMA}.key_g'), pg_indexes_size('{SCHEMA}.key_g')"
        )
    )
    out["bytes"] = {name: {"table": t, "indexes": i} for name, t, i in sizes.all()}
    await session.commit()
    return out


_TODAY = online.candidate_query


def partitioned_query(probe: MatchFeatures) -> tuple[str, dict[str, Any]]:
    """Last session's layout: every lookup on the partitioned table (no entidad in them)."""
    sql, params = _TODAY(probe)
    return sql.replace("match_record", f"{SCHEMA}.rec_p"), params


def global_index_query(probe: MatchFeatures) -> tuple[str, dict[str, Any]]:
    """Lookups on the unpartitioned key table; the features read with the partition key named."""
    sql, params = _TODAY(probe)
    if not sql:
        return sql, params
    head, _, union = sql.partition(" FROM match_record m JOIN (")
    union = union.removesuffix(") c ON c.source = m.source AND c.record_id = m.record_id")
    union = union.replace(
        "SELECT source, record_id FROM match_record", f"SELECT source, record_id, pkey FROM {SCHEMA}.key_g"
    )
    return (
        f"{head} FROM ({union}) c JOIN {SCHEMA}.rec_p m "
        "ON m.pkey = c.pkey AND m.source = c.source AND m.record_id = c.record_id",
        params,
    )


LAYOUTS: dict[str, tuple[Callable[[MatchFeatures], tuple[str, dict[str, Any]]], bool]] = {
    "today": (_TODAY, False),
    "today_generic": (_TODAY, True),
    "partitioned": (partitioned_query, False),
    "partitioned_generic": (partitioned_query, True),
    "global_index": (global_index_query, False),
    "global_index_generic": (global_index_query, True),
}


def _pct(times: list[float], p: float) -> float:
    times = sorted(times)
    return round(times[min(len(times) - 1, int(p * len(times)))], 2)


def _summary(times: list[float]) -> dict[str, float]:
    return {
        "n": len(times),
        "p50_ms": _pct(times, 0.5),
        "p95_ms": _pct(times, 0.95),
        "p99_ms": _pct(times, 0.99),
        "mean_ms": round(statistics.fmean(times), 2),
    }


async def latency(
    db: Any, settings: Settings, rows: list[dict[str, str]], warmup: int, layouts: list[str]
) -> dict[str, Any]:
    sessions = {name: db.sessionmaker() for name in layouts}
    for name in layouts:
        generic = LAYOUTS[name][1]
        if generic:
            await sessions[name].execute(text("SET plan_cache_mode = force_generic_plan"))
    times: dict[str, list[float]] = {name: [] for name in layouts}
    found: dict[str, list[tuple[str, str]]] = {name: [] for name in layouts}
    try:
        names = list(layouts)
        for i, row in enumerate(rows):
            # Each layout goes first as often as the others: the first call of a probe fills the
            # process's per-name caches (normalisation, phonetics) that the next layouts then reuse.
            for name in names[i % len(names) :] + names[: i % len(names)]:
                query = LAYOUTS[name][0]
                online.candidate_query = query  # what online.match builds its candidates' query with
                t0 = time.perf_counter()
                cands = await service.match_online(
                    sessions[name], probe=probe_of(row), limit=10, settings=settings
                )
                dt = (time.perf_counter() - t0) * 1000
                if i >= warmup:
                    times[name].append(dt)
                found[name].append(tuple((c.source, c.record_id) for c in cands))  # type: ignore[arg-type]
    finally:
        online.candidate_query = _TODAY
        for s in sessions.values():
            await s.rollback()
            await s.close()
    out: dict[str, Any] = {name: _summary(t) for name, t in times.items()}
    out["same_candidates_as_today"] = {name: found[name] == found["today"] for name in layouts}
    return out


async def plans(session: Any, rows: list[dict[str, str]]) -> dict[str, Any]:
    """EXPLAIN ANALYZE of each layout's candidate query (a fresh custom plan each time)."""
    planning: dict[str, list[float]] = {n: [] for n in ("today", "partitioned", "global_index")}
    execution: dict[str, list[float]] = {n: [] for n in planning}
    opened: list[int] = []
    for row in rows:
        features = online.probe_features(probe_of(row))
        for name in planning:
            sql, params = LAYOUTS[name][0](features)
            if not sql:
                continue
            doc = (await session.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}"), params)).scalar_one()
            planning[name].append(doc[0]["Planning Time"])
            execution[name].append(doc[0]["Execution Time"])
            if name == "global_index":
                opened.append(_partition_scans(doc[0]["Plan"]))
    await session.rollback()
    return {
        **{f"{n}_planning": _summary(v) for n, v in planning.items()},
        **{f"{n}_execution": _summary(v) for n, v in execution.items()},
        "global_index_partitions_read_per_candidate_max": max(opened) if opened else 0,
    }


def _partition_scans(node: dict[str, Any]) -> int:
    """Partitions of rec_p actually scanned under one Append (the others pruned or never executed)."""
    best = 0
    if node.get("Node Type") == "Append":
        best = sum(
            1
            for child in node.get("Plans", [])
            if child.get("Actual Loops", 0) > 0 and str(child.get("Relation Name", "")).startswith("rec_p_")
        )
    for child in node.get("Plans", []):
        best = max(best, _partition_scans(child))
    return best


async def concurrency(db: Any) -> dict[str, bool]:
    """Two writers in the global-index layout, each holding its transaction open: records of two
    entidades are written side by side (no lock between them), while a record id the other writer
    holds waits for it (the global key table keeps it unique across partitions, row by row)."""

    async def write(session: Any, record_id: str, pkey: str) -> bool:
        """True if written without waiting (lock_timeout), False if it had to wait."""
        try:
            async with session.begin_nested():
                await session.execute(
                    text(
                        f"INSERT INTO {SCHEMA}.key_g (source, record_id, pkey) VALUES ('exp', :r, :p) "
                        "ON CONFLICT DO NOTHING"
                    ),
                    {"r": record_id, "p": pkey},
                )
                await session.execute(
                    text(
                        f"INSERT INTO {SCHEMA}.rec_p (source, record_id, entidad, pkey, feature_digest, "
                        "updated_at) VALUES ('exp', :r, CAST(:p AS text), CAST(:p AS text), '-', now())"
                    ),
                    {"r": record_id, "p": pkey},
                )
        except Exception as exc:  # the lock timeout
            if "lock timeout" not in str(exc):
                raise
            return False
        return True

    one, two = db.sessionmaker(), db.sessionmaker()
    try:
        for s in (one, two):
            await s.execute(text("SET lock_timeout = '1s'"))
        await write(one, "exp-1", "MC")
        return {
            "other_entidad_written_without_waiting": await write(two, "exp-2", "JC"),
            "same_record_waited_for_the_other_writer": not await write(two, "exp-1", "JC"),
        }
    finally:
        for s in (one, two):
            await s.rollback()
            await s.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, required=True, help="A bench.py work folder (synth + data).")
    ap.add_argument("--probes", type=int, default=300)
    ap.add_argument("--explain", type=int, default=100)
    ap.add_argument("--skip-build", action="store_true", help="Reuse the exp_part tables of a former run.")
    ap.add_argument("--layouts", default=",".join(LAYOUTS), help="Which layouts to time (today first).")
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()
    settings = Settings(data_dir=args.work / "data")
    url, server = prepare(settings, as_owner=True)  # the experiment's schema is the owner's
    settings.database_url = url
    rows = probe_rows(args.work / "synth", args.probes)
    result: dict[str, Any] = {}

    async def run() -> None:
        async with open_database(settings, url) as db:
            if not args.skip_build:
                async with db.sessionmaker() as session:
                    result["build"] = await build(session)
            if args.explain:
                async with db.sessionmaker() as session:
                    result["explain"] = await plans(session, rows[: args.explain])
            layouts = args.layouts.split(",")
            result["match_online"] = await latency(db, settings, rows, warmup=20, layouts=layouts)
            result["writers"] = await concurrency(db)

    try:
        asyncio.run(run())
    finally:
        if server is not None:
            server.stop()
    doc = json.dumps(result, indent=2)
    print(doc)
    if args.json_out:
        args.json_out.write_text(doc + "\n")


if __name__ == "__main__":
    main()
