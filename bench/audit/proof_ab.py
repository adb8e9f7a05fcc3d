"""Served inclusion proofs of two versions of the code at once, on the tree built by ``tree_scale.py``: two
uvicorn processes (``--old`` and ``--new`` source folders) on the same database, and one client that
alternates its requests between them, so that both versions see the same load on a shared box. Prints, a
round each, the latency quantiles and each server's CPU a request (``/proc``), with the load average.

    nice -n 5 /work/main/.venv/bin/python bench/audit/proof_ab.py --data-dir /work/data/s19c/big \\
        --old /work/wt/base --new . --samples 1000 --rounds 3

Each server is this script itself (``--serve``), started with ``PYTHONPATH=<folder>/src``; it runs no job
worker, and mints an auditor's token into a file once it is up. ``--old`` may be left out: one server.
Servers are configured as ``interop serve`` configures uvicorn, on the loop it runs (uvloop);
``--as-before`` serves as this script did until session 9 (uvicorn's defaults on the standard library's
asyncio loop, not what is deployed).

The client sends one request at a time (concurrency 1: one keep-alive connection a server, the next request
when the last answer is read). It shares the two cores with the servers and PostgreSQL, and its own work is
inside every latency it measures: ``--client httpx`` (the default, as before) costs ~1-3 ms of CPU a
request; ``--client raw`` writes the request's bytes on a blocking socket and reads the answer by its
``content-length`` (status checked, body parsed for the first requests of each round only), a few tens of
µs. Each round also prints the client's own CPU a request and PostgreSQL's (the postmaster's children).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).parent))
from run import prepare_database

sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]  # see proof_latency.py
_PATH = "/v1/audit/proofs/inclusion"


def _serve(url: str, data_dir: Path, port: int, token_file: Path, as_before: bool) -> None:
    """One server, configured as ``interop serve`` configures uvicorn (``interop.serving._config``: no
    access log, no proxy headers) and on the loop uvicorn's ``run`` picks (uvloop where installed). With
    ``as_before``: as this script served until session 9 — uvicorn's defaults, on ``asyncio.run``'s
    loop (the standard library's), which is not what is deployed."""
    import uvicorn

    from interop.auth.scopes import ROLE_SCOPES, Role
    from interop.auth.tokens import mint
    from interop.config import Settings
    from interop.main import create_app

    settings = Settings(database_url=url, data_dir=data_dir, run_worker=False, rate_limit_per_minute=10**9)
    app = create_app(settings)
    if as_before:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    else:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", access_log=False, proxy_headers=False
        )
    server = uvicorn.Server(config)

    async def run() -> None:
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        role, scopes = "auditor", ROLE_SCOPES[Role.AUDITOR]
        token_file.write_text(
            mint(app.state.keyring, settings, client_id="bench-ab", role=role, scopes=scopes)
        )
        await serving

    loop_factory = None if as_before else config.get_loop_factory()
    # uvicorn re-raises the signal once it has shut down
    with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(run())


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start(
    code: Path, url: str, data_dir: Path, tag: str, as_before: bool
) -> tuple[subprocess.Popen[bytes], int, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    token_file = data_dir / f"token-{tag}-{os.getpid()}"
    token_file.unlink(missing_ok=True)
    args = [__file__, "--serve", url, str(data_dir / "app"), str(port), str(token_file), str(int(as_before))]
    env = {**os.environ, "PYTHONPATH": str(code.resolve() / "src")}
    proc = subprocess.Popen([sys.executable, *args], env=env)
    while not token_file.exists() or not token_file.read_text():
        if proc.poll() is not None:
            raise RuntimeError(f"the {tag} server did not start")
        time.sleep(0.1)
    return proc, port, token_file.read_text()


async def _round(
    servers: list[tuple[subprocess.Popen[bytes], int, str]],
    samples: int,
    n: int,
    seed: int,
    warmup: int,
    postmaster: int | None,
) -> dict[str, Any]:
    # Other leaves each round: a server that keeps answers it gave (the audit's read routes keep proofs)
    # must not be timed on the last round's.
    rng = random.Random(seed)
    clients = [
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"})
        for _, port, token in servers
    ]
    try:
        for client in clients:
            for _ in range(warmup):
                r = await client.get(_PATH, params={"index": rng.randrange(n), "tree_size": n})
                assert r.status_code == 200, r.text
        timings: list[list[float]] = [[] for _ in servers]
        load = os.getloadavg()[0]
        before = [_cpu_s(p.pid) for p, _, _ in servers] + [time.process_time(), _postgres_cpu_s(postmaster)]
        for i in range(samples * len(servers)):
            t = time.perf_counter()
            r = await clients[i % len(servers)].get(_PATH, params={"index": rng.randrange(n), "tree_size": n})
            timings[i % len(servers)].append(time.perf_counter() - t)
            assert r.status_code == 200, r.text
        after = [_cpu_s(p.pid) for p, _, _ in servers] + [time.process_time(), _postgres_cpu_s(postmaster)]
    finally:
        for client in clients:
            await client.aclose()
    return _summary(servers, timings, before, after, load, samples)


def _summary(
    servers: list[tuple[subprocess.Popen[bytes], int, str]],
    timings: list[list[float]],
    before: list[float],
    after: list[float],
    load: float,
    samples: int,
) -> dict[str, Any]:
    """Quantiles and CPU a request of each server; the client's and PostgreSQL's CPU are in ``before`` and
    ``after`` past the servers' (one value each), shared by all servers' requests."""
    out: dict[str, Any] = {
        "at": time.strftime("%H:%M:%S"),
        "load": [round(load, 2), round(os.getloadavg()[0], 2)],
    }
    names = ("old", "new") if len(servers) == 2 else ("new",)
    for name, values, cpu0, cpu1 in zip(names, timings, before, after, strict=False):
        cuts = statistics.quantiles(values, n=100)
        out[name] = {
            "p50_ms": round(1000 * cuts[49], 2),
            "p90_ms": round(1000 * cuts[89], 2),
            "p95_ms": round(1000 * cuts[94], 2),
            "p99_ms": round(1000 * cuts[98], 2),
            "max_ms": round(1000 * max(values), 2),
            "server_cpu_ms": round(1000 * (cpu1 - cpu0) / samples, 3),
        }
    if len(before) > len(servers):
        total = samples * len(servers)
        extra = [
            round(1000 * (b - a) / total, 3)
            for a, b in zip(before[len(servers) :], after[len(servers) :], strict=True)
        ]
        out["client_cpu_ms"], out["postgres_cpu_ms"] = extra
    return out


def _postgres_cpu_s(postmaster: int | None) -> float:
    """CPU of the postmaster's children (backends, and the background processes, idle here)."""
    if postmaster is None:
        return 0.0
    children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    total = 0.0
    for pid in children:
        with contextlib.suppress(OSError):
            total += _cpu_s(int(pid))
    return total


def _received(sock: socket.socket) -> bytes:
    data = sock.recv(65536)
    if not data:  # the server closed the connection (uvicorn closes one idle for 5 s)
        raise ConnectionError("the server closed the connection")
    return data


def _raw_round(
    servers: list[tuple[subprocess.Popen[bytes], int, str]],
    samples: int,
    n: int,
    seed: int,
    postmaster: int | None,
    warmup: int,
) -> dict[str, Any]:
    """The requests of ``_round``, sent by hand on blocking sockets: what is timed is the server's answer
    and the loopback, not an HTTP client library."""
    rng = random.Random(seed)
    socks = [socket.create_connection(("127.0.0.1", port)) for _, port, _ in servers]
    for sock in socks:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    heads = [
        f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
        for _, port, token in servers
    ]
    buffers = [b"" for _ in servers]

    def ask(i: int, check: bool) -> None:
        sock = socks[i]
        query = f"GET {_PATH}?index={rng.randrange(n)}&tree_size={n} HTTP/1.1\r\n".encode()
        sock.sendall(query + heads[i])
        data = buffers[i]
        while (end := data.find(b"\r\n\r\n")) < 0:
            data += _received(sock)
        head = data[:end]
        at = head.find(b"content-length:")
        length = int(head[at + 15 : head.find(b"\r\n", at)]) if at >= 0 else 0
        while len(data) < end + 4 + length:
            data += _received(sock)
        body, buffers[i] = data[end + 4 : end + 4 + length], data[end + 4 + length :]
        if not head.startswith(b"HTTP/1.1 200 "):
            raise RuntimeError(head.decode(errors="replace") + body.decode(errors="replace"))
        if check:
            assert json.loads(body)["tree_size"] == n

    try:
        for k in range(warmup * len(servers)):  # alternated: an idle keep-alive connection is closed at 5 s
            ask(k % len(servers), True)
        timings: list[list[float]] = [[] for _ in servers]
        load = os.getloadavg()[0]
        before = [_cpu_s(p.pid) for p, _, _ in servers] + [time.process_time(), _postgres_cpu_s(postmaster)]
        for k in range(samples * len(servers)):
            i = k % len(servers)
            t = time.perf_counter()
            ask(i, False)
            timings[i].append(time.perf_counter() - t)
        after = [_cpu_s(p.pid) for p, _, _ in servers] + [time.process_time(), _postgres_cpu_s(postmaster)]
    finally:
        for sock in socks:
            sock.close()
    return _summary(servers, timings, before, after, load, samples)


def _postmaster(server: Any) -> int | None:
    """The embedded server's postmaster (its children's CPU is PostgreSQL's); None for ``DATABASE_URL``."""
    if server is None:
        return None
    return int((Path(server.pgdata) / "postmaster.pid").read_text().split()[0])


async def _tree_size(url: str) -> int:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return int(await conn.fetchval("SELECT max(tree_size) FROM audit_head"))
    finally:
        await conn.close()


def main() -> None:
    if len(sys.argv) == 7 and sys.argv[1] == "--serve":
        _serve(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5]), sys.argv[6] == "1")
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/interop-bench-audit"))
    parser.add_argument("--old", type=Path, help="a source checkout (its src/ is imported); none: one server")
    parser.add_argument("--new", type=Path, default=Path(__file__).resolve().parents[2])
    parser.add_argument("--samples", type=int, default=1000, help="requests to each server a round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--warmup",
        type=int,
        default=50,
        help="untimed requests to each server before a round (a PostgreSQL just started has a cold cache)",
    )
    parser.add_argument("--client", choices=("httpx", "raw"), default="httpx", help="see above")
    parser.add_argument(
        "--as-before",
        action="store_true",
        help="serve as before session 9: uvicorn's defaults, asyncio's loop",
    )
    args = parser.parse_args()
    url, server = asyncio.run(prepare_database(args.data_dir, "bench_audit_scale", migrate_db=False))
    servers = []
    try:
        n = asyncio.run(_tree_size(url))
        if args.old is not None:
            servers.append(_start(args.old, url, args.data_dir, "old", args.as_before))
        servers.append(_start(args.new, url, args.data_dir, "new", args.as_before))
        postmaster = _postmaster(server)
        for round_ in range(args.rounds):
            if args.client == "raw":
                result = _raw_round(servers, args.samples, n, 4 + round_, postmaster, args.warmup)
            else:
                result = asyncio.run(_round(servers, args.samples, n, 4 + round_, args.warmup, postmaster))
            served = "as-before" if args.as_before else "as-deployed"
            print(json.dumps({"tree_size": n, "client": args.client, "served": served, **result}), flush=True)
    finally:
        for proc, _, _ in servers:
            proc.send_signal(signal.SIGINT)
            proc.wait()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
