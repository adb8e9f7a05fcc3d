"""Inclusion and consistency proof latency (issue 19: inclusion p99 ≤ 5 ms), in process (``proofs``
over one session) and over HTTP (``GET /v1/audit/proofs/inclusion`` through uvicorn on a local socket,
an auditor's bearer token, the whole middleware and policy path), on the tree built by ``tree_scale.py``.

    nice -n 5 env PYTHONPATH=src /work/main/.venv/bin/python bench/audit/proof_latency.py \\
        --data-dir /work/data/s19c/big --samples 2000

Run it with ``PYTHONPATH=/work/wt/base/src`` for the old code on the same tree (back to back). Prints one
JSON summary with the load average beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import cli_env, client_token, served
from run import prepare_database

from interop.audit import proofs
from interop.audit.models import AuditHead
from interop.config import Settings

# The bench's own client shares the server's process: httpcore imports the optional ``sniffio`` on every
# request, and with it absent each failed import searches sys.path again (~1 ms of CPU a request, measured
# with cProfile: 2 calls of ``current_async_library`` a request). Marking it absent makes the import fail
# at once; the server's own path is untouched.
sys.modules.setdefault("sniffio", None)  # type: ignore[assignment]


def _quantiles(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100)
    return {"p50_ms": 1000 * cuts[49], "p99_ms": 1000 * cuts[98], "mean_ms": 1000 * statistics.fmean(values)}


async def in_process(url: str, samples: int) -> dict[str, Any]:
    engine = create_async_engine(url)
    maker = async_sessionmaker(engine, expire_on_commit=False)
    rng = random.Random(3)
    out: dict[str, Any] = {}
    async with maker() as session:
        sizes = sorted(int(s) for s in await session.scalars(select(AuditHead.tree_size)))
        n = sizes[-1]
        for _ in range(50):
            await proofs.inclusion(session, index=rng.randrange(n), tree_size=n)
        load, timings = os.getloadavg()[0], []
        for _ in range(samples):
            t = time.perf_counter()
            await proofs.inclusion(session, index=rng.randrange(n), tree_size=n)
            timings.append(time.perf_counter() - t)
        out["inclusion_in_process"] = {**_quantiles(timings), "load_avg": max(load, os.getloadavg()[0])}
        load, timings = os.getloadavg()[0], []
        for _ in range(samples // 2):
            t = time.perf_counter()
            await proofs.consistency(session, first=rng.choice(sizes), second=n)
            timings.append(time.perf_counter() - t)
        out["consistency_in_process"] = {**_quantiles(timings), "load_avg": max(load, os.getloadavg()[0])}
    await engine.dispose()
    out["tree_size"] = n
    return out


async def _timed_inclusions(base: str, token: str, samples: int, n: int) -> dict[str, float]:
    """An auditor's inclusion proofs of random leaves, one after another on one keep-alive connection
    (50 untimed first)."""
    rng = random.Random(4)
    path = "/v1/audit/proofs/inclusion"
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(50):
            r = await client.get(path, params={"index": rng.randrange(n), "tree_size": n})
            assert r.status_code == 200, r.text
        load, timings = os.getloadavg()[0], []
        for _ in range(samples):
            t = time.perf_counter()
            r = await client.get(path, params={"index": rng.randrange(n), "tree_size": n})
            timings.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text
    return {**_quantiles(timings), "load_avg": max(load, os.getloadavg()[0])}


async def over_http(url: str, data_dir: Path, samples: int, n: int) -> dict[str, Any]:
    from interop.auth.scopes import ROLE_SCOPES, Role
    from interop.auth.tokens import mint
    from interop.main import create_app

    settings = Settings(database_url=url, data_dir=data_dir, run_worker=False, rate_limit_per_minute=10**9)
    app = create_app(settings)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    try:
        token = mint(
            app.state.keyring,
            settings,
            client_id="bench-auditor",
            role="auditor",
            scopes=ROLE_SCOPES[Role.AUDITOR],
        )
        return {"inclusion_over_http": await _timed_inclusions(f"http://127.0.0.1:{port}", token, samples, n)}
    finally:
        server.should_exit = True
        await serving


async def over_http_served(url: str, root: Path, samples: int, n: int) -> dict[str, Any]:
    """The same requests against ``interop serve`` in its own process (as deployed): the figure above
    shares one process and event loop between the bench's client and the server, so the client's own
    CPU (httpx, ~1-3 ms a request) is counted as the server's latency."""
    env = cli_env(url, root, {"INTEROP_RATE_LIMIT_PER_MINUTE": str(10**9)})
    token = client_token(env, f"bench-auditor-{os.getpid()}", "auditor")
    async with served(env) as (base, _pid):
        return {"inclusion_over_http_served": await _timed_inclusions(base, token, samples, n)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/interop-bench-audit"))
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    url, server = asyncio.run(prepare_database(args.data_dir, "bench_audit_scale", migrate_db=False))
    try:
        result = asyncio.run(in_process(url, args.samples))
        print(json.dumps(result), file=sys.stderr)  # kept if the HTTP part fails
        if not args.no_http:
            result.update(
                asyncio.run(over_http(url, args.data_dir / "app", args.samples, result["tree_size"]))
            )
            result.update(
                asyncio.run(
                    over_http_served(url, args.data_dir / "served", args.samples, result["tree_size"])
                )
            )
    finally:
        if server is not None:
            server.stop()

    def rounded(v: Any) -> Any:
        return (
            {k: rounded(x) for k, x in v.items()}
            if isinstance(v, dict)
            else round(v, 3)
            if isinstance(v, float)
            else v
        )

    print(json.dumps(rounded(result), indent=2))


if __name__ == "__main__":
    main()
