"""Tampering directly in the database (triggers disabled by the superuser) is found at the exact entry."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import chain, verification
from interop.audit.schemas import VerificationRead
from interop.audit.signing import Signer
from interop.messages.stored import said

from .conftest import Tamper
from .factories import legacy_chain

TAMPERING = {
    "changed field": (["UPDATE audit_event SET client_id = 'other-clinic' WHERE seq = 4"], 4),
    "changed entity": (
        [
            """UPDATE audit_event SET entities = '[{"id": "x", "role": "domain-resource", "type": "Task"}]'
            WHERE seq = 3"""
        ],
        3,
    ),
    "deleted entry": (["DELETE FROM audit_event WHERE seq = 5"], 5),
    "reordered entries": (
        [
            "UPDATE audit_event SET seq = -1 WHERE seq = 6",
            "UPDATE audit_event SET seq = 6 WHERE seq = 7",
            "UPDATE audit_event SET seq = 7 WHERE seq = -1",
        ],
        6,
    ),
    "dropped tail": (["DELETE FROM audit_event WHERE seq >= 9"], 9),
    "forged checkpoint": (["UPDATE audit_checkpoint SET signature = decode(repeat('00', 64), 'hex')"], 10),
}


Build = Callable[[], Awaitable[None]]


@pytest.fixture
def chain_of_ten(owner_database_url: str, signer: Signer) -> Callable[[], Awaitable[None]]:
    """The legacy hash chain (written before the tree log; nothing writes it any more) still verifies."""
    return lambda: legacy_chain(owner_database_url, signer, 10)


async def _verify(sessionmaker: async_sessionmaker[AsyncSession], signer: Signer) -> VerificationRead:
    async with sessionmaker() as session:
        return await verification.verify(session, verifier=signer.verifier)


async def test_untouched_chain_verifies(
    sessionmaker: async_sessionmaker[AsyncSession], chain_of_ten: Build, signer: Signer
) -> None:
    await chain_of_ten()
    report = await _verify(sessionmaker, signer)
    assert report.ok
    assert (report.events_checked, report.head_seq, report.checkpoints_checked) == (10, 10, 1)


@pytest.mark.parametrize("case", list(TAMPERING))
async def test_tampering_is_found_at_the_exact_entry(
    sessionmaker: async_sessionmaker[AsyncSession],
    chain_of_ten: Build,
    signer: Signer,
    tamper: Tamper,
    case: str,
) -> None:
    statements, bad_seq = TAMPERING[case]
    await chain_of_ten()
    await tamper(*statements)
    report = await _verify(sessionmaker, signer)
    assert not report.ok
    assert report.first_bad_seq == bad_seq, report.reason


async def test_consistent_rewrite_is_caught_by_the_signed_checkpoint(
    sessionmaker: async_sessionmaker[AsyncSession], chain_of_ten: Build, signer: Signer, tamper: Tamper
) -> None:
    """Someone without the key rewrites entry 3 and recomputes every later hash: the chain is
    self-consistent, but no longer matches what the checkpoint signed."""
    await chain_of_ten()
    async with sessionmaker() as session:
        rows = (
            await session.execute(text(f"SELECT {', '.join(chain.ROW_FIELDS)} FROM audit_event ORDER BY seq"))
        ).all()
    prev = chain.GENESIS
    statements = []
    for row in rows:
        values = list(row)
        if values[0] == 3:
            values[7] = "rewritten"
        prev = chain.link(prev, chain.canonical_row(values))
        statements.append(
            f"UPDATE audit_event SET client_id = '{values[7]}', hash = decode('{prev.hex()}', 'hex') "
            f"WHERE seq = {values[0]}"
        )
    await tamper(*statements)
    report = await _verify(sessionmaker, signer)
    assert not report.ok
    assert report.first_bad_seq == 10
    assert said(report.reason or "", "en").startswith("chain differs from checkpoint")


async def test_parallel_verification_names_the_same_entries(
    sessionmaker: async_sessionmaker[AsyncSession],
    chain_of_ten: Build,
    signer: Signer,
    tamper: Tamper,
    database_url: str,
) -> None:
    await chain_of_ten()
    dsn = database_url.replace("+asyncpg", "")
    intact = await asyncio.to_thread(
        verification.verify_parallel, dsn, verifier=signer.verifier, workers=2, chunk=3
    )
    assert intact.ok
    assert intact.events_checked == 10
    await tamper(*TAMPERING["deleted entry"][0], *TAMPERING["changed field"][0])
    report = await asyncio.to_thread(
        verification.verify_parallel, dsn, verifier=signer.verifier, workers=2, chunk=3
    )
    assert report.first_bad_seq == 4
    await tamper("DELETE FROM audit_event WHERE seq <= 4")
    report = await asyncio.to_thread(
        verification.verify_parallel, dsn, verifier=signer.verifier, workers=2, chunk=3
    )
    assert report.first_bad_seq == 1
