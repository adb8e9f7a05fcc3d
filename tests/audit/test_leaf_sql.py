"""The leaf bytes PostgreSQL writes and hashes for the full verification (``leaf.SQL_LEAF`` in
``tree_verification._HASHED``) are the canonical leaf, awkward values included; where they would differ, the
verifier judges the record by the Python definition and still names an altered record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import leaf, merkle, sequencer, tree_verification
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
        tree_verification, "_HASHED", tree_verification._HASHED.replace("(e.query,", "(upper(e.query),")
    )
    assert tree_verification._HASHED.count("upper(e.query)") == 1
    intact = await _verify(owner_database_url, signer)
    assert (intact.reason, intact.leaves_checked, intact.heads_checked) == (None, 7, 1)
    # ... and an altered record among them is still named.
    altered = await _altered(owner_database_url, signer, 5)
    assert altered.first_bad_leaf == 5
    assert "altered" in (altered.reason or "")


# Every kind of value a record column holds, against the SQL hash: NULL in each nullable column, empty
# strings, quotes, backslashes (alone, doubled, before a quote), non-ASCII up to four UTF-8 bytes, JSON's
# own escapes as stored text, long values, the extreme instants and seq values, the legacy form (no
# patients) and the compact one. The rows go to temporary tables that shadow the audit tables (pg_temp is
# searched first), so the very statement of the verification reads them.
_BIG = ('\\"' + "x" * 5000 + "ñ€😀") * 40
_ROWS: list[dict[str, Any]] = [
    {},
    {"user_id": None, "network_address": None, "outcome_desc": None, "patient": None, "query": None},
    {"user_id": "", "network_address": "", "outcome_desc": "", "patient": "", "query": ""},
    {"query": 'q="a"&b=\\&c=\\\\"', "user_id": "\\", "outcome_desc": '"'},
    {"client_id": "clínica-ñ 中文 😀 \u2028\u2029 / \x7f".replace("\x7f", "~"), "role": "é"},
    {"query": _BIG, "entities": '[{"id":"' + "e" * 70000 + '","role":"r","type":"Task"}]'},
    {"entities": '[{"id":"a\\"b\\\\c\\u00e9\\n","role":"r","type":"T"}]', "patients": '["Patient/\\"ñ\\\\"]'},
    {"patients": None, "patient": "Patient/legacy-é"},
    {"patients": "[]"},
    # (asyncpg sends Python's largest and smallest instants as PostgreSQL's infinities: one step inside)
    {"seq": 2**63 - 1, "recorded_at": datetime(9999, 12, 31, 23, 59, 59, 999998, tzinfo=UTC)},
    {"seq": 1, "recorded_at": datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC)},
    {"recorded_at": datetime(2026, 3, 29, 1, 30, 0, 1, tzinfo=timezone(timedelta(hours=-6)))},
    {"outcome": "8", "outcome_desc": 'falló: "tiempo" \\ agotado'},
]
# orjson escapes these; the SQL text leaves them raw, so such a record hashes otherwise (rebuilt in Python).
_CONTROL_ROWS: list[dict[str, Any]] = [{"query": "a\tb"}, {"user_id": "\x01"}, {"outcome_desc": "\n"}]


def _record(i: int, values: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "seq": 1000 + i,
        "recorded_at": datetime(2026, 7, 1, 12, 0, i, 123456 if i % 2 else 0, tzinfo=UTC),
        "type": "rest",
        "subtype": "search-type",
        "action": "E",
        "outcome": "0",
        "outcome_desc": None,
        "client_id": "clinic-a",
        "role": "clinic",
        "user_id": f"u{i}",
        "network_address": "10.0.0.7",
        "request_id": f"r{i}",
        "trace_id": f"t{i}",
        "patient": None,
        "entities": '[{"id":"x","role":"domain-resource","type":"Task"}]',
        "query": None,
        "patients": '["Patient/1","Patient/2"]',
    }
    return base | values


async def _sql_hashes(url: str, records: list[dict[str, Any]], gone: int) -> tree_verification._RangeWalker:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        async with conn.transaction():
            await conn.execute("CREATE TEMP TABLE audit_event (LIKE public.audit_event INCLUDING DEFAULTS)")
            await conn.execute("CREATE TEMP TABLE audit_leaf (LIKE public.audit_leaf INCLUDING DEFAULTS)")
            fields = list(leaf.LEAF_FIELDS)
            await conn.copy_records_to_table(
                "audit_event", records=[[r[f] for f in fields] for r in records], columns=fields
            )
            # leaf i is record i, in reverse order of seq; one more leaf points to a seq with no record
            await conn.copy_records_to_table(
                "audit_leaf",
                records=[(i, r["seq"]) for i, r in enumerate(records)] + [(len(records), gone)],
                columns=["leaf_index", "seq"],
            )
            low, high = await conn.fetchrow("SELECT min(seq), max(seq) FROM audit_leaf")
            walker = tree_verification._RangeWalker(0, len(records) + 1)
            query = tree_verification._HASHED.format(low=low, high=high, start=0, stop=len(records) + 1)
            walker.take(bytes(await conn.fetchval(query)))
            return walker
    finally:
        await conn.close()


async def test_the_sql_leaf_hash_is_the_leaf_hash_of_every_kind_of_value(owner_database_url: str) -> None:
    records = [_record(i, v) for i, v in enumerate(_ROWS + _CONTROL_ROWS)]
    records[9]["seq"], records[10]["seq"] = 2**63 - 1, 1  # kept as given (the extremes)
    walker = await _sql_hashes(owner_database_url, records, gone=999)
    expected = [merkle.leaf_hash(leaf.canonical_leaf([r[f] for f in leaf.LEAF_FIELDS])) for r in records]
    assert walker.hashes[: len(_ROWS)] == expected[: len(_ROWS)]
    # the rows with a control character: another hash, each (the verifier then rebuilds them in Python)
    assert all(h != e for h, e in zip(walker.hashes[len(_ROWS) : -1], expected[len(_ROWS) :], strict=True))
    # the leaf whose record is gone: marked, its place empty until settled
    assert (walker.gone, walker.hashes[-1]) == ([len(records)], b"")


def test_hashes_are_placed_by_their_index_whatever_the_order() -> None:
    digests = [bytes([i]) * 32 for i in range(6)]
    packed = b"".join(
        tree_verification._ENTRY.pack(index, digests[index - 8]) for index in (13, 8, 11, 9, 12)
    ) + tree_verification._ENTRY.pack(-1 - 10, bytes(32))
    walker = tree_verification._RangeWalker(8, 16)
    walker.take(packed)
    assert walker.hashes == [digests[0], digests[1], b"", digests[3], digests[4], digests[5], None, None]
    assert walker.gone == [10]
