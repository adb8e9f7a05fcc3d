"""Every query ``POST /fhir/Patient/$match`` runs per call is served by an index (issue 13, "``$match``
at scale"): at 1 M people a single scan of a record, match or referral table costs hundreds of
milliseconds. Plans are taken with sequential scans disabled, so a plan that still scans a table has no
index to use for it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from tests.matching.factories import load_population, make_people
from tests.matching.test_router import _linked_person, _patient, _run_via_api
from tests.referral.factories import add_unit

from interop.config import Settings
from interop.context import system_context
from interop.job.worker import Worker
from interop.matching import service as matching_service
from interop.matching.online import NAMED_PERSONS_SQL, REFUSED_SQL
from interop.matching.schemas import IdentityProbe

Headers = Callable[..., dict[str, str]]
HOME = "DFIMB000001"  # every registry record of the population is at this unit
# Tables that grow with the population or the traffic: none may be read by a scan on the $match path.
LARGE = (
    "match_record",
    "match_link",
    "roll_record",
    "roll_record_key",
    "registry_patient",
    "registry_patient_key",
    "referral",
    "referral_task",
    "referral_provisional_patient",
    "audit_event",
    "unit",
)

_PARTITIONED = ("roll_record", "registry_patient", "match_link")


async def _plan(
    conn: AsyncConnection, sql: str, params: Any = (), *, generic: bool = False
) -> dict[str, Any]:
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    if generic:  # planned without the values: the placeholders are sent empty, and not read
        explain = await driver.prepare(f"EXPLAIN (GENERIC_PLAN, FORMAT JSON) {sql}")
        rows = await explain.fetch(*[None] * len(explain.get_parameters()))
    else:
        rows = await driver.fetch(f"EXPLAIN (FORMAT JSON) {sql}", *params)
    found = rows[0][0]  # the driver may have decoded the JSON already
    plan: dict[str, Any] = (json.loads(found) if isinstance(found, str) else found)[0]["Plan"]
    return plan


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _scans(plan: dict[str, Any]) -> list[str]:
    """The large tables a plan reads whole: a sequential scan, or an index scan with no condition."""
    out = []
    for node in _nodes(plan):
        table = node.get("Relation Name")
        # A partition of the source record tables (0023) or of the links (0025) is named after its parent.
        parent = str(table).rsplit("_", 1)[0]
        if table not in LARGE and parent in _PARTITIONED:
            table = parent
        if table not in LARGE:
            continue
        kind = node["Node Type"]
        if kind == "Seq Scan" or (kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node):
            out.append(f"{kind} on {table}")
    return out


@contextmanager
def _statements(app: FastAPI) -> Iterator[list[tuple[str, Any]]]:
    """The statements the app's engine runs meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        seen.append((statement, params))

    engines = [app.state.engine.sync_engine, app.state.lookup_engine.sync_engine]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", before)


async def test_the_lookups_besides_the_candidates_use_indexes(session: AsyncSession) -> None:
    """The probe's named persons and the reviewers' refusals, whatever the tables hold."""
    conn = await session.connection()
    await conn.execute(text("SET LOCAL enable_seqscan = off"))
    person = [uuid.uuid4(), uuid.uuid4()]
    for sql, params in (
        (NAMED_PERSONS_SQL, {"roll": "R1", "pid": uuid.uuid4()}),
        (REFUSED_SQL, {"anchors": person[:1], "others": person[1:]}),
    ):
        compiled = sql.compile(conn.sync_connection)  # type: ignore[union-attr]
        positional = [params[name] for name in compiled.positiontup or []]
        plan = await _plan(conn, str(compiled), positional)
        assert _scans(plan) == [], json.dumps(plan, indent=1)


async def test_every_query_of_a_match_call_uses_an_index(
    client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    auth_headers: Headers,
) -> None:
    """Each statement of a real ``$match`` call, for every kind of caller (its disclosure lookups
    differ), EXPLAINed with the parameters it ran with."""
    people = make_people(200)
    await load_population(session, people)
    await add_unit(session, HOME, lat=19.4330, lon=-99.1330)
    await _run_via_api(client, app, auth_headers)
    key, clinic_patient = await _linked_person(session)
    probes = [
        _patient(people[key]),
        _patient(people[key], id=str(clinic_patient)),  # names its registry Patient: its person is known
    ]
    callers = {
        "admin": auth_headers("admin"),
        "bienestar": auth_headers("bienestar"),
        "clinic": auth_headers("clinic", clues=[HOME]),
    }
    ran: list[tuple[str, Any]] = []
    for headers in callers.values():
        for probe in probes:
            body = {"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": probe}]}
            with _statements(app) as seen:
                response = await client.post(
                    "/fhir/Patient/$match",
                    json=body,
                    headers={**headers, "Content-Type": "application/fhir+json"},
                )
            assert response.status_code == 200, response.text
            assert response.json()["entry"], "each caller sees the probe's own record"
            ran += seen
    reads = [(s, p) for s, p in ran if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    read_text = "\n".join(s for s, _ in reads)
    # What the path reads: candidates, their records, the named persons, and per caller its disclosure.
    for table in ("match_record", "identity_record", "registry_patient", "referral"):
        assert f" {table} " in read_text, table
    conn = await session.connection()
    await conn.execute(text("SET LOCAL enable_seqscan = off"))
    # The test's tables hold a few rows, so the planner may join the candidates to their records by
    # reading the whole (tiny) record index in order; at a million records it takes one lookup per
    # candidate. Joins by lookup only, so what is checked is that each lookup has an index to use.
    await conn.execute(text("SET LOCAL enable_mergejoin = off"))
    await conn.execute(text("SET LOCAL enable_hashjoin = off"))
    for statement, params in reads:
        plan = await _plan(conn, statement, params or ())
        assert _scans(plan) == [], f"{statement}\n{json.dumps(plan, indent=1)}"
    # ``$match`` runs on cached generic plans (planned once per connection, not per call: planning the
    # candidates' fifteen index branches cost more than running them), so each statement must find its
    # index without the values too.
    candidates = [i for i, (statement, _) in enumerate(ran) if "FROM match_record m JOIN" in statement]
    assert len(candidates) == len(callers) * len(probes)
    async with app.state.lookup_sessionmaker() as lookup:
        mode = (await lookup.execute(text("SHOW plan_cache_mode"))).scalar_one()
    assert mode == "force_generic_plan", "$match's connections plan generically from connect on"
    for statement, _ in reads:
        plan = await _plan(conn, statement, generic=True)
        assert _scans(plan) == [], f"generic plan of {statement}\n{json.dumps(plan, indent=1)}"


async def test_match_scores_with_the_model_active_when_it_reads_the_candidates(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    """The active model's version is read with the candidates (not by a query of its own): a model
    activated later is used from the next call on, and with no active model there are no candidates."""
    people = make_people(60)
    await load_population(session, people)
    run = await matching_service.start_run(session, system_context(request_id="r", trace_id="0" * 32))
    await session.commit()
    assert run.job_id is not None
    assert await Worker(settings, sessionmaker).run_until_done(run.job_id) == "succeeded"
    p = people[3]
    probe = IdentityProbe(
        given_names=p.nombre,
        paternal_surname=p.primer_apellido,
        maternal_surname=p.segundo_apellido,
        birth_date=p.fecha_nacimiento,
        sex=p.sexo,
        entidad=p.entidad,
    )
    first = await matching_service.match_online(session, probe=probe, settings=settings)
    assert first
    trained = first[0].model_version
    # Another version of the same model becomes the active one.
    await session.execute(
        text(
            "INSERT INTO match_model (version, digest, settings, term_frequencies, stats, active) "
            "SELECT 'v-next', md5(digest) || md5(version), settings, term_frequencies, stats, false "
            "FROM match_model WHERE version = :v"
        ),
        {"v": trained},
    )
    await session.execute(text("UPDATE match_model SET active = (version = 'v-next')"))
    await session.commit()
    again = await matching_service.match_online(session, probe=probe, settings=settings)
    assert {c.model_version for c in again} == {"v-next"}
    assert [(c.source, c.record_id) for c in again] == [(c.source, c.record_id) for c in first]
    await session.execute(text("UPDATE match_model SET active = false"))
    await session.commit()
    assert await matching_service.match_online(session, probe=probe, settings=settings) == []
