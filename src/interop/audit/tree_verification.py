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

import asyncio
from dataclasses import dataclass
from typing import Any

import asyncpg
from cryptography.exceptions import InvalidSignature

from interop.audit import checkpoint as cp
from interop.audit import leaf, merkle
from interop.audit.signing import Verifier

# Streamed with COPY (text, NULL as empty); the leaf bytes are rebuilt from each line without decoding
# values where it can (leaf.canonical_leaf_from_copy). Fields: LEAF_FIELDS of the event
# (empty when it is gone), then the leaf index, the leaf's seq and the stored leaf hash in hex.
_LEAVES = (
    "SELECT "
    + ", ".join(f"e.{f}" for f in leaf.LEAF_FIELDS)
    + ", l.leaf_index, l.seq, encode(n.hash, 'hex') FROM audit_leaf l "
    "LEFT JOIN audit_event e ON e.seq = l.seq "
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


class _Walker:
    """Feeds COPY chunks through the frontier, checking each signed head as the tree reaches its size."""

    def __init__(self, heads: list[Any], verifier: Verifier) -> None:
        self.heads = iter(heads)
        self.next_head = next(self.heads, None)
        self.verifier = verifier
        self.frontier = merkle.Frontier()
        self.breaks: list[tuple[int, str]] = []
        self.heads_checked = 0
        self.stopped = False
        self._rest = b""

    def feed(self, data: bytes) -> None:
        if self.stopped:
            return
        lines = (self._rest + data).split(b"\n")
        self._rest = lines.pop()
        frontier, leaf_hash = self.frontier, merkle.leaf_hash
        for line in lines:
            fields = line.split(b"\t")
            index, leaf_seq, stored = int(fields[17]), fields[18].decode(), bytes.fromhex(fields[19].decode())
            if index != frontier.size:
                self.breaks.append(
                    (frontier.size, f"leaf {frontier.size}: missing (the leaf indexes jump to {index})")
                )
                self.stopped = True
                return
            if not fields[0]:
                self.breaks.append((index, f"leaf {index}: its event seq {leaf_seq} is missing"))
                frontier.append(stored or bytes(32))
            else:
                computed = leaf_hash(leaf.canonical_leaf_from_copy(line, fields))
                if stored != computed:
                    self.breaks.append(
                        (index, f"leaf {index}: event seq {leaf_seq} was altered (its leaf hash differs)")
                    )
                frontier.append(computed)
            while self.next_head is not None and int(self.next_head["tree_size"]) == frontier.size:
                problem = _check_head(self.next_head, frontier.root(), self.verifier)
                if problem:
                    self.breaks.append((frontier.size - 1, problem))
                self.heads_checked += 1
                self.next_head = next(self.heads, None)


async def verify_tree(conn: asyncpg.Connection, *, verifier: Verifier) -> TreeReport:
    """Walk the whole tree in the connection's open transaction (call inside one, for one snapshot)."""
    heads = list(await conn.fetch(_HEADS))
    walker = _Walker(heads, verifier)

    async def sink(data: bytes) -> None:
        walker.feed(data)
        await asyncio.sleep(0)  # a long walk inside the API must not starve other requests

    await conn.execute("SET LOCAL TIME ZONE 'UTC'")  # the canonical form is rebuilt from UTC text
    await conn.copy_from_query(_LEAVES, output=sink, format="text", null="")
    frontier, breaks = walker.frontier, walker.breaks
    if walker.next_head is not None and not breaks:
        size = int(walker.next_head["tree_size"])
        breaks.append((frontier.size, f"leaf {frontier.size}: missing (a head signs size {size})"))
    if heads:
        watermark = heads[-1]["watermark"]
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
        heads_checked=walker.heads_checked,
        tree_size=frontier.size,
        first_bad_leaf=first[0] if first else None,
        reason=first[1] if first else None,
    )
