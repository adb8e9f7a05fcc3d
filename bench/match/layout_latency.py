"""``$match`` in process on one loaded database, with whatever ``interop`` code PYTHONPATH names: the
layout before migration 0021 (``/work/wt/base``) and after it, timed back to back by alternating runs
(issue 20 item 4; figures in bench/match/RESULTS.md and docs/scale.md).

    PYTHONPATH=/work/wt/base/src python bench/match/layout_latency.py --work /work/data/part/old --probes 500
    PYTHONPATH=$PWD/src python bench/match/layout_latency.py --work /work/data/part/new --probes 500

``--work`` is a ``bench.py --work`` folder (its ``synth`` and ``data``); the probes are ``bench.py
--latency``'s (the same registry rows, drawn with a fixed seed; the first 20 are warm-up). Prints one
JSON line with the load average at start and end; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import latency


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--probes", type=int, default=500)
    args = ap.parse_args()
    env = {**os.environ, "INTEROP_DATA_DIR": str(args.work / "data"), "INTEROP_LOG_LEVEL": "WARNING"}
    load_start = os.getloadavg()[0]
    result = latency(env, args.work / "synth", args.probes)
    result.pop("reliability_match_candidates")
    out = {"work": str(args.work), "load_start": load_start, "load_end": os.getloadavg()[0], **result}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
