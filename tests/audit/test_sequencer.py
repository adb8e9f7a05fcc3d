"""The sequencer: committed events become leaves exactly once, in the order their transactions end; an
event whose transaction is still open is never skipped; rolled-back ones never appear; each step signs a
head whose root the stored nodes reproduce and that the standalone verifier accepts."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import checkpoint as cp
from interop.audit import merkle, sequencer, verify_proof
from interop.audit.leaf import LEAF_FIELDS, canonical_leaf
from interop.audit.signing import Signer
from interop.config import Settings

from .factories import record_many

ORIGIN = "interop.test/audit"
WRITERS = 16

_INSERT = (
    "INSERT INTO audit_event (recorded_at, type, subtype, action, outcome, client_id, role, request_id, "
    "trace_id, entities) VALUES (now(), 'rest', 'read', 'R', '0', $1, 'clinic', $1, $1, '[]') RETURNING seq"
)


@pytest.fixture
async def raw(database_url: str) -> AsyncIterator[list[asyncpg.Connection]]:
    conns = [await asyncpg.connect(database_url.replace("+asyncpg", "")) for _ in range(WRITERS)]
    yield conns
    for conn in conns:
        await conn.close()


async def _tree(sessionmaker: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessionmaker() as session:
        rows = await session.execute(text("SELECT leaf_index, seq FROM audit_leaf ORDER BY leaf_index"))
        pairs = [(int(r.leaf_index), int(r.seq)) for r in rows]
    assert [i for i, _ in pairs] == list(range(len(pairs)))
    return [s for _, s in pairs]


async def _step(sessionmaker: async_sessionmaker[AsyncSession], signer: Signer) -> int:
    return await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN)


async def test_sixteen_writers_commit_out_of_insert_order(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, raw: list[asyncpg.Connection]
) -> None:
    txs = [conn.transaction() for conn in raw]
    seqs: list[int] = []
    for i, (conn, tx) in enumerate(zip(raw, txs, strict=True)):  # insert in order 0 … 15
        await tx.start()
        seqs.append(await conn.fetchval(_INSERT, f"writer-{i:02}"))
    # commit in a shuffled order, some rolling back, with a sequencer step after each: the lowest seqs
    # stay open longest, so a sequencer that followed seq would skip them or stall
    order = [15, 3, 14, 9, 0, 12, 7, 1, 13, 6, 10, 2, 11, 5, 8, 4]
    rolled_back = {3, 10, 11}
    expected: list[int] = []
    for i in order:
        if i in rolled_back:
            await txs[i].rollback()
        else:
            await txs[i].commit()
            expected.append(seqs[i])
        await _step(sessionmaker, signer)
        assert await _tree(sessionmaker) == expected  # exactly the committed ones, in commit order
    assert await _step(sessionmaker, signer) == 0  # nothing twice
    assert expected != sorted(expected)


async def test_commits_between_two_steps_take_seq_order_within_the_step(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, raw: list[asyncpg.Connection]
) -> None:
    txs = [conn.transaction() for conn in raw[:6]]
    seqs = []
    for i, (conn, tx) in enumerate(zip(raw, txs, strict=False)):
        await tx.start()
        seqs.append(await conn.fetchval(_INSERT, f"writer-{i:02}"))
    for i in (4, 1, 5):
        await txs[i].commit()
    await _step(sessionmaker, signer)
    for i in (3, 0):
        await txs[i].commit()
    await txs[2].rollback()
    await _step(sessionmaker, signer)
    assert await _tree(sessionmaker) == [seqs[1], seqs[4], seqs[5], seqs[0], seqs[3]]


async def test_concurrent_writers_and_sequencer_lose_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, raw: list[asyncpg.Connection]
) -> None:
    committed: list[int] = []
    stop = asyncio.Event()

    async def writer(i: int, conn: asyncpg.Connection) -> None:
        for k in range(15):
            tx = conn.transaction()
            await tx.start()
            seq = await conn.fetchval(_INSERT, f"w{i}-{k}")
            await conn.execute("SELECT pg_sleep(0.002 * random())")
            if (i + k) % 7 == 0:
                await tx.rollback()
            else:
                await tx.commit()
                committed.append(seq)

    async def sequencing() -> None:
        while not stop.is_set():
            await _step(sessionmaker, signer)
            await asyncio.sleep(0.005)

    loop = asyncio.create_task(sequencing())
    await asyncio.gather(*(writer(i, c) for i, c in enumerate(raw)))
    stop.set()
    await loop
    await _step(sessionmaker, signer)
    leaves = await _tree(sessionmaker)
    assert sorted(leaves) == sorted(committed)
    assert len(set(leaves)) == len(leaves)


async def test_heads_are_signed_and_proofs_verify_from_stored_nodes(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer
) -> None:
    await record_many(sessionmaker, 5)
    await _step(sessionmaker, signer)
    await record_many(sessionmaker, 8)
    await _step(sessionmaker, signer)
    async with sessionmaker() as session:
        heads = (await session.execute(text("SELECT * FROM audit_head ORDER BY tree_size"))).mappings().all()
        events = (
            await session.execute(
                text(
                    f"SELECT {', '.join(LEAF_FIELDS)} FROM audit_event e "
                    "JOIN audit_leaf l USING (seq) ORDER BY l.leaf_index"
                )
            )
        ).all()
        tree = merkle.MemoryTree(merkle.leaf_hash(canonical_leaf(e)) for e in events)
        stored = await sequencer.node_hashes(
            session, merkle.needed_nodes([*merkle.inclusion_ranges(6, 13), *merkle.consistency_ranges(5, 13)])
        )
    assert [h["tree_size"] for h in heads] == [5, 13]
    keys = verify_proof.load_keys(
        {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": cp.b64url(_raw_public(signer))}]}
    )
    docs: list[dict[str, Any]] = []
    for head in heads:
        assert bytes(head["root_hash"]) == tree.root(head["tree_size"])
        doc = {
            "tree_size": head["tree_size"],
            "root_hash": base64.b64encode(bytes(head["root_hash"])).decode(),
            "kid": head["kid"],
            "checkpoint": head["checkpoint"],
            "signature": base64.b64encode(bytes(head["signature"])).decode(),
        }
        verify_proof.verify_head(doc, keys)
        docs.append(doc)
    assert merkle.inclusion_proof(6, 13, stored) == tree.inclusion_proof(6, 13)
    assert merkle.consistency_proof(5, 13, stored) == tree.consistency_proof(5, 13)
    proof = {
        "first": 5,
        "second": 13,
        "hashes": [base64.b64encode(h).decode() for h in tree.consistency_proof(5)],
    }
    verify_proof.verify_consistency(docs[0], docs[1], proof, keys)


async def test_legacy_chain_events_become_the_first_leaves_in_seq_order(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, owner_database_url: str
) -> None:
    await record_many(sessionmaker, 6)
    conn = await asyncpg.connect(owner_database_url.replace("+asyncpg", ""))
    try:  # make them look like rows written before migration 0010 (no xid); only the owner may
        async with conn.transaction():
            await conn.execute("ALTER TABLE audit_event DISABLE TRIGGER USER")
            await conn.execute("UPDATE audit_event SET xid = NULL WHERE seq <= 4")
            await conn.execute("ALTER TABLE audit_event ENABLE TRIGGER USER")
    finally:
        await conn.close()
    async with sessionmaker() as session:
        first = await sequencer.step(session, signer=signer, origin=ORIGIN, batch=3)
        await session.commit()
    assert first is not None
    assert first.added == 3
    await _step(sessionmaker, signer)
    assert await _tree(sessionmaker) == [1, 2, 3, 4, 5, 6]


def _raw_public(signer: Signer) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return signer.private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


async def test_worker_loop_keeps_the_merge_delay_bounded(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer
) -> None:
    await record_many(sessionmaker, 3)
    async with sessionmaker() as session:
        assert await sequencer.pending_age_seconds(session) > 0
    stop = asyncio.Event()
    loop = asyncio.create_task(
        sequencer.run(sessionmaker, signer=signer, origin=ORIGIN, max_merge_delay_s=0.2, stop=stop)
    )
    await asyncio.sleep(0.3)
    await record_many(sessionmaker, 2)
    await asyncio.sleep(0.3)
    stop.set()
    await loop
    assert len(await _tree(sessionmaker)) == 5
    async with sessionmaker() as session:
        assert await sequencer.pending_age_seconds(session) == 0


async def test_the_job_worker_runs_the_sequencer(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, settings: Settings
) -> None:
    from interop.job.worker import Worker

    settings.audit_max_merge_delay_s = 0.2
    await record_many(sessionmaker, 3)
    stop = asyncio.Event()
    task = asyncio.create_task(Worker(settings, sessionmaker).run_forever(stop))
    for _ in range(50):
        await asyncio.sleep(0.1)
        if len(await _tree(sessionmaker)) == 3:
            break
    stop.set()
    await task
    assert len(await _tree(sessionmaker)) == 3


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_head SET kid = 'x'",
        "DELETE FROM audit_leaf",
        "UPDATE audit_node SET hash = hash",
        "TRUNCATE audit_head",
    ],
)
async def test_tree_tables_are_append_only(
    sessionmaker: async_sessionmaker[AsyncSession],
    signer: Signer,
    owner_database_url: str,
    statement: str,
) -> None:
    """Even the tables' owner meets the trigger (the application's role has no such rights at all:
    tests/foundation/test_app_role.py)."""
    await record_many(sessionmaker, 2)
    await _step(sessionmaker, signer)
    conn = await asyncpg.connect(owner_database_url.replace("+asyncpg", ""))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute(statement)
    finally:
        await conn.close()
