"""Small builders for audit tests."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
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
