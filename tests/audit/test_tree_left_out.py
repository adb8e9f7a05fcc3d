"""An event the sequencer saw but that is not a leaf is named wherever its seq lies: between the seq bounds
of a range (read by that range's statement, no second scan of the events), in a gap between two ranges'
bounds, or beyond every range (both searched by index ranges), by one process or several."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import sequencer, tree_left_out, tree_verification
from interop.audit.signing import Signer

from .factories import record_many

ORIGIN = "interop.test/audit"


async def _owner(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url.replace("+asyncpg", ""))


@pytest.fixture
async def spaced(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, owner_database_url: str
) -> list[int]:
    """9 leaves whose seqs leave gaps inside the first range of 4 and between the first two ranges; their
    seqs. The events of a sequencer step carry its xid: the ninth leaf's step signs the head whose watermark
    the first eight's xid is below."""
    for n in (2, 2, 4):
        await record_many(sessionmaker, n)
        conn = await _owner(owner_database_url)
        try:
            await conn.execute("SELECT setval('audit_event_seq_seq', nextval('audit_event_seq_seq') + 10)")
        finally:
            await conn.close()
    await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN)
    await record_many(sessionmaker, 1)
    await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN)
    conn = await _owner(owner_database_url)
    try:
        return [
            int(s) for s in await conn.fetchval("SELECT array_agg(seq ORDER BY leaf_index) FROM audit_leaf")
        ]
    finally:
        await conn.close()


async def _verify_every_way(url: str, signer: Signer) -> list[tree_verification.TreeReport]:
    conn = await _owner(url)
    try:
        reports = []
        for level in (20, 2):  # one range, ranges of 4
            async with conn.transaction():
                reports.append(
                    await tree_verification.verify_tree(conn, verifier=signer.verifier, range_level=level)
                )
    finally:
        await conn.close()
    dsn = url.replace("+asyncpg", "")
    reports.append(
        await tree_verification.verify_tree_parallel(dsn, verifier=signer.verifier, workers=2, range_level=2)
    )
    return reports


@pytest.mark.parametrize("where", ["inside a range's bounds", "between two ranges", "beyond every range"])
async def test_an_event_left_out_is_named_wherever_its_seq_lies(
    spaced: list[int], owner_database_url: str, signer: Signer, where: str
) -> None:
    seqs = spaced
    assert seqs[2] - seqs[1] > 5  # the gaps the fixture made
    assert seqs[4] - seqs[3] > 5
    stray = {"inside a range's bounds": seqs[1] + 3, "between two ranges": seqs[3] + 3}.get(
        where, seqs[-1] + 3
    )
    for report in await _verify_every_way(owner_database_url, signer):
        assert report.reason is None, report.reason
    # a copy of the first event under an unused seq: committed (its xid) below the head's watermark, no leaf
    conn = await _owner(owner_database_url)
    try:
        await conn.execute(
            f"CREATE TEMP TABLE stray AS SELECT * FROM audit_event WHERE seq = {seqs[0]}; "
            f"UPDATE stray SET seq = {stray}; INSERT INTO audit_event SELECT * FROM stray"
        )
    finally:
        await conn.close()
    for report in await _verify_every_way(owner_database_url, signer):
        assert report.first_bad_leaf == 9
        assert report.reason == f'audit.verify.left_out_missing {{"seq":{stray}}}'


def test_gaps_are_what_no_range_covers() -> None:
    low, high = -(2**63), 2**63 - 1
    assert tree_left_out.gaps([]) == ([low], [high])
    assert tree_left_out.gaps([(10, 20), (5, 12), (22, 30)]) == ([low, 21, 31], [4, 21, high])
    assert tree_left_out.gaps([(low, high)]) == ([], [])
    assert tree_left_out.gaps([(1, 3), (4, 9)]) == ([low, 10], [0, high])


def test_an_event_counts_as_seen_as_the_old_statement_did() -> None:
    # (xid < watermark) or (a watermark exists and the event has no xid); no watermark: nothing is due
    seen = tree_left_out.seen_by_sequencer
    assert (seen(5, 10), seen(10, 10), seen(None, 10), seen(5, None), seen(None, None)) == (
        True,
        False,
        True,
        False,
        False,
    )
