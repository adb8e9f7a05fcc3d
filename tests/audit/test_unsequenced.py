"""A committed record waits for the sequencer (at most the merge delay) yet is read and searched at once;
the merge delay and its configured maximum are on /metrics."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity

from .factories import make_ctx

Headers = Callable[..., dict[str, str]]


async def test_an_unsequenced_record_is_read_and_searched_and_its_wait_is_a_metric(
    client: httpx.AsyncClient, auth_headers: Headers, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session:
        await audit_service.record(
            session,
            make_ctx(client_id="clinic-z"),
            action="E",
            subtype="search-type",
            entities=[AuditEntity(type="Task", id="t-1"), AuditEntity(type="Task", id="t-2")],
            patients=["pat-1", "pat-2"],
        )
        await session.commit()
        seq = int(
            await session.scalar(text("SELECT max(seq) FROM audit_record WHERE client_id = 'clinic-z'"))
        )
        assert await session.scalar(text("SELECT count(*) FROM audit_leaf")) == 0  # not sequenced
    headers = auth_headers("auditor")
    found = (await client.get("/fhir/AuditEvent", params={"patient": "pat-2"}, headers=headers)).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [f"{seq}-1"]
    by_entity = (await client.get("/fhir/AuditEvent", params={"entity": "Task/t-1"}, headers=headers)).json()
    assert [e["resource"]["id"] for e in by_entity["entry"]] == [str(seq), f"{seq}-1"]
    read = await client.get(f"/fhir/AuditEvent/{seq}", headers=headers)
    assert read.status_code == 200
    await asyncio.sleep(0.3)
    scraped = (await client.get("/metrics")).text
    assert re.search(r"^interop_audit_max_merge_delay_seconds 1\.0$", scraped, re.M)
    waited = re.search(r"^interop_audit_merge_delay_seconds (\S+)$", scraped, re.M)
    assert waited is not None
    assert float(waited.group(1)) >= 0.3
