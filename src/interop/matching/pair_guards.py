"""Where the batch asks its costly rules (``batch.predict``'s ``edge``: every scored pair, ~1.2 M at 1 M):
each rule's SQL twin, as the rule's module writes it, behind a cheap condition every pair it holds meets.

In a projection DuckDB evaluates every operand of an AND or OR over every row, whatever the others gave;
a CASE branch only over the rows that reach it. The rules' SQL twins are conjunctions (a rule is read as
written beside its Python), so a costly test at their end (the look-alike rule's addresses, a word list
and a lambda per word) was worked out for every pair. Guarded here, each gives the same value on every
pair (``tests/matching/test_pair_guards.py``) and is asked of the few that can meet it. The look-alike
rules carry their own guard (``lookalike.date_anchors_nothing_sql``: same day and month, another year).
"""

from __future__ import annotations

from interop.matching.conflict import ROLL_SOURCE, names_settle_apart_sql
from interop.matching.guarded_sql import only_when


def named_sql() -> str:
    """``conflict.names_settle_apart_sql`` over a prediction row's records, asked only of pairs whose
    given names differ (it holds no other): most scored pairs share them, and its word lists and
    distances cost ~2 s of CPU at 1 M when every pair worked them out."""
    return only_when("a.given_full <> b.given_full", names_settle_apart_sql("a", "b"))


def may_settle_apart_sql(*, dates: bool) -> str:
    """What a pair ``settled_apart_sql`` holds needs: two roll records whose CURPs differ
    (``kept_apart``) or, with ``dates``, birth dates more than 400 days apart (``dates_settle_apart``),
    over features ``a`` and ``b``: the rule is asked only of those, not of every pair whose CURPs or
    birth dates differ (a CURP's slip, a day's)."""
    kept = f"(a.source = '{ROLL_SOURCE}' AND b.source = '{ROLL_SOURCE}' AND a.curp <> b.curp)"
    if not dates:
        return kept
    days = "abs(date_diff('day', TRY_CAST(a.dob AS DATE), TRY_CAST(b.dob AS DATE)))"
    return f"({kept} OR (a.dob <> b.dob AND {days} > 400))"
