"""The long fuzzing run: schemathesis over both OpenAPI documents against a live server, every role.

    python bench/fuzz/run.py --examples 300

Same harness as the bounded run in the test suite (tests/robustness/test_fuzz.py), more examples per
operation. Prints the pytest summary; any failure is a bug to turn into a regression test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=300, help="examples per operation")
    args = parser.parse_args()
    env = dict(os.environ, INTEROP_FUZZ_EXAMPLES=str(args.examples))
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/robustness/test_fuzz.py"],
        cwd=ROOT,
        env=env,
        check=False,
    )
    print(f"fuzzing with {args.examples} examples per operation took {time.perf_counter() - started:.0f} s")
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
