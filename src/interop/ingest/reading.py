"""Reading import files safely: encoding, header, and records with their line numbers.

Files are read line by line with a hard cap on a record's length, so a multi-gigabyte field costs a
bounded amount of memory: the record is skipped to its end and rejected. A CSV record ends at a line
break outside quotes (the count of ``"`` seen so far is even, since an escaped quote is ``""``).
Nothing here touches the database.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from interop.ingest.columns import SPECS, FileSpec
from interop.ingest.errors import FileRefused

MAX_FIELD_CHARS = 2_000
MAX_RECORD_CHARS = 64 * 1024
_READ_BLOCK = 1 << 20
_SAMPLE_BYTES = 256 * 1024
# Bytes of accented Latin letters in cp1252 / Latin-1 (À-ÿ without × and ÷).
_LATIN_LETTERS = frozenset(range(0xC0, 0x100)) - {0xD7, 0xF7}
_CANDIDATES = ["utf_8", "cp1252", "latin_1", "iso8859_15", "cp850", "utf_16", "utf_32", "mac_roman"]

csv.field_size_limit(MAX_RECORD_CHARS + 1)


@dataclass(frozen=True, slots=True)
class Inspection:
    sha256: str
    size_bytes: int
    encoding: str
    header: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record of the file: its first physical line and its text, or ``too_long`` (text dropped)."""

    line: int
    text: str
    too_long: bool = False


def python_encoding(name: str | None) -> str:
    """The codec to read with; refuses names Python does not know and codecs that are not text encodings
    (``zlib_codec``, ``base64_codec``, ``rot_13``…: bytes-to-bytes or str-to-str transforms, which would
    let an upload decompress into something far larger than itself)."""
    if not name:
        return "utf-8"
    try:
        info = codecs.lookup(name)
    except (LookupError, TypeError, ValueError):
        raise FileRefused.said_with("ingest.unknown_encoding", {}, details={"encoding": name[:40]}) from None
    # CodecInfo marks the non-text codecs of the standard library; a third-party codec that does not say
    # is checked by what it does: bytes in, str out.
    if not getattr(info, "_is_text_encoding", True) or not _decodes_to_text(info):
        raise FileRefused.said_with("ingest.not_text_encoding", {}, details={"encoding": info.name})
    return info.name


def _decodes_to_text(info: codecs.CodecInfo) -> bool:
    try:
        return isinstance(info.decode(b"a")[0], str)
    except Exception:  # a codec that cannot decode one ASCII byte reads no CSV either
        return False


def _guess_encoding(sample: bytes) -> str:
    """The encoding a non-UTF-8 sample looks like. Spanish exports from Windows or Excel are cp1252 (a
    superset of Latin-1's letters): when every byte above 0x7F is a Latin letter there, that is the
    answer; charset-normalizer judges the rest (it prefers exotic code pages on short upper-case
    Spanish samples, hence the rule first)."""
    from charset_normalizer import from_bytes

    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    high = {b for b in sample if b > 0x7F}
    if high and high <= _LATIN_LETTERS:
        return "cp1252"
    best = from_bytes(sample, cp_isolation=_CANDIDATES).best()
    return best.encoding if best is not None else "cp1252"


def digest_and_decode(path: Path, encoding: str) -> tuple[str, int]:
    """One pass over the bytes: SHA-256 and a strict decode (the whole file, before anything is stored).
    Raises ``FileRefused`` naming the encoding the bytes look like when they do not decode."""
    sha = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    size = 0
    bad_at: int | None = None
    sample = bytearray()
    with path.open("rb") as handle:
        while block := handle.read(_READ_BLOCK):
            sha.update(block)
            if bad_at is None:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    bad_at = size + exc.start
                    start = max(exc.start - _SAMPLE_BYTES // 2, 0)
                    sample = bytearray(block[start : start + _SAMPLE_BYTES])
            size += len(block)
        if bad_at is None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                bad_at = size
    if bad_at is not None:
        guessed = _guess_encoding(bytes(sample))
        raise FileRefused.said_with(
            "ingest.wrong_encoding",
            {"encoding": encoding, "offset": bad_at, "guessed": guessed},
            details={"detected_encoding": guessed, "offset": bad_at},
        )
    return sha.hexdigest(), size


def records(path: Path, encoding: str, *, csv_quotes: bool = True) -> Generator[RawRecord, None, None]:
    """Records of a CSV (``csv_quotes``) or NDJSON file, with the physical line each starts on."""
    with path.open("r", encoding=encoding, newline="") as handle:
        yield from _records(handle, csv_quotes=csv_quotes)


def _records(
    handle: io.TextIOBase, *, csv_quotes: bool, first_line: int = 0
) -> Generator[RawRecord, None, None]:
    """``first_line``: physical lines before the handle's position (when it is not the file's start)."""
    line = first_line
    start = 0
    parts: list[str] = []
    size = 0
    quotes = 0
    too_long = False
    while True:
        piece = handle.readline(MAX_RECORD_CHARS + 1)
        if not piece:
            if parts or too_long:
                yield RawRecord(start, "" if too_long else "".join(parts), too_long)
            return
        if not parts and not too_long:
            start = line + 1
        ended = piece[-1] in "\r\n"
        if ended:
            line += 1
        if csv_quotes:
            quotes += piece.count('"')
        if not too_long:
            size += len(piece)
            if size > MAX_RECORD_CHARS:
                too_long = True
                parts = []
            else:
                parts.append(piece)
        if ended and quotes % 2 == 0:
            yield RawRecord(start, "" if too_long else "".join(parts), too_long)
            parts = []
            size = 0
            quotes = 0
            too_long = False


def parse_header(text: str) -> tuple[str, ...]:
    row = next(csv.reader([text.lstrip("\ufeff")]), [])
    return tuple(name.strip().lower() for name in row)


def check_header(header: tuple[str, ...], spec: FileSpec) -> None:
    if not any(header):
        raise FileRefused.said("ingest.header_empty")
    seen: set[str] = set()
    repeated = sorted({name for name in header if name in seen or seen.add(name)})  # type: ignore[func-returns-value]
    if repeated:
        raise FileRefused.said("ingest.columns_repeated", columns=", ".join(repeated))
    unknown = [name for name in header if name not in spec.columns]
    if unknown:
        raise FileRefused.said(
            "ingest.columns_unknown",
            columns=", ".join(unknown),
            kind=spec.kind,
            expected=", ".join(spec.columns),
        )
    missing = sorted(spec.required - set(header))
    if missing:
        raise FileRefused.said("ingest.columns_missing", columns=", ".join(missing))


def inspect_file(path: Path, *, kind: str, fmt: str, encoding: str | None) -> Inspection:
    """Everything that refuses a whole file, checked before anything is stored: existence, emptiness,
    encoding (whole file), and for CSV the header and at least one data row."""
    if kind not in SPECS:
        raise FileRefused.said("ingest.kind_unknown", kind=repr(kind))
    if not path.is_file():
        raise FileRefused.said("ingest.no_such_file", file=path.name)
    codec = python_encoding(encoding)
    sha256, size = digest_and_decode(path, codec)
    if size == 0:
        raise FileRefused.said("ingest.file_empty")
    header: tuple[str, ...] = ()
    found_row = False
    stream = records(path, codec, csv_quotes=fmt == "csv")
    try:
        for record in stream:
            if record.too_long and not header and fmt == "csv":
                raise FileRefused.said("ingest.header_too_long", max=MAX_RECORD_CHARS)
            if not record.text.strip() and not record.too_long:
                continue
            if fmt == "csv" and not header:
                header = parse_header(record.text)
                check_header(header, SPECS[kind])
                continue
            found_row = True
            break
    finally:
        stream.close()
    if not found_row:
        raise FileRefused.said("ingest.no_data_rows" if header else "ingest.file_empty")
    return Inspection(sha256=sha256, size_bytes=size, encoding=codec, header=header)


def detect_format(filename: str, content_type: str | None = None) -> str:
    lowered = filename.lower()
    if lowered.endswith((".ndjson", ".jsonl")) or (content_type or "").endswith("ndjson"):
        return "ndjson"
    return "csv"
