"""A comparison and its levels: the SQL the batch engine runs and the Python predicate the online scorer
runs, for one condition (``spec`` lists the model's comparisons). Pure."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from interop.matching.features import MatchFeatures

F = MatchFeatures
Predicate = Callable[[F, F], bool]


@dataclass(frozen=True, slots=True)
class Level:
    label: str
    sql: str
    test: Predicate
    null: bool = False
    tf_column: str | None = None


@dataclass(frozen=True, slots=True)
class Comparison:
    name: str
    description: str
    levels: tuple[Level, ...]

    @property
    def columns(self) -> frozenset[str]:
        """The feature columns its levels read (``x_l``, ``x_r`` in their SQL): an EM rule blocking on
        any of them fixes the comparison for that pass, as Splink does."""
        return frozenset(m for level in self.levels for m in _COLUMN.findall(level.sql))


_COLUMN = re.compile(r"\b([a-z][a-z0-9_]*)_[lr]\b")


def else_level() -> Level:
    return Level("else", "ELSE", lambda a, b: True)


def null_level(label: str, sql: str, test: Predicate) -> Level:
    return Level(label, sql, test, null=True)
