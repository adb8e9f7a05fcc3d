"""A normal ``interop match run`` on a small population, as a newcomer types it: no third-party warning
reaches the terminal (the XDG_RUNTIME_DIR note, Splink's "not observed … unable to train m value" blocks,
its EM-sampling note), and the run's report names the levels the model could not train, once each."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

INTEROP = [sys.executable, "-m", "interop.cli"]
THIRD_PARTY = ("Warning", "WARNING", "not observed in dataset", "XDG_RUNTIME_DIR", "[EM sampling]")


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*INTEROP, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout + done.stderr


def test_match_run_prints_no_third_party_warnings_and_names_untrained_levels_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "INTEROP_DATABASE_URL")}
    env.pop("XDG_RUNTIME_DIR", None)
    env.update(INTEROP_DATA_DIR=str(tmp_path / "data"), INTEROP_EMBEDDED_ALLOW_UNSAFE="true")
    pop = tmp_path / "pop"
    output = _run(env, "synth", "--out", str(pop), "--people", "300", "--seed", "3")
    for kind, name in (("units", "units.csv"), ("roll", "pension_roll.csv"), ("patients", "patients.csv")):
        output += _run(env, "import", kind, str(pop / name))
    report = _run(env, "match", "run")
    output += report

    offending = [line for line in output.splitlines() if any(word in line for word in THIRD_PARTY)]
    assert not offending, offending

    found = re.search(r"niveles sin entrenar \((\d+);[^)]*\): (.+)", report)
    assert found, report
    levels = found[2].split("; ")
    assert len(levels) == int(found[1]) > 0
    assert len(set(levels)) == len(levels)  # once each, though several EM passes missed them
    for level in levels:
        comparison, _, label = level.partition(": ")
        assert comparison, level
        assert label, level
        assert report.count(level) == 1, level
