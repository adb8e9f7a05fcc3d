"""Concurrent writers take no lock: every committed record is stored and becomes a leaf exactly once,
rolled-back ones leave nothing, and the tree verifies."""

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

from .factories import make_ctx

WRITERS = 50


@pytest.fixture
async def wide_sessionmaker(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_async_engine(database_url, pool_size=WRITERS, max_overflow=0)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def test_fifty_concurrent_transactions_each_become_one_leaf(
    wide_sessionmaker: async_sessionmaker[AsyncSession], signer: Signer
) -> None:
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
        head = await audit_service.checkpoint(session, signer=signer)
        await session.commit()
    async with wide_sessionmaker() as session:
        rows = (await session.execute(text("SELECT seq, client_id FROM audit_event ORDER BY seq"))).all()
        leaves = (await session.execute(text("SELECT seq FROM audit_leaf ORDER BY leaf_index"))).scalars()
        side = (await session.execute(text("SELECT seq, patient FROM audit_event_patient"))).all()
        report = await verification.verify(session, verifier=signer.verifier)
    committed = [i for i in range(WRITERS) if i % 10 != 9]
    assert sorted(r.client_id for r in rows) == sorted(f"writer-{i}" for i in committed)  # one record each
    client_of = {r.seq: r.client_id for r in rows}
    assert sorted(leaves) == sorted(client_of)  # every committed record is a leaf, exactly once
    assert sorted((client_of[s.seq], s.patient) for s in side) == sorted(
        (f"writer-{i}", f"Patient/p{i}{x}") for i in committed for x in "ab"
    )
    assert head is not None
    assert head.tree_size == len(committed)
    assert report.ok, report.reason
    assert report.leaves_checked == len(committed)
