"""The database floor of a roll import: how long PostgreSQL alone takes to write the final rows.

    /work/venv/bin/python bench/import/floor.py [--rows 1000000] [--repeat 2]

Imports the bench roll once (``interop import roll``), dumps the stored ``roll_record`` rows, then, on
the same server and alternating with raw COPY of the input file (as ``run.py`` measures it), times:

- COPY of the final rows (binary, and CSV) into the empty ``roll_record`` with its indexes;
- the same into ``roll_record`` without its indexes, then building them (the two times apart);
- COPY of the final rows into an unindexed table (the rows' own cost).

No import code runs in the timed parts: it is what no import pipeline can go below on this server.
"""

from __future__ import annotations

import argparse
import asyncio
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

sys.path.insert(0, str(Path(__file__).parent))
from run import ROLL_COLUMNS, roll_file

# The versions' own indexes (partitioned by entidad since 0022; the key table is not in the floor).
INDEXES = {
    "pk_roll_record": "ALTER TABLE roll_record ADD CONSTRAINT pk_roll_record PRIMARY KEY (id, pkey)",
    "uq_roll_record_record_id_version_pkey": "ALTER TABLE roll_record ADD CONSTRAINT "
    "uq_roll_record_record_id_version_pkey UNIQUE (record_id, version, pkey)",
}


async def _timed(conn: asyncpg.Connection, label: str, work: object) -> float:
    await conn.execute("CHECKPOINT")
    started = time.perf_counter()
    await work  # type: ignore[misc]
    elapsed = time.perf_counter() - started
    print(f"  {label:<58} {elapsed:6.2f} s", flush=True)
    return elapsed


async def measure(url: str, roll: Path, work: Path, repeat: int) -> None:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        columns = [
            r["column_name"]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'roll_record' "
                "AND column_name NOT IN ('id', 'created_at') ORDER BY ordinal_position"
            )
        ]
        col_list = ", ".join(columns)
        binary = work / "final.bin"
        text_csv = work / "final.csv"
        with binary.open("wb") as out:
            await conn.copy_from_query(
                f"SELECT {col_list} FROM roll_record ORDER BY id", output=out, format="binary"
            )
        with text_csv.open("wb") as out:
            await conn.copy_from_query(
                f"SELECT {col_list} FROM roll_record ORDER BY id", output=out, format="csv"
            )
        print(
            f"final rows: binary {binary.stat().st_size / 1e6:.0f} MB, "
            f"csv {text_csv.stat().st_size / 1e6:.0f} MB"
        )
        await conn.execute(
            "CREATE TABLE bench_raw_copy (" + ", ".join(f"{c} text" for c in ROLL_COLUMNS) + ")"
        )
        await conn.execute(
            "CREATE TABLE bench_final (LIKE roll_record INCLUDING DEFAULTS INCLUDING IDENTITY)"
        )
        for round_ in range(repeat):
            print(f"round {round_ + 1}")
            await conn.execute("TRUNCATE bench_raw_copy")
            await _timed(
                conn,
                "raw COPY of the input CSV (unindexed, all text)",
                conn.copy_to_table(
                    "bench_raw_copy", source=str(roll), columns=list(ROLL_COLUMNS), format="csv", header=True
                ),
            )
            for fmt, source in (("binary", binary), ("csv", text_csv)):
                await conn.execute("TRUNCATE roll_record")
                await _timed(
                    conn,
                    f"final rows ({fmt}) into roll_record with its {len(INDEXES)} indexes",
                    conn.copy_to_table("roll_record", source=str(source), columns=columns, format=fmt),
                )
            await conn.execute("TRUNCATE roll_record")
            await conn.execute(
                "ALTER TABLE roll_record DROP CONSTRAINT pk_roll_record, "
                "DROP CONSTRAINT uq_roll_record_record_id_version_pkey"
            )
            copy_s = await _timed(
                conn,
                "final rows (binary) into roll_record, no indexes",
                conn.copy_to_table("roll_record", source=str(binary), columns=columns, format="binary"),
            )
            build_s = 0.0
            for name, ddl in INDEXES.items():
                build_s += await _timed(conn, f"  then build {name}", conn.execute(ddl))
            print(f"  {'= COPY then build':<58} {copy_s + build_s:6.2f} s")
            await conn.execute("TRUNCATE bench_final")
            await _timed(
                conn,
                "final rows (binary) into an unindexed table",
                conn.copy_to_table("bench_final", source=str(binary), columns=columns, format="binary"),
            )
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "interop-bench-import")
    args = parser.parse_args()
    roll = roll_file(args.rows, args.seed, args.cache)
    data_dir = Path(tempfile.mkdtemp(prefix="interop-bench-db-"))
    server = asyncio.run(start_embedded(data_dir))
    try:
        url = server.url()
        migrate.upgrade(url)
        env = dict(os.environ, DATABASE_URL=url, INTEROP_DATA_DIR=str(data_dir))
        subprocess.run(
            [sys.executable, "-m", "interop.cli", "import", "roll", str(roll)], env=env, check=True
        )
        asyncio.run(measure(url, roll, data_dir, args.repeat))
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
