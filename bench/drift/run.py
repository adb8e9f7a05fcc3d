"""Dependency drift, found before users find it.

The README's commands install the lock (``requirements/*.txt``), so a fresh machine gets what CI tested.
This script installs what the *ranges* in ``pyproject.toml`` allow today, in scratch venvs, and runs tests
there, so the next breaking release shows up as a named failure here rather than as a broken first
command on a user's machine.

    python bench/drift/run.py                       # newest allowed versions, the whole suite
    python bench/drift/run.py --tests tests/matching/test_pure.py
    python bench/drift/run.py --duckdb 2.0.0 --duckdb newest   # the edit-distance agreement per DuckDB

Prints one line per venv (what was installed that differs from the lock, and the test result) and exits
non-zero when any run failed. Each scratch venv lives under a temporary folder removed at the end.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "test.txt"
AGREEMENT_TESTS = [
    "tests/matching/test_pure.py::test_edit_distances_equal_duckdbs",
    "tests/matching/test_pure.py::test_edit_distances_follow_the_engines_unit_either_way",
    "tests/matching/test_pure.py::test_online_grade_of_accented_names_equals_the_batchs",
    "tests/matching/test_pure.py::test_python_scorer_gives_splinks_weights",
]


def _run(cmd: list[str], *, quiet: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, text=True, capture_output=quiet, check=False)


def _venv(folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    return folder / "bin"


def _locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^ ;\\]+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def _installed(bin_dir: Path) -> dict[str, str]:
    out = _run([str(bin_dir / "pip"), "freeze", "--exclude-editable"]).stdout
    pins: dict[str, str] = {}
    for line in out.splitlines():
        name, _, version = line.partition("==")
        if version:
            pins[name.lower().replace("_", "-")] = version
    return pins


def _drift(bin_dir: Path) -> str:
    locked, now = _locked(), _installed(bin_dir)
    changed = [f"{k} {locked[k]}->{v}" for k, v in sorted(now.items()) if k in locked and locked[k] != v]
    return ", ".join(changed) or "same as the lock"


def _pytest(bin_dir: Path, tests: list[str]) -> tuple[bool, str]:
    started = time.monotonic()
    result = _run([str(bin_dir / "pytest"), "-q", "-p", "no:cacheprovider", *tests])
    tail = [line for line in result.stdout.splitlines() if line.strip()][-1:] or ["(no output)"]
    failed = [line for line in result.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    summary = "; ".join([*failed[:10], tail[0], f"{time.monotonic() - started:.0f} s"])
    return result.returncode == 0, summary


def newest(tests: list[str]) -> bool:
    with tempfile.TemporaryDirectory(prefix="interop-drift-") as tmp:
        bin_dir = _venv(Path(tmp) / "venv")
        install = _run([str(bin_dir / "pip"), "install", "-q", "--upgrade", "-e", ".[test,dev]"])
        if install.returncode != 0:
            print(f"newest allowed: install FAILED\n{install.stderr[-2000:]}")
            return False
        ok, summary = _pytest(bin_dir, tests)
        print(f"newest allowed: {'ok' if ok else 'FAILED'} — drift: {_drift(bin_dir)} — {summary}")
        return ok


def with_duckdb(version: str) -> bool:
    spec = "duckdb" if version == "newest" else f"duckdb=={version}"
    with tempfile.TemporaryDirectory(prefix="interop-duckdb-") as tmp:
        bin_dir = _venv(Path(tmp) / "venv")
        steps = [
            [str(bin_dir / "pip"), "install", "-q", "-r", str(LOCK)],
            [str(bin_dir / "pip"), "install", "-q", "--no-deps", "-e", "."],
            [str(bin_dir / "pip"), "install", "-q", "--upgrade", "--no-deps", spec],
        ]
        for step in steps:
            done = _run(step)
            if done.returncode != 0:
                print(f"duckdb {version}: install FAILED ({' '.join(step[1:])})\n{done.stderr[-2000:]}")
                return False
        got = _installed(bin_dir).get("duckdb", "?")
        probe = "from interop.matching import spec, linkage; print(spec.edit_unit())"
        unit = _run([str(bin_dir / "python"), "-c", probe]).stdout.strip()
        ok, summary = _pytest(bin_dir, AGREEMENT_TESTS)
        print(f"duckdb {got} (counts {unit}): {'ok' if ok else 'FAILED'} — {summary}")
        return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tests", nargs="*", default=[], help="pytest selection (default: the whole suite)")
    parser.add_argument("--duckdb", action="append", default=[], help="a DuckDB version, or 'newest'")
    args = parser.parse_args()
    results = [with_duckdb(v) for v in args.duckdb] if args.duckdb else [newest(args.tests)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
