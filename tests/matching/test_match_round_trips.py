"""``Patient/$match`` spends no round trip on transaction or plan bookkeeping (issue 13, "``$match`` at
scale"): its statements run alone in autocommit (no ``BEGIN``) on connections that plan generically
from connect on (no ``SET LOCAL plan_cache_mode`` per call), and the audit of what it disclosed is
still written, every event of the call in one statement (kept together or not at all), before the
answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.matching.factories import load_population, make_people
from tests.matching.test_router import _linked_person, _patient, _run_via_api
from tests.referral.factories import add_unit

Headers = Callable[..., dict[str, str]]
HOME = "DFIMB000001"  # every registry record of the population is at this unit
PADRON = "https://www.gob.mx/bienestar/padron"


@contextmanager
def _statements(app: FastAPI) -> Iterator[list[tuple[str, bool]]]:
    """Each statement either of the app's engines runs meanwhile, and whether its connection was inside
    a transaction when it was sent."""
    seen: list[tuple[str, bool]] = []

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        driver = conn.connection.driver_connection
        seen.append((statement, bool(driver.is_in_transaction())))

    engines = [app.state.engine.sync_engine]
    lookup = getattr(app.state, "lookup_engine", None)  # absent before this change
    if lookup is not None:
        engines.append(lookup.sync_engine)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", before)


async def test_match_runs_no_transaction_or_plan_statement_and_audits_in_one_statement(
    client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, auth_headers: Headers
) -> None:
    people = make_people(200)
    await load_population(session, people)
    await add_unit(session, HOME, lat=19.4330, lon=-99.1330)
    await _run_via_api(client, app, auth_headers)
    key, _ = await _linked_person(session)
    body = {
        "resourceType": "Parameters",
        "parameter": [{"name": "resource", "resource": _patient(people[key])}],
    }
    trace = f"{0xA11CE:032x}"
    with _statements(app) as seen:
        response = await client.post(
            "/fhir/Patient/$match",
            json=body,
            headers={
                **auth_headers("bienestar"),
                "Content-Type": "application/fhir+json",
                "traceparent": f"00-{trace}-00f067aa0ba902b7-01",
            },
        )
    assert response.status_code == 200, response.text
    entries = response.json()["entry"]
    assert any("FROM match_record m JOIN" in s for s, _ in seen), "the candidates were read"
    assert not [s for s, _ in seen if "plan_cache_mode" in s], "no plan setting per call"
    assert not [s for s, in_transaction in seen if in_transaction], "every statement runs alone"
    # The audit: one event per roll record disclosed and one for the registry Patients (when there are
    # any), all written by one statement (one transaction: one xmin).
    rolls = [e for e in entries if any(i["system"] == PADRON for i in e["resource"].get("identifier", []))]
    assert rolls, "Bienestar sees the probe's roll record"
    patients = len(entries) > len(rolls)
    written = (
        await session.execute(
            text(
                "SELECT count(*), count(DISTINCT xmin::text), count(*) FILTER (WHERE entities LIKE "
                "'%RollRecord%') FROM audit_intake WHERE trace_id = :t AND subtype = 'operation'"
            ),
            {"t": trace},
        )
    ).one()
    assert tuple(written) == (patients + len(rolls), 1, len(rolls))
