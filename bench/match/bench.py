"""Matching benchmark on ``interop synth`` data (either generator) or a public FEBRL set: the full
``interop match run`` beside a plain Splink DuckDB linkage with default-style settings on the same
data, the review queue, reliability of the scores, and ``$match`` latency in process and over HTTP.

    python bench/match/bench.py --people 100000 --seed 2 --work /tmp/bench-match [--baseline] [--latency 500]
    python bench/match/bench.py --generator kin --people 100000 --seed 5 --work /tmp/bm-kin --baseline \
        --latency 500 --http 500
    python bench/match/bench.py --febrl 4 --work /tmp/bm-febrl4 --baseline
    python bench/match/bench.py --people 100000 --work /tmp/bm-spark --engine spark   # DuckDB vs Spark

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
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from febrl import write_febrl
from http_match import time_http_match
from quality import before_after, format_before_after, last_run_timings, review_queue, review_rows

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
    truth = read_truth(synth / "truth.csv")
    out = {
        "auto": report["auto"]["all"],
        "auto_and_review": report["auto_and_review"]["all"],
        "per_source_pair_auto": report["auto"],
        "per_source_pair_auto_and_review": report["auto_and_review"],
    }
    reviews = review_rows(env)
    out["review_queue"] = review_queue(reviews, truth, len(truth))
    same = [truth.get(a) == truth.get(b) for a, b, _, _ in reviews]
    out["reliability_review_pairs"] = before_after(
        [(r[3], t) for r, t in zip(reviews, same, strict=True)],
        [(r[2], t) for r, t in zip(reviews, same, strict=True)],
    )
    print(
        format_before_after("reliability of review pairs", out["reliability_review_pairs"]), file=sys.stderr
    )
    if (synth / "hard_negatives.csv").exists():
        out["hard_negatives_linked"] = hard_negatives(env, synth)
    return out


def empty_person_index(env: dict[str, str]) -> None:
    """Persons, records, links and reviews removed; trained models and imports kept."""
    from sqlalchemy import text

    from interop.config import Settings
    from interop.db.runtime import open_database, prepare

    settings = Settings(data_dir=Path(env["INTEROP_DATA_DIR"]))
    # TRUNCATE is the tables' owner's right, not the application role's.
    url, server = prepare(settings, as_owner=True)

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
    out = {
        "wall": round(ours["wall_s"] / plain["wall_s"], 2),
        "peak_rss": round(ours["peak_rss_gib"] / plain["peak_rss_gib"], 2),
    }
    # With --no-accuracy there is no accuracy of ours to compare (the speed ratios still hold).
    if "interop_accuracy" in result and "accuracy" in plain:
        ours_auto, plain_auto = result["interop_accuracy"]["auto"], plain["accuracy"]
        out["auto_precision"] = round(ours_auto["precision"] / plain_auto["precision"], 4)
        out["auto_recall"] = round(ours_auto["recall"] / plain_auto["recall"], 4)
    return out


def peak_rss_thread() -> tuple[threading.Event, list[int]]:
    stop, peak = threading.Event(), [0]
    me = psutil.Process(os.getpid())

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], me.memory_info().rss)
            time.sleep(0.1)

    threading.Thread(target=watch, daemon=True).start()
    return stop, peak


def plain_splink(synth: Path, threshold: float = 0.9, *, febrl: bool = False) -> dict[str, Any]:
    """What a straightforward Splink 5 user would write: library comparisons, blocking on birth date
    with a name, EM on two rules, predict, cluster at the threshold. ``febrl``: the columns FEBRL has
    (no CURP, sex, entidad or maternal surname; the address and locality instead)."""
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
        "upper(segundo_apellido) AS segundo_apellido, fecha_nacimiento, sexo, entidad, municipio, "
        "localidad, domicilio"
    )
    con.execute(
        f"CREATE TABLE recs AS SELECT 'roll|' || record_id AS unique_id, {cols} "
        f"FROM read_csv('{synth / 'pension_roll.csv'}', all_varchar = true) UNION ALL "
        f"SELECT 'patients|' || record_id, {cols} "
        f"FROM read_csv('{synth / 'patients.csv'}', all_varchar = true)"
    ).fetchall()
    db = DuckDBAPI(con)
    if febrl:
        return _plain_splink_febrl(con, db, threshold, stop, peak, t0)
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


def _plain_splink_febrl(
    con: Any, db: Any, threshold: float, stop: threading.Event, peak: list[int], t0: float
) -> dict[str, Any]:
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("nombre"),
            cl.NameComparison("primer_apellido"),
            cl.DateOfBirthComparison("fecha_nacimiento", input_is_string=True),
            cl.LevenshteinAtThresholds("domicilio", [2, 5]),
            cl.ExactMatch("localidad"),
            cl.ExactMatch("municipio"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("fecha_nacimiento"),
            block_on("primer_apellido", "municipio"),
            block_on("nombre", "localidad"),
            block_on("domicilio"),
        ],
    )
    linker = Linker(db.register(con.table("recs")), settings, log_level=40)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nombre", "primer_apellido", "fecha_nacimiento")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("fecha_nacimiento"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("primer_apellido", "municipio")
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


def probe_of(r: dict[str, str]) -> Any:
    """A registry row (as written, noise included) as a ``$match`` probe."""
    from datetime import date

    from interop.matching.schemas import IdentityProbe

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


def latency(env: dict[str, str], synth: Path, n: int) -> dict[str, Any]:
    """``match_online`` on n probes drawn from the patients file (as written, noise included), in one
    session, as the visit path calls it; plus the same through HTTP ``POST /fhir/Patient/$match``."""
    import csv
    import random

    from interop.config import Settings
    from interop.db.runtime import open_database, prepare
    from interop.matching import service

    settings = Settings(data_dir=Path(env["INTEROP_DATA_DIR"]))
    url, server = prepare(settings)
    settings.database_url = url
    rows = list(csv.DictReader((synth / "patients.csv").open()))
    rng = random.Random(5)
    sample = rng.sample(rows, min(n, len(rows)))
    times: list[float] = []
    found = [0]
    truth = read_truth(synth / "truth.csv")
    scored: list[tuple[float, bool]] = []
    scored_raw: list[tuple[float, bool]] = []
    by_grade: dict[str, tuple[list[tuple[float, bool]], list[tuple[float, bool]]]] = {
        "certain": ([], []),
        "other": ([], []),
    }

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
                me = f"patients|{r['record_id']}"
                for c in cands:
                    key = f"{c.source}|{c.record_id}"
                    if key != me:  # the probe's own record says nothing about calibration
                        same = truth.get(key) == truth.get(me)
                        scored.append((c.probability, same))
                        raw = getattr(c, "raw_probability", None)  # None on code before calibration
                        scored_raw.append((c.probability if raw is None else raw, same))
                        # The online twin of an automatic link (graded certain) and everything else.
                        cell = by_grade["certain" if c.grade == "certain" else "other"]
                        cell[0].append((c.probability if raw is None else raw, same))
                        cell[1].append((c.probability, same))
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
        "reliability_match_candidates": before_after(scored_raw, scored),
        "reliability_match_candidates_by_grade": {g: before_after(*cells) for g, cells in by_grade.items()},
    }


def probe_rows(synth: Path, n: int) -> list[dict[str, str]]:
    """The same probes as ``latency``: n registry rows drawn with a fixed seed."""
    import random

    rows = list(csv.DictReader((synth / "patients.csv").open()))
    return random.Random(5).sample(rows, min(n, len(rows)))


def failed_job(env: dict[str, str]) -> dict[str, Any]:
    """The last match-run job's attempts and error, as the job queue recorded them."""
    from sqlalchemy import text

    from interop.config import Settings
    from interop.db.runtime import open_database, prepare

    settings = Settings(data_dir=Path(env["INTEROP_DATA_DIR"]))
    url, server = prepare(settings)

    async def run() -> dict[str, Any]:
        async with open_database(settings, url) as db, db.sessionmaker() as session:
            row = (
                await session.execute(
                    text(
                        "SELECT attempts, max_attempts, error FROM job WHERE kind = 'matching.run' "
                        "ORDER BY id DESC LIMIT 1"
                    )
                )
            ).first()
            return {} if row is None else {"attempts": row[0], "max_attempts": row[1], "error": row[2]}

    try:
        return asyncio.run(run())
    finally:
        if server is not None:
            server.stop()


def keep_entidad(source: Path, synth: Path, entidad: str) -> dict[str, int]:
    """Copy ``source`` (synth output) to ``synth`` keeping the roll and registry records whose entidad
    is ``entidad`` (the records one partition holds), with their truth; units and hard negatives whole."""
    synth.mkdir(parents=True, exist_ok=True)
    kept: set[tuple[str, str]] = set()
    counts: dict[str, int] = {}
    for name, source_name in (("pension_roll.csv", "roll"), ("patients.csv", "patients")):
        with (source / name).open(newline="") as fh, (synth / name).open("w", newline="") as out:
            reader = csv.DictReader(fh)
            writer = csv.DictWriter(out, fieldnames=list(reader.fieldnames or []))
            writer.writeheader()
            total = 0
            for row in reader:
                total += 1
                if row["entidad"] == entidad:
                    writer.writerow(row)
                    kept.add((source_name, row["record_id"]))
            counts[f"{source_name}_national"] = total
    with (source / "truth.csv").open(newline="") as fh, (synth / "truth.csv").open("w", newline="") as out:
        reader = csv.DictReader(fh)
        writer = csv.DictWriter(out, fieldnames=list(reader.fieldnames or []))
        writer.writeheader()
        writer.writerows(r for r in reader if (r["source"], r["record_id"]) in kept)
    for name in ("units.csv", "hard_negatives.csv"):
        if (source / name).exists():
            shutil.copy(source / name, synth / name)
    counts["records_kept"] = len(kept)
    return counts


def run_match(env: dict[str, str], retrain: bool) -> dict[str, Any]:
    """``interop match run``; a failed run is reported (exit, last words), not raised."""
    cmd = [INTEROP, "match", "run"] + (["--retrain"] if retrain else [])
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        wall, peak, out = timed(cmd, env)
    except RuntimeError as exc:
        lines = [line for line in str(exc).splitlines() if line.strip()]
        return {
            "failed": True,
            "wall_s": round(time.perf_counter() - t0, 1),
            "error": lines[-6:],
            "job": failed_job(env),
        }
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {
        "wall_s": round(wall, 1),
        # user + system seconds of the interop process (PostgreSQL's server is not its child): on a
        # shared machine the figure that load changes least.
        "cpu_s": round(cpu, 1),
        "peak_rss_gib": round(peak, 2),
        "summary": [line.strip() for line in out.splitlines() if line.strip()],
    }


def describe_data(args: argparse.Namespace) -> dict[str, Any]:
    """What the run measures, for the JSON: a folder given with --synth-from is named as such (the
    --generator, --people and --seed defaults did not make it)."""
    if args.febrl:
        return {"data": f"FEBRL{args.febrl}"}
    if args.synth_from:
        return {"data": f"synth-from {args.synth_from}"}
    return {"data": f"synth --generator {args.generator}", "people": args.people, "seed": args.seed}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-match"))
    ap.add_argument("--skip-import", action="store_true", help="WORK already holds synth and the imports.")
    ap.add_argument("--baseline", action="store_true", help="Also run plain Splink on the same data.")
    ap.add_argument("--latency", type=int, default=0, help="Number of $match probes to time.")
    ap.add_argument("--http", type=int, default=0, help="Number of $match probes to time over HTTP.")
    ap.add_argument("--generator", choices=("default", "kin"), default="default")
    ap.add_argument("--febrl", type=int, choices=(1, 2, 3, 4), help="A FEBRL set instead of synth data.")
    ap.add_argument("--json-out", type=Path, help="Also write the JSON document here.")
    ap.add_argument("--retrain", action="store_true")
    ap.add_argument(
        "--no-accuracy", action="store_true", help="Time the run only (no evaluate; at 1 M it takes minutes)."
    )
    ap.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="spark: the DuckDB run, then the Spark run with its model, side by side (engine_compare.py).",
    )
    ap.add_argument(
        "--empty-index",
        action="store_true",
        help="Empty the person index first (the model stays): time a first run on data already loaded.",
    )
    ap.add_argument("--baseline-only", action="store_true", help="Only the plain Splink run on WORK/synth.")
    ap.add_argument(
        "--only-entidad",
        metavar="CODE",
        help="Keep only the roll and registry records of this entidad (its partition) before importing: "
        "one entidad of a national population, alone. With --synth-from, reuses that synth output.",
    )
    ap.add_argument("--synth-from", type=Path, help="A synth output folder to reuse instead of synthesising.")
    ap.add_argument(
        "--evaluate-only", action="store_true", help="Only the accuracy of what WORK/data holds now."
    )
    ap.add_argument(
        "--calibrate",
        action="store_true",
        help="With --evaluate-only: refit the score calibration first (interop match calibrate).",
    )
    ap.add_argument(
        "--simulate-decisions",
        type=int,
        default=0,
        help="With --evaluate-only: decide N open reviews by the truth file, refit, report the rest.",
    )
    args = ap.parse_args()
    synth, data = args.work / "synth", args.work / "data"
    env = {**os.environ, "INTEROP_DATA_DIR": str(data), "INTEROP_LOG_LEVEL": "WARNING"}
    result = describe_data(args)
    if args.baseline_only:
        from interop.matching import evaluation

        base = plain_splink(synth, febrl=bool(args.febrl))
        scores = evaluation.pairwise(base.pop("assignment"), read_truth(synth / "truth.csv"))
        print(json.dumps({**result, "plain_splink": {**base, "accuracy": scores["all"].as_dict()}}, indent=2))
        return
    if args.evaluate_only:
        if args.calibrate:
            wall, _, out = timed([INTEROP, "match", "calibrate"], env)
            result["calibration"] = {"wall_s": round(wall, 1), **json.loads(out[out.index("{") :])}
        result["interop_accuracy"] = accuracy(env, synth)
        if args.latency:
            result["match_latency"] = latency(env, synth, args.latency)
        if args.simulate_decisions:
            from decisions import after_decisions

            def calibrate() -> dict[str, Any]:
                _, _, out = timed([INTEROP, "match", "calibrate"], env)
                return dict(json.loads(out[out.index("{") :]))

            truth = read_truth(synth / "truth.csv")
            result["after_simulated_decisions"] = after_decisions(
                env, truth, args.simulate_decisions, calibrate
            )
            print(
                format_before_after(
                    f"reliability of the reviews left open after {args.simulate_decisions} decisions",
                    result["after_simulated_decisions"]["reliability_open_reviews"],
                ),
                file=sys.stderr,
            )
        if args.http:
            result["match_http"] = time_http_match(env, probe_rows(synth, args.http))
        text = json.dumps(result, indent=2)
        print(text)
        if args.json_out:
            args.json_out.write_text(text + "\n")
        return
    if not args.skip_import:
        args.work.mkdir(parents=True, exist_ok=True)
        if args.febrl:
            result["febrl"] = write_febrl(args.febrl, synth)
        elif args.synth_from or args.only_entidad:
            source = args.synth_from or args.work / "synth-national"
            if not args.synth_from:
                synth_cmd = [INTEROP, "synth", "--out", str(source), "--people", str(args.people)]
                timed([*synth_cmd, "--seed", str(args.seed), "--generator", args.generator], env)
            result["synth_from"] = str(source)
            if args.only_entidad:
                result["only_entidad"] = keep_entidad(source, synth, args.only_entidad)
            else:
                shutil.copytree(source, synth, dirs_exist_ok=True)
        else:
            synth_cmd = [INTEROP, "synth", "--out", str(synth), "--people", str(args.people)]
            wall, peak, _ = timed([*synth_cmd, "--seed", str(args.seed), "--generator", args.generator], env)
            result["synth"] = {"wall_s": round(wall, 1), "peak_rss_gib": round(peak, 2)}
        imports = {}
        for kind, name in (
            ("units", "units.csv"),
            ("roll", "pension_roll.csv"),
            ("patients", "patients.csv"),
        ):
            with (synth / name).open() as fh:
                if sum(1 for _ in fh) < 2:  # FEBRL1–3 have no roll
                    continue
            wall, _, _ = timed([INTEROP, "import", kind, str(synth / name)], env)
            imports[kind] = round(wall, 1)
        result["import_wall_s"] = imports
    if args.empty_index:
        empty_person_index(env)
    if args.engine == "spark":
        from engine_compare import compare

        result["engines"] = compare(INTEROP, env, synth, accuracy=accuracy, empty_index=empty_person_index)
        text = json.dumps(result, indent=2)
        print(text)
        if args.json_out:
            args.json_out.write_text(text + "\n")
        return
    result["interop_match_run"] = run_match(env, args.retrain)
    ran = not result["interop_match_run"].get("failed")
    if ran:
        result["interop_match_run"]["timings_s"] = last_run_timings(env)
    if ran and not args.no_accuracy:
        result["interop_accuracy"] = accuracy(env, synth)
    if args.baseline:
        from interop.matching import evaluation

        try:
            base = plain_splink(synth, febrl=bool(args.febrl))
        except Exception as exc:  # a baseline that cannot train is a result too
            result["plain_splink"] = {"failed": True, "error": f"{type(exc).__name__}: {exc}"[:500]}
        else:
            scores = evaluation.pairwise(base.pop("assignment"), read_truth(synth / "truth.csv"))
            result["plain_splink"] = {
                **base,
                "accuracy": scores["all"].as_dict(),
                "per_source_pair": {k: v.as_dict() for k, v in scores.items() if k != "all"},
            }
            if ran:
                result["ratios_to_plain_splink"] = ratios(result)
    if ran and args.latency:
        result["match_latency"] = latency(env, synth, args.latency)
        print(
            format_before_after(
                "reliability of $match scores (candidates other than the probe's own record)",
                result["match_latency"]["reliability_match_candidates"],
            ),
            file=sys.stderr,
        )
    if ran and args.http:
        try:
            result["match_http"] = time_http_match(env, probe_rows(synth, args.http))
        except Exception as exc:  # the figures above still count
            result["match_http"] = {"failed": True, "error": f"{type(exc).__name__}: {exc}"[:1000]}
    text = json.dumps(result, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")


if __name__ == "__main__":
    main()
