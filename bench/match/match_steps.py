"""Where a ``POST /fhir/Patient/$match`` call spends its time, step by step, in process: the served app
(``create_app``, its middleware, the bearer-token guard, the route) driven through httpx's ASGI transport
(no socket, no uvicorn), with each step of the route timed by wrapping the function that does it, and
every SQL statement counted and timed at the driver (SQLAlchemy's cursor events: the round trip to
PostgreSQL and its execution; BEGIN and COMMIT are not statements there, the commit is its own step).

    PYTHONPATH=$PWD/src python bench/match/match_steps.py --work /work/data/match9/m1m --probes 500

Prints one JSON object: per step, the mean and p50/p99 in ms over the timed calls, the statements per
call and their time (also by kind: candidates, disclosure + records, other), the cyclic GC's
collections during a call by generation (``gc.callbacks``), the steps of the ``--slowest`` calls;
``rest`` is the whole call less the named steps (HTTP framing, middleware, FastAPI's dependency and
body handling, the commit). The names wrapped are those of the code PYTHONPATH
names; a step a version does not have is left out. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_match import _cli, patient_of_row, pct

# (module, attribute, step name): what is wrapped, when the running code has it.
STEPS = [
    ("interop.auth.dependencies", "guard", "auth guard"),
    ("interop.fhir.match", "parse_parameters", "parse Parameters"),
    ("interop.fhir.match", "probe_of_patient", "Patient -> probe"),
    ("interop.matching.online", "candidate_query", "candidate SQL text"),
    ("interop.matching.online", "_grade_refused", "refusals"),
    ("interop.matching.calibration_fit", "calibrate_candidates", "calibration"),
    ("interop.fhir.match_disclosure", "disclosed_candidates", "disclosure"),
    ("interop.fhir.match_disclosure", "disclosed_records", "disclosure + records read (one statement)"),
    ("interop.fhir.match", "_record_views", "records read"),
    ("interop.fhir.match", "_entry", "Bundle entries"),
    ("interop.fhir.match_disclosure", "audit_disclosure", "audit buffer"),
    ("interop.fhir.responses", "FhirResponse.render", "JSON encoding"),
    ("interop.matching.service", "match_online", "match_online (all)"),
    ("sqlalchemy.ext.asyncio.session", "AsyncSession.commit", "commit (audit write)"),
]
# The steps that do not nest in one another: the call less these is the rest.
TOP_LEVEL = [
    "auth guard",
    "parse Parameters",
    "Patient -> probe",
    "match_online (all)",
    "disclosure",
    "disclosure + records read (one statement)",
    "records read",
    "Bundle entries",
    "audit buffer",
    "JSON encoding",
]


class Clock:
    def __init__(self) -> None:
        self.per_call: list[dict[str, float]] = []
        self.current: dict[str, float] = defaultdict(float)

    def add(self, name: str, dt: float) -> None:
        self.current[name] += dt

    def close_call(self, keep: bool) -> None:
        if keep:
            self.per_call.append({name: dt * 1000 for name, dt in self.current.items()})
        self.current = defaultdict(float)


def _wrap(owner: Any, attr: str, name: str, clock: Clock) -> None:
    fn: Callable[..., Any] = getattr(owner, attr)
    if asyncio.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def timed_async(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return await fn(*a, **k)
            finally:
                clock.add(name, time.perf_counter() - t0)

        setattr(owner, attr, timed_async)
    else:

        @functools.wraps(fn)
        def timed(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                clock.add(name, time.perf_counter() - t0)

        setattr(owner, attr, timed)


def _statement_kind(stmt: str) -> str:
    """A short name for a statement $match runs (the per-statement split of the SQL time)."""
    if "FROM match_record m JOIN (" in stmt:
        return "candidates"
    if "WITH readable" in stmt or "FROM identity_record" in stmt:
        return "disclosure + records"
    if "audit" in stmt.split("(", 1)[0]:
        return "audit insert"
    return "other"


def install(clock: Clock) -> list[str]:
    import importlib

    done = []
    for module, attr, name in STEPS:
        try:
            owner: Any = importlib.import_module(module)
        except ImportError:
            continue
        *path, last = attr.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        if owner is None or not hasattr(owner, last):
            continue
        _wrap(owner, last, name, clock)
        done.append(name)
    return done


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--probes", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--slowest", type=int, default=5, help="Print the steps of the N slowest calls.")
    args = ap.parse_args()
    env = {**os.environ, "INTEROP_DATA_DIR": str(args.work / "data"), "INTEROP_LOG_LEVEL": "WARNING"}
    os.environ.update(env)
    from bench import probe_rows

    rows = probe_rows(args.work / "synth", args.probes)
    client_name = f"bench-steps-{int(time.time())}"
    _cli(["clients", "add", client_name, "--role", "bienestar"], env)
    token = _cli(["token", "--client", client_name], env).strip().splitlines()[-1]

    import httpx
    from sqlalchemy import event

    from interop.config import Settings
    from interop.db.runtime import prepare

    clock = Clock()
    wrapped = install(clock)
    from interop.main import create_app

    settings = Settings(run_worker=False)
    url, server = prepare(settings)
    settings.database_url = url
    app = create_app(settings)
    statements: list[int] = [0]

    async def run() -> dict[str, Any]:
        totals: list[float] = []
        counts: list[int] = []
        async with app.router.lifespan_context(app):
            started: dict[int, float] = {}

            def before(conn: Any, cursor: Any, stmt: str, params: Any, context: Any, many: bool) -> None:
                started[id(cursor)] = time.perf_counter()

            def after(conn: Any, cursor: Any, stmt: str, params: Any, context: Any, many: bool) -> None:
                statements[0] += 1
                t0 = started.pop(id(cursor), None)
                if t0 is not None:
                    dt = time.perf_counter() - t0
                    clock.add("SQL (all statements)", dt)
                    clock.add(f"SQL: {_statement_kind(stmt)}", dt)

            # The app's engine, and $match's own where the code has one.
            for name in ("engine", "lookup_engine"):
                engine = getattr(app.state, name, None)
                if engine is not None:
                    event.listen(engine.sync_engine, "before_cursor_execute", before)
                    event.listen(engine.sync_engine, "after_cursor_execute", after)

            # Collections of the cyclic GC during a call, by generation (a full one is a tail outlier).
            gc_started: list[float] = [0.0]

            def on_gc(phase: str, info: dict[str, int]) -> None:
                if phase == "start":
                    gc_started[0] = time.perf_counter()
                else:
                    clock.add(f"GC gen {info['generation']}", time.perf_counter() - gc_started[0])

            gc.callbacks.append(on_gc)
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                for i, r in enumerate(rows):
                    body = {
                        "resourceType": "Parameters",
                        "parameter": [
                            {"name": "resource", "resource": patient_of_row(r)},
                            {"name": "count", "valueInteger": 10},
                        ],
                    }
                    statements[0] = 0
                    t0 = time.perf_counter()
                    resp = await http.post("/fhir/Patient/$match", json=body, headers=headers)
                    dt = (time.perf_counter() - t0) * 1000
                    if resp.status_code != 200:
                        raise RuntimeError(f"$match answered {resp.status_code}: {resp.text[:300]}")
                    keep = i >= args.warmup
                    clock.close_call(keep)
                    if keep:
                        totals.append(dt)
                        counts.append(statements[0])
        # A step a call did not run counts 0 ms for it (e.g. no records to read).
        names = sorted({n for call in clock.per_call for n in call})
        steps = {n: [call.get(n, 0.0) for call in clock.per_call] for n in names}
        rest = [
            t - sum(call.get(n, 0.0) for n in TOP_LEVEL)
            for t, call in zip(totals, clock.per_call, strict=True)
        ]
        out: dict[str, Any] = {
            "work": str(args.work),
            "load": [round(x, 2) for x in os.getloadavg()],
            "calls": len(totals),
            "wrapped": wrapped,
            "total": {
                "mean": round(sum(totals) / len(totals), 2),
                "p50": pct(totals, 0.5),
                "p99": pct(totals, 0.99),
            },
            "statements_per_call": {"mean": round(sum(counts) / len(counts), 2), "max": max(counts)},
            "steps": {
                n: {"mean": round(sum(v) / len(v), 3), "p50": pct(v, 0.5), "p99": pct(v, 0.99)}
                for n, v in steps.items()
            },
        }
        out["rest (HTTP, middleware, FastAPI; commit included)"] = {
            "mean": round(sum(rest) / len(rest), 3),
            "p50": pct(rest, 0.5),
            "p99": pct(rest, 0.99),
        }
        order = sorted(range(len(totals)), key=lambda i: -totals[i])[: args.slowest]
        out["slowest calls"] = [
            {"total": round(totals[i], 2), **{n: round(v, 2) for n, v in sorted(clock.per_call[i].items())}}
            for i in order
        ]
        return out

    try:
        print(json.dumps(asyncio.run(run()), indent=2))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
