"""Full verification of the Merkle tree log: every leaf recomputed from its event, every stored leaf hash
compared, every signed head's signature and root checked, and no committed event left out.

What it names (the lowest leaf index wins):
- a leaf whose event is gone (deleted) or whose index is missing: "leaf N: … missing";
- a leaf whose event no longer hashes to the stored leaf hash (altered content): "leaf N: … altered";
- a head whose signature fails, or whose root the leaves do not reproduce (an entry below its size was
  altered or removed together with its stored hash), named at the head's size;
- an event below the sequencer's watermark that is not a leaf (dropped from the tree): "event seq S".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
from cryptography.exceptions import InvalidSignature

from interop.audit import chain, merkle
from interop.audit import checkpoint as cp
from interop.audit.signing import Verifier

_LEAVES = (
    "SELECT l.leaf_index, l.seq AS leaf_seq, n.hash AS stored, "
    + ", ".join(f"e.{f}" for f in chain.ROW_FIELDS)
    + " FROM audit_leaf l LEFT JOIN audit_event e ON e.seq = l.seq "
    "LEFT JOIN audit_node n ON n.level = 0 AND n.idx = l.leaf_index ORDER BY l.leaf_index"
)
_HEADS = (
    "SELECT tree_size, root_hash, kid, checkpoint, signature, watermark FROM audit_head ORDER BY tree_size"
)
_LEFT_OUT = (
    "SELECT min(e.seq) FROM audit_event e WHERE (e.xid < $1 OR ($2 AND e.xid IS NULL)) "
    "AND NOT EXISTS (SELECT 1 FROM audit_leaf l WHERE l.seq = e.seq)"
)


@dataclass(frozen=True, slots=True)
class TreeReport:
    leaves_checked: int
    heads_checked: int
    tree_size: int
    first_bad_leaf: int | None
    reason: str | None


def _check_head(head: Any, root: bytes, verifier: Verifier) -> str | None:
    size = int(head["tree_size"])
    body = head["checkpoint"]
    try:
        verifier.public.verify(bytes(head["signature"]), body.encode())
    except InvalidSignature:
        return f"signed head of size {size}: signature does not verify with key {verifier.key_id}"
    parsed = cp.parse_checkpoint(body)
    if parsed.tree_size != size or parsed.root_hash != bytes(head["root_hash"]):
        return f"signed head of size {size}: its fields differ from its signed checkpoint"
    if parsed.root_hash != root:
        return (
            f"signed head of size {size}: the leaves do not reproduce its root (an entry altered or removed)"
        )
    return None


async def verify_tree(conn: asyncpg.Connection, *, verifier: Verifier) -> TreeReport:
    """Walk the whole tree in the connection's open transaction (call inside one, for one snapshot)."""
    heads = list(await conn.fetch(_HEADS))
    pending = iter(heads)
    next_head = next(pending, None)
    frontier = merkle.Frontier()
    breaks: list[tuple[int, str]] = []
    checked_heads = 0

    def pass_heads() -> None:
        nonlocal next_head, checked_heads
        while next_head is not None and int(next_head["tree_size"]) == frontier.size:
            problem = _check_head(next_head, frontier.root(), verifier)
            if problem:
                breaks.append((frontier.size - 1, problem))
            checked_heads += 1
            next_head = next(pending, None)

    await conn.execute("SET LOCAL TIME ZONE 'UTC'")
    async for row in conn.cursor(_LEAVES, prefetch=5000):
        index = int(row["leaf_index"])
        if index != frontier.size:
            breaks.append(
                (frontier.size, f"leaf {frontier.size}: missing (the leaf indexes jump to {index})")
            )
            break
        if row["seq"] is None:
            breaks.append((index, f"leaf {index}: its event seq {row['leaf_seq']} is missing"))
            frontier.append(bytes(row["stored"]) if row["stored"] is not None else bytes(32))
        else:
            computed = merkle.leaf_hash(chain.canonical_row([row[f] for f in chain.ROW_FIELDS]))
            if row["stored"] is None or bytes(row["stored"]) != computed:
                breaks.append(
                    (index, f"leaf {index}: event seq {row['seq']} was altered (its leaf hash differs)")
                )
            frontier.append(computed)
        pass_heads()
    if next_head is not None and not breaks:
        size = int(next_head["tree_size"])
        breaks.append((frontier.size, f"leaf {frontier.size}: missing (a head signs size {size})"))
    if heads:
        last = heads[-1]
        watermark = last["watermark"]
        left_out = await conn.fetchval(
            _LEFT_OUT, watermark if watermark is not None else -1, watermark is not None
        )
        if left_out is not None:
            breaks.append(
                (frontier.size, f"event seq {left_out}: committed before the latest head but not in the tree")
            )
    first = min(breaks, key=lambda b: b[0]) if breaks else None
    return TreeReport(
        leaves_checked=frontier.size,
        heads_checked=checked_heads,
        tree_size=frontier.size,
        first_bad_leaf=first[0] if first else None,
        reason=first[1] if first else None,
    )
