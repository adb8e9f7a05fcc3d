"""Lines of a text file read in large blocks, for files whose records are one line each. No database.

``reading._records`` reads a line at a time so that it can follow quoted line breaks, carriage returns
and over-long records (≈ 1 µs a line). When a group of lines has none of those (checked by
``simple_records``; a CRLF line ending is fine), each line is a record, numbered in order, and the
group is taken whole. The
first group that is not simple, and everything after it, is handed back as a text handle
(``rest``) positioned exactly where those lines began, for ``_records`` to read as before.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from operator import methodcaller
from typing import IO

from interop.ingest.reading import MAX_RECORD_CHARS

_BLOCK_CHARS = 1 << 22
_ENDS_WITH_CR = methodcaller("endswith", "\r")


class LineBlocks:
    def __init__(self, handle: IO[str], *, lines_before: int) -> None:
        self._handle = handle
        self._parts: list[str] = []
        self._newlines = 0
        self._eof = False
        self._ended = True  # the lines last taken ended with a line break
        self._open_chars = 0  # characters read after the last line break
        self.lines_before = lines_before  # physical lines already consumed

    def take(self, count: int) -> list[str]:
        """Up to ``count`` lines without their ``\\n`` (fewer only at the end of the file; the last
        line of a file without a final line break included); [] at the end. Reading stops early at a
        line longer than a record may be: it is returned unfinished, as the last line, so that
        ``simple_records`` refuses the group and ``_records`` reads on in bounded memory."""
        while self._newlines < count and not self._eof and self._open_chars <= MAX_RECORD_CHARS:
            block = self._handle.read(_BLOCK_CHARS)
            if not block:
                self._eof = True
                break
            self._parts.append(block)
            self._newlines += block.count("\n")
            last = block.rfind("\n")
            self._open_chars = len(block) - last - 1 if last >= 0 else self._open_chars + len(block)
        text = "".join(self._parts)
        if self._newlines >= count:
            lines = text.split("\n", count)
            rest = lines.pop()
            self._ended = True
        else:  # the end of the file, or an over-long line
            lines = text.split("\n")
            rest = lines.pop()
            self._ended = not rest
            if rest:
                lines.append(rest)
                rest = ""
        self._parts = [rest] if rest else []
        self._newlines = rest.count("\n")
        self._open_chars = len(rest) - rest.rfind("\n") - 1
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


def simple_records(lines: list[str], text: str) -> tuple[list[str], str] | None:
    """The lines as records of ``reading._records`` when each line is one, none of them blank or
    over-long: no NUL, an even number of quotes on every line, and no carriage return except one
    that ends a line (CRLF, removed here as csv.reader drops it). Also returns them joined by line
    breaks; ``text`` is ``lines`` joined. None when the lines are not all simple records."""
    if not lines or "\x00" in text:
        return None
    ending = 1  # the line break counts in a record's length
    if "\r" in text:
        closed = sum(map(_ENDS_WITH_CR, lines))
        if text.count("\r") != closed:  # a carriage return inside a line breaks it there
            return None
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        text = "\n".join(lines)
        ending = 2
    if "" in map(str.strip, lines) or max(map(len, lines)) + ending > MAX_RECORD_CHARS:
        return None
    if '"' in text and any(line.count('"') % 2 for line in lines if '"' in line):
        return None
    return lines, text


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
