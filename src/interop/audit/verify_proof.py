"""Standalone verifier for auditors: checks signed tree heads, inclusion and consistency proofs with the
public key alone. Imports nothing but the standard library, ``cryptography`` and the two pure modules
beside it (:mod:`interop.audit.merkle`, :mod:`interop.audit.checkpoint`), so it can be copied out and run
anywhere. Its inputs are the JSON documents the HTTP API returns, saved to files:

    keys        GET /v1/audit/keys  (or one JWK {"kid", "kty": "OKP", "crv": "Ed25519", "x"})
    head        GET /v1/audit/heads/latest or /v1/audit/heads?tree_size=N
    entry       GET /v1/audit/entries/{index}
    inclusion   GET /v1/audit/proofs/inclusion?index=I&tree_size=N
    consistency GET /v1/audit/proofs/consistency?first=M&second=N

Usage::

    python -m interop.audit.verify_proof head --keys KEYS HEAD
    python -m interop.audit.verify_proof inclusion --keys KEYS --head HEAD --entry ENTRY --proof PROOF
    python -m interop.audit.verify_proof consistency --keys KEYS --old OLD_HEAD --new NEW_HEAD --proof PROOF
    python -m interop.audit.verify_proof export --keys KEYS EXPORT.ndjson

Exit status 0 when everything checks, 1 with the reason on stderr when something does not.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from interop.audit import checkpoint as cp
from interop.audit import merkle


class VerificationFailed(Exception):
    """Something does not check; the message says what."""


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise VerificationFailed(f"{what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise VerificationFailed(f"{what} is not base64") from exc


def load_keys(document: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 keys of a keys document (or of one JWK), by kid (recomputed from ``x``)."""
    jwks = document.get("keys", [document])
    keys: dict[str, Ed25519PublicKey] = {}
    for jwk in jwks:
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            continue
        raw = cp.from_b64url(jwk["x"])
        if len(raw) != 32:
            raise VerificationFailed("an Ed25519 key is 32 bytes")
        kid = cp.key_id(raw)
        if "kid" in jwk and jwk["kid"] != kid:
            raise VerificationFailed(f"key id {jwk['kid']} does not match its key")
        keys[kid] = Ed25519PublicKey.from_public_bytes(raw)
    if not keys:
        raise VerificationFailed("no Ed25519 key in the keys document")
    return keys


def verify_head(head: Mapping[str, Any], keys: Mapping[str, Ed25519PublicKey]) -> cp.Checkpoint:
    """Check a head's signature over its checkpoint body and that its fields say what the body says."""
    body = head.get("checkpoint")
    if not isinstance(body, str):
        raise VerificationFailed("the head has no checkpoint body")
    key = keys.get(str(head.get("kid")))
    if key is None:
        raise VerificationFailed(f"the head is signed by an unknown key {head.get('kid')!r}")
    try:
        key.verify(_b64(head.get("signature"), "the signature"), body.encode())
    except InvalidSignature as exc:
        raise VerificationFailed("the head's signature does not verify") from exc
    try:
        parsed = cp.parse_checkpoint(body)
    except cp.CheckpointError as exc:
        raise VerificationFailed(f"malformed checkpoint: {exc}") from exc
    if head.get("tree_size") != parsed.tree_size:
        raise VerificationFailed("the head's tree_size differs from its signed checkpoint")
    if _b64(head.get("root_hash"), "the root hash") != parsed.root_hash:
        raise VerificationFailed("the head's root_hash differs from its signed checkpoint")
    return parsed


def _hashes(proof: Mapping[str, Any]) -> list[bytes]:
    hashes = proof.get("hashes")
    if not isinstance(hashes, list):
        raise VerificationFailed("the proof has no hashes")
    out = [_b64(h, "a proof hash") for h in hashes]
    if any(len(h) != merkle.HASH_SIZE for h in out):
        raise VerificationFailed("a proof hash is not 32 bytes")
    return out


def verify_inclusion(
    head: Mapping[str, Any],
    entry: Mapping[str, Any],
    proof: Mapping[str, Any],
    keys: Mapping[str, Ed25519PublicKey],
) -> cp.Checkpoint:
    """The entry's leaf is at its index in the tree the signed head commits to."""
    signed = verify_head(head, keys)
    index = entry.get("index")
    if not isinstance(index, int) or proof.get("index") != index:
        raise VerificationFailed("the proof is for another index than the entry")
    if proof.get("tree_size") != signed.tree_size:
        raise VerificationFailed("the proof is for another tree size than the head")
    leaf = _b64(entry.get("leaf"), "the leaf")
    if not merkle.verify_inclusion(
        merkle.leaf_hash(leaf), index, signed.tree_size, _hashes(proof), signed.root_hash
    ):
        raise VerificationFailed(f"entry {index} is not included in the tree of size {signed.tree_size}")
    return signed


def verify_consistency(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    proof: Mapping[str, Any],
    keys: Mapping[str, Ed25519PublicKey],
) -> tuple[cp.Checkpoint, cp.Checkpoint]:
    """The new signed head's tree is the old one's with entries appended, nothing changed or removed."""
    first, second = verify_head(old, keys), verify_head(new, keys)
    if first.origin != second.origin:
        raise VerificationFailed("the heads are of different logs")
    if (proof.get("first"), proof.get("second")) != (first.tree_size, second.tree_size):
        raise VerificationFailed("the proof is for other tree sizes than the heads")
    if not merkle.verify_consistency(
        first.tree_size, second.tree_size, first.root_hash, second.root_hash, _hashes(proof)
    ):
        raise VerificationFailed(
            f"the tree of size {second.tree_size} is not an extension of the tree of size {first.tree_size}"
        )
    return first, second


def verify_export(lines: Sequence[str], keys: Mapping[str, Ed25519PublicKey]) -> tuple[int, cp.Checkpoint]:
    """An NDJSON export (``interop audit export``): its entries, appended to the left subtrees it
    starts from, make a tree of which the signed head's is an append-only extension. Returns the
    number of entries and the head."""
    docs = [json.loads(line) for line in lines if line.strip()]
    if len(docs) < 2 or docs[0].get("kind") != "header" or docs[-1].get("kind") != "head":
        raise VerificationFailed("an export starts with its header and ends with a signed head")
    header, head, entries = docs[0], docs[-1], docs[1:-1]
    first = header.get("first_index")
    if not isinstance(first, int) or header.get("count") != len(entries):
        raise VerificationFailed("the header does not describe the entries that follow")
    left = {
        (int(n["level"]), int(n["index"])): _b64(n["hash"], "a left subtree hash") for n in header["left"]
    }
    frontier = merkle.Frontier(first, left) if first else merkle.Frontier()
    for entry in entries:
        if entry.get("kind") != "entry" or entry.get("index") != frontier.size:
            raise VerificationFailed(f"entry {frontier.size} is missing or out of place")
        frontier.append(merkle.leaf_hash(_b64(entry.get("leaf"), "a leaf")))
    signed = verify_head(head, keys)
    proof = head.get("consistency") or {}
    if (proof.get("first"), proof.get("second")) != (frontier.size, signed.tree_size):
        raise VerificationFailed("the consistency proof is for other tree sizes than the export")
    if not merkle.verify_consistency(
        frontier.size, signed.tree_size, frontier.root(), signed.root_hash, _hashes(proof)
    ):
        raise VerificationFailed(
            f"the entries are not the leaves {first}…{frontier.size - 1} of the signed tree of size "
            f"{signed.tree_size} (one altered, removed, added or reordered)"
        )
    return len(entries), signed


def _read(path: str) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m interop.audit.verify_proof", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    head_p = sub.add_parser("head", help="check a signed tree head")
    head_p.add_argument("--keys", required=True)
    head_p.add_argument("head")
    inc = sub.add_parser("inclusion", help="check that an entry is in a signed tree")
    for name in ("--keys", "--head", "--entry", "--proof"):
        inc.add_argument(name, required=True)
    con = sub.add_parser("consistency", help="check that a signed tree only grew from an older one")
    for name in ("--keys", "--old", "--new", "--proof"):
        con.add_argument(name, required=True)
    exp = sub.add_parser("export", help="check an NDJSON export against its signed head")
    exp.add_argument("--keys", required=True)
    exp.add_argument("export")
    args = parser.parse_args(argv)
    try:
        keys = load_keys(_read(args.keys))
        if args.command == "head":
            signed = verify_head(_read(args.head), keys)
            print(f"OK head: {signed.origin} size {signed.tree_size}")
        elif args.command == "inclusion":
            signed = verify_inclusion(_read(args.head), _read(args.entry), _read(args.proof), keys)
            print(f"OK entry {_read(args.entry)['index']} is in {signed.origin} at size {signed.tree_size}")
        elif args.command == "export":
            with open(args.export, encoding="utf-8") as handle:
                count, signed = verify_export(handle.readlines(), keys)
            print(f"OK {count} entries are in {signed.origin} at size {signed.tree_size}")
        else:
            first, second = verify_consistency(_read(args.old), _read(args.new), _read(args.proof), keys)
            print(f"OK {first.origin}: size {second.tree_size} extends size {first.tree_size}")
    except (VerificationFailed, OSError, ValueError, KeyError, TypeError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
