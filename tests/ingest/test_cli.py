"""`interop import …` as operators run it: plain messages and non-zero exits on bad files, summaries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .factories import ROLL_HEADER, csv_text, roll_row, write


def _run(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=database_url, INTEROP_DATA_DIR=str(tmp_path / "data"), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "interop.cli", "import", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_refuses_bad_files_and_summarises_good_ones(database_url: str, tmp_path: Path) -> None:
    latin = write(
        tmp_path, "latin.csv", csv_text(ROLL_HEADER, [roll_row("R1", nombre="JOSÉ")]).encode("cp1252")
    )
    refused = _run(database_url, tmp_path, "roll", str(latin))
    assert refused.returncode == 2
    assert "no está en utf-8" in refused.stderr
    assert "--encoding cp1252" in refused.stderr
    assert "Traceback" not in refused.stderr

    unknown = write(tmp_path, "unknown.csv", "record_id,nombre,primer_apellido,color\nR1,A,B,x\n")
    result = _run(database_url, tmp_path, "roll", str(unknown))
    assert result.returncode == 2
    assert "columnas desconocidas: color" in result.stderr

    ndjson_roll = write(tmp_path, "roll.ndjson", "{}\n")
    assert _run(database_url, tmp_path, "roll", str(ndjson_roll)).returncode == 2

    converted = _run(database_url, tmp_path, "roll", str(latin), "--encoding", "cp1252")
    assert converted.returncode == 0, converted.stderr
    assert "guardadas 1 (registros nuevos 1, versiones nuevas 0, sin cambios 0)" in converted.stderr

    again = _run(database_url, tmp_path, "roll", str(latin), "--encoding", "cp1252")
    assert again.returncode == 0
    assert "ya se importó" in again.stderr
    assert "sin cambios 1" in again.stderr
