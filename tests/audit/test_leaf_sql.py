"""The leaf bytes the full verification builds from PostgreSQL's COPY of the raw columns
(``leaf_stream.hash_lines``) are the canonical leaf, non-ASCII values included; a record they cannot be
built for (a quote, a backslash) is marked for a rebuild, never given a wrong hash; where they would differ
(a raw control character), the verifier judges the record by the Python definition and still names an
altered record."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import leaf, leaf_stream, merkle, sequencer, tree_verification
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


async def _stream(url: str) -> tuple[list[bytes | None], list[bytes]]:
    """What ``hash_lines`` makes of every leaf, and each leaf's hash by the definition."""
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    chunks: list[bytes] = []

    async def sink(data: bytes) -> None:
        chunks.append(data)

    try:
        async with conn.transaction():
            await conn.execute(leaf_stream.SQL_SETTINGS)
            await conn.execute("SET LOCAL TIME ZONE 'America/Mexico_City'")  # the text is UTC whatever this
            join = "FROM audit_leaf l JOIN audit_event e ON e.seq = l.seq"
            await conn.copy_from_query(
                f"SELECT l.leaf_index, {leaf_stream.SQL_COLUMNS} {join}", output=sink, format="text"
            )
            rows = await conn.fetch(
                f"SELECT {', '.join('e.' + f for f in leaf.LEAF_FIELDS)} {join} ORDER BY l.leaf_index"
            )
    finally:
        await conn.close()
    hashes: list[bytes | None] = [None] * len(rows)
    leaf_stream.hash_lines(b"".join(chunks), 0, hashes, [])
    return hashes, [merkle.leaf_hash(leaf.canonical_leaf(list(row))) for row in rows]


async def test_stream_leaf_is_the_canonical_leaf_or_marked_for_a_rebuild(
    awkward: None, sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, owner_database_url: str
) -> None:
    # Non-ASCII and a line separator but no quote or backslash: built here; then one with a raw control
    # character that COPY leaves as it is (orjson escapes it).
    for query in ("é ñ \u2028 / end", "é\x01"):
        async with sessionmaker() as session:
            await audit_service.record(
                session, make_ctx(), action="E", subtype="search-type", entities=[], patients=[], query=query
            )
            await session.commit()
    await sequencer.catch_up(sessionmaker, signer=signer, origin=ORIGIN)
    hashes, expected = await _stream(owner_database_url)
    assert len(hashes) == 9
    built = [h == e for h, e in zip(hashes, expected, strict=True)]
    # the plain records and the non-ASCII one: the canonical leaf; the awkward ones (quotes, backslashes):
    # marked; the control character: a hash that differs (the verifier then rebuilds it)
    assert built == [True] * 3 + [False] * 4 + [True, False]
    assert hashes[3:7] == [leaf_stream.REBUILD] * 4
    assert hashes[8] not in (leaf_stream.REBUILD, expected[8])


def test_a_value_with_a_quote_or_a_backslash_is_never_hashed() -> None:
    line = b'0\t2026-07-01 00:00:01.3\t{"action":"R","recorded":"\t","seq":1}\tR%s\n'
    hashes: list[bytes | None] = [None]
    leaf_stream.hash_lines(line % b"u", 0, hashes, [])
    assert hashes[0] is not None and len(hashes[0]) == 32
    for user in (b'u\\"', b'u"', b"u\\\\N", b"\\N"):  # an escaped quote, a quote, a backslash
        leaf_stream.hash_lines(line % user, 0, hashes, [])
        assert hashes == [leaf_stream.REBUILD], user


async def test_an_empty_value_is_not_a_null_one(awkward: None, owner_database_url: str, signer: Signer) -> None:
    # COPY's NULL marker is \N: an empty outcome_desc where it was NULL is an altered record
    report = await _verify(
        owner_database_url,
        signer,
        "UPDATE audit_event SET outcome_desc = '' WHERE seq = (SELECT seq FROM audit_leaf WHERE leaf_index = 1)",
    )
    assert report.first_bad_leaf == 1
    assert "altered" in (report.reason or "")


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
        tree_verification, "_LEAVES", tree_verification._LEAVES.replace("|| e.query ||", "|| upper(e.query) ||")
    )
    assert tree_verification._LEAVES.count("upper(e.query)") == 1
    intact = await _verify(owner_database_url, signer)
    assert (intact.reason, intact.leaves_checked, intact.heads_checked) == (None, 7, 1)
    # ... and an altered record among them is still named.
    altered = await _altered(owner_database_url, signer, 5)
    assert altered.first_bad_leaf == 5
    assert "altered" in (altered.reason or "")
