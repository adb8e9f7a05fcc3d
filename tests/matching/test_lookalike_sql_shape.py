"""The look-alike rule's SQL twin asks the nickname table once per pair (session 15, ``struct15``). The
rule's values are tested elsewhere (``test_settled_apart``, ``test_years_apart``, ``test_pair_guards``);
this is its shape."""

from __future__ import annotations

from interop.matching.lookalike import names_by_nickname_sql, relatives_lookalike_sql


def test_the_relatives_rule_asks_the_nickname_table_once() -> None:
    """The nickname table is an IN list of every pair it holds: written twice, each pair reaching the
    rule worked it out twice (session 14's closing note). Main before ``struct15``: 2."""
    assert relatives_lookalike_sql("a", "b").count(names_by_nickname_sql("a", "b")) == 1
