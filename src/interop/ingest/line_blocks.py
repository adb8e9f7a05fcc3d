"""Lines of a text file read in large blocks, for files whose records are one line each. No database.

``reading._records`` reads a line at a time so that it can follow quoted line breaks, carriage returns
and over-long records (≈ 1 µs a line). When a group of lines has none of those (checked by
``simple_records``), each line is a record, numbered in order, and the group is taken whole. The
first group that is not simple, and everything after it, is handed back as a text handle
(``rest``) positioned exactly where those lines began, for ``_records`` to read as before.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import IO

from interop.ingest.reading import MAX_RECORD_CHARS

_BLOCK_CHARS = 1 << 22


class LineBlocks:
    def __init__(self, handle: IO[str], *, lines_before: int) -> None:
        self._handle = handle
        self._parts: list[str] = []
        self._newlines = 0
        self._eof = False
        self._ended = True  # the lines last taken ended with a line break
        self.lines_before = lines_before  # physical lines already consumed

    def take(self, count: int) -> list[str]:
        """Up to ``count`` lines without their ``\\n`` (fewer only at the end of the file; the last
        line of a file without a final line break included); [] at the end."""
        while self._newlines < count and not self._eof:
            block = self._handle.read(_BLOCK_CHARS)
            if not block:
                self._eof = True
                break
            self._parts.append(block)
            self._newlines += block.count("\n")
        text = "".join(self._parts)
        if self._newlines >= count:
            lines = text.split("\n", count)
            rest = lines.pop()
            self._ended = True
        else:  # the end of the file
            lines = text.split("\n")
            rest = lines.pop()
            self._ended = not rest
            if rest:
                lines.append(rest)
                rest = ""
        self._parts = [rest] if rest else []
        self._newlines = rest.count("\n")
        return lines

    def rest(self, lines: Sequence[str]) -> io.TextIOBase:
        """A handle reading ``lines`` (given back, with their line breaks) and then the rest of the file."""
        pending = "\n".join(lines)
        if lines and self._ended:
            pending += "\n"
        pending += "".join(self._parts)
        while pending.endswith("\r"):  # keep a "\r\n" pair on one side
            more = self._handle.read(1)
            if not more:
                break
            pending += more
        self._parts = []
        return _Prepended(pending, self._handle)


def simple_records(lines: Sequence[str], text: str) -> bool:
    """True when each line is one record of ``reading._records``, none of them blank or over-long:
    no carriage return or NUL, an even number of quotes on every line. ``text`` is the lines joined."""
    if not lines or "\r" in text or "\x00" in text or "" in map(str.strip, lines):
        return False
    if max(map(len, lines)) + 1 > MAX_RECORD_CHARS:
        return False
    if '"' in text:
        return not any(line.count('"') % 2 for line in lines if '"' in line)
    return True


class _Prepended(io.TextIOBase):
    """``readline`` over ``text`` first, then over ``handle`` (universal newlines, as ``newline=''``)."""

    def __init__(self, text: str, handle: IO[str]) -> None:
        self._first = io.StringIO(text, newline="")
        self._handle = handle
        self._first_done = not text

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        limit = -1 if size is None else size
        if not self._first_done:
            piece = self._first.readline(limit)
            if piece:
                return piece
            self._first_done = True
        return self._handle.readline(limit)
