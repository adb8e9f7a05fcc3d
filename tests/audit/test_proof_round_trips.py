"""The proof and head routes answer from one statement outside any transaction: no BEGIN and no COMMIT
round trips beside it (``ReadingSessionDep``); a route that writes keeps its transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import sequencer
from interop.audit import service as audit_service

from .factories import record_many

Headers = Callable[..., dict[str, str]]


async def test_proofs_and_heads_send_no_begin_or_commit(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth_headers: Headers,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await record_many(sessionmaker, 7)
    await sequencer.catch_up(sessionmaker, signer=audit_service.current_signer(), origin="interop.test/audit")
    sent: list[str] = []

    def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        driver = dbapi_connection.driver_connection
        driver.remove_query_logger(log)  # a pooled connection is checked out again
        driver.add_query_logger(log)

    def log(record: Any) -> None:
        sent.append(record.query.strip().upper())

    event.listen(app.state.engine.sync_engine, "checkout", on_checkout)
    auditor = auth_headers("auditor")

    async def sent_by(path: str, **params: int) -> list[str]:
        sent.clear()
        response = await client.get(path, params=params, headers=auditor)
        assert response.status_code == 200, response.text
        await asyncio.sleep(0.05)  # the query loggers are called soon after, not inline
        return list(sent)

    size = (await client.get("/v1/audit/heads/latest", headers=auditor)).json()["tree_size"]
    for path, params in (
        ("/v1/audit/proofs/inclusion", {"index": 3, "tree_size": size}),
        ("/v1/audit/proofs/consistency", {"first": size, "second": size}),
        ("/v1/audit/heads/latest", {}),
        ("/v1/audit/heads", {"tree_size": size}),
    ):
        queries = await sent_by(path, **params)
        assert not [q for q in queries if q.startswith(("BEGIN", "COMMIT", "START"))], (path, queries)
    # The leaf route records the auditor's read: its transaction is still there, and seen by the logger.
    queries = await sent_by("/v1/audit/entries/0")
    assert any(q.startswith("BEGIN") for q in queries), queries
    # Its COMMIT ends the query that carries the record (interop.audit.intake_on_commit).
    assert any(q.startswith("COMMIT") or q.endswith("; COMMIT") for q in queries), queries
