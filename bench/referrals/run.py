"""Referral benchmark: visit posts and the clinic pull against a running ``interop serve``, each beside the
bare asyncpg work doing the same writes / reads.

    /work/venv/bin/python bench/referrals/run.py --people 5000 --duration 20

Steps: an embedded PostgreSQL (or ``DATABASE_URL``) → ``interop migrate`` → ``interop synth`` → import units,
roll and patients → ``interop match run`` (a trained model, so the online match does real work) → API
clients and tokens → ``interop serve`` on a free loopback port → load from this process over HTTP/1.1
keep-alive (aiohttp). Latency of open-loop runs is measured from each request's *scheduled* time, so a
slow server cannot hide behind a slow generator (no coordinated omission).

Results go to stdout and ``bench/referrals/last_run.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from harness import (  # noqa: E402
    closed_loop,
    cpu_per_request,
    loaded_stack,
    open_loop,
    summary,
    visit_bodies,
)

RAW_WRITE = [
    (
        "INSERT INTO referral_visit (visit_id, client_id, request_hash, payload, visit_date) "
        "VALUES ($1, 'raw', 'x', $2::jsonb, current_date) ON CONFLICT DO NOTHING RETURNING id"
    ),
    (
        "INSERT INTO referral_provisional_patient (id, visit_pk, nombre, primer_apellido, match_grade) "
        "VALUES ($1, $2, 'X', 'Y', 'possible')"
    ),
    (
        "INSERT INTO referral (id, visit_pk, visit_id, requester_client_id, status, priority, patient_id, "
        "patient_provisional, match_grade, performer_clues, tried_clues, required_level, routing_rule, "
        "routing_reason, reasons, observations, authored_on, version, change_seq) "
        "VALUES ($1, $2, $3, 'raw', 'active', 'routine', $4, "
        "true, 'possible', 'XXRAW000000', ARRAY['XXRAW000000'], 1, 'raw', 'raw', '[]', '[]', now(), 1, "
        "nextval('referral_change_seq'))"
    ),
    (
        "INSERT INTO referral_task (id, referral_id, visit_id, requester_client_id, status, priority, "
        "output, "
        "patient_id, owner_clues, authored_on, version, change_seq) VALUES ($1, $2, $3, 'raw', 'requested', "
        "'routine', '[]', $4, 'XXRAW000000', now(), 1, nextval('referral_change_seq'))"
    ),
    (
        "INSERT INTO referral_version (resource_type, resource_id, version, snapshot) "
        "VALUES ($1, $2, 1, $3::jsonb)"
    ),
]


async def raw_post(pool: asyncpg.Pool, body: dict[str, Any]) -> bool:
    """The same rows a visit post writes (visit, provisional patient, referral, task, two versions), with the
    same candidate lookup the online match does replaced by nothing: the floor for the write path."""
    payload = json.dumps(body)
    async with pool.acquire() as conn, conn.transaction():
        vpk = await conn.fetchval(RAW_WRITE[0], f"RAW-{uuid.uuid4()}", payload)
        if vpk is None:
            return False
        pid, rid, tid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        await conn.execute(RAW_WRITE[1], pid, vpk)
        await conn.execute(RAW_WRITE[2], rid, vpk, body["visit_id"], pid)
        await conn.execute(RAW_WRITE[3], tid, rid, body["visit_id"], pid)
        await conn.executemany(RAW_WRITE[4], [("ServiceRequest", rid, payload), ("Task", tid, payload)])
    return True


RAW_PULL = (
    "SELECT * FROM referral_task WHERE owner_clues = $1 AND status = 'requested' "
    "ORDER BY change_seq LIMIT 101"
)


# Main ---------------------------------------------------------------------------------------------------


def with_repeats(bodies: list[dict[str, Any]], rate: float, *, seed: int) -> list[dict[str, Any]]:
    """Make ``rate`` of the visits repeat visits: the same person, findings and urgency as an earlier
    visit (a new visit id), as when a health worker goes back to a house."""
    if rate <= 0:
        return bodies
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for body in bodies:
        if out and rng.random() < rate:
            earlier = rng.choice(out)
            body = {**earlier, "visit_id": body["visit_id"]}
        out.append(body)
    return out


def _care_asked(body: dict[str, Any]) -> str:
    """What the visit asks for, by the service's own rule (a visit without ``care_requested`` asks for
    urgent care when it is urgent, home care when the person is home-bound): counting needs by the body's
    field alone split or merged needs the service keeps apart or together. A tree older than that rule
    (no ``interop.referral.care``) opens a referral per visit, so any key serves it."""
    try:
        from interop.referral.care import care_of
        from interop.referral.schemas import VisitCreate
    except ImportError:
        return str(body.get("care_requested") or "consulta-primer-nivel")
    return care_of(VisitCreate.model_validate(body))


def true_persons(synth: Path) -> dict[str, str]:
    """The synthetic population's person of each pension-roll record (``truth.csv``): two roll records of
    one person (a duplicate the matcher joins) are one person with one referral per need."""
    with (synth / "truth.csv").open(encoding="utf-8") as f:
        return {r["record_id"]: r["person_id"] for r in csv.DictReader(f) if r["source"] == "roll"}


def person_need(body: dict[str, Any], persons: dict[str, str] | None = None) -> tuple[str, str, str]:
    """(person, what is asked, CIE-10 category): the key of one open referral (issue 16, item 3)."""
    person = body["person"]
    who = person.get("roll_record_id") or person.get("curp") or repr(sorted(person.items()))
    who = (persons or {}).get(who, who)
    asked = _care_asked(body)
    conditions = body.get("findings", {}).get("conditions") or [{"code": ""}]
    return who, asked, conditions[0]["code"].replace(".", "")[:3]


async def referral_counts(
    pool: asyncpg.Pool, posted: list[dict[str, Any]], persons: dict[str, str] | None = None
) -> dict[str, int]:
    """Visits posted, distinct person-needs among them, and the referrals the service holds open."""
    open_referrals = await pool.fetchval(
        "SELECT count(*) FROM referral WHERE status IN ('active', 'on-hold', 'draft')"
    )
    return {
        "visits_posted": len(posted),
        "distinct_person_needs": len({person_need(b, persons) for b in posted}),
        "open_referrals": int(open_referrals or 0),
    }


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    async with loaded_stack(args.people, extra_env={"INTEROP_WORKERS": str(args.workers)}) as stack:
        synth, database_url, base = stack.synth, stack.database_url, stack.base
        b_token = stack.token("bench-bienestar", "bienestar")
        n_bodies = int(args.duration * 1200) + 2000
        bodies = with_repeats(visit_bodies(synth, n_bodies, seed=3, tag="B"), args.repeat_rate, seed=3)
        results: dict[str, Any] = {
            "people": args.people,
            "duration_s": args.duration,
            "concurrency": args.concurrency,
            "workers": args.workers,
            "at": datetime.now(UTC).isoformat(),
        }
        connector = aiohttp.TCPConnector(limit=64)
        async with aiohttp.ClientSession(
            base_url=base, connector=connector, timeout=aiohttp.ClientTimeout(total=120)
        ) as http:
            bh = {"Authorization": f"Bearer {b_token}"}
            grades: Counter[str] = Counter()
            statuses: Counter[str | int] = Counter()
            rules: Counter[str] = Counter()

            posted: set[int] = set()

            async def post(i: int) -> bool:
                try:
                    async with http.post("/v1/visits", json=bodies[i % len(bodies)], headers=bh) as r:
                        if r.status in (200, 201):
                            posted.add(i % len(bodies))
                        if r.status == 201:
                            out = await r.json()
                            grades[out["match"]["grade"]] += 1
                            rules[out["routing"]["rule"]] += 1
                        else:
                            statuses[r.status] += 1
                            await r.read()
                        return r.status in (200, 201)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    statuses[type(exc).__name__] += 1
                    return False

            print("visit posts", flush=True)
            await closed_loop(post, concurrency=4, duration=3, start=0)  # warm-up
            used = len(grades) and sum(grades.values())
            before = stack.cpu()
            lat, el, err = await closed_loop(
                post, concurrency=args.concurrency, duration=args.duration, start=used + 1
            )
            results["post_closed"] = summary(
                f"POST /v1/visits closed-loop c={args.concurrency}", lat, el, err
            )
            results["post_closed"]["cpu"] = cpu_per_request(before, stack.cpu(), len(lat))
            print(f"  CPU per post: {results['post_closed']['cpu']}", flush=True)
            print(f"  {results['post_closed']['per_s']}/s", flush=True)
            cursor = used + 1 + len(lat)
            if not args.posts_only:
                lat, el, err = await open_loop(
                    post, rate=args.post_rate, duration=args.duration, start=cursor
                )
                results["post_open"] = summary(
                    f"POST /v1/visits open-loop {args.post_rate:.0f}/s", lat, el, err
                )
                cursor += len(lat)
                lat, el, err = await open_loop(
                    post, rate=args.post_sustain, duration=args.duration, start=cursor
                )
                results["post_sustain"] = summary(
                    f"POST /v1/visits open-loop {args.post_sustain:.0f}/s", lat, el, err
                )
                cursor += len(lat)
            results["match_grades"] = dict(grades)
            results["post_failures"] = {str(k): v for k, v in statuses.items()}
            results["routing_rules"] = dict(rules)

            pool = await asyncpg.create_pool(
                database_url.replace("+asyncpg", ""), min_size=4, max_size=args.concurrency
            )
            assert pool is not None
            results["referrals"] = await referral_counts(
                pool, [bodies[i] for i in sorted(posted)], true_persons(synth)
            )
            print(f"  referrals: {results['referrals']}", flush=True)
            if args.posts_only:
                await pool.close()
                results["load_average_after"] = os.getloadavg()
                return results
            busiest = await pool.fetchval(
                "SELECT owner_clues FROM referral_task WHERE status = 'requested' GROUP BY owner_clues "
                "ORDER BY count(*) DESC LIMIT 1"
            )
            waiting = await pool.fetchval(
                "SELECT count(*) FROM referral_task WHERE owner_clues = $1", busiest
            )
            c_token = stack.token("bench-clinic", "clinic", busiest)
            ch = {"Authorization": f"Bearer {c_token}"}
            pull_url = f"/fhir/Task?owner={busiest}&status=requested&_count=100"
            sizes: Counter[int] = Counter()

            async def pull(i: int) -> bool:
                try:
                    async with http.get(pull_url, headers=ch) as r:
                        body = await r.read()
                        if r.status == 200 and i % 50 == 0:
                            sizes[len(json.loads(body).get("entry", []))] += 1
                        return r.status == 200
                except (aiohttp.ClientError, TimeoutError) as exc:
                    statuses[type(exc).__name__] += 1
                    return False

            print(f"clinic pull ({busiest}: {waiting} Tasks)", flush=True)
            await closed_loop(pull, concurrency=4, duration=2)
            lat, el, err = await open_loop(pull, rate=args.pull_rate, duration=args.duration)
            results["pull_open"] = summary(
                f"GET Task page of 100, open-loop {args.pull_rate:.0f}/s",
                lat,
                el,
                err,
                {"unit_tasks": waiting, "page_sizes": dict(sizes)},
            )
            lat, el, err = await open_loop(pull, rate=args.pull_sustain, duration=args.duration)
            results["pull_sustain"] = summary(
                f"GET Task page of 100, open-loop {args.pull_sustain:.0f}/s", lat, el, err
            )
            before = stack.cpu()
            lat, el, err = await closed_loop(pull, concurrency=args.concurrency, duration=args.duration)
            results["pull_closed"] = summary(
                f"GET Task page of 100, closed-loop c={args.concurrency}", lat, el, err
            )
            results["pull_closed"]["cpu"] = cpu_per_request(before, stack.cpu(), len(lat))
            print(f"  CPU per pull: {results['pull_closed']['cpu']}", flush=True)

            print("bare asyncpg, same writes / reads", flush=True)
            raw_bodies = visit_bodies(synth, n_bodies, seed=4, tag="R")
            before = stack.cpu()
            lat, el, err = await closed_loop(
                lambda i: raw_post(pool, raw_bodies[i % len(raw_bodies)]),
                concurrency=args.concurrency,
                duration=args.duration,
            )
            results["raw_post_closed"] = summary(
                f"asyncpg 6 inserts/txn closed-loop c={args.concurrency}", lat, el, err
            )
            results["raw_post_closed"]["cpu"] = cpu_per_request(before, stack.cpu(), len(lat))

            async def raw_pull(_: int) -> bool:
                rows = await pool.fetch(RAW_PULL, busiest)
                return rows is not None

            lat, el, err = await open_loop(raw_pull, rate=args.pull_rate, duration=args.duration)
            results["raw_pull_open"] = summary(
                f"asyncpg SELECT page of 100, open-loop {args.pull_rate:.0f}/s", lat, el, err
            )
            before = stack.cpu()
            lat, el, err = await closed_loop(raw_pull, concurrency=args.concurrency, duration=args.duration)
            results["raw_pull_closed"] = summary(
                f"asyncpg SELECT page of 100, closed-loop c={args.concurrency}", lat, el, err
            )
            results["raw_pull_closed"]["cpu"] = cpu_per_request(before, stack.cpu(), len(lat))
            await pool.close()
        results["load_average_after"] = os.getloadavg()
        results["ratios"] = {
            "post_vs_raw_throughput": round(
                results["post_closed"]["per_s"] / results["raw_post_closed"]["per_s"], 3
            ),
            "pull_vs_raw_throughput": round(
                results["pull_closed"]["per_s"] / results["raw_pull_closed"]["per_s"], 3
            ),
        }
        results["targets"] = {
            "post_300_per_s_p99_100ms": results["post_open"]["per_s"] >= 0.97 * args.post_rate
            and results["post_open"]["p99_ms"] <= 100
            and results["post_open"]["errors"] == 0,
            "pull_500_per_s_p99_30ms": results["pull_open"]["p99_ms"] <= 30
            and results["pull_open"]["errors"] == 0,
        }
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat-rate", type=float, default=0.0, help="Share of visits that are repeats.")
    parser.add_argument("--posts-only", action="store_true", help="Stop after the closed-loop posts.")
    parser.add_argument("--out", default="last_run.json", help="Results file, beside this script.")
    parser.add_argument("--workers", type=int, default=1, help="API processes (`interop serve --workers`).")
    parser.add_argument("--post-rate", type=float, default=300.0)
    parser.add_argument("--pull-rate", type=float, default=500.0)
    parser.add_argument("--post-sustain", type=float, default=40.0, help="A rate this machine can sustain.")
    parser.add_argument("--pull-sustain", type=float, default=15.0, help="A rate this machine can sustain.")
    args = parser.parse_args()
    results = asyncio.run(bench(args))
    (HERE / args.out).write_text(json.dumps(results, indent=2) + "\n")
    if not args.posts_only:
        print(json.dumps(results["ratios"]), json.dumps(results["targets"]))


if __name__ == "__main__":
    main()
