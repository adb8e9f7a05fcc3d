"""Shared by the bench scripts: bring up a loaded `interop serve` on loopback, generate load, summarise.

Load shapes: closed loop (N workers back to back) and open loop (requests scheduled at a fixed rate, latency
counted from the scheduled instant, so a slow server cannot hide behind a slow generator). The load only
ever targets 127.0.0.1 and stops by itself after its duration.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parents[1]
INTEROP = str(Path(sys.executable).with_name("interop"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(args: list[str], env: dict[str, str], *, capture: bool = False) -> str:
    t0 = time.perf_counter()
    out = subprocess.run(
        [INTEROP, *args],
        env=env,
        check=False,
        text=True,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if out.returncode != 0:
        raise RuntimeError(f"interop {' '.join(args)} failed: {out.stderr[-2000:]}")
    print(f"  interop {' '.join(args[:2])}: {time.perf_counter() - t0:.1f} s", flush=True)
    return out.stdout if capture else ""


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(
    name: str, lat_s: list[float], elapsed: float, errors: int, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    ms = [x * 1000 for x in lat_s]
    out = {
        "name": name,
        "requests": len(ms),
        "errors": errors,
        "seconds": round(elapsed, 2),
        "per_s": round(len(ms) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(pct(ms, 50), 2),
        "p95_ms": round(pct(ms, 95), 2),
        "p99_ms": round(pct(ms, 99), 2),
        "max_ms": round(max(ms), 2) if ms else None,
        "mean_ms": round(statistics.fmean(ms), 2) if ms else None,
    }
    out.update(extra or {})
    print(
        f"  {name:<42} {out['per_s']:>8.1f}/s  p50 {out['p50_ms']:>7.2f}  p95 {out['p95_ms']:>7.2f}  "
        f"p99 {out['p99_ms']:>7.2f} ms  errors {errors}",
        flush=True,
    )
    return out


# Load shapes ------------------------------------------------------------------------------------------------


async def closed_loop(
    op: Callable[[int], Awaitable[bool]], *, concurrency: int, duration: float, start: int = 0
) -> tuple[list[float], float, int]:
    """``concurrency`` workers back to back for ``duration`` seconds."""
    lat: list[float] = []
    errors = 0
    counter = iter(range(start, 10**9))
    end = time.perf_counter() + duration

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < end:
            i = next(counter)
            t0 = time.perf_counter()
            ok = await op(i)
            lat.append(time.perf_counter() - t0)
            errors += 0 if ok else 1

    t0 = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    return lat, time.perf_counter() - t0, errors


async def open_loop(
    op: Callable[[int], Awaitable[bool]],
    *,
    rate: float,
    duration: float,
    start: int = 0,
    max_in_flight: int = 64,
) -> tuple[list[float], float, int]:
    """Requests scheduled at a fixed rate; latency counted from the scheduled instant."""
    lat: list[float] = []
    errors = 0
    gate = asyncio.Semaphore(max_in_flight)
    tasks: list[asyncio.Task[None]] = []
    n = int(rate * duration)
    t_start = time.perf_counter()

    async def one(i: int, scheduled: float) -> None:
        nonlocal errors
        async with gate:
            ok = await op(start + i)
        lat.append(time.perf_counter() - scheduled)
        errors += 0 if ok else 1

    for i in range(n):
        scheduled = t_start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, scheduled)))
    await asyncio.gather(*tasks)
    return lat, time.perf_counter() - t_start, errors


# Population -> visit bodies -------------------------------------------------------------------------


def visit_bodies(synth: Path, n: int, seed: int, tag: str) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    units = list(csv.DictReader((synth / "units.csv").open(encoding="utf-8")))
    points: dict[tuple[str, str], tuple[float, float]] = {}
    by_state: dict[str, list[tuple[float, float]]] = {}
    for u in units:
        if u["latitud"] and u["longitud"]:
            xy = (float(u["latitud"]), float(u["longitud"]))
            points.setdefault((u["entidad"], u["municipio"]), xy)
            by_state.setdefault(u["entidad"], []).append(xy)
    people = [
        r
        for r in csv.DictReader((synth / "pension_roll.csv").open(encoding="utf-8"))
        if r["nombre"] and r["primer_apellido"]
    ]
    out = []
    for i in range(n):
        p = rng.choice(people)
        point = points.get((p["entidad"], p["municipio"]))
        captured = point is None or rng.random() < 0.8  # coordinates captured; else the locality is used
        if point is None and by_state.get(p["entidad"]):
            point = rng.choice(by_state[p["entidad"]])
        person: dict[str, Any] = {
            k: p[k]
            for k in (
                "curp",
                "nombre",
                "primer_apellido",
                "segundo_apellido",
                "fecha_nacimiento",
                "sexo",
                "entidad",
                "municipio",
                "localidad",
                "domicilio",
            )
            if p.get(k)
        }
        person["roll_record_id"] = p["record_id"]
        if person.get("curp") and len(person["curp"]) != 18:
            person.pop("curp")
        if point is None:
            continue
        if captured:
            person["latitud"] = point[0] + rng.uniform(-0.02, 0.02)
            person["longitud"] = point[1] + rng.uniform(-0.02, 0.02)
        out.append(
            {
                "visit_id": f"{tag}-{i:07d}",
                "visit_date": "2026-11-20",
                "health_worker_id": f"PROM-{i % 500:04d}",
                "person": person,
                "urgency": rng.choice(["routine"] * 6 + ["urgent"] * 3 + ["asap"]),
                "findings": {
                    "conditions": [{"code": rng.choice(["E11.9", "I10", "J44.9", "N18.3"])}],
                    "observations": [{"code": "2339-0", "value": rng.randint(70, 400), "unit": "mg/dL"}],
                },
                "note": "bench",
            }
        )
    return out


# Bare asyncpg baselines -----------------------------------------------------------------------------


@dataclass
class Stack:
    """A loaded service: its base URL, the CLI environment (for clients and tokens), the database URL and
    the synthetic population it was loaded from."""

    base: str
    env: dict[str, str]
    database_url: str
    synth: Path
    serve_pid: int = 0
    pgdata: Path | None = None

    def cpu(self) -> tuple[float, float, float]:
        """CPU seconds used so far by the API processes, by PostgreSQL (embedded only, else 0) and by this
        load generator: per-request CPU is what decides throughput on a machine with few cores."""
        postmaster = 0
        if self.pgdata is not None and (self.pgdata / "postmaster.pid").exists():
            postmaster = int((self.pgdata / "postmaster.pid").read_text().split()[0])
        return _tree_cpu(self.serve_pid, skip=postmaster), _tree_cpu(postmaster), time.process_time()

    def token(self, name: str, role: str, *clues: str) -> str:
        return client_token(self.env, name, role, *clues)


def _tree_cpu(pid: int, skip: int = 0) -> float:
    """CPU of a process and its descendants, living or ended: each one's own time plus what its reaped
    children used (so a backend or worker that exits between two readings is not lost)."""
    import psutil

    if not pid:
        return 0.0
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    skipped: set[int] = set()
    if skip:
        with contextlib.suppress(psutil.NoSuchProcess):
            skipped = {skip, *(c.pid for c in psutil.Process(skip).children(recursive=True))}
    total = 0.0
    for proc in procs:
        if proc.pid in skipped:
            continue
        with contextlib.suppress(psutil.NoSuchProcess):
            times = proc.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def cpu_per_request(
    before: tuple[float, float, float], after: tuple[float, float, float], n: int
) -> dict[str, float]:
    """Milliseconds of CPU per request: API processes, PostgreSQL, load generator; and the throughput those
    would allow if every core of this machine did nothing else."""
    api, pg, gen = (1000 * (b - a) / max(n, 1) for a, b in zip(before, after, strict=True))
    cores = os.cpu_count() or 1
    server = api + pg
    return {
        "api_cpu_ms": round(api, 2),
        "pg_cpu_ms": round(pg, 2),
        "generator_cpu_ms": round(gen, 2),
        "ceiling_per_s": round(cores * 1000 / server, 1) if server > 0 else 0.0,
    }


@asynccontextmanager
async def database(root: Path) -> AsyncIterator[tuple[str, Path | None]]:
    """``DATABASE_URL`` when set; else an embedded PostgreSQL under ``root/pg`` with a fresh ``bench``
    database, stopped on exit. Yields the URL and the embedded server's data folder (None without one)."""
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        yield database_url, None
        return
    sys.path.insert(0, str(ROOT / "src"))
    from interop.db.embedded import start_embedded

    server = await start_embedded(root / "pg")
    try:
        admin = await asyncpg.connect(server.url("postgres").replace("+asyncpg", ""))
        await admin.execute('CREATE DATABASE "bench"')
        await admin.close()
        yield server.url("bench"), server.pgdata
    finally:
        server.stop()


def cli_env(database_url: str, root: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the CLI and the server: this database, a data folder under ``root``, quiet logs."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "INTEROP_DATA_DIR": str(root / "data"),
        "INTEROP_LOG_LEVEL": "WARNING",
        **(extra or {}),
    }


@asynccontextmanager
async def served(env: dict[str, str]) -> AsyncIterator[tuple[str, int]]:
    """``interop serve`` on a free loopback port, once ``/readyz`` answers 200; stopped on exit. Yields the
    base URL and the server's process id."""
    port = free_port()
    proc = subprocess.Popen(
        [INTEROP, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as probe:
            for _ in range(900):  # a loaded 2-core host can take minutes to import and start the app
                try:
                    async with probe.get(f"{base}/readyz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
            else:
                raise RuntimeError("interop serve did not become ready")
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def client_token(env: dict[str, str], name: str, role: str, *clues: str) -> str:
    """A new API client of ``role`` (bound to ``clues``) and a token for it, from the embedded issuer."""
    args = ["clients", "add", name, "--role", role]
    for code in clues:
        args += ["--clues", code]
    run_cli(args, env)
    return run_cli(["token", "--client", name], env, capture=True).strip().splitlines()[-1]


@asynccontextmanager
async def loaded_stack(people: int, *, extra_env: dict[str, str] | None = None) -> AsyncIterator[Stack]:
    """Embedded PostgreSQL (or DATABASE_URL) → migrate → synth → import units, roll, patients → match run →
    ``interop serve`` on a free loopback port; everything stopped on exit."""
    root = Path(tempfile.mkdtemp(prefix="interop-bench-"))
    async with database(root) as (database_url, pgdata):
        env = cli_env(database_url, root, extra_env)
        print("setup", flush=True)
        run_cli(["migrate"], env)
        synth = root / "synth"
        run_cli(["synth", "--out", str(synth), "--people", str(people), "--seed", "7"], env)
        run_cli(["import", "units", str(synth / "units.csv")], env)
        run_cli(["import", "roll", str(synth / "pension_roll.csv")], env)
        run_cli(["import", "patients", str(synth / "patients.csv")], env)
        run_cli(["match", "run"], env)
        async with served(env) as (base, pid):
            yield Stack(
                base=base, env=env, database_url=database_url, synth=synth, serve_pid=pid, pgdata=pgdata
            )
