"""The leaf bytes PostgreSQL writes for the full verification (``leaf.SQL_LEAF``) are the canonical leaf,
awkward values included; where they would differ, the verifier judges the record by the Python definition
and still names an altered record."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import leaf, sequencer, tree_verification
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.audit.signing import Signer

from .factories import make_ctx, record_many

ORIGIN = "interop.test/audit"
# Quotes, backslashes, non-ASCII, a line separator: written by PostgreSQL exactly as orjson writes them.
AWKWARD = 'a "quoted" \\ back\\slash é ñ \u2028 / end'
# Control characters (COPY's own separators among them): orjson escapes them, the SQL text does not.
CONTROL = "\ttab\nline\r\x01\x1f\x7f"


async def _record_awkward(sessionmaker: async_sessionmaker[AsyncSession], n: int) -> None:
    for i in range(n):
        odd = AWKWARD + (CONTROL if i % 2 else "")
        async with sessionmaker() as session:
            await audit_service.record(
                session,
                make_ctx(user=f"u{i} {odd}", address=f"::1 {AWKWARD}"),
                action="E",
                subtype="search-type",
                entities=[AuditEntity(type="Task", id=f"t{i} {odd}")],
                patients=[f"p{i} {AWKWARD}", f"q{i}"] if i % 2 else [],
                query=f"name={odd}&i={i}",
            )
            await session.commit()


@pytest.fixture
async def awkward(sessionmaker: async_sessionmaker[AsyncSession], signer: Signer) -> None:
    await record_many(sessionmaker, 3)
    await _record_awkward(sessionmaker, 4)
    await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN)


async def _verify(url: str, signer: Signer, *statements: str) -> tree_verification.TreeReport:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        async with conn.transaction():
            for statement in statements:  # as the tables' owner, the trigger lifted
                await conn.execute("ALTER TABLE audit_event DISABLE TRIGGER USER")
                await conn.execute(statement)
                await conn.execute("ALTER TABLE audit_event ENABLE TRIGGER USER")
        async with conn.transaction():
            return await tree_verification.verify_tree(conn, verifier=signer.verifier, range_level=2)
    finally:
        await conn.close()


async def test_sql_leaf_is_the_canonical_leaf_but_for_control_characters(
    awkward: None, owner_database_url: str
) -> None:
    conn = await asyncpg.connect(owner_database_url.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch(
            f"SELECT {leaf.SQL_LEAF} AS sql_leaf, {', '.join('e.' + f for f in leaf.LEAF_FIELDS)} "
            "FROM audit_event e ORDER BY e.seq"
        )
    finally:
        await conn.close()
    assert len(rows) == 7
    same = [row["sql_leaf"].encode() == leaf.canonical_leaf(list(row)[1:]) for row in rows]
    # the plain and the awkward records: the same bytes; those with control characters: not (rebuilt)
    assert same == [CONTROL not in (row["query"] or "") for row in rows] == [True] * 4 + [False, True, False]


async def _altered(url: str, signer: Signer, index: int) -> tree_verification.TreeReport:
    return await _verify(
        url,
        signer,
        f"UPDATE audit_event SET query = query || 'x' "
        f"WHERE seq = (SELECT seq FROM audit_leaf WHERE leaf_index = {index})",
    )


async def test_awkward_records_verify_and_an_altered_one_is_named(
    awkward: None, owner_database_url: str, signer: Signer
) -> None:
    intact = await _verify(owner_database_url, signer)
    assert (intact.reason, intact.leaves_checked, intact.heads_checked) == (None, 7, 1)
    for index in (4, 3):  # rebuilt in Python, then one the SQL text proves (the damage stays)
        altered = await _altered(owner_database_url, signer, index)
        assert altered.first_bad_leaf == index
        assert "altered" in (altered.reason or "")


async def test_a_leaf_sql_writes_otherwise_is_judged_by_the_python_definition(
    awkward: None, owner_database_url: str, signer: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if PostgreSQL wrote every query otherwise than orjson: every record with a query then hashes wrong
    # from its SQL text; the verifier rebuilds those in Python, so the intact tree still verifies...
    monkeypatch.setattr(
        tree_verification, "_LEAVES", tree_verification._LEAVES.replace("(e.query,", "(upper(e.query),")
    )
    assert tree_verification._LEAVES.count("upper(e.query)") == 1
    intact = await _verify(owner_database_url, signer)
    assert (intact.reason, intact.leaves_checked, intact.heads_checked) == (None, 7, 1)
    # ... and an altered record among them is still named.
    altered = await _altered(owner_database_url, signer, 5)
    assert altered.first_bad_leaf == 5
    assert "altered" in (altered.reason or "")
