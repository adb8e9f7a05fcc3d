"""The stored leaf hashes of one range of the full verification (:mod:`tree_verification`), read as one value
in index order and compared with the computed hashes in one go; by index only when one is missing or of the
wrong length."""

from __future__ import annotations

import asyncpg

# The stored leaf hashes of a range, concatenated in index order: one primary-key range scan and one value.
# Compared with the computed hashes in one go when it holds exactly one 32-byte hash per index.
_STORED = (
    "SELECT count(*), min(idx), max(idx), coalesce(sum(octet_length(hash)), 0), "
    "coalesce(string_agg(hash, ''::bytea ORDER BY idx), ''::bytea) "
    "FROM audit_node WHERE level = 0 AND idx >= $1 AND idx < $2"
)
# Anything else (a stored hash missing, or of the wrong length): read by index.
_STORED_ROWS = "SELECT idx, hash FROM audit_node WHERE level = 0 AND idx >= $1 AND idx < $2"


class Packed:
    """A range's stored leaf hashes as read: one 32-byte hash per offset, back to back."""

    def __init__(self, blob: bytes) -> None:
        self.blob = blob

    def __getitem__(self, at: int) -> bytes:
        return self.blob[32 * at : 32 * at + 32]


Stored = Packed | list[bytes]  # by offset; b"" where no hash is stored


async def read(conn: asyncpg.Connection, start: int, stop: int) -> Stored:
    """The stored leaf hashes of leaves [start, stop), by offset."""
    row = await conn.fetchrow(_STORED, start, stop)
    count, low, high, length, blob = row if row is not None else (0, None, None, 0, b"")
    if count == stop - start and low == start and high == stop - 1 and length == 32 * count:
        return Packed(bytes(blob))
    by_index = {int(i): bytes(h) for i, h in await conn.fetch(_STORED_ROWS, start, stop)}
    return [by_index.get(i, b"") for i in range(start, stop)]
