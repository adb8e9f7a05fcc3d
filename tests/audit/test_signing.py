"""Where the audit key lives: apart from the token keys, with a setting; old data folders keep theirs."""

from __future__ import annotations

from pathlib import Path

from interop.audit import signing
from interop.config import Settings


def test_default_key_is_apart_from_the_token_keys(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    signer = signing.load_or_create(settings)
    path = tmp_path / "audit" / signing.KEY_FILE
    assert path.exists()
    assert (path.stat().st_mode & 0o777) == 0o600
    assert not (tmp_path / "keys" / signing.KEY_FILE).exists()
    assert signing.load_or_create(settings).key_id == signer.key_id


def test_setting_names_the_file(tmp_path: Path) -> None:
    custody = tmp_path / "custody" / "log.pem"
    signer = signing.load_or_create(Settings(data_dir=tmp_path, audit_key_file=custody))
    assert custody.exists()
    assert signing.load_or_create(Settings(data_dir=tmp_path, audit_key_file=custody)).key_id == signer.key_id


def test_a_data_folder_from_before_keeps_its_key(tmp_path: Path) -> None:
    old = signing.Signer.generate()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / signing.KEY_FILE).write_bytes(old.private_pem())
    assert signing.load_or_create(Settings(data_dir=tmp_path)).key_id == old.key_id
