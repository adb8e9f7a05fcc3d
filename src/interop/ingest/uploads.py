"""Uploaded files: streamed to ``data_dir/uploads`` while hashed, never held in memory.

An upload is bounded while it streams (``upload_max_bytes``: 413) and refused when the data folder's file
system would keep less than ``upload_min_free_bytes`` free (507), checked before the first byte and again
every ``_FREE_CHECK_EVERY`` bytes: PostgreSQL usually shares that disk and must not be the one to run out.
Files are ``0600`` in a ``0700`` folder, named by their SHA-256. Only files inside that folder are ever
deleted (``discard``): a CLI import reads the operator's own file, which is never touched.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio

from interop.ingest.errors import UploadStorageFull, UploadTooLarge

UPLOADS = "uploads"
_FREE_CHECK_EVERY = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SavedUpload:
    path: Path
    sha256: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class UploadLimits:
    max_bytes: int
    min_free_bytes: int


def uploads_dir(data_dir: Path) -> Path:
    return data_dir / UPLOADS


def too_large(limit: int) -> UploadTooLarge:
    return UploadTooLarge.said_with("ingest.upload_too_large", {"limit": limit}, details={"max_bytes": limit})


def _storage_full() -> UploadStorageFull:
    return UploadStorageFull.said("ingest.storage_full")


def _private_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)


def _free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)


async def check_room(directory: Path, limits: UploadLimits, *, declared: int | None = None) -> None:
    """Refuse before receiving anything: a declared size over the limit (413) or too little room (507)."""
    if declared is not None and declared > limits.max_bytes:
        raise too_large(limits.max_bytes)
    await anyio.to_thread.run_sync(_private_folder, directory)
    free = await anyio.to_thread.run_sync(_free_bytes, directory)
    if free - (declared or 0) < limits.min_free_bytes:
        raise _storage_full()


async def save_stream(
    chunks: AsyncIterator[bytes], directory: Path, *, suffix: str, limits: UploadLimits
) -> SavedUpload:
    """Write the stream to a file named by its SHA-256 (the same content lands in the same file)."""
    await anyio.to_thread.run_sync(_private_folder, directory)
    folder = anyio.Path(directory)
    partial = folder / f".{secrets.token_hex(8)}.part"
    sha = hashlib.sha256()
    size = 0
    next_check = _FREE_CHECK_EVERY
    try:
        async with await anyio.open_file(partial, "wb", opener=_private_opener) as out:
            async for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if size > limits.max_bytes:
                    raise too_large(limits.max_bytes)
                if size >= next_check:
                    next_check += _FREE_CHECK_EVERY
                    if await anyio.to_thread.run_sync(_free_bytes, directory) < limits.min_free_bytes:
                        raise _storage_full()
                sha.update(chunk)
                await out.write(chunk)
        final = folder / f"{sha.hexdigest()}{suffix}"
        await partial.rename(final)
    except OSError as exc:
        await partial.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise _storage_full() from exc
        raise
    except BaseException:
        await partial.unlink(missing_ok=True)
        raise
    return SavedUpload(path=Path(str(final)), sha256=sha.hexdigest(), size_bytes=size)


def is_upload(path: str | Path, directory: Path) -> bool:
    """Whether ``path`` is a file this service received (inside the uploads folder), not an operator's."""
    try:
        resolved = Path(path).resolve(strict=False)
        return resolved.parent == directory.resolve(strict=False) and not Path(path).is_symlink()
    except (OSError, RuntimeError):
        return False


def discard(path: str | Path, directory: Path) -> bool:
    """Delete a received file once its import is over (its digest stays in the import's row). Anything
    outside the uploads folder is left alone. Blocking (a single unlink)."""
    if not is_upload(path, directory):
        return False
    try:
        Path(path).unlink()
    except FileNotFoundError:
        return False
    return True
