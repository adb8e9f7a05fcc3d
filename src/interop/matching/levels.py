"""A comparison and its levels: the SQL the batch engine runs and the Python predicate the online scorer
runs, for one condition (``spec`` lists the model's comparisons). Pure."""

from __future__ import annotations

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


def else_level() -> Level:
    return Level("else", "ELSE", lambda a, b: True)


def null_level(label: str, sql: str, test: Predicate) -> Level:
    return Level(label, sql, test, null=True)
