"""Visit post throughput of two source trees, interleaved in the same window: one loaded stack per tree
(each its own embedded PostgreSQL and ``interop serve`` run with that tree on ``PYTHONPATH``), then
closed-loop post rounds alternating between them (A B, B A, …), so neighbours' load falls on both alike.

    PYTHONPATH=src /work/main/.venv/bin/python bench/referrals/interleave.py \\
        --tree before=/work/wt/s16c-before --tree after=. --rounds 3 --duration 20 --repeat-rate 0.3

Each round reports posts/s, p50 and the CPU per post (API / PostgreSQL) beside the load average; at the end
each stack's visits posted, distinct person-needs and open referrals. Results: stdout and ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections import Counter
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
from harness import (  # noqa: E402
    Stack,
    closed_loop,
    cpu_per_request,
    loaded_stack,
    summary,
    visit_bodies,
)
from run import referral_counts, true_persons, with_repeats  # noqa: E402


class Target:
    """One tree's loaded stack, its visit bodies and what it has posted so far."""

    def __init__(self, name: str, stack: Stack, bodies: list[dict[str, Any]], token: str) -> None:
        self.name, self.stack, self.bodies = name, stack, bodies
        self.headers = {"Authorization": f"Bearer {token}"}
        self.cursor = 0
        self.posted: set[int] = set()
        self.statuses: Counter[str] = Counter()

    async def post(self, http: aiohttp.ClientSession, i: int) -> bool:
        body = self.bodies[i % len(self.bodies)]
        try:
            async with http.post(f"{self.stack.base}/v1/visits", json=body, headers=self.headers) as r:
                await r.read()
                if r.status in (200, 201):
                    self.posted.add(i % len(self.bodies))
                else:
                    self.statuses[str(r.status)] += 1
                return r.status in (200, 201)
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.statuses[type(exc).__name__] += 1
            return False

    async def round(
        self, http: aiohttp.ClientSession, *, concurrency: int, duration: float
    ) -> dict[str, Any]:
        load = os.getloadavg()
        before = self.stack.cpu()
        lat, elapsed, errors = await closed_loop(
            lambda i: self.post(http, i), concurrency=concurrency, duration=duration, start=self.cursor
        )
        self.cursor += len(lat)
        out = summary(f"{self.name}: POST /v1/visits closed-loop c={concurrency}", lat, elapsed, errors)
        out["cpu"] = cpu_per_request(before, self.stack.cpu(), len(lat))
        out["load_average_before"] = [round(x, 2) for x in load]
        out["at"] = datetime.now(UTC).isoformat(timespec="seconds")
        print(
            f"  {self.name}: {out['per_s']}/s  CPU {out['cpu']}  load {out['load_average_before']}",
            flush=True,
        )
        return out


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    trees = [t.split("=", 1) for t in args.tree]
    results: dict[str, Any] = {
        "people": args.people,
        "duration_s": args.duration,
        "repeat_rate": args.repeat_rate,
        "concurrency": args.concurrency,
        "trees": {name: str(Path(path).resolve()) for name, path in trees},
        "rounds": [],
    }
    n_bodies = int(args.duration * args.rounds * 150) + 2000
    async with AsyncExitStack() as stacks:
        targets = []
        for name, path in trees:
            src = str(Path(path).resolve() / "src")
            stack = await stacks.enter_async_context(
                loaded_stack(args.people, extra_env={"PYTHONPATH": src, "INTEROP_WORKERS": "1"})
            )
            bodies = with_repeats(
                visit_bodies(stack.synth, n_bodies, seed=3, tag="B"), args.repeat_rate, seed=3
            )
            targets.append(Target(name, stack, bodies, stack.token("bench-bienestar", "bienestar")))
        connector = aiohttp.TCPConnector(limit=64)
        async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=120)
        ) as http:
            for target in targets:  # warm-up, not measured; rounds go on from there, so a repeat visit
                # repeats a visit already posted (``with_repeats`` draws from the bodies before it)
                lat, _, _ = await closed_loop(lambda i, t=target: t.post(http, i), concurrency=4, duration=3)
                target.cursor = len(lat)
            for number in range(args.rounds):
                order = targets if number % 2 == 0 else targets[::-1]
                print(f"round {number + 1}", flush=True)
                results["rounds"].append(
                    {
                        t.name: await t.round(http, concurrency=args.concurrency, duration=args.duration)
                        for t in order
                    }
                )
        for target in targets:
            pool = await asyncpg.connect(target.stack.database_url.replace("+asyncpg", ""))
            try:
                counts = await referral_counts(
                    pool, [target.bodies[i] for i in sorted(target.posted)], true_persons(target.stack.synth)
                )
            finally:
                await pool.close()
            results.setdefault("referrals", {})[target.name] = counts
            results.setdefault("failures", {})[target.name] = dict(target.statuses)
            print(f"  {target.name} referrals: {counts}", flush=True)
    names = [name for name, _ in trees]
    mean = {n: sum(r[n]["per_s"] for r in results["rounds"]) / args.rounds for n in names}
    results["mean_per_s"] = {n: round(v, 1) for n, v in mean.items()}
    if len(names) == 2:
        results["ratio"] = round(mean[names[1]] / mean[names[0]], 3)
    results["load_average_after"] = os.getloadavg()
    print(json.dumps({"mean_per_s": results["mean_per_s"], "ratio": results.get("ratio")}), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", required=True, help="NAME=PATH of a source tree.")
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--duration", type=float, default=20.0, help="Seconds per tree per round.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat-rate", type=float, default=0.3)
    parser.add_argument("--out", default="interleave_run.json", help="Results file, beside this script.")
    args = parser.parse_args()
    results = asyncio.run(bench(args))
    (HERE / args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
