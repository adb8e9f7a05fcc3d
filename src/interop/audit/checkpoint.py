"""Signed tree heads as C2SP tlog-checkpoint bodies. Pure; imports only the standard library (the
standalone verifier uses it).

A checkpoint body is three lines, each ending in ``\\n``: the log's origin (a unique name, no spaces at
the ends), the tree size in decimal (no leading zeros), the root hash in standard base64. The head's
signature is Ed25519 over the body's UTF-8 bytes. The key id (``kid``) is the first 16 hex digits of
SHA-256 of the raw 32-byte public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

_SIZE = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(ValueError):
    """A checkpoint body that is not a well-formed tlog-checkpoint."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.tree_size}\n{base64.b64encode(self.root_hash).decode()}\n"


def format_checkpoint(origin: str, tree_size: int, root_hash: bytes) -> str:
    if not origin or origin != origin.strip() or "\n" in origin:
        raise CheckpointError("the origin must be one non-empty line without surrounding spaces")
    return Checkpoint(origin, tree_size, root_hash).body()


def parse_checkpoint(body: str) -> Checkpoint:
    """The origin, size and root of a checkpoint body; extension lines after the root are allowed."""
    if not body.endswith("\n"):
        raise CheckpointError("a checkpoint ends with a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise CheckpointError("a checkpoint has an origin, a size and a root hash, one per line")
    origin, size, root = lines[:3]
    if not _SIZE.fullmatch(size):
        raise CheckpointError("the tree size is not a decimal number")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except binascii.Error as exc:
        raise CheckpointError("the root hash is not base64") from exc
    if len(root_hash) != 32 or base64.b64encode(root_hash).decode() != root:
        raise CheckpointError("the root hash is not 32 bytes in standard base64")
    return Checkpoint(origin, int(size), root_hash)


def key_id(raw_public_key: bytes) -> str:
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
