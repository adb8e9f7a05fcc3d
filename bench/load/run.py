"""Mixed workload on loopback for a fixed duration: imports running, visits posted, clinics pulling and
updating their Tasks, auditors querying — against a real `interop serve` loaded with a synthetic population.

    /work/venv/bin/python bench/load/run.py --people 3000 --duration 30

Reports throughput, latency percentiles and errors per route, the import's completion, and the database's
connection use (peak of this service's pooled connections in use, from /metrics, and of pg_stat_activity).
The generator only targets 127.0.0.1 and stops by itself. Results: stdout and bench/load/last_run.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from harness import loaded_stack, pct, visit_bodies  # noqa: E402

Op = Callable[[aiohttp.ClientSession, int], Awaitable[tuple[str, int]]]


class Recorder:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, route: str, status: int | str, seconds: float) -> None:
        self.latency[route].append(seconds * 1000)
        self.status[route][str(status)] += 1

    def table(self, duration: float) -> list[dict[str, Any]]:
        rows = []
        for route in sorted(self.latency):
            ms = self.latency[route]
            errors = sum(n for code, n in self.status[route].items() if not code.startswith("2"))
            rows.append(
                {
                    "route": route,
                    "requests": len(ms),
                    "per_s": round(len(ms) / duration, 1),
                    "p50_ms": round(pct(ms, 50), 1),
                    "p95_ms": round(pct(ms, 95), 1),
                    "p99_ms": round(pct(ms, 99), 1),
                    "errors": errors,
                    "statuses": dict(self.status[route]),
                }
            )
        return rows


async def open_loop(name: str, op: Callable[[int], Awaitable[None]], rate: float, end: float) -> None:
    """Requests scheduled at ``rate`` per second until ``end`` (latency is measured inside ``op``)."""
    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    i = 0
    while True:
        at = start + i / rate
        if at >= end:
            break
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(op(i), name=f"{name}-{i}"))
        i += 1
    await asyncio.gather(*tasks, return_exceptions=True)


async def timed(rec: Recorder, route: str, call: Awaitable[aiohttp.ClientResponse]) -> tuple[int, bytes]:
    t0 = time.perf_counter()
    try:
        async with await call as response:
            body = await response.read()
            rec.add(route, response.status, time.perf_counter() - t0)
            return response.status, body
    except (aiohttp.ClientError, TimeoutError) as exc:
        rec.add(route, type(exc).__name__, time.perf_counter() - t0)
        return 0, b""


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with loaded_stack(args.people, extra_env={"INTEROP_RATE_LIMIT_PER_MINUTE": "0"}) as stack:
        tokens = {
            "admin": stack.token("load-admin", "admin"),
            "bienestar": stack.token("load-bienestar", "bienestar"),
            "auditor": stack.token("load-auditor", "auditor"),
        }
        bodies = visit_bodies(stack.synth, int(args.duration * args.visits_per_s) + 100, seed=5, tag="L")
        rec = Recorder()
        pool = await asyncpg.create_pool(stack.database_url.replace("+asyncpg", ""), min_size=1, max_size=2)
        assert pool is not None
        async with aiohttp.ClientSession(
            base_url=stack.base,
            timeout=aiohttp.ClientTimeout(total=60),
            connector=aiohttp.TCPConnector(limit=128),
        ) as http:
            auth = {role: {"Authorization": f"Bearer {t}"} for role, t in tokens.items()}
            # Warm-up visits so clinics have Tasks to pull, then one clinic client for the busiest units.
            for i in range(30):
                await timed(
                    rec, "warm-up", http.post("/v1/visits", json=bodies[-1 - i], headers=auth["bienestar"])
                )
            units = [
                r["owner_clues"]
                for r in await pool.fetch(
                    "SELECT owner_clues FROM referral_task GROUP BY owner_clues "
                    "ORDER BY count(*) DESC LIMIT 5"
                )
            ]
            auth["clinic"] = {"Authorization": f"Bearer {stack.token('load-clinic', 'clinic', *units)}"}
            traces: list[str] = []
            end = time.perf_counter() + args.duration
            peaks = {"pool_checked_out": 0.0, "pg_stat_activity": 0}

            async def visit(i: int) -> None:
                trace = f"{random.getrandbits(128):032x}"
                status, _ = await timed(
                    rec,
                    "POST /v1/visits",
                    http.post(
                        "/v1/visits",
                        json=bodies[i % len(bodies)],
                        headers={
                            **auth["bienestar"],
                            "traceparent": f"00-{trace}-{random.getrandbits(64):016x}-01",
                        },
                    ),
                )
                if status in (200, 201):
                    traces.append(trace)

            async def pull(i: int) -> None:
                owner = units[i % len(units)]
                await timed(
                    rec,
                    "GET /fhir/Task (page of 100)",
                    http.get(
                        "/fhir/Task",
                        params={"owner": owner, "status": "requested", "_count": "100"},
                        headers=auth["clinic"],
                    ),
                )

            async def update(i: int) -> None:
                owner = units[i % len(units)]
                status, body = await timed(
                    rec,
                    "GET /fhir/Task?_count=1",
                    http.get(
                        "/fhir/Task",
                        params={"owner": owner, "status": "requested", "_count": "1"},
                        headers=auth["clinic"],
                    ),
                )
                entries = json.loads(body).get("entry", []) if status == 200 else []
                tasks = [e["resource"] for e in entries if e["resource"]["resourceType"] == "Task"]
                if not tasks:
                    return
                task = tasks[0]
                task["status"] = "accepted"
                await timed(
                    rec,
                    "PUT /fhir/Task/{id}",
                    http.put(
                        f"/fhir/Task/{task['id']}",
                        json=task,
                        headers={
                            **auth["clinic"],
                            "If-Match": f'W/"{task["meta"]["versionId"]}"',
                            "content-type": "application/fhir+json",
                        },
                    ),
                )

            async def audit(i: int) -> None:
                if i % 2 and traces:
                    await timed(
                        rec,
                        "GET /v1/trace/{trace_id}",
                        http.get(f"/v1/trace/{random.choice(traces)}", headers=auth["auditor"]),
                    )
                else:
                    await timed(
                        rec,
                        "GET /fhir/AuditEvent",
                        http.get(
                            "/fhir/AuditEvent",
                            params={"_count": "50", "action": "C"},
                            headers=auth["auditor"],
                        ),
                    )

            async def imports() -> dict[str, Any]:
                status, body = await timed(
                    rec,
                    "POST /v1/imports",
                    http.post(
                        "/v1/imports",
                        params={"kind": "patients", "filename": "patients.csv"},
                        data=(stack.synth / "patients.csv").read_bytes(),
                        headers={**auth["admin"], "content-type": "text/csv"},
                    ),
                )
                if status != 202:
                    return {"status": status}
                location = f"/v1/imports/{json.loads(body)['id']}"
                while time.perf_counter() < end:
                    status, body = await timed(
                        rec, "GET /v1/imports/{id}", http.get(location, headers=auth["admin"])
                    )
                    state = json.loads(body) if status == 200 else {}
                    if state.get("state") in ("succeeded", "failed", "refused"):
                        return {"state": state["state"], "counts": state["counts"]}
                    await asyncio.sleep(1)
                return {"state": "still running at the end of the run"}

            async def watch() -> None:
                gauge = re.compile(r'interop_db_pool_connections\{state="checked_out"\} ([0-9.]+)')
                while time.perf_counter() < end:
                    async with http.get("/metrics") as response:
                        found = gauge.search(await response.text())
                    if found:
                        peaks["pool_checked_out"] = max(peaks["pool_checked_out"], float(found.group(1)))
                    peaks["pg_stat_activity"] = max(
                        peaks["pg_stat_activity"],
                        int(
                            await pool.fetchval(
                                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'interop'"
                            )
                        ),
                    )
                    await asyncio.sleep(0.5)

            print(f"mixed load for {args.duration:.0f} s", flush=True)
            started = time.perf_counter()
            results = await asyncio.gather(
                imports(),
                open_loop("visits", visit, args.visits_per_s, end),
                open_loop("pulls", pull, args.pulls_per_s, end),
                open_loop("updates", update, args.updates_per_s, end),
                open_loop("audit", audit, args.audit_per_s, end),
                watch(),
            )
            elapsed = time.perf_counter() - started
        await pool.close()
    rows = [r for r in rec.table(elapsed) if r["route"] != "warm-up"]
    print(f"{'route':<34} {'req':>6} {'/s':>7} {'p50':>8} {'p95':>8} {'p99':>8}  errors")
    for r in rows:
        print(
            f"{r['route']:<34} {r['requests']:>6} {r['per_s']:>7.1f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
            f"{r['p99_ms']:>8.1f}  {r['errors']} {r['statuses'] if r['errors'] else ''}"
        )
    print(f"import during the run: {results[0]}")
    print(
        f"peak pooled connections in use: {peaks['pool_checked_out']:.0f}; "
        f"peak server connections (pg_stat_activity): {peaks['pg_stat_activity']}"
    )
    return {
        "at": datetime.now(UTC).isoformat(),
        "people": args.people,
        "duration_s": round(elapsed, 1),
        "routes": rows,
        "import": results[0],
        "db_connections": peaks,
        "load_average": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--visits-per-s", type=float, default=20.0)
    parser.add_argument("--pulls-per-s", type=float, default=10.0)
    parser.add_argument("--updates-per-s", type=float, default=4.0)
    parser.add_argument("--audit-per-s", type=float, default=2.0)
    args = parser.parse_args()
    results = asyncio.run(run(args))
    (HERE / "last_run.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
