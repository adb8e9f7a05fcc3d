"""Small builders for audit tests."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import chain
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.audit.signing import Signer
from interop.context import Actor, RequestContext


def make_ctx(
    *,
    client_id: str = "clinic-a",
    role: str = "clinic",
    user: str | None = None,
    trace_id: str | None = None,
    address: str | None = "10.0.0.7",
) -> RequestContext:
    return RequestContext(
        actor=Actor(client_id=client_id, role=role, user=user),
        request_id=secrets.token_hex(12),
        trace_id=trace_id or secrets.token_hex(16),
        network_address=address,
    )


async def record_many(sessionmaker: async_sessionmaker[AsyncSession], n: int, **ctx_args: Any) -> None:
    """n events, one committed transaction each."""
    for i in range(n):
        async with sessionmaker() as session:
            await audit_service.record(
                session,
                make_ctx(**ctx_args),
                action="R",
                subtype="read",
                entities=[AuditEntity(type="Task", id=str(i))],
                patients=[f"p-{i}"],
            )
            await session.commit()


async def legacy_chain(owner_database_url: str, signer: Signer, n: int) -> None:
    """n hash-chained events and a checkpoint signed at the last, as written before the tree log (no xid;
    the side table filled as migration 0011 fills it). Only the tables' owner may write them."""
    prev, rows, at = chain.GENESIS, [], datetime.now(UTC)
    for seq in range(1, n + 1):
        event = {
            "seq": seq,
            "recorded_at": at,
            "type": "rest",
            "subtype": "read",
            "action": "R",
            "outcome": "0",
            "outcome_desc": None,
            "client_id": "clinic-a",
            "role": "clinic",
            "user_id": None,
            "network_address": "10.0.0.7",
            "request_id": f"req-{seq}",
            "trace_id": secrets.token_hex(16),
            "patient": f"Patient/p-{seq}",
            "entities": chain.entities_text([{"id": str(seq), "role": "domain-resource", "type": "Task"}]),
            "query": None,
        }
        prev = chain.link(prev, chain.canonical(event))
        rows.append((*(event[f] for f in chain.ROW_FIELDS), prev, None))
    message = chain.checkpoint_message(seq=n, hash_=prev, created_at=at, key_id=signer.key_id)
    conn = await asyncpg.connect(owner_database_url.replace("+asyncpg", ""))
    try:
        async with conn.transaction():
            await conn.copy_records_to_table(
                "audit_event", records=rows, columns=[*chain.ROW_FIELDS, "hash", "xid"]
            )
            await conn.execute(
                "INSERT INTO audit_event_patient (patient, seq, recorded_at) "
                "SELECT patient, seq, recorded_at FROM audit_event"
            )
            await conn.execute("SELECT setval('audit_event_seq_seq', $1)", n)
            await conn.execute(
                "INSERT INTO audit_checkpoint (seq, hash, created_at, key_id, signature) "
                "VALUES ($1, $2, $3, $4, $5)",
                n,
                prev,
                at,
                signer.key_id,
                signer.sign(message),
            )
    finally:
        await conn.close()
