"""The standalone verifier: heads, inclusion and consistency proofs from the API's JSON shapes, checked
with the public key alone; it imports only the standard library and cryptography."""

from __future__ import annotations

import base64
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from interop.audit import checkpoint as cp
from interop.audit import merkle, verify_proof

ORIGIN = "interop.test/audit"
KEY = Ed25519PrivateKey.generate()
RAW = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
KID = cp.key_id(RAW)
KEYS = {"keys": [{"kid": KID, "kty": "OKP", "crv": "Ed25519", "x": cp.b64url(RAW)}]}
RNG = random.Random(7)
LEAVES = [RNG.randbytes(RNG.randint(1, 60)) for _ in range(10_000)]
TREE = merkle.MemoryTree(merkle.leaf_hash(leaf) for leaf in LEAVES)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def head(size: int, tree: merkle.MemoryTree = TREE, key: Ed25519PrivateKey = KEY) -> dict[str, Any]:
    root = tree.root(size)
    body = cp.format_checkpoint(ORIGIN, size, root)
    return {
        "tree_size": size,
        "root_hash": b64(root),
        "timestamp": "2026-12-06T04:00:00.000000Z",
        "kid": KID,
        "checkpoint": body,
        "signature": b64(key.sign(body.encode())),
    }


def entry(index: int) -> dict[str, Any]:
    return {"index": index, "leaf": b64(LEAVES[index]), "event": f"AuditEvent/{index}"}


def inclusion(index: int, size: int, tree: merkle.MemoryTree = TREE) -> dict[str, Any]:
    return {"index": index, "tree_size": size, "hashes": [b64(h) for h in tree.inclusion_proof(index, size)]}


def consistency(first: int, second: int, tree: merkle.MemoryTree = TREE) -> dict[str, Any]:
    return {
        "first": first,
        "second": second,
        "hashes": [b64(h) for h in tree.consistency_proof(first, second)],
    }


SIZES = sorted(
    {1, 2, 3, 4, 5, 8, 9, 100, 1023, 1024, 1025, 10_000} | {RNG.randint(1, 10_000) for _ in range(10)}
)
keys = verify_proof.load_keys(KEYS)


def test_checkpoint_body_format() -> None:
    body = cp.format_checkpoint(ORIGIN, 12, bytes(32))
    assert body == f"{ORIGIN}\n12\n{'A' * 43}=\n"
    assert cp.parse_checkpoint(body) == cp.Checkpoint(ORIGIN, 12, bytes(32))
    for bad in (body[:-1], f"{ORIGIN}\n012\n{'A' * 43}=\n", f"{ORIGIN}\n12\nAAAA\n", "x\n1\n"):
        with pytest.raises(cp.CheckpointError):
            cp.parse_checkpoint(bad)


def test_inclusion_and_consistency_verify_for_random_sizes() -> None:
    for size in SIZES:
        for index in {0, size - 1, RNG.randrange(size)}:
            verify_proof.verify_inclusion(head(size), entry(index), inclusion(index, size), keys)
        for first in {1, size, RNG.randint(1, size)}:
            verify_proof.verify_consistency(head(first), head(size), consistency(first, size), keys)


def test_modified_leaf_fails() -> None:
    forged = entry(41) | {"leaf": b64(LEAVES[41] + b"!")}
    with fails("not_included"):
        verify_proof.verify_inclusion(head(100), forged, inclusion(41, 100), keys)


def test_removed_leaf_fails() -> None:
    shorter = merkle.MemoryTree(merkle.leaf_hash(leaf) for leaf in LEAVES[:40] + LEAVES[41:101])
    with fails("not_extension"):
        verify_proof.verify_consistency(head(50), head(100, shorter), consistency(50, 100, shorter), keys)
    with fails("not_included"):
        verify_proof.verify_inclusion(head(100, shorter), entry(41), inclusion(41, 100, shorter), keys)


def test_reordered_pair_fails() -> None:
    swapped = list(LEAVES[:100])
    swapped[10], swapped[11] = swapped[11], swapped[10]
    other = merkle.MemoryTree(merkle.leaf_hash(leaf) for leaf in swapped)
    with fails("not_extension"):
        verify_proof.verify_consistency(head(20), head(100, other), consistency(20, 100, other), keys)


def test_forked_head_fails() -> None:
    fork = merkle.MemoryTree(merkle.leaf_hash(leaf) for leaf in [*LEAVES[:60], b"fork", *LEAVES[61:200]])
    with fails("not_extension"):
        verify_proof.verify_consistency(head(100), head(200, fork), consistency(100, 200, fork), keys)


def test_bad_signatures_and_mismatched_fields_fail() -> None:
    stranger = Ed25519PrivateKey.generate()
    with fails("bad_signature"):
        verify_proof.verify_head(head(10, key=stranger), keys)
    lying = head(10) | {"root_hash": head(11)["root_hash"]}
    with fails("root_differs"):
        verify_proof.verify_head(lying, keys)
    with fails("unknown_key"):
        verify_proof.verify_head(head(10) | {"kid": "0" * 16}, keys)
    with fails("other_size"):
        verify_proof.verify_inclusion(head(10), entry(3), inclusion(3, 11), keys)


@contextmanager
def fails(key: str) -> Iterator[None]:
    """The block fails verification for the reason ``key`` (its words are es-MX or English)."""
    with pytest.raises(verify_proof.VerificationFailed) as caught:
        yield
    assert caught.value.key == key, caught.value.said("en")


def _write(tmp: Path, name: str, doc: Any) -> str:
    path = tmp / name
    path.write_text(json.dumps(doc))
    return str(path)


def test_command_line_imports_only_the_standard_library_and_cryptography(tmp_path: Path) -> None:
    args = {
        "keys": _write(tmp_path, "keys.json", KEYS),
        "head": _write(tmp_path, "head.json", head(1000)),
        "old": _write(tmp_path, "old.json", head(333)),
        "entry": _write(tmp_path, "entry.json", entry(500)),
        "proof": _write(tmp_path, "proof.json", inclusion(500, 1000)),
        "cproof": _write(tmp_path, "cproof.json", consistency(333, 1000)),
    }
    src = str(Path(verify_proof.__file__).parents[2])
    base = [sys.executable, "-X", "importtime"]
    env = {"PYTHONPATH": src}

    def run(*argv: str, module: str = "interop.audit.verify_proof") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, "-m", module, *argv], capture_output=True, text=True, env=env, check=False
        )

    def imports(stderr: str) -> set[str]:
        return {
            line.rsplit("|", 1)[1].strip().split(".")[0]
            for line in stderr.splitlines()
            if line.startswith("import time:") and "|" in line
        } - {"imported package"}

    startup = imports(run(module="this").stderr)  # what the interpreter and site load anyway

    ok = run(
        "inclusion",
        "--keys",
        args["keys"],
        "--head",
        args["head"],
        "--entry",
        args["entry"],
        "--proof",
        args["proof"],
    )
    assert ok.returncode == 0, ok.stderr[-2000:]
    imported = imports(ok.stderr) - startup
    # _cffi_backend is cryptography's own binding; stdlib copy probes org.python.core (Jython), which
    # resolves when some installed distribution ships an ``org`` package
    assert imported - set(sys.stdlib_module_names) - {"_cffi_backend", "org"} == {"cryptography", "interop"}

    ok = run(
        "consistency",
        "--keys",
        args["keys"],
        "--old",
        args["old"],
        "--new",
        args["head"],
        "--proof",
        args["cproof"],
    )
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert run("head", "--keys", args["keys"], args["head"]).returncode == 0
    backwards = ("consistency", "--keys", args["keys"], "--old", args["head"], "--new", args["old"])
    bad = run(*backwards, "--proof", args["cproof"])
    assert bad.returncode == 1
    # es-MX unless INTEROP_LANGUAGE asks for English, as the interop command
    assert "FALLÓ: la prueba es de otros tamaños de árbol que los de las cabezas" in bad.stderr
    env["INTEROP_LANGUAGE"] = "en"
    bad = run(*backwards, "--proof", args["cproof"])
    assert "FAILED: the proof is for other tree sizes than the heads" in bad.stderr


def test_the_command_lines_own_words_follow_interop_language() -> None:
    src = str(Path(verify_proof.__file__).parents[2])

    def refused(**env: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "interop.audit.verify_proof", "inclusion", "--keys", "k.json"],
            capture_output=True,
            text=True,
            env={"PYTHONPATH": src, "LANG": "en_US.UTF-8", **env},
            check=False,
        )
        assert done.returncode == 2, done.stderr
        return done.stderr

    spanish = refused()
    assert "uso: " in spanish
    assert "faltan los argumentos obligatorios: --head" in spanish
    english = refused(INTEROP_LANGUAGE="en")
    assert "usage: " in english
    assert "the following arguments are required: --head" in english
