"""Full verification of the Merkle tree: intact trees pass with every head checked; each kind of damage is
named at the first bad leaf."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import checkpoint as cp
from interop.audit import sequencer, tree_verification, verification
from interop.audit.signing import Signer

from .factories import record_many

ORIGIN = "interop.test/audit"
SEQ_OF = "(SELECT seq FROM audit_leaf WHERE leaf_index = {})"
Run = Callable[..., Awaitable[tree_verification.TreeReport]]


@pytest.fixture
async def grown(sessionmaker: async_sessionmaker[AsyncSession], signer: Signer) -> None:
    for n in (4, 5, 3):
        await record_many(sessionmaker, n)
        await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN)


@pytest.fixture(params=["one range", "ranges of 4", "4 processes"])
def damage_and_verify(owner_database_url: str, signer: Signer, request: pytest.FixtureRequest) -> Run:
    """Damage as the tables' owner (the application's role cannot), then verify: the whole tree as one
    range, in aligned ranges of 4 leaves joined by their subtrees, or those ranges on worker processes in
    one exported snapshot. Every way must name the same first bad leaf."""

    async def run(*statements: str) -> tree_verification.TreeReport:
        conn = await asyncpg.connect(owner_database_url.replace("+asyncpg", ""))
        try:
            async with conn.transaction():
                for table in ("audit_event", "audit_leaf", "audit_node", "audit_head"):
                    await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
                for statement in statements:
                    await conn.execute(statement)
                for table in ("audit_event", "audit_leaf", "audit_node", "audit_head"):
                    await conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            if request.param == "4 processes":
                return await tree_verification.verify_tree_parallel(
                    owner_database_url.replace("+asyncpg", ""),
                    verifier=signer.verifier,
                    workers=4,
                    range_level=2,
                )
            async with conn.transaction():
                return await tree_verification.verify_tree(
                    conn, verifier=signer.verifier, range_level=20 if request.param == "one range" else 2
                )
        finally:
            await conn.close()

    return run


async def test_intact_tree_and_every_head_verify(
    grown: None, sessionmaker: async_sessionmaker[AsyncSession], signer: Signer
) -> None:
    async with sessionmaker() as session:
        report = await verification.verify(session, verifier=signer.verifier)
    assert report.ok, report.reason
    assert report.leaves_checked == 12
    assert report.heads_checked == 3


async def test_altered_event_is_named(grown: None, damage_and_verify: Run) -> None:
    report = await damage_and_verify(
        f"UPDATE audit_event SET client_id = 'someone-else' WHERE seq = {SEQ_OF.format(6)}"
    )
    assert report.first_bad_leaf == 6
    assert "altered" in (report.reason or "")


async def test_deleted_event_is_named(grown: None, damage_and_verify: Run) -> None:
    report = await damage_and_verify(
        "DELETE FROM audit_event WHERE seq = (SELECT seq FROM audit_leaf WHERE leaf_index = 2)"
    )
    assert report.first_bad_leaf == 2
    assert "missing" in (report.reason or "")


async def test_removed_leaf_is_named(grown: None, damage_and_verify: Run) -> None:
    report = await damage_and_verify("DELETE FROM audit_leaf WHERE leaf_index = 9")
    assert report.first_bad_leaf == 9


async def test_rewritten_leaf_hash_is_caught_by_the_signed_heads(grown: None, damage_and_verify: Run) -> None:
    # the event and its stored leaf hash changed together: only the signed roots can tell
    report = await damage_and_verify(
        f"UPDATE audit_event SET client_id = 'x' WHERE seq = {SEQ_OF.format(1)}",
        "UPDATE audit_node SET hash = sha256(hash) WHERE level = 0 AND idx = 1",
    )
    assert report.first_bad_leaf is not None
    assert report.first_bad_leaf <= 3


async def test_forged_head_is_named(grown: None, damage_and_verify: Run) -> None:
    report = await damage_and_verify(
        "UPDATE audit_head SET signature = sha256(signature) || sha256(signature) WHERE tree_size = 9"
    )
    assert report.first_bad_leaf == 8
    assert "signature" in (report.reason or "")


async def test_event_left_out_of_the_tree_is_named(
    grown: None, damage_and_verify: Run, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session:
        seq = await session.scalar(text("SELECT seq FROM audit_leaf WHERE leaf_index = 11"))
    report = await damage_and_verify(
        "DELETE FROM audit_leaf WHERE leaf_index = 11", "DELETE FROM audit_node WHERE level = 0 AND idx = 11"
    )
    assert report.first_bad_leaf == 11
    report = await damage_and_verify()
    assert report.reason is not None
    assert f"event seq {seq}" in report.reason or "missing" in report.reason


async def test_intact_tree_verifies_the_same_in_ranges_and_processes(
    grown: None, damage_and_verify: Run
) -> None:
    report = await damage_and_verify()
    assert report.reason is None
    assert (report.leaves_checked, report.heads_checked, report.first_bad_leaf) == (12, 3, None)


async def test_leaves_missing_at_the_end_of_a_range_are_named(grown: None, damage_and_verify: Run) -> None:
    # leaves 6 and 7 close the second range of 4: the next range still starts at 8
    report = await damage_and_verify(
        "DELETE FROM audit_leaf WHERE leaf_index IN (6, 7)",
        "DELETE FROM audit_node WHERE level = 0 AND idx IN (6, 7)",
    )
    assert report.first_bad_leaf == 6
    assert "missing" in (report.reason or "")


async def test_a_stored_leaf_hash_gone_is_named(grown: None, damage_and_verify: Run) -> None:
    # The stored leaf hashes of a range are read apart from the leaves, as one value: without one of them
    # they no longer line up and are read one by one.
    report = await damage_and_verify(
        "DELETE FROM audit_node WHERE level = 0 AND idx IN (7, 9)",
    )
    assert report.first_bad_leaf == 7
    assert "altered" in (report.reason or "")
    report = await damage_and_verify("DELETE FROM audit_node WHERE level = 0 AND idx < 7")
    assert report.first_bad_leaf == 0


@pytest.mark.parametrize("value", ['clinic-a"', "clinic-a\\", "clinic-\\u0061"])
async def test_an_event_altered_to_hold_a_quote_or_a_backslash_is_named(
    grown: None, damage_and_verify: Run, value: str
) -> None:
    # Such a record is written escaped by PostgreSQL (the others bare): still compared, still named.
    report = await damage_and_verify(
        f"UPDATE audit_event SET client_id = '{value}' WHERE seq = {SEQ_OF.format(4)}"
    )
    assert report.first_bad_leaf == 4
    assert "altered" in (report.reason or "")


_INTAKE_ROW = (
    "INSERT INTO audit_intake (recorded_at, type, subtype, action, outcome, client_id, role, request_id, "
    "trace_id, entities, patients, xid) VALUES (now(), 'rest', 'read', 'R', '0', 'clinic-a', 'clinic', "
    "'r-left', 't-left', '[]', '[\"Patient/p-left\"]', {xid})"
)
_LATEST_WATERMARK = "(SELECT watermark FROM audit_head ORDER BY tree_size DESC LIMIT 1)"


async def test_intake_row_below_the_latest_watermark_is_named(grown: None, damage_and_verify: Run) -> None:
    # The step that signed the latest head moved every committed intake row of a transaction below its
    # watermark: one still waiting there was skipped by the sequencer, a record missing from the tree.
    report = await damage_and_verify(_INTAKE_ROW.format(xid=f"{_LATEST_WATERMARK} - 1"))
    assert report.reason is not None
    assert report.reason.startswith("audit.verify.left_out_intake ")
    assert report.first_bad_leaf == 12


async def test_intake_row_not_yet_sequenced_is_not_a_fault(
    grown: None, damage_and_verify: Run, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # Committed after the latest step: it waits for the next one, as the design says.
    await record_many(sessionmaker, 2)
    report = await damage_and_verify()
    assert report.reason is None
    assert report.leaves_checked == 12


async def test_reordered_pair_is_named(grown: None, damage_and_verify: Run) -> None:
    # Leaves 5 and 6 point at each other's records (seq negated on the way: one swap in one statement).
    report = await damage_and_verify(
        "UPDATE audit_leaf SET seq = -seq WHERE leaf_index IN (5, 6)",
        "UPDATE audit_leaf a SET seq = -b.seq FROM audit_leaf b "
        "WHERE a.leaf_index IN (5, 6) AND b.leaf_index = 11 - a.leaf_index",
    )
    assert report.first_bad_leaf == 5
    assert "altered" in (report.reason or "")


async def test_forked_head_is_named(grown: None, damage_and_verify: Run, signer: Signer) -> None:
    # A head of size 9 signed with the very key, for another tree (a fork): its signature verifies, its
    # root is not the one the leaves give.
    body = cp.format_checkpoint(ORIGIN, 9, bytes(range(32)))
    report = await damage_and_verify(
        f"UPDATE audit_head SET root_hash = '\\x{bytes(range(32)).hex()}', checkpoint = $${body}$$, "
        f"signature = '\\x{signer.sign(body.encode()).hex()}' WHERE tree_size = 9"
    )
    assert report.first_bad_leaf == 8
    assert (report.reason or "").startswith("audit.verify.head_root_altered ")


@pytest.mark.parametrize("setting", ["on", "off"])
async def test_the_range_statements_planner_setting_leaves_the_callers_as_it_was(
    grown: None, owner_database_url: str, signer: Signer, setting: str
) -> None:
    # The range statement turns index scans off for itself only (bitmap scans read the heap in order).
    conn = await asyncpg.connect(owner_database_url.replace("+asyncpg", ""))
    try:
        async with conn.transaction():
            await conn.execute(f"SET LOCAL enable_indexscan = {setting}")
            report = await tree_verification.verify_tree(conn, verifier=signer.verifier, range_level=2)
            assert await conn.fetchval("SELECT current_setting('enable_indexscan')") == setting
    finally:
        await conn.close()
    assert report.reason is None
    assert report.leaves_checked == 12


def _rows_read(node: dict[str, Any]) -> int:
    """The rows a plan's scans of audit_leaf produced or threw away (EXPLAIN ANALYZE, JSON)."""
    own = 0
    if node.get("Relation Name") == "audit_leaf":
        own = int(node["Actual Rows"] * node["Actual Loops"]) + int(node.get("Rows Removed by Filter", 0))
    return own + sum(_rows_read(child) for child in node.get("Plans", []))


async def test_a_ranges_seq_bounds_are_read_from_its_own_leaves(grown: None, owner_database_url: str) -> None:
    # min() and max() over the table let the planner read them from the seq index's two ends, passing over
    # the leaves outside the range one by one: at 10 M every range read the whole leaf table that way.
    conn = await asyncpg.connect(owner_database_url.replace("+asyncpg", ""))
    try:
        await conn.execute("ANALYZE audit_leaf")
        async with conn.transaction():
            await conn.execute("SET LOCAL enable_seqscan = off")  # as on a big table: by an index
            low, high = await conn.fetchrow(tree_verification._SEQ_BOUNDS, 4, 8)
            expected = await conn.fetchrow(
                "SELECT min(seq) + 0, max(seq) + 0 FROM audit_leaf WHERE leaf_index BETWEEN 4 AND 7"
            )
            plan = await conn.fetchval(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + tree_verification._SEQ_BOUNDS, 4, 8
            )
    finally:
        await conn.close()
    assert (low, high) == tuple(expected)
    assert _rows_read(json.loads(plan)[0]["Plan"]) == 4  # the range's four leaves, no other
