"""Concurrent writers share one chain: no fork, no gap, every committed event present exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from interop.audit import service as audit_service
from interop.audit import verification
from interop.audit.schemas import AuditEntity
from interop.audit.signing import Signer
from interop.config import Settings

from .factories import make_ctx

WRITERS = 50


@pytest.fixture
async def wide_sessionmaker(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_async_engine(database_url, pool_size=WRITERS, max_overflow=0)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def test_fifty_concurrent_transactions_never_fork_the_chain(
    wide_sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, signer: Signer
) -> None:
    settings.audit_checkpoint_every = 7
    audit_service.configure(settings)
    start = asyncio.Event()

    async def writer(i: int) -> None:
        async with wide_sessionmaker() as session:
            await audit_service.record(
                session,
                make_ctx(client_id=f"writer-{i}"),
                action="U",
                subtype="update",
                entities=[AuditEntity(type="Task", id=f"t{i}")],
                patients=[f"p{i}a", f"p{i}b"],
            )
            await session.execute(text("SELECT pg_sleep(0.01 * random())"))
            await start.wait()
            if i % 10 == 9:
                await session.rollback()  # these writers' actions fail: their events must vanish
            else:
                await session.commit()

    tasks = [asyncio.create_task(writer(i)) for i in range(WRITERS)]
    await asyncio.sleep(0.2)
    start.set()
    await asyncio.gather(*tasks)

    async with wide_sessionmaker() as session:
        rows = (await session.execute(text("SELECT seq, client_id FROM audit_event ORDER BY seq"))).all()
        report = await verification.verify(session, verifier=audit_service.current_signer().verifier)
    committed = [i for i in range(WRITERS) if i % 10 != 9]
    assert [r.seq for r in rows] == list(range(1, 2 * len(committed) + 1))
    by_client: dict[str, int] = {}
    for r in rows:
        by_client[r.client_id] = by_client.get(r.client_id, 0) + 1
    assert by_client == {f"writer-{i}": 2 for i in committed}
    assert report.ok, report.reason
    assert report.checkpoints_checked >= (2 * len(committed)) // 7 - 1
