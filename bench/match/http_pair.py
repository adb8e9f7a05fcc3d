"""``POST /fhir/Patient/$match`` on two code trees at once, for a fair old/new comparison on a shared
machine: one PostgreSQL (the loaded folder's embedded server), two ``interop serve`` processes on it (one
per ``PYTHONPATH``), and each probe sent to both, in alternating order, so both see the same load from
the rest of the machine. Prints p50/p95/p99 of each and the server process's CPU per request.

    python bench/match/http_pair.py --work /work/data/NAME/d100k --probes 500 \\
        --old /work/wt/base/src --new /work/wt/NAME/src
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from http_match import CLINIC_UNIT, INTEROP, _cli, _free_port, patient_of_row, pct


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_ready(client: httpx.Client) -> None:
    for _ in range(600):
        try:
            if client.get("/readyz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("interop serve did not become ready")


def compare(
    work: Path, trees: dict[str, str], rows: list[dict[str, str]], role: str, warmup: int = 20
) -> dict[str, Any]:
    from interop.db.embedded import start_embedded

    server = asyncio.run(start_embedded(work / "data"))
    env = {
        **os.environ,
        "INTEROP_DATA_DIR": str(work / "data"),
        "INTEROP_LOG_LEVEL": "WARNING",
        "DATABASE_URL": server.url(),
    }
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        name = f"bench-pair-{int(time.time())}"
        _cli(
            ["clients", "add", name, "--role", role, *(["--clues", CLINIC_UNIT] if role == "clinic" else [])],
            env,
        )
        token = _cli(["token", "--client", name], env).strip().splitlines()[-1]
        ports = {label: _free_port() for label in trees}
        for label, src in trees.items():
            procs[label] = subprocess.Popen(
                [INTEROP, "serve", "--host", "127.0.0.1", "--port", str(ports[label]), "--no-worker"],
                env={**env, "PYTHONPATH": src},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        clients = {
            label: httpx.Client(base_url=f"http://127.0.0.1:{ports[label]}", timeout=30.0) for label in trees
        }
        for client in clients.values():
            _wait_ready(client)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}
        times: dict[str, list[float]] = {label: [] for label in trees}
        errors = dict.fromkeys(trees, 0)
        cpu_start: dict[str, float] = {}
        load_before = os.getloadavg()
        labels = list(trees)
        for i, row in enumerate(rows):
            if i == warmup:
                cpu_start = {label: _cpu_s(p.pid) for label, p in procs.items()}
            body = {
                "resourceType": "Parameters",
                "parameter": [
                    {"name": "resource", "resource": patient_of_row(row)},
                    {"name": "count", "valueInteger": 10},
                ],
            }
            for label in labels if i % 2 else reversed(labels):
                t0 = time.perf_counter()
                response = clients[label].post("/fhir/Patient/$match", json=body, headers=headers)
                elapsed = (time.perf_counter() - t0) * 1000
                if response.status_code != 200:
                    errors[label] += 1
                elif i >= warmup:
                    times[label].append(elapsed)
        result: dict[str, Any] = {
            "role": role,
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        }
        for label, values in times.items():
            result[label] = {
                "src": trees[label],
                "probes": len(values),
                "errors": errors[label],
                "p50_ms": pct(values, 0.5),
                "p95_ms": pct(values, 0.95),
                "p99_ms": pct(values, 0.99),
                "max_ms": round(max(values), 2) if values else None,
                "server_cpu_ms_per_request": round(
                    1000 * (_cpu_s(procs[label].pid) - cpu_start[label]) / max(1, len(values)), 2
                ),
            }
        for client in clients.values():
            client.close()
        return result
    finally:
        for proc in procs.values():
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--work", type=Path, required=True, help="A folder bench.py loaded (synth/, data/).")
    ap.add_argument("--probes", type=int, default=500)
    ap.add_argument("--old", required=True, help="PYTHONPATH of the first tree (its src folder).")
    ap.add_argument("--new", required=True, help="PYTHONPATH of the second tree.")
    ap.add_argument("--role", default="bienestar", choices=("bienestar", "clinic", "reviewer", "admin"))
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from bench import probe_rows  # bench imports http_match: import it only when run

    result = compare(
        args.work, {"old": args.old, "new": args.new}, probe_rows(args.work / "synth", args.probes), args.role
    )
    text = json.dumps(result, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")


if __name__ == "__main__":
    main()
