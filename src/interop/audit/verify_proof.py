"""Standalone verifier for auditors: checks signed tree heads, inclusion and consistency proofs with the
public key alone. Imports nothing but the standard library, ``cryptography`` and the three pure modules
beside it (:mod:`interop.audit.merkle`, :mod:`interop.audit.checkpoint`,
:mod:`interop.audit.verifier_words`), so it can be copied out and run anywhere. Its inputs are the JSON
documents the HTTP API returns, saved to files:

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

Exit status 0 when everything checks, 1 with the reason on stderr when something does not; the words are
es-MX, or English with ``INTEROP_LANGUAGE=en``.
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
from interop.audit import verifier_words as words
from interop.messages import framework_words


class VerificationFailed(Exception):
    """Something does not check; ``said()`` says what, in es-MX or English (``str()`` in the process's
    language, ``INTEROP_LANGUAGE``)."""

    def __init__(self, key: str, /, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def said(self, lang: str | None = None) -> str:
        params = {k: words.say(str(v), lang) if k == "what" else v for k, v in self.params.items()}
        return words.say(self.key, lang, **params)

    def __str__(self) -> str:
        return self.said()


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise VerificationFailed("not_base64_string", what=what)
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise VerificationFailed("not_base64", what=what) from exc


def load_keys(document: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 keys of a keys document (or of one JWK), by kid (recomputed from ``x``)."""
    jwks = document.get("keys", [document])
    keys: dict[str, Ed25519PublicKey] = {}
    for jwk in jwks:
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            continue
        raw = cp.from_b64url(jwk["x"])
        if len(raw) != 32:
            raise VerificationFailed("key_size")
        kid = cp.key_id(raw)
        if "kid" in jwk and jwk["kid"] != kid:
            raise VerificationFailed("kid_mismatch", kid=jwk["kid"])
        keys[kid] = Ed25519PublicKey.from_public_bytes(raw)
    if not keys:
        raise VerificationFailed("no_key")
    return keys


def verify_head(head: Mapping[str, Any], keys: Mapping[str, Ed25519PublicKey]) -> cp.Checkpoint:
    """Check a head's signature over its checkpoint body and that its fields say what the body says."""
    body = head.get("checkpoint")
    if not isinstance(body, str):
        raise VerificationFailed("no_checkpoint")
    key = keys.get(str(head.get("kid")))
    if key is None:
        raise VerificationFailed("unknown_key", kid=repr(head.get("kid")))
    try:
        key.verify(_b64(head.get("signature"), "what.signature"), body.encode())
    except InvalidSignature as exc:
        raise VerificationFailed("bad_signature") from exc
    try:
        parsed = cp.parse_checkpoint(body)
    except cp.CheckpointError as exc:
        raise VerificationFailed("malformed_checkpoint", detail=str(exc)) from exc
    if head.get("tree_size") != parsed.tree_size:
        raise VerificationFailed("size_differs")
    if _b64(head.get("root_hash"), "what.root_hash") != parsed.root_hash:
        raise VerificationFailed("root_differs")
    return parsed


def _hashes(proof: Mapping[str, Any]) -> list[bytes]:
    hashes = proof.get("hashes")
    if not isinstance(hashes, list):
        raise VerificationFailed("no_hashes")
    out = [_b64(h, "what.proof_hash") for h in hashes]
    if any(len(h) != merkle.HASH_SIZE for h in out):
        raise VerificationFailed("hash_size")
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
        raise VerificationFailed("other_index")
    if proof.get("tree_size") != signed.tree_size:
        raise VerificationFailed("other_size")
    leaf = _b64(entry.get("leaf"), "what.leaf")
    if not merkle.verify_inclusion(
        merkle.leaf_hash(leaf), index, signed.tree_size, _hashes(proof), signed.root_hash
    ):
        raise VerificationFailed("not_included", index=index, size=signed.tree_size)
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
        raise VerificationFailed("other_logs")
    if (proof.get("first"), proof.get("second")) != (first.tree_size, second.tree_size):
        raise VerificationFailed("other_sizes")
    if not merkle.verify_consistency(
        first.tree_size, second.tree_size, first.root_hash, second.root_hash, _hashes(proof)
    ):
        raise VerificationFailed("not_extension", first=first.tree_size, second=second.tree_size)
    return first, second


def verify_export(lines: Sequence[str], keys: Mapping[str, Ed25519PublicKey]) -> tuple[int, cp.Checkpoint]:
    """An NDJSON export (``interop audit export``): its entries, appended to the left subtrees it
    starts from, make a tree of which the signed head's is an append-only extension. Returns the
    number of entries and the head."""
    docs = [json.loads(line) for line in lines if line.strip()]
    if len(docs) < 2 or docs[0].get("kind") != "header" or docs[-1].get("kind") != "head":
        raise VerificationFailed("export_shape")
    header, head, entries = docs[0], docs[-1], docs[1:-1]
    first = header.get("first_index")
    if not isinstance(first, int) or header.get("count") != len(entries):
        raise VerificationFailed("header_mismatch")
    left = {(int(n["level"]), int(n["index"])): _b64(n["hash"], "what.left_hash") for n in header["left"]}
    frontier = merkle.Frontier(first, left) if first else merkle.Frontier()
    for entry in entries:
        if entry.get("kind") != "entry" or entry.get("index") != frontier.size:
            raise VerificationFailed("entry_missing", index=frontier.size)
        frontier.append(merkle.leaf_hash(_b64(entry.get("leaf"), "what.leaf")))
    signed = verify_head(head, keys)
    proof = head.get("consistency") or {}
    if (proof.get("first"), proof.get("second")) != (frontier.size, signed.tree_size):
        raise VerificationFailed("export_sizes")
    if not merkle.verify_consistency(
        frontier.size, signed.tree_size, frontier.root(), signed.root_hash, _hashes(proof)
    ):
        raise VerificationFailed("export_altered", first=first, last=frontier.size - 1, size=signed.tree_size)
    return len(entries), signed


def _read(path: str) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def main(argv: Sequence[str] | None = None) -> int:
    framework_words.install(words.language())
    parser = argparse.ArgumentParser(
        prog="python -m interop.audit.verify_proof", description=words.say("help.description")
    )
    sub = parser.add_subparsers(dest="command", required=True)
    head_p = sub.add_parser("head", help=words.say("help.head"))
    head_p.add_argument("--keys", required=True)
    head_p.add_argument("head")
    inc = sub.add_parser("inclusion", help=words.say("help.inclusion"))
    for name in ("--keys", "--head", "--entry", "--proof"):
        inc.add_argument(name, required=True)
    con = sub.add_parser("consistency", help=words.say("help.consistency"))
    for name in ("--keys", "--old", "--new", "--proof"):
        con.add_argument(name, required=True)
    exp = sub.add_parser("export", help=words.say("help.export"))
    exp.add_argument("--keys", required=True)
    exp.add_argument("export")
    args = parser.parse_args(argv)
    try:
        keys = load_keys(_read(args.keys))
        if args.command == "head":
            signed = verify_head(_read(args.head), keys)
            print(words.say("ok.head", origin=signed.origin, size=signed.tree_size))
        elif args.command == "inclusion":
            signed = verify_inclusion(_read(args.head), _read(args.entry), _read(args.proof), keys)
            index = _read(args.entry)["index"]
            print(words.say("ok.entry", index=index, origin=signed.origin, size=signed.tree_size))
        elif args.command == "export":
            with open(args.export, encoding="utf-8") as handle:
                count, signed = verify_export(handle.readlines(), keys)
            print(words.say("ok.export", count=count, origin=signed.origin, size=signed.tree_size))
        else:
            first, second = verify_consistency(_read(args.old), _read(args.new), _read(args.proof), keys)
            print(
                words.say(
                    "ok.consistency", origin=first.origin, first=first.tree_size, second=second.tree_size
                )
            )
    except VerificationFailed as exc:
        print(words.say("failed", reason=exc.said()), file=sys.stderr)
        return 1
    except OSError as exc:  # the file's name and the system's reason: no entry's content
        print(words.say("failed", reason=f"{exc.filename}: {exc.strerror}"), file=sys.stderr)
        return 1
    except (ValueError, KeyError, TypeError) as exc:
        reason = words.say("unreadable", kind=type(exc).__name__)
        print(words.say("failed", reason=reason), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
