"""Import benchmark: a synthetic pension roll of N rows (default 1,000,000) through `interop import roll`,
beside raw `COPY` of the same file into an unindexed table, in the same run on the same server.

    /work/venv/bin/python bench/import/run.py [--rows 1000000] [--cache DIR] [--chunk-rows 50000] [--reimport]

Prints rows/s of both and the ratio import ÷ COPY. With ``--reimport``, a second file of the same
records follows (every 10th row with a new address, every 20th of those also in another entidad: the
staged merge, and new versions in other partitions since migration 0022), its job time printed apart.
The roll is written by `interop synth` once and cached (keyed by rows and seed); a fresh embedded
PostgreSQL is started in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

from interop.db import migrate
from interop.db.embedded import start_embedded

ROLL_COLUMNS = (
    "record_id",
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
    "telefono",
    "programa",
)
ROLL_PER_PERSON = 0.79  # roll rows per synthetic person (pensioners are a share of the population)


def roll_file(rows: int, seed: int, cache: Path) -> Path:
    """A roll of exactly ``rows`` data rows, from `interop synth` (cached)."""
    target = cache / f"roll_{rows}_{seed}.csv"
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    people = math.ceil(rows / ROLL_PER_PERSON * 1.02)
    out = Path(tempfile.mkdtemp(prefix="synth-", dir=cache))
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "interop.cli",
            "synth",
            "--out",
            str(out),
            "--people",
            str(people),
            "--seed",
            str(seed),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"synth: {people:,} people in {time.perf_counter() - started:.1f} s", flush=True)
    written = 0
    with (
        (out / "pension_roll.csv").open(encoding="utf-8", newline="") as src,
        target.open("w", encoding="utf-8", newline="") as dst,
    ):
        # Records never span lines in synth output, so a line is a row.
        for line in src:
            if written > rows:
                break
            dst.write(line)
            written += 1
    shutil.rmtree(out)
    if written - 1 < rows:
        target.unlink()
        raise SystemExit(f"synth gave only {written - 1:,} roll rows; raise ROLL_PER_PERSON's margin")
    return target


async def raw_copy(url: str, path: Path) -> float:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.execute(
            "DROP TABLE IF EXISTS bench_raw_copy; CREATE TABLE bench_raw_copy ("
            + ", ".join(f"{c} text" for c in ROLL_COLUMNS)
            + ")"
        )
        await conn.execute("CHECKPOINT")
        started = time.perf_counter()
        await conn.copy_to_table(
            "bench_raw_copy", source=str(path), columns=list(ROLL_COLUMNS), format="csv", header=True
        )
        elapsed = time.perf_counter() - started
        await conn.execute("DROP TABLE bench_raw_copy")
        await conn.execute("CHECKPOINT")
        return elapsed
    finally:
        await conn.close()


def changed_file(path: Path) -> tuple[Path, int]:
    """The roll again, every 10th row with a new address and every 20th in another entidad."""
    target = path.with_name(path.stem + "_changed.csv")
    changed = 0
    with (
        path.open(encoding="utf-8", newline="") as src,
        target.open("w", encoding="utf-8", newline="") as dst,
    ):
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=list(reader.fieldnames or ROLL_COLUMNS))
        writer.writeheader()
        for i, row in enumerate(reader):
            if i % 10 == 0:
                row["domicilio"] = f"CALLE NUEVA {i}"
                changed += 1
                if i % 20 == 0:
                    row["entidad"] = "JC" if row["entidad"] != "JC" else "MC"
            writer.writerow(row)
    return target, changed


async def import_job_seconds(url: str, *, versions: int = 0) -> tuple[float, int, int]:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        row = await conn.fetchrow(
            "SELECT extract(epoch FROM finished_at - created_at) AS s, rows_read, rejected "
            "FROM ingest_import ORDER BY id DESC LIMIT 1"
        )
        stored = await conn.fetchval("SELECT count(*) FROM roll_record")
        assert row is not None
        if not versions:
            assert stored == row["rows_read"] - row["rejected"], "rows stored must be rows read minus rejects"
        return float(row["s"]), int(row["rows_read"]), int(stored)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "interop-bench-import")
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    parser.add_argument("--reimport", action="store_true", help="then import a changed copy of the roll")
    args = parser.parse_args()

    path = roll_file(args.rows, args.seed, args.cache)
    size_mb = path.stat().st_size / 1e6
    data_dir = Path(tempfile.mkdtemp(prefix="interop-bench-db-"))
    server = asyncio.run(start_embedded(data_dir))
    try:
        url = server.url()
        migrate.upgrade(url)
        copy_s = asyncio.run(raw_copy(url, path))
        env = dict(
            os.environ,
            DATABASE_URL=url,
            INTEROP_DATA_DIR=str(data_dir),
            INTEROP_IMPORT_CHUNK_ROWS=str(args.chunk_rows),
        )
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "interop.cli", "import", "roll", str(path)], env=env, check=True
        )
        cli_s = time.perf_counter() - started
        job_s, rows, stored = asyncio.run(import_job_seconds(url))
        if args.reimport:
            again, changed = changed_file(path)
            subprocess.run(
                [sys.executable, "-m", "interop.cli", "import", "roll", str(again)], env=env, check=True
            )
            again_s, _, versions = asyncio.run(import_job_seconds(url, versions=changed))
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

    copy_rate = rows / copy_s
    job_rate = rows / job_s
    print()
    print(f"file            {path}  ({rows:,} rows, {size_mb:.0f} MB)")
    print(f"raw COPY        {copy_s:8.2f} s   {copy_rate:12,.0f} rows/s   (unindexed table, all text)")
    print(
        f"full import     {job_s:8.2f} s   {job_rate:12,.0f} rows/s   (job: checks, normalise, merge; "
        f"{stored:,} stored)"
    )
    print(
        f"  CLI wall      {cli_s:8.2f} s   {rows / cli_s:12,.0f} rows/s   (incl. process start, file check)"
    )
    print(f"ratio           {job_rate / copy_rate:8.2f} x raw COPY   (target >= 0.5)")
    if args.reimport:
        print(
            f"re-import       {again_s:8.2f} s   {rows / again_s:12,.0f} rows/s   (staged merge: {changed:,} "
            f"changed rows, {versions:,} versions stored)"
        )


if __name__ == "__main__":
    main()
