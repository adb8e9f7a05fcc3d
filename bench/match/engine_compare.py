"""DuckDB and Spark engines side by side on the same imported data, in one bench run.

    python bench/match/bench.py --people 100000 --work /tmp/bm --engine spark

Runs ``interop match run`` on DuckDB (training the model), empties the person index (the model
stays active), then ``interop match run --engine spark`` with that model. For each: wall seconds, CPU
seconds, peak memory of the driver (the ``interop`` Python process, where DuckDB also runs) and of the
executors (the Spark JVM: in local mode the driver JVM and its executor threads are one process), and
the accuracy against ``truth.csv``; then whether both gave the same persons. Nothing is asserted.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

INTEROP_ENV = {
    # Local mode on this machine; a cluster sets INTEROP_SPARK_MASTER=spark://… instead.
    "INTEROP_SPARK_DRIVER_MEMORY": "3g",
    "INTEROP_SPARK_SHUFFLE_PARTITIONS": "8",
}


def measure(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``cmd``; wall, CPU (user + system, every process of its tree but PostgreSQL's) and peak
    RSS of the Python driver and of the JVM, sampled every 0.2 s."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root = psutil.Process(proc.pid)
    peak = {"driver": 0, "jvm": 0}
    cpu: dict[int, float] = {}
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read() if proc.stdout else ""))
    reader.start()
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            procs = []
        driver = jvm = 0
        for p in procs:
            try:
                name = p.name()
                if "postgres" in name:
                    continue
                times = p.cpu_times()
                cpu[p.pid] = times.user + times.system + times.children_user + times.children_system
                rss = p.memory_info().rss
            except psutil.Error:
                continue
            if "java" in name:
                jvm += rss
            else:
                driver += rss
        peak["driver"] = max(peak["driver"], driver)
        peak["jvm"] = max(peak["jvm"], jvm)
        time.sleep(0.2)
    reader.join()
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err[-2000:]}")
    return {
        "wall_s": round(time.perf_counter() - t0, 1),
        "cpu_s": round(sum(cpu.values()), 1),
        "peak_rss_driver_gib": round(peak["driver"] / 2**30, 2),
        "peak_rss_jvm_gib": round(peak["jvm"] / 2**30, 2),
        "summary": [line.strip() for line in (out[0] if out else "").splitlines() if line.strip()],
    }


def _groups(path: Path) -> set[frozenset[str]]:
    members: dict[str, set[str]] = {}
    with path.open() as fh:
        for r in csv.DictReader(fh):
            members.setdefault(r["person_id"], set()).add(f"{r['source']}|{r['record_id']}")
    return {frozenset(m) for m in members.values()}


def compare(
    interop: str,
    env: dict[str, str],
    synth: Path,
    *,
    accuracy: Callable[[dict[str, str], Path], dict[str, Any]],
    empty_index: Callable[[dict[str, str]], None],
) -> dict[str, Any]:
    """Both engines on the data ``env``'s data folder holds (imported, person index empty or not)."""
    env = {**INTEROP_ENV, **env}
    out: dict[str, Any] = {}
    groups = {}
    for engine in ("duckdb", "spark"):
        if engine == "spark":
            empty_index(env)  # the model trained by the DuckDB run stays active
        cmd = [interop, "match", "run", "--engine", engine] + (["--retrain"] if engine == "duckdb" else [])
        out[engine] = measure(cmd, env)
        out[engine]["accuracy_auto"] = accuracy(env, synth)["auto"]
        # Each engine's figures as soon as they exist: a long run stopped later keeps the first half.
        print(json.dumps({engine: out[engine]}), file=sys.stderr, flush=True)
        export = synth.parent / f"persons-{engine}.csv"
        subprocess.run(
            [interop, "persons", "export", "--out", str(export)], env=env, check=True, capture_output=True
        )
        groups[engine] = _groups(export)
    out["same_persons"] = groups["duckdb"] == groups["spark"]
    out["persons_only_in_one"] = len(groups["duckdb"] ^ groups["spark"])
    out["ratio_spark_to_duckdb_wall"] = round(out["spark"]["wall_s"] / out["duckdb"]["wall_s"], 2)
    return out
