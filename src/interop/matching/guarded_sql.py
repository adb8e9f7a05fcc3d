"""Asking a costly SQL rule only where a cheap condition holds — the one spelling of it, read by the
batch's guards (``pair_guards``) and by the rules that carry their own (``lookalike``). Imports nothing,
so any rule module can use it (``lookalike`` cannot import ``pair_guards``: that imports ``conflict``,
which imports ``lookalike``)."""

from __future__ import annotations


def only_when(condition: str, rule: str) -> str:
    """``rule``, a condition that is false (never true nor null) where ``condition`` does not hold,
    worked out only on the rows where it does. In a projection DuckDB evaluates every operand of an AND
    or OR over every row, whatever the others gave; a CASE branch only over the rows that reach it."""
    return f"CASE WHEN {condition} THEN {rule} ELSE false END"
