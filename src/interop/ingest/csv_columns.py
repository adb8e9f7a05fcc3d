"""CSV records → Arrow string columns with Arrow's CSV parser, when that is exactly what ``csv.reader``
would read. Pure: no I/O.

Python's reader (the reference) and Arrow's agree on records whose quotes are all well formed: a
quoted field opens right after a comma or at the start of the record, closes right before a comma or
its end, and doubles the quotes inside. Records that are one line each (no quoted line break), with
no carriage return or NUL anywhere, no empty line nor byte order mark first, and exactly the
header's number of fields, are parsed by Arrow; anything else returns None and the caller reads the batch with
``csv.reader``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]

# A whole quoted field: it opens after a comma or a line break (or at the start), doubles its inner
# quotes, and closes before a comma or a line break (or at the end).
_QUOTED_FIELD = re.compile(rb'"(?<![^,\n]")[^"\n]*(?:""[^"\n]*)*"(?![^,\n])')
_MARK = b"\x00"
_BOM = "\ufeff".encode()


def _quotes_well_formed(data: bytes) -> bool:
    """Every quote belongs to a quoted field that is the whole field."""
    return b'"' not in _QUOTED_FIELD.sub(b"", data)


def parse_columns(texts: Sequence[str], width: int, *, joined: str | None = None) -> list[pa.Array] | None:
    """The ``width`` columns of ``texts`` (records, each with its line break or the file's last;
    or records without line breaks and ``joined``, them joined by line breaks and ending with one),
    or None when Arrow's reading could differ from ``csv.reader``'s."""
    text = "".join(texts) if joined is None else joined
    if not text.endswith("\n"):
        text += "\n"
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return None
    if data.count(b"\n") != len(texts) or b"\r" in data or _MARK in data:
        return None
    # Arrow drops a byte order mark that opens its buffer and reads an empty line as empty fields;
    # csv.reader keeps the mark and reads no field.
    if data.startswith((_BOM, b"\n")) or b"\n\n" in data:
        return None
    if b'"' in data and not _quotes_well_formed(data):
        return None
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False, block_size=1 << 26),
            parse_options=pacsv.ParseOptions(
                delimiter=",",
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except pa.ArrowInvalid:  # a record with another number of fields
        return None
    if table.num_rows != len(texts):
        return None
    return [column.combine_chunks() for column in table.columns]
