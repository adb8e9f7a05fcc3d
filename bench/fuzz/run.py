"""The long fuzzing runs against a live server, every role:

    python bench/fuzz/run.py --examples 300                 # schemathesis over both OpenAPI documents
    python bench/fuzz/run.py --search --search-examples 5000 # query values at every search parameter

The first is the same harness as the bounded run in the test suite (tests/robustness/test_fuzz.py) with
more examples per operation. The second (tests/robustness/test_search_params.py) throws extreme and
malformed values at every FHIR search parameter the CapabilityStatement lists and every ``/v1`` query
and path parameter: more random examples, and every curated value behind every prefix at every
parameter. Prints the pytest summary; any failure is a bug to turn into a regression test.
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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--examples", type=int, default=300, help="schemathesis examples per operation")
    parser.add_argument(
        "--search", action="store_true", help="run the search-parameter fuzzing instead of schemathesis"
    )
    parser.add_argument(
        "--search-examples", type=int, default=5000, help="random requests of the search-parameter run"
    )
    args = parser.parse_args()
    if args.search:
        env = dict(
            os.environ,
            INTEROP_SEARCH_FUZZ_EXAMPLES=str(args.search_examples),
            INTEROP_SEARCH_FUZZ_ALL="1",
        )
        target, what = "tests/robustness/test_search_params.py", f"{args.search_examples} random requests"
    else:
        env = dict(os.environ, INTEROP_FUZZ_EXAMPLES=str(args.examples))
        target, what = "tests/robustness/test_fuzz.py", f"{args.examples} examples per operation"
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", target],
        cwd=ROOT,
        env=env,
        check=False,
    )
    print(f"fuzzing ({target}) with {what} took {time.perf_counter() - started:.0f} s")
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
