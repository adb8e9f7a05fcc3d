"""Audit test helpers: request contexts, recording in committed transactions, tampering as the superuser."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
import pytest

from interop.audit import service as audit_service
from interop.audit.signing import Signer
from interop.config import Settings


@pytest.fixture
def signer(settings: Settings) -> Iterator[Signer]:
    """The process-wide checkpoint key for this test (reset afterwards)."""
    previous = audit_service._config.signer, audit_service._config.origin
    key = audit_service.configure(settings)
    yield key
    audit_service._config.signer, audit_service._config.origin = previous


Tamper = Callable[..., Any]


@pytest.fixture
def tamper(owner_database_url: str) -> Tamper:
    """Run SQL on the audit tables as the superuser with the append-only triggers disabled."""

    async def run(*statements: str) -> None:
        conn = await asyncpg.connect(owner_database_url.replace("+asyncpg", ""))
        try:
            async with conn.transaction():
                for table in ("audit_event", "audit_checkpoint"):
                    await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
                for statement in statements:
                    await conn.execute(statement)
                for table in ("audit_event", "audit_checkpoint"):
                    await conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        finally:
            await conn.close()

    return run
