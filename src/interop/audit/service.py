"""Placeholder: filled by the audit owner (records nothing yet)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit.schemas import AuditEntity
from interop.context import RequestContext


async def record(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    action: str,
    subtype: str,
    entities: Sequence[AuditEntity] = (),
    patients: Sequence[str] = (),
    outcome: str = "0",
    query: str | None = None,
) -> None:
    return None
