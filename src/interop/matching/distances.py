"""Edit distances and date gaps the comparisons use, counted as the batch engine counts them. Pure."""

from __future__ import annotations

from datetime import date
from typing import Literal

from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

# The edit distances run in C (rapidfuzz): the online scorer computes them for every candidate, and
# an address pair in pure Python cost ~0.2 ms, most of a ``$match`` with a common name. They must count
# in the unit the batch engine counts in, or a pair with an Ñ grades differently online and in the batch:
# DuckDB before 2.0.1 counted UTF-8 bytes (an Ñ is two), DuckDB 2.0.1 and Spark count characters. The
# engine module asks its engine at import and calls ``count_edits_in``; characters until then.
EditUnit = Literal["bytes", "characters"]
_edit_unit: EditUnit = "characters"


def count_edits_in(unit: EditUnit) -> None:
    """Make ``levenshtein`` and ``damerau_levenshtein`` count in ``unit`` (the batch engine's)."""
    global _edit_unit
    if unit not in ("bytes", "characters"):
        raise ValueError(f"unknown edit unit {unit!r}")
    _edit_unit = unit


def edit_unit() -> EditUnit:
    return _edit_unit


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute), as the batch engine's ``levenshtein``."""
    if _edit_unit == "bytes":
        return int(Levenshtein.distance(a.encode(), b.encode()))
    return int(Levenshtein.distance(a, b))


def damerau_levenshtein(a: str, b: str) -> int:
    """Edit distance with transpositions of adjacent letters (unrestricted, Lowrance–Wagner), exactly
    as the batch engine's ``damerau_levenshtein``."""
    if _edit_unit == "bytes":
        return int(DamerauLevenshtein.distance(a.encode(), b.encode()))
    return int(DamerauLevenshtein.distance(a, b))


def fuzzy(a: str | None, b: str | None) -> bool:
    """One edit (a transposition counts as one), or two in long values: how clerks mistype names."""
    if a is None or b is None:
        return False
    return damerau_levenshtein(a, b) <= (2 if min(len(a), len(b)) >= 8 else 1)


def days_apart(a: str, b: str) -> int:
    return abs((date.fromisoformat(a) - date.fromisoformat(b)).days)


def same_words(a: str | None, b: str | None) -> bool:
    """The same words in another order (an address written street first or number first), as the
    batch's ``list_sort(string_split(…))`` equality: on normalised text (single spaces)."""
    return a is not None and b is not None and sorted(a.split(" ")) == sorted(b.split(" "))


def holds_words(a: str | None, b: str | None) -> bool:
    """One value is the other with words added before or after it ('HOVEA STREET' in 'HOVEA STREET 8'),
    as the batch's ``strpos(' ' || a || ' ', ' ' || b || ' ') > 0`` either way."""
    if a is None or b is None:
        return False
    wa, wb = f" {a} ", f" {b} "
    return wb in wa or wa in wb
