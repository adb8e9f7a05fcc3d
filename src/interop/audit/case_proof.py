"""Is the part of the log that holds one case intact? For a set of events: the latest signed tree head
(its Ed25519 signature checked), and for each event already sequenced its inclusion proof in that head,
checked the way an outside auditor would (``verify_proof``, public key and proofs only). Events still
waiting for the sequencer are reported as pending, never as verified. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import proofs, service, verify_proof
from interop.audit.errors import TreeHeadNotFound
from interop.messages import current_language

MAX_PROVED = 300  # a case's events proven one by one; beyond that the status says how many were left


@dataclass(frozen=True)
class CaseProof:
    """``status``: verified (every event proven in the signed head), pending (some not yet sequenced,
    the rest proven), failed (a head or a proof does not check), unsigned (no signed head yet)."""

    status: str
    head: dict[str, Any] | None = None  # the signed tree head (GET /v1/audit/heads/latest's shape)
    keys: dict[str, Any] | None = None  # the public keys (GET /v1/audit/keys' shape)
    proven: dict[int, dict[str, Any]] = field(default_factory=dict)  # seq -> {index, leaf, hashes}
    pending: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    unchecked: int = 0


async def prove_events(session: AsyncSession, *, seqs: Sequence[int]) -> CaseProof:
    try:
        head = (await proofs.latest_head(session)).model_dump(mode="json")
    except TreeHeadNotFound:
        return CaseProof(status="unsigned", pending=sorted(seqs))
    keys_doc = proofs.keys(service.current_signer()).model_dump(mode="json")
    keys = verify_proof.load_keys(keys_doc)
    try:
        verify_proof.verify_head(head, keys)
    except verify_proof.VerificationFailed as exc:
        return CaseProof(
            status="failed", head=head, keys=keys_doc, failed=[(0, exc.said(current_language.get()))]
        )
    ordered = sorted(set(seqs))
    proven: dict[int, dict[str, Any]] = {}
    pending: list[int] = []
    failed: list[tuple[int, str]] = []
    for seq in ordered[:MAX_PROVED]:
        index = await proofs.leaf_index_of(session, seq=seq)
        if index is None or index >= head["tree_size"]:
            pending.append(seq)
            continue
        entry = (await proofs.leaf(session, index=index)).model_dump(mode="json")
        proof = (await proofs.inclusion(session, index=index, tree_size=head["tree_size"])).model_dump(
            mode="json"
        )
        try:
            verify_proof.verify_inclusion(head, entry, proof, keys)
        except verify_proof.VerificationFailed as exc:
            failed.append((seq, exc.said(current_language.get())))  # the reader's language
            continue
        proven[seq] = {"index": index, "leaf": entry["leaf"], "hashes": proof["hashes"]}
    status = "failed" if failed else "pending" if pending else "verified"
    return CaseProof(
        status=status,
        head=head,
        keys=keys_doc,
        proven=proven,
        pending=pending,
        failed=failed,
        unchecked=max(0, len(ordered) - MAX_PROVED),
    )
