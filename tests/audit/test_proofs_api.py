"""/v1/audit keys, heads, entries and proofs (DESIGN.md "Audit proofs"): shapes, roles, and every answer
checked by the standalone verifier with the public key alone."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.audit import merkle, proofs, sequencer, verify_proof
from interop.audit import service as audit_service
from interop.audit.errors import TreeHeadNotFound
from interop.audit.signing import Signer

from .factories import record_many

Headers = Callable[..., dict[str, str]]


async def _grow(sessionmaker: async_sessionmaker[AsyncSession], n: int) -> None:
    await record_many(sessionmaker, n)
    await sequencer.catch_up(sessionmaker, signer=audit_service.current_signer(), origin="interop.test/audit")


async def test_heads_entries_and_proofs_verify_with_the_public_key_alone(
    client: httpx.AsyncClient,
    auth_headers: Headers,
    sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    auditor = auth_headers("auditor")
    assert (await client.get("/v1/audit/heads/latest", headers=auditor)).status_code == 404
    await _grow(sessionmaker, 5)
    old = (await client.get("/v1/audit/heads/latest", headers=auditor)).json()
    await _grow(sessionmaker, 6)
    new = (await client.get("/v1/audit/heads/latest", headers=auditor)).json()
    assert set(new) == {"tree_size", "root_hash", "timestamp", "kid", "checkpoint", "signature"}
    assert new["checkpoint"] == f"interop.test/audit\n{new['tree_size']}\n{new['root_hash']}\n"
    assert old["tree_size"] == 5
    assert new["tree_size"] == 11
    keys_doc = (await client.get("/v1/audit/keys", headers=auditor)).json()
    assert keys_doc["keys"][0]["kty"] == "OKP"
    keys = verify_proof.load_keys(keys_doc)
    same = (await client.get("/v1/audit/heads", params={"tree_size": 5}, headers=auditor)).json()
    assert same == old

    for index in range(new["tree_size"]):
        entry = (await client.get(f"/v1/audit/entries/{index}", headers=auditor)).json()
        assert set(entry) == {"index", "leaf", "event"}
        assert entry["event"].startswith("AuditEvent/")
        proof = (
            await client.get(
                "/v1/audit/proofs/inclusion", params={"index": index, "tree_size": 11}, headers=auditor
            )
        ).json()
        verify_proof.verify_inclusion(new, entry, proof, keys)
    cons = (
        await client.get("/v1/audit/proofs/consistency", params={"first": 5, "second": 11}, headers=auditor)
    ).json()
    assert set(cons) == {"first", "second", "hashes"}
    verify_proof.verify_consistency(old, new, cons, keys)

    # the same documents, saved to files, pass the command-line verifier
    files = {}
    for name, doc in {"keys": keys_doc, "old": old, "new": new, "proof": cons}.items():
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(doc))
    argv = ["consistency", "--keys", str(files["keys"]), "--old", str(files["old"])]
    assert verify_proof.main([*argv, "--new", str(files["new"]), "--proof", str(files["proof"])]) == 0

    # a leaf altered in transit does not verify
    entry = (await client.get("/v1/audit/entries/3", headers=auditor)).json()
    leaf = base64.b64decode(entry["leaf"]).replace(b'"R"', b'"D"')
    proof = (
        await client.get("/v1/audit/proofs/inclusion", params={"index": 3, "tree_size": 11}, headers=auditor)
    ).json()
    assert not merkle.verify_inclusion(
        merkle.leaf_hash(leaf),
        3,
        11,
        [base64.b64decode(h) for h in proof["hashes"]],
        base64.b64decode(new["root_hash"]),
    )


async def test_bad_requests_and_roles(
    client: httpx.AsyncClient, auth_headers: Headers, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _grow(sessionmaker, 3)
    auditor = auth_headers("auditor")
    assert (await client.get("/v1/audit/heads", params={"tree_size": 2}, headers=auditor)).status_code == 404
    assert (await client.get("/v1/audit/entries/99", headers=auditor)).status_code == 404
    bad = await client.get("/v1/audit/proofs/inclusion", params={"index": 3, "tree_size": 3}, headers=auditor)
    assert bad.status_code == 422
    bad = await client.get("/v1/audit/proofs/consistency", params={"first": 3, "second": 2}, headers=auditor)
    assert bad.status_code == 422
    assert (await client.get("/v1/audit/heads/latest", headers=auth_headers("admin"))).status_code == 200
    clinic = auth_headers("clinic", clues=["DFIMB000001"])
    assert (await client.get("/v1/audit/heads/latest", headers=clinic)).status_code == 403
    assert (await client.get("/v1/audit/keys")).status_code == 401


async def test_a_proof_is_one_round_trip_heads_checked_included(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer
) -> None:
    await _grow(sessionmaker, 5)
    await _grow(sessionmaker, 6)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    async with sessionmaker() as session:
        await session.execute(text("SELECT 1"))  # the transaction begun: count the proof's own statements
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            statements.clear()
            inclusion = await proofs.inclusion(session, index=6, tree_size=11)
            assert len(statements) == 1
            statements.clear()
            consistency = await proofs.consistency(session, first=5, second=11)
            assert len(statements) == 1
            statements.clear()
            with pytest.raises(TreeHeadNotFound):  # 7 was never signed
                await proofs.inclusion(session, index=6, tree_size=7)
            with pytest.raises(TreeHeadNotFound):
                await proofs.consistency(session, first=7, second=11)
            with pytest.raises(TreeHeadNotFound):  # no node needed, the head still checked
                await proofs.consistency(session, first=7, second=7)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    tree = merkle.MemoryTree()
    async with sessionmaker() as session:
        rows = await session.execute(text("SELECT hash FROM audit_node WHERE level = 0 ORDER BY idx"))
        for (hash_,) in rows:
            tree.append(bytes(hash_))
    assert inclusion.hashes == [base64.b64encode(h).decode() for h in tree.inclusion_proof(6, 11)]
    assert consistency.hashes == [base64.b64encode(h).decode() for h in tree.consistency_proof(5, 11)]
