"""The Ed25519 key that signs checkpoints and tree heads: from ``settings.audit_signing_key`` (PEM, PKCS8),
else the file ``settings.audit_key_file``, else ``data_dir/audit/audit-ed25519.pem`` — apart from the token
keys in ``data_dir/keys``: the audit key is the auditors' custody, to be held and backed up by them, not
rotated with the token keys. Generated there once (mode 0600) when missing. A data folder from before
the split keeps using ``data_dir/keys/audit-ed25519.pem`` when only that one exists (its old signatures
must keep verifying). Anyone holding the public key can check every
checkpoint; rewriting the chain without the private key is detectable."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from interop.config import Settings

KEY_FILE = "audit-ed25519.pem"


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class Verifier:
    public: Ed25519PublicKey

    @property
    def key_id(self) -> str:
        return key_id_of(self.public)

    def public_pem(self) -> str:
        return self.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            self.public.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    @classmethod
    def from_pem(cls, pem: str | bytes) -> Verifier:
        data = pem.encode() if isinstance(pem, str) else pem
        key = serialization.load_pem_public_key(data)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the audit public key must be an Ed25519 key")
        return cls(key)


@dataclass(frozen=True)
class Signer:
    private: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.private.public_key())

    @property
    def key_id(self) -> str:
        return key_id_of(self.private.public_key())

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    @classmethod
    def from_pem(cls, pem: str | bytes) -> Signer:
        data = pem.encode() if isinstance(pem, str) else pem
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("audit_signing_key must be an Ed25519 private key (PEM, PKCS8)")
        return cls(key)

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    def private_pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def load_or_create(settings: Settings) -> Signer:
    """The configured key, or the one in the data folder (created on first use). Idempotent."""
    if settings.audit_signing_key:
        return Signer.from_pem(settings.audit_signing_key)
    path = settings.audit_key_file or settings.resolved_data_dir / "audit" / KEY_FILE
    legacy = settings.resolved_data_dir / "keys" / KEY_FILE
    if settings.audit_key_file is None and not path.exists() and legacy.exists():
        path = legacy
    if path.exists():
        return Signer.from_pem(path.read_bytes())
    _write_private(path, Signer.generate().private_pem())
    return Signer.from_pem(path.read_bytes())


def _write_private(path: Path, pem: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    # Two processes starting at once: link() refuses to replace, so the first key wins and both read it.
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
