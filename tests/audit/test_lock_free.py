"""Lock-free appends (the only way records are written): sixteen request transactions hold their audit
records open at once (the old chain lock would serialise them), commit in an order unlike their insert
order, and the tree holds every committed event exactly once, in commit order; rolled-back ones never."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from interop.audit import sequencer, verification
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.audit.signing import Signer

from .factories import make_ctx

WRITERS = 16
ORIGIN = "interop.test/audit"


@pytest.fixture
async def wide_sessionmaker(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_async_engine(database_url, pool_size=WRITERS + 2, max_overflow=0)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def test_sixteen_open_writers_commit_out_of_order_and_the_tree_follows_commit_order(
    wide_sessionmaker: async_sessionmaker[AsyncSession], signer: Signer
) -> None:
    sessions = [wide_sessionmaker() for _ in range(WRITERS)]
    seqs: list[int] = []
    for i, session in enumerate(sessions):  # all sixteen hold written, uncommitted events at once
        await audit_service.record(
            session,
            make_ctx(client_id=f"writer-{i:02}"),
            action="U",
            subtype="update",
            entities=[AuditEntity(type="Task", id=f"t{i}")],
            patients=[f"p{i}"],
        )
        await asyncio.wait_for(audit_service.flush(session), timeout=5)
        seqs.append(
            int(
                await session.scalar(
                    text("SELECT max(seq) FROM audit_record WHERE client_id = :c"), {"c": f"writer-{i:02}"}
                )
            )
        )
    assert seqs == sorted(seqs)
    order = [9, 15, 0, 4, 12, 2, 7, 14, 1, 11, 5, 13, 3, 8, 6, 10]
    rolled_back = {4, 13}
    expected: list[int] = []
    for i in order:
        if i in rolled_back:
            await sessions[i].rollback()
        else:
            await sessions[i].commit()
            expected.append(seqs[i])
        await sessions[i].close()
        await sequencer.catch_up(wide_sessionmaker, signer=signer, origin=ORIGIN)
    async with wide_sessionmaker() as session:
        leaves = [
            int(s)
            for s in (await session.scalars(text("SELECT seq FROM audit_leaf ORDER BY leaf_index"))).all()
        ]
        assert await session.scalar(text("SELECT count(*) FROM audit_event WHERE hash IS NOT NULL")) == 0
        report = await verification.verify(session, verifier=signer.verifier)
    assert leaves == expected
    assert report.ok, report.reason
    assert report.leaves_checked == WRITERS - len(rolled_back)
    assert report.heads_checked == WRITERS - len(rolled_back)


async def test_concurrent_lock_free_requests_lose_nothing(
    wide_sessionmaker: async_sessionmaker[AsyncSession], signer: Signer
) -> None:
    async def writer(i: int) -> list[str]:
        done = []
        for k in range(10):
            async with wide_sessionmaker() as session:
                client = f"w{i}-{k}"
                await audit_service.record(session, make_ctx(client_id=client), action="R", subtype="read")
                await session.execute(text("SELECT pg_sleep(0.003 * random())"))
                if (i * 10 + k) % 6 == 0:
                    await session.rollback()
                else:
                    await session.commit()
                    done.append(client)
        return done

    stop = asyncio.Event()
    loop = asyncio.create_task(
        sequencer.run(wide_sessionmaker, signer=signer, origin=ORIGIN, max_merge_delay_s=0.02, stop=stop)
    )
    committed = [c for batch in await asyncio.gather(*(writer(i) for i in range(WRITERS))) for c in batch]
    await sequencer.catch_up(wide_sessionmaker, signer=signer, origin=ORIGIN)
    stop.set()
    await loop
    async with wide_sessionmaker() as session:
        in_tree = (
            await session.scalars(
                text(
                    "SELECT e.client_id FROM audit_leaf l JOIN audit_event e USING (seq) "
                    "ORDER BY l.leaf_index"
                )
            )
        ).all()
        report = await verification.verify(session, verifier=signer.verifier)
    assert sorted(in_tree) == sorted(committed)
    assert report.ok, report.reason
