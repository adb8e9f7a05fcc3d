"""Matching benchmark on ``interop synth`` data: the full ``interop match run`` beside a plain Splink
DuckDB linkage with default-style settings on the same data, and ``$match`` latency on the index.

    python bench/match/bench.py --people 100000 --seed 2 --work /tmp/bench-match [--baseline] [--latency 500]

Steps: synth → import units, roll, patients (embedded PostgreSQL in WORK/data) → ``interop match run``
(wall time, peak RSS) → ``interop match evaluate`` → optionally the plain Splink run (same process, wall
time, peak RSS, pairwise P/R/F1 at p ≥ 0.9 after clustering) → optionally online latency percentiles.
Prints one JSON document; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

INTEROP = str(Path(sys.executable).with_name("interop"))


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS of the command's process tree (GiB, sampled), and its stdout."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    ps = psutil.Process(proc.pid)
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read() if proc.stdout else ""))
    reader.start()
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(
                c.memory_info().rss for c in ps.children(recursive=True) if "postgres" not in c.name()
            )
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.2)
    reader.join()
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err[-2000:]}")
    return time.perf_counter() - t0, peak / 2**30, out[0] if out else ""


def evaluate(env: dict[str, str], truth: Path) -> dict[str, Any]:
    _, _, out = timed([INTEROP, "match", "evaluate", "--truth", str(truth), "--json"], env)
    start = out.index("{")
    return dict(json.loads(out[start:]))


def hard_negatives(env: dict[str, str], synth: Path) -> dict[str, dict[str, int]]:
    """Per kind of hard negative (twins, namesakes) in the synthetic population: how many pairs of
    distinct people ended with records in one golden person (``interop persons export``)."""
    export = synth.parent / "persons-export.csv"
    timed([INTEROP, "persons", "export", "--out", str(export)], env)
    with export.open() as fh:
        person_of = {f"{r['source']}|{r['record_id']}": r["person_id"] for r in csv.DictReader(fh)}
    records: dict[str, list[str]] = {}
    with (synth / "truth.csv").open() as fh:
        for r in csv.DictReader(fh):
            records.setdefault(r["person_id"], []).append(f"{r['source']}|{r['record_id']}")
    out: dict[str, dict[str, int]] = {}
    with (synth / "hard_negatives.csv").open() as fh:
        for r in csv.DictReader(fh):
            a = {person_of.get(x) for x in records.get(r["person_id_a"], [])} - {None}
            b = {person_of.get(x) for x in records.get(r["person_id_b"], [])} - {None}
            kind = out.setdefault(r["kind"], {"pairs": 0, "linked": 0})
            kind["pairs"] += 1
            kind["linked"] += bool(a & b)
    return out


def accuracy(env: dict[str, str], synth: Path) -> dict[str, Any]:
    report = evaluate(env, synth / "truth.csv")
    return {
        "auto": report["auto"]["all"],
        "auto_and_review": report["auto_and_review"]["all"],
        "per_source_pair_auto": report["auto"],
        "hard_negatives_linked": hard_negatives(env, synth),
    }


def empty_person_index(env: dict[str, str]) -> None:
    """Persons, records, links and reviews removed; trained models and imports kept."""
    from sqlalchemy import text

    from interop.config import Settings
    from interop.db.runtime import open_database, prepare

    settings = Settings(data_dir=Path(env["INTEROP_DATA_DIR"]))
    url, server = prepare(settings)

    async def run() -> None:
        async with open_database(settings, url) as db, db.sessionmaker() as session:
            await session.execute(
                text("TRUNCATE match_link, match_review, match_record, match_person CASCADE")
            )
            await session.commit()

    try:
        asyncio.run(run())
    finally:
        if server is not None:
            server.stop()


def ratios(result: dict[str, Any]) -> dict[str, float]:
    """The interop run against the plain Splink run on the same data in the same process run (both
    train a model and cluster; interop also writes its person index, links and reviews)."""
    ours, plain = result["interop_match_run"], result["plain_splink"]
    ours_auto, plain_auto = result["interop_accuracy"]["auto"], plain["accuracy"]
    return {
        "wall": round(ours["wall_s"] / plain["wall_s"], 2),
        "peak_rss": round(ours["peak_rss_gib"] / plain["peak_rss_gib"], 2),
        "auto_precision": round(ours_auto["precision"] / plain_auto["precision"], 4),
        "auto_recall": round(ours_auto["recall"] / plain_auto["recall"], 4),
    }


def peak_rss_thread() -> tuple[threading.Event, list[int]]:
    stop, peak = threading.Event(), [0]
    me = psutil.Process(os.getpid())

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], me.memory_info().rss)
            time.sleep(0.1)

    threading.Thread(target=watch, daemon=True).start()
    return stop, peak


def plain_splink(synth: Path, threshold: float = 0.9) -> dict[str, Any]:
    """What a straightforward Splink 5 user would write: library comparisons, blocking on birth date
    with a name, EM on two rules, predict, cluster at the threshold."""
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    stop, peak = peak_rss_thread()
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET threads = 2").fetchall()
    # A cap so a national-size baseline cannot starve the shared machine (DuckDB spills past it).
    con.execute("SET memory_limit = '10GB'").fetchall()
    cols = (
        "curp, upper(nombre) AS nombre, upper(primer_apellido) AS primer_apellido, "
        "upper(segundo_apellido) AS segundo_apellido, fecha_nacimiento, sexo, entidad, municipio"
    )
    con.execute(
        f"CREATE TABLE recs AS SELECT 'roll|' || record_id AS unique_id, {cols} "
        f"FROM read_csv('{synth / 'pension_roll.csv'}', all_varchar = true) UNION ALL "
        f"SELECT 'patients|' || record_id, {cols} "
        f"FROM read_csv('{synth / 'patients.csv'}', all_varchar = true)"
    ).fetchall()
    db = DuckDBAPI(con)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("nombre"),
            cl.NameComparison("primer_apellido"),
            cl.NameComparison("segundo_apellido"),
            cl.DateOfBirthComparison("fecha_nacimiento", input_is_string=True),
            cl.LevenshteinAtThresholds("curp", [1, 2]),
            cl.ExactMatch("sexo"),
            cl.ExactMatch("entidad"),
            cl.ExactMatch("municipio"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("curp"),
            block_on("fecha_nacimiento", "primer_apellido"),
            block_on("fecha_nacimiento", "nombre"),
            block_on("substr(fecha_nacimiento, 1, 4)", "primer_apellido", "segundo_apellido"),
        ],
    )
    linker = Linker(db.register(con.table("recs")), settings, log_level=40)
    linker.training.estimate_probability_two_random_records_match([block_on("curp")], recall=0.6)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("curp"), max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("fecha_nacimiento", "primer_apellido"), max_pairs=1e6
    )
    pred = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold)
    rows = con.execute(f"SELECT unique_id, cluster_id FROM {clusters.physical_name}").fetchall()
    wall = time.perf_counter() - t0
    stop.set()
    return {
        "wall_s": round(wall, 1),
        "peak_rss_gib": round(peak[0] / 2**30, 2),
        "threshold": threshold,
        "assignment": {u: str(c) for u, c in rows},
    }


def read_truth(path: Path) -> dict[str, str]:
    import csv

    with path.open() as fh:
        return {f"{r['source']}|{r['record_id']}": r["person_id"] for r in csv.DictReader(fh)}


def latency(env: dict[str, str], synth: Path, n: int) -> dict[str, Any]:
    """``match_online`` on n probes drawn from the patients file (as written, noise included), in one
    session, as the visit path calls it; plus the same through HTTP ``POST /fhir/Patient/$match``."""
    import csv
    import random
    from datetime import date

    from interop.config import Settings
    from interop.db.runtime import open_database, prepare
    from interop.matching import service
    from interop.matching.schemas import IdentityProbe

    settings = Settings(data_dir=Path(env["INTEROP_DATA_DIR"]))
    url, server = prepare(settings)
    settings.database_url = url
    rows = list(csv.DictReader((synth / "patients.csv").open()))
    rng = random.Random(5)
    sample = rng.sample(rows, min(n, len(rows)))
    times: list[float] = []
    found = [0]

    def probe_of(r: dict[str, str]) -> IdentityProbe:
        try:
            born = date.fromisoformat(r["fecha_nacimiento"]) if r["fecha_nacimiento"] else None
        except ValueError:
            born = None
        return IdentityProbe(
            curp=r["curp"] or None,
            given_names=r["nombre"],
            paternal_surname=r["primer_apellido"],
            maternal_surname=r["segundo_apellido"] or None,
            birth_date=born,
            sex=r["sexo"] or None,
            entidad=r["entidad"] or None,
            municipio=r["municipio"] or None,
            localidad=r["localidad"] or None,
            domicilio=r["domicilio"] or None,
        )

    async def run() -> None:
        async with open_database(settings, url) as db, db.sessionmaker() as session:
            for i, r in enumerate(sample):
                probe = probe_of(r)
                t0 = time.perf_counter()
                cands = await service.match_online(session, probe=probe, limit=10, settings=settings)
                dt = time.perf_counter() - t0
                if i >= 20:  # warm-up excluded
                    times.append(dt * 1000)
                found[0] += any(c.source == "patients" and c.record_id == r["record_id"] for c in cands)
            await session.rollback()

    try:
        asyncio.run(run())
    finally:
        if server is not None:
            server.stop()
    times.sort()

    def pct(p: float) -> float:
        return round(times[min(len(times) - 1, int(p * len(times)))], 2)

    return {
        "probes": len(times),
        "p50_ms": pct(0.5),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(times[-1], 2),
        "mean_ms": round(statistics.fmean(times), 2),
        "self_found_rate": round(found[0] / len(sample), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-match"))
    ap.add_argument("--skip-import", action="store_true", help="WORK already holds synth and the imports.")
    ap.add_argument("--baseline", action="store_true", help="Also run plain Splink on the same data.")
    ap.add_argument("--latency", type=int, default=0, help="Number of $match probes to time.")
    ap.add_argument("--retrain", action="store_true")
    ap.add_argument(
        "--empty-index",
        action="store_true",
        help="Empty the person index first (the model stays): time a first run on data already loaded.",
    )
    ap.add_argument("--baseline-only", action="store_true", help="Only the plain Splink run on WORK/synth.")
    ap.add_argument(
        "--evaluate-only", action="store_true", help="Only the accuracy of what WORK/data holds now."
    )
    args = ap.parse_args()
    synth, data = args.work / "synth", args.work / "data"
    env = {**os.environ, "INTEROP_DATA_DIR": str(data), "INTEROP_LOG_LEVEL": "WARNING"}
    result: dict[str, Any] = {"people": args.people, "seed": args.seed}
    if args.baseline_only:
        from interop.matching import evaluation

        base = plain_splink(synth)
        scores = evaluation.pairwise(base.pop("assignment"), read_truth(synth / "truth.csv"))
        print(json.dumps({**result, "plain_splink": {**base, "accuracy": scores["all"].as_dict()}}, indent=2))
        return
    if args.evaluate_only:
        result["interop_accuracy"] = accuracy(env, synth)
        if args.latency:
            result["match_latency"] = latency(env, synth, args.latency)
        print(json.dumps(result, indent=2))
        return
    if not args.skip_import:
        args.work.mkdir(parents=True, exist_ok=True)
        timed(
            [INTEROP, "synth", "--out", str(synth), "--people", str(args.people), "--seed", str(args.seed)],
            env,
        )
        imports = {}
        for kind, name in (
            ("units", "units.csv"),
            ("roll", "pension_roll.csv"),
            ("patients", "patients.csv"),
        ):
            wall, _, _ = timed([INTEROP, "import", kind, str(synth / name)], env)
            imports[kind] = round(wall, 1)
        result["import_wall_s"] = imports
    if args.empty_index:
        empty_person_index(env)
    cmd = [INTEROP, "match", "run"] + (["--retrain"] if args.retrain else [])
    wall, peak, out = timed(cmd, env)
    result["interop_match_run"] = {
        "wall_s": round(wall, 1),
        "peak_rss_gib": round(peak, 2),
        "summary": [line.strip() for line in out.splitlines() if line.strip()],
    }
    result["interop_accuracy"] = accuracy(env, synth)
    if args.baseline:
        from interop.matching import evaluation

        base = plain_splink(synth)
        scores = evaluation.pairwise(base.pop("assignment"), read_truth(synth / "truth.csv"))
        result["plain_splink"] = {**base, "accuracy": scores["all"].as_dict()}
        result["ratios_to_plain_splink"] = ratios(result)
    if args.latency:
        result["match_latency"] = latency(env, synth, args.latency)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
