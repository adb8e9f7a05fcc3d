"""Arrow columns → the bytes of a PostgreSQL binary ``COPY`` (``FORMAT binary``), without a Python call
per row.

asyncpg encodes ``copy_records_to_table`` row by row in the event loop (≈ 4–5 µs a row for a roll row);
here every field of a column is built at once with numpy (its 4-byte length and its value, both
big-endian) and the fields of a row are joined by Arrow. Each field is written as PostgreSQL's binary
send function writes its type: ``text`` / ``char`` as UTF-8 bytes, ``boolean`` one byte, ``integer`` /
``bigint`` big-endian, ``date`` days since 2000-01-01 as a big-endian int32, ``jsonb`` a version byte
(1) and the JSON text; a NULL is the length -1 and no value.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
_NULL = np.frombuffer(b"\xff\xff\xff\xff", dtype=np.uint8)
_PG_EPOCH_FROM_UNIX = 10_957  # days from 1970-01-01 to 2000-01-01
_SEND_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class Constant:
    """The same non-null value in every row."""

    value: bool | int | str
    kind: str  # "bool", "int4", "int8", "text"


Column = tuple[str, "pa.Array | Constant"]  # (kind, values); kinds: text, bool, int4, int8, date, jsonb


def _binary(data: np.ndarray, offsets: np.ndarray) -> pa.Array:
    return pa.BinaryArray.from_buffers(
        pa.binary(), len(offsets) - 1, [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)]
    )


def _fixed(items: np.ndarray) -> pa.Array:
    """An (n, k) uint8 matrix as n binary values of k bytes."""
    n, k = items.shape
    return _binary(np.ascontiguousarray(items).reshape(-1), np.arange(0, n * k + 1, k, dtype=np.int64))


def _constant_field(constant: Constant, n: int) -> list[Any]:
    if constant.kind == "bool":
        value = b"\x00\x00\x00\x01" + (b"\x01" if constant.value else b"\x00")
    elif constant.kind == "int4":
        value = b"\x00\x00\x00\x04" + int(constant.value).to_bytes(4, "big", signed=True)
    elif constant.kind == "int8":
        value = b"\x00\x00\x00\x08" + int(constant.value).to_bytes(8, "big", signed=True)
    else:
        payload = str(constant.value).encode()
        value = len(payload).to_bytes(4, "big") + payload
    row = np.frombuffer(value, dtype=np.uint8)
    return [np.broadcast_to(row, (n, len(row)))]


def _lengths(values: pa.Array, extra: int = 0) -> np.ndarray:
    """The 4-byte length field of each value (-1 for NULL), ``extra`` bytes added to non-null ones."""
    lengths = pc.binary_length(values).to_numpy(zero_copy_only=False)
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    big = np.where(valid, np.nan_to_num(lengths, nan=0).astype(np.int64) + extra, -1).astype(">i4")
    return big.view(np.uint8).reshape(-1, 4)


def _same_width(values: pa.Array) -> np.ndarray | None:
    """The values as an (n, k) matrix when none is NULL and all have k bytes (then no join is needed)."""
    if values.null_count or not len(values):
        return None
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[
        values.offset : values.offset + len(values) + 1
    ]
    widths = np.diff(offsets)
    width = int(widths[0])
    if width == 0 or not (widths == width).all():
        return None
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.reshape(len(values), width)


def _values_field(values: pa.Array, kind: str, n: int) -> list[Any]:
    """The parts (joined without separator) of the field of every row."""
    if kind in ("text", "jsonb"):
        extra = b"\x01" if kind == "jsonb" else b""
        matrix = _same_width(values.cast(pa.binary()))
        if matrix is not None:
            head = np.frombuffer((matrix.shape[1] + len(extra)).to_bytes(4, "big") + extra, np.uint8)
            return [np.broadcast_to(head, (n, len(head))), matrix]
        if kind == "text":
            return [_lengths(values), values.cast(pa.binary())]
        version = pc.if_else(values.is_valid(), pa.scalar(b"\x01"), pa.scalar(None, pa.binary()))
        return [_lengths(values, extra=1), version, values.cast(pa.binary())]
    if kind == "bool":
        flags = values.to_numpy(zero_copy_only=False).astype(np.uint8)
        items = np.zeros((n, 5), dtype=np.uint8)
        items[:, 3] = 1
        items[:, 4] = flags
        return [items]
    if kind in ("int4", "date"):
        valid = values.is_valid().to_numpy(zero_copy_only=False)
        if kind == "date":
            raw = values.cast(pa.int32()).fill_null(0).to_numpy().astype(np.int64) - _PG_EPOCH_FROM_UNIX
        else:
            raw = values.fill_null(0).to_numpy().astype(np.int64)
        items = np.empty((n, 8), dtype=np.uint8)
        items[:, :4] = np.frombuffer(b"\x00\x00\x00\x04", dtype=np.uint8)
        items[:, 4:] = raw.astype(">i4").view(np.uint8).reshape(n, 4)
        if valid.all():
            return [items]
        items[~valid, :4] = _NULL
        widths = np.where(valid, 8, 4)
        keep = np.ones((n, 8), dtype=bool)
        keep[~valid, 4:] = False
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(widths, out=offsets[1:])
        return [_binary(items[keep], offsets)]
    raise ValueError(f"no binary COPY encoding for {kind!r}")


def encode_rows(columns: Sequence[Column], n: int) -> pa.Array:
    """One binary value per row: its field count, then each field (length, value). Neighbouring parts
    of the same width in every row are put side by side with numpy first: fewer parts for Arrow to join."""
    parts: list[Any] = [np.broadcast_to(np.frombuffer(len(columns).to_bytes(2, "big"), np.uint8), (n, 2))]
    for kind, values in columns:
        parts.extend(
            _constant_field(values, n) if isinstance(values, Constant) else _values_field(values, kind, n)
        )
    joined: list[pa.Array] = []
    run: list[np.ndarray] = []
    for part in [*parts, None]:
        if isinstance(part, np.ndarray):
            run.append(part)
            continue
        if run:
            joined.append(_fixed(np.concatenate(run, axis=1)))
            run = []
        if part is not None:
            joined.append(part)
    if len(joined) == 1:
        return joined[0]
    return pc.binary_join_element_wise(*joined, b"", null_handling="replace", null_replacement=b"")


def copy_payload(rows: pa.Array) -> memoryview:
    """The whole COPY stream (signature, the rows, trailer) of rows from ``encode_rows``."""
    data = np.frombuffer(rows.buffers()[2], dtype=np.uint8) if len(rows) else np.zeros(0, np.uint8)
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)[rows.offset : rows.offset + len(rows) + 1]
    body = data[offsets[0] : offsets[-1]] if len(rows) else data
    out = bytearray(len(SIGNATURE) + len(body) + len(TRAILER))
    out[: len(SIGNATURE)] = SIGNATURE
    out[len(SIGNATURE) : len(SIGNATURE) + len(body)] = body.data
    out[-len(TRAILER) :] = TRAILER
    return memoryview(out)


async def blocks(payload: memoryview) -> AsyncIterator[bytes]:
    for start in range(0, len(payload), _SEND_BLOCK):
        yield bytes(payload[start : start + _SEND_BLOCK])
