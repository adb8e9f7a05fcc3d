# ruff: noqa: E501  (the loading SQL reads best unwrapped)
"""Server time of the people's pages beside the API call that serves the same data.

    /work/main/.venv/bin/python bench/web/run.py --people 1000000 --referrals 100000 --requests 40

Embedded PostgreSQL (or DATABASE_URL) → `interop migrate` → a population loaded set-based in SQL (units
of 32 entidades, registry patients, visits with provisional patients, referrals and their Tasks in every
status with coded outcomes, rejections that re-routed, open match reviews) → `interop users add` /
`interop clients add` → `interop serve` on loopback → each page and its API counterpart requested back to
back (one at a time, keep-alive), p50/p95 and the page/API ratio printed and written to `last_run.json`.

The population is written by SQL, not through `POST /v1/visits` (≈80 posts/s on this machine would take
20 minutes for 100 k referrals); it has the shape the services read (the same tables, indexes and value
distributions), which is what the page timings depend on. Unit load is skewed (a few busy units, many quiet
ones, as in the real network), and the worklist is timed for the busiest unit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import INTEROP, cli_env, client_token, database, pct, run_cli, served

from interop.identity.states import INEGI_STATE_CODES

ROOT = Path(__file__).resolve().parents[2]
ENTIDADES = list(INEGI_STATE_CODES.values())  # the 32 entidades, not NE (born abroad)
PASSWORD = "bench-contrasena-larga"  # noqa: S105 - a throwaway account of the bench's own database
OUTCOME_SYSTEM = "https://www.gob.mx/bienestar/fhir/CodeSystem/resultado-referencia"

UNITS_SQL = """
INSERT INTO unit (clues, nombre, entidad, municipio, localidad, nivel, latitud, longitud, estatus, operating,
                  organization_id, row_digest, field_issues)
SELECT e || 'IMB' || lpad(i::text, 6, '0'), 'CENTRO DE SALUD ' || i, e, 'MUNICIPIO ' || (i % 60),
       'LOCALIDAD ' || i, CASE WHEN i % 40 = 0 THEN 2 ELSE 1 END, 17 + random() * 10, -105 + random() * 15,
       'EN OPERACION', true, gen_random_uuid(), md5(e || i), '[]'
FROM unnest($1::text[]) AS s(e), generate_series(1, $2::int) AS i
"""

REGISTRY_SQL = """
INSERT INTO registry_patient (record_id, version, is_current, import_id, row_digest, nombre, primer_apellido,
    segundo_apellido, curp_trusted, fecha_nacimiento, sexo, entidad, municipio, localidad, field_issues, clues,
    clues_current, expediente, patient_id, pkey)
SELECT 'R' || g, 1, true, 1, md5(g::text), 'NOMBRE' || (g % 5000), 'APELLIDO' || (g % 3000),
       'SEGUNDO' || (g % 2000), false, date '1940-01-01' + (g % 12000), CASE WHEN g % 2 = 0 THEN 'H' ELSE 'M' END,
       u.entidad, u.municipio, u.localidad, '[]', u.clues, u.clues, 'EXP-' || g, gen_random_uuid(), u.entidad
FROM generate_series(1, $1::int) AS g
JOIN (SELECT row_number() OVER (ORDER BY clues) - 1 AS n, * FROM unit) u ON u.n = g % $2::int
"""
# Each record's key row (migration 0022): what reads by record id or Patient id go through.
REGISTRY_KEY_SQL = """
INSERT INTO registry_patient_key (record_id, version, pkey, row_digest, curp, patient_id)
SELECT record_id, version, pkey, row_digest, curp, patient_id FROM registry_patient
"""

REFERRALS_SQL = """
SET LOCAL synchronous_commit = off;
CREATE TEMP TABLE units_ranked AS SELECT row_number() OVER (ORDER BY clues) - 1 AS n, clues, nombre FROM unit;
CREATE TEMP TABLE plan AS
SELECT g,
       gen_random_uuid() AS referral_id, gen_random_uuid() AS task_id, gen_random_uuid() AS prov_id,
       (SELECT count(*) FROM units_ranked) AS nunits,
       floor(power(random(), 3) * (SELECT count(*) FROM units_ranked))::int AS unit_n,
       floor(power(random(), 3) * (SELECT count(*) FROM units_ranked))::int AS first_unit_n,
       random() AS r_status, random() AS r_rej, random() AS r_out, random() AS r_prov,
       (ARRAY['routine','routine','routine','routine','routine','routine','urgent','urgent','urgent','asap'])
           [1 + floor(random() * 10)::int] AS priority,
       now() - random() * interval '30 days' AS authored_on
FROM generate_series(1, $1::int) AS g;

INSERT INTO referral_visit (visit_id, client_id, request_hash, payload, visit_date, referral_id, trace_id)
SELECT 'BENCH-' || g, 'bench-bienestar', md5(g::text),
       jsonb_build_object('person', jsonb_build_object('nombre', 'NOMBRE' || g, 'primer_apellido', 'APELLIDO',
           'domicilio', 'CALLE ' || g, 'localidad', 'LOCALIDAD ' || (g % 900), 'municipio', 'MUNICIPIO',
           'entidad', 'DF'), 'findings', jsonb_build_object('disability',
           CASE WHEN g % 9 = 0 THEN 'No camina' END)),
       current_date - (g % 30), referral_id, md5(g::text)
FROM plan;

INSERT INTO referral_provisional_patient (id, visit_pk, nombre, primer_apellido, segundo_apellido,
    fecha_nacimiento, sexo, entidad, municipio, localidad, domicilio, match_grade, review_queued)
SELECT p.prov_id, v.id, 'NOMBRE' || p.g, 'APELLIDO', 'SEGUNDO', date '1950-01-01' + (p.g % 9000), 'M', 'DF',
       'MUNICIPIO', 'LOCALIDAD ' || (p.g % 900), 'CALLE ' || p.g, 'possible', true
FROM plan p JOIN referral_visit v ON v.visit_id = 'BENCH-' || p.g
WHERE p.r_prov < 0.5;

CREATE TEMP TABLE plan2 AS
SELECT p.*, v.id AS visit_pk,
       CASE WHEN p.r_prov < 0.5 THEN p.prov_id
            ELSE (SELECT patient_id FROM registry_patient_key WHERE record_id = 'R' || (1 + (p.g * 7919) % $2::int)) END
           AS patient_id,
       u.clues AS clues, u.nombre AS unit_name, f.clues AS first_clues, f.nombre AS first_name,
       CASE WHEN p.r_status < 0.30 THEN 'requested' WHEN p.r_status < 0.42 THEN 'accepted'
            WHEN p.r_status < 0.47 THEN 'in-progress' WHEN p.r_status < 0.95 THEN 'completed'
            WHEN p.r_status < 0.97 THEN 'failed' ELSE 'cancelled' END AS status
FROM plan p
JOIN referral_visit v ON v.visit_id = 'BENCH-' || p.g
JOIN units_ranked u ON u.n = p.unit_n
JOIN units_ranked f ON f.n = p.first_unit_n;

INSERT INTO referral (id, visit_pk, visit_id, requester_client_id, requester_worker_id, status, priority,
    patient_id, patient_provisional, match_grade, performer_clues, performer_name, tried_clues, required_level,
    routing_rule, routing_reason, reasons, observations, note, authored_on, version, change_seq, updated_at,
    outcome, escalation, escalated_at, visit_ids)
SELECT referral_id, visit_pk, 'BENCH-' || g, 'bench-bienestar', 'PROM-' || (g % 500),
       CASE status WHEN 'completed' THEN 'completed' WHEN 'cancelled' THEN 'revoked' ELSE 'active' END, priority,
       patient_id, r_prov < 0.5, CASE WHEN r_prov < 0.5 THEN 'possible' ELSE 'certain' END, clues, unit_name,
       CASE WHEN r_rej < 0.08 THEN ARRAY[first_clues, clues] ELSE ARRAY[clues] END, 1, 'nearest-from-coordinates',
       'nearest', jsonb_build_array(jsonb_build_object('code', (ARRAY['E11.9','I10','J44.9','N18.3'])[1 + g % 4])),
       jsonb_build_array(jsonb_build_object('code', '2339-0', 'display', 'Glucosa', 'value', 70 + g % 300,
           'unit', 'mg/dL')) || CASE WHEN g % 9 = 0 THEN jsonb_build_array(jsonb_build_object('code',
           'disability', 'display', 'Disability', 'value_text', 'No camina')) ELSE '[]'::jsonb END,
       'bench', authored_on, 1, nextval('referral_change_seq'), authored_on,
       CASE WHEN status IN ('completed', 'failed') THEN jsonb_build_object(
           'code', CASE WHEN status = 'failed' THEN (ARRAY['no-acudio','no-localizado'])[1 + floor(r_out * 2)::int]
                        ELSE (ARRAY['atendido','atendido','atendido','atendido-domicilio','fallecio','cambio-domicilio',
                                    'referido-otra-unidad'])[1 + floor(r_out * 7)::int] END,
           'display', 'bench', 'unit', clues, 'at', authored_on) END,
       CASE WHEN status = 'failed' THEN 'failed' END, CASE WHEN status = 'failed' THEN authored_on END,
       ARRAY['BENCH-' || g]
FROM plan2;

-- 8 % were rejected by a first unit and re-routed.
INSERT INTO referral_task (id, referral_id, visit_id, requester_client_id, status, priority, status_reason, output,
    patient_id, owner_clues, owner_name, authored_on, version, change_seq, updated_at)
SELECT gen_random_uuid(), referral_id, 'BENCH-' || g, 'bench-bienestar', 'rejected', priority,
       '{"text": "Sin capacidad"}', '[]', patient_id, first_clues, first_name, authored_on - interval '1 day', 2,
       nextval('referral_change_seq'), authored_on
FROM plan2 WHERE r_rej < 0.08;

INSERT INTO referral_task (id, referral_id, visit_id, requester_client_id, status, priority, business_status,
    output, patient_id, owner_clues, owner_name, authored_on, version, change_seq, updated_at)
SELECT task_id, referral_id, 'BENCH-' || g, 'bench-bienestar', status, priority,
       CASE WHEN status = 'completed' THEN jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
           'system', $3::text, 'code', (ARRAY['atendido','atendido','atendido','atendido-domicilio','no-acudio',
           'no-localizado','cambio-domicilio'])[1 + floor(r_out * 7)::int]))) END,
       '[]', patient_id, clues, unit_name, authored_on, 1, nextval('referral_change_seq'), authored_on
FROM plan2;

INSERT INTO match_record (source, record_id, entidad, feature_digest)
SELECT 'patients', 'R' || g, (SELECT nullif(pkey, '00') FROM registry_patient_key WHERE record_id = 'R' || g), 'x'
FROM generate_series(1, $4::int) AS g;
INSERT INTO match_review (left_source, left_record_id, right_source, right_record_id, score, status, created_at)
SELECT CASE WHEN g % 5 = 0 THEN 'visit' ELSE 'roll' END, 'L' || g, 'patients', 'R' || g, 0.6 + random() * 0.3,
       'open', now() - random() * interval '20 days'
FROM generate_series(1, $4::int) AS g;
"""


async def load(url: str, people: int, referrals: int, reviews: int, units_per_entidad: int) -> None:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        t0 = time.perf_counter()
        async with conn.transaction():
            await conn.execute("SET LOCAL synchronous_commit = off")
            await conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
            await conn.execute(UNITS_SQL, list(ENTIDADES), units_per_entidad)
            n_units = len(ENTIDADES) * units_per_entidad
            print(f"  {n_units:,} units: {time.perf_counter() - t0:.1f} s", flush=True)
            await conn.execute(REGISTRY_SQL, people, n_units)
            await conn.execute(REGISTRY_KEY_SQL)
            print(f"  {people:,} registry patients: {time.perf_counter() - t0:.1f} s", flush=True)
        async with conn.transaction():
            await conn.execute("SET LOCAL synchronous_commit = off")
            for statement in _statements(REFERRALS_SQL):
                sql, values = _bind(statement, referrals, people, reviews)
                await conn.execute(sql, *values)
        print(
            f"  {referrals:,} referrals, {reviews:,} open reviews: {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        # What autovacuum does on a live database: statistics and the visibility map (index-only scans).
        await conn.execute("VACUUM ANALYZE")
        print(f"  vacuum analyze: {time.perf_counter() - t0:.1f} s", flush=True)
        counts = await conn.fetch("SELECT status, count(*) FROM referral_task GROUP BY status ORDER BY 1")
        print("  tasks: " + ", ".join(f"{r['status']} {r['count']:,}" for r in counts), flush=True)
    finally:
        await conn.close()


def _statements(sql: str) -> list[str]:
    body = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split(";\n") if s.strip() and not s.strip().startswith("SET LOCAL")]


def _bind(statement: str, referrals: int, people: int, reviews: int) -> tuple[str, list[Any]]:
    """A statement with its own parameters: $1 referrals, $2 people, $3 the outcome system, $4 reviews —
    only the ones it names, renumbered $1..$n in order (as asyncpg wants)."""
    values = {1: referrals, 2: people, 3: OUTCOME_SYSTEM, 4: reviews}
    used = sorted({int(m) for m in re.findall(r"\$(\d)", statement)})
    renumber = {old: new for new, old in enumerate(used, start=1)}
    return re.sub(r"\$(\d)", lambda m: f"${renumber[int(m.group(1))]}", statement), [values[i] for i in used]


async def sign_in(http: aiohttp.ClientSession, base: str, username: str) -> None:
    page = await (await http.get(f"{base}/app/login")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF field on the sign-in page"
    async with http.post(
        f"{base}/app/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1), "next": "/app/"},
        allow_redirects=False,
    ) as r:
        if r.status != 303:
            raise RuntimeError(f"sign-in of {username} failed: {r.status}")


async def timed(
    http: aiohttp.ClientSession, url: str, n: int, headers: dict[str, str] | None = None
) -> list[float]:
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        async with http.get(url, headers=headers or {}, allow_redirects=False) as r:
            await r.read()
            if r.status != 200:
                raise RuntimeError(f"GET {url}: {r.status}")
        lat.append((time.perf_counter() - t0) * 1000)
    return lat


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--referrals", type=int, default=100_000)
    ap.add_argument("--reviews", type=int, default=20_000)
    ap.add_argument("--units-per-entidad", type=int, default=375)  # 12,000 units
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--national-only", action="store_true", help="time the national figures only")
    ap.add_argument(
        "--baseline-src",
        type=Path,
        help="another checkout's src/ (say /work/wt/base/src): its server is started on the same database "
        "and the national figures are timed on both, interleaved",
    )
    args = ap.parse_args()

    root = Path(tempfile.mkdtemp(prefix="interop-bench-web-"))
    async with database(root) as (database_url, _):
        env = cli_env(
            database_url,
            root,
            {
                "INTEROP_RUN_WORKER": "false",
                # The CLI and server of this checkout, whatever the venv's install points at.
                "PYTHONPATH": os.pathsep.join(
                    p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p
                ),
            },
        )
        print("setup", flush=True)
        run_cli(["migrate"], env)
        await load(database_url, args.people, args.referrals, args.reviews, args.units_per_entidad)
        conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        busiest = await conn.fetchrow(
            "SELECT owner_clues, count(*) AS n FROM referral_task "
            "WHERE status IN ('requested','accepted','in-progress') GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        )
        task_id = await conn.fetchval(
            "SELECT id FROM referral_task WHERE owner_clues = $1 AND status = 'requested' LIMIT 1",
            busiest["owner_clues"],
        )
        await conn.close()
        unit, entidad = busiest["owner_clues"], busiest["owner_clues"][:2]
        print(f"  busiest unit {unit}: {busiest['n']:,} pending referrals", flush=True)
        for name, extra in (
            ("bench-unit", ["--role", "unit_staff", "--clues", unit]),
            ("bench-manager", ["--role", "manager", "--entidad", entidad]),
            ("bench-reviewer", ["--role", "reviewer"]),
        ):
            subprocess.run(
                [INTEROP, "users", "add", name, *extra, "--password-stdin"],
                input=PASSWORD,
                text=True,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        clinic = client_token(env, "bench-clinic", "clinic", unit)
        bienestar = client_token(env, "bench-bienestar-api", "bienestar")
        reviewer = client_token(env, "bench-reviewer-api", "reviewer")
        async with served(env) as (base, _), contextlib.AsyncExitStack() as stack:
            baseline = None
            if args.baseline_src is not None:
                old_env = {**env, "PYTHONPATH": str(args.baseline_src.resolve())}
                baseline, _ = await stack.enter_async_context(served(old_env))
            results = []
            if not args.national_only:
                results = await _measure(
                    base, unit, entidad, str(task_id), clinic, bienestar, reviewer, args.requests
                )
            results += await _national(base, baseline, bienestar, max(5, args.requests // 4))
        out = {
            "people": args.people,
            "referrals": args.referrals,
            "reviews": args.reviews,
            "units": len(ENTIDADES) * args.units_per_entidad,
            "busiest_unit_pending": busiest["n"],
            "requests_each": args.requests,
            "loadavg": os.getloadavg(),
            "results": results,
        }
        (Path(__file__).parent / "last_run.json").write_text(json.dumps(out, indent=2) + "\n")


async def _measure(
    base: str, unit: str, entidad: str, task_id: str, clinic: str, bienestar: str, reviewer: str, n: int
) -> list[dict[str, Any]]:
    api_clinic = {"Authorization": f"Bearer {clinic}"}
    api_bienestar = {"Authorization": f"Bearer {bienestar}"}
    api_reviewer = {"Authorization": f"Bearer {reviewer}", "X-Acting-User": "bench-reviewer"}
    pairs = [
        (
            "unit: worklist",
            ("unit", "/app/units"),
            (
                api_clinic,
                f"/fhir/Task?owner={unit}&status=requested,accepted,in-progress&_count=200"
                "&_include=Task:focus",
            ),
        ),
        ("unit: referral page", ("unit", f"/app/units/{task_id}"), (api_clinic, f"/fhir/Task/{task_id}")),
        (
            "unit: referral sheet PDF",
            ("unit", f"/app/units/{task_id}/sheet.pdf"),
            (api_clinic, f"/fhir/Task/{task_id}"),
        ),
        (
            "manager: dashboard (1 entidad)",
            ("manager", "/app/dashboard"),
            (api_bienestar, f"/v1/referral-stats?entidad={entidad}"),
        ),
        (
            "manager: dashboard CSV of units",
            ("manager", "/app/dashboard/unidades.csv"),
            (api_bienestar, f"/v1/referral-stats?entidad={entidad}"),
        ),
        ("home page (s18a)", ("unit", "/app/"), (api_clinic, "/fhir/metadata")),
        ("review queue (s18a)", ("reviewer", "/app/reviews"), (api_reviewer, "/v1/match-reviews")),
    ]
    results = []
    sessions: dict[str, aiohttp.ClientSession] = {}
    try:
        for who, name in (
            ("unit", "bench-unit"),
            ("manager", "bench-manager"),
            ("reviewer", "bench-reviewer"),
        ):
            sessions[who] = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
            await sign_in(sessions[who], base, name)
        async with aiohttp.ClientSession() as api:
            print(
                f"\n{'work':<34} {'page p50':>9} {'page p95':>9} {'API p50':>9} {'API p95':>9} {'p95 ratio':>9}"
            )
            for label, (who, page), (headers, call) in pairs:
                page_ms: list[float] = []
                if who is not None:
                    await timed(sessions[who], base + page, 3)  # warm
                    page_ms = await timed(sessions[who], base + page, n)
                await timed(api, base + call, 3, headers)
                api_ms = await timed(api, base + call, n, headers)
                row = {
                    "work": label,
                    "page": page or None,
                    "api": call,
                    "page_p50_ms": round(pct(page_ms, 50), 1) if page_ms else None,
                    "page_p95_ms": round(pct(page_ms, 95), 1) if page_ms else None,
                    "api_p50_ms": round(pct(api_ms, 50), 1),
                    "api_p95_ms": round(pct(api_ms, 95), 1),
                }
                row["p95_ratio"] = round(row["page_p95_ms"] / row["api_p95_ms"], 2) if page_ms else None
                results.append(row)
                print(
                    f"{label:<34} {_f(row['page_p50_ms'])} {_f(row['page_p95_ms'])} {_f(row['api_p50_ms'])} "
                    f"{_f(row['api_p95_ms'])} {row['p95_ratio'] if row['p95_ratio'] is not None else '—':>9}",
                    flush=True,
                )
    finally:
        for s in sessions.values():
            await s.close()
    return results


async def _national(base: str, baseline: str | None, token: str, n: int) -> list[dict[str, Any]]:
    """The national figures (every entidad) as a programme manager's client reads them, each variant timed
    in turn within each round (so a busy moment of the shared machine falls on all of them), with the
    answer's size; on the baseline code too when it is served."""
    variants = [
        ("national: default page of units", base, "/v1/referral-stats"),
        ("national: totals only", base, "/v1/referral-stats?units_limit=0"),
        ("national: page of 1,000 units", base, "/v1/referral-stats?units_limit=1000"),
    ]
    if baseline is not None:
        variants.insert(0, ("national: baseline code (all units)", baseline, "/v1/referral-stats"))
    headers = {"Authorization": f"Bearer {token}"}
    lat: dict[str, list[float]] = {label: [] for label, _, _ in variants}
    size: dict[str, int] = {}
    async with aiohttp.ClientSession() as api:
        for label, root, call in variants:
            await timed(api, root + call, 2, headers)
            async with api.get(root + call, headers=headers) as r:
                size[label] = len(await r.read())
        for _ in range(n):
            for label, root, call in variants:
                lat[label] += await timed(api, root + call, 1, headers)
    print(f"\n{'national figures':<40} {'p50':>9} {'p95':>9} {'bytes':>11}")
    rows = []
    for label, root, call in variants:
        row = {
            "work": label,
            "api": call,
            "code": "baseline" if root == baseline else "this checkout",
            "api_p50_ms": round(pct(lat[label], 50), 1),
            "api_p95_ms": round(pct(lat[label], 95), 1),
            "bytes": size[label],
        }
        rows.append(row)
        print(f"{label:<40} {_f(row['api_p50_ms'])} {_f(row['api_p95_ms'])} {size[label]:>11,}", flush=True)
    return rows


def _f(v: float | None) -> str:
    return f"{v:>7.1f}ms" if v is not None else f"{'—':>9}"


if __name__ == "__main__":
    asyncio.run(main())
