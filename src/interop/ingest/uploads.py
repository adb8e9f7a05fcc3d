"""Uploaded files: streamed to ``data_dir/uploads`` while hashed, never held in memory."""

from __future__ import annotations

import errno
import hashlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio

from interop.ingest.errors import UploadStorageFull


@dataclass(frozen=True, slots=True)
class SavedUpload:
    path: Path
    sha256: str
    size_bytes: int


async def save_stream(chunks: AsyncIterator[bytes], directory: Path, *, suffix: str) -> SavedUpload:
    """Write the stream to a file named by its SHA-256 (the same content lands in the same file)."""
    folder = anyio.Path(directory)
    await folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{secrets.token_hex(8)}.part"
    sha = hashlib.sha256()
    size = 0
    try:
        async with await anyio.open_file(partial, "wb") as out:
            async for chunk in chunks:
                if chunk:
                    sha.update(chunk)
                    size += len(chunk)
                    await out.write(chunk)
        final = folder / f"{sha.hexdigest()}{suffix}"
        await partial.rename(final)
    except OSError as exc:
        await partial.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise UploadStorageFull(
                "no space left in the data folder for the upload; nothing was stored"
            ) from exc
        raise
    except BaseException:
        await partial.unlink(missing_ok=True)
        raise
    return SavedUpload(path=Path(str(final)), sha256=sha.hexdigest(), size_bytes=size)
