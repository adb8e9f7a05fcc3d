"""The model's SQL, written once for DuckDB (``spec``, ``layout``), said in Spark SQL. Pure.

One model definition, two engines: the Spark engine never holds a second copy of the comparisons or
the blocking rules; it translates the DuckDB settings (and a stored model's) mechanically, with
sqlglot, fixing the two places where sqlglot's Spark output is not what Spark runs:
- DuckDB's ``list_has_any`` becomes ``arrays_overlap`` (sqlglot would write the ``&&`` operator,
  which Spark does not have for arrays);
- ``string_split(x, ' ')`` becomes ``split(x, ' ')`` (a one-space regex is the same split).
The edit distances keep their names: Spark's ``levenshtein`` counts characters as DuckDB 2.0.1's does,
and ``damerau_levenshtein`` comes from the similarity jar Splink ships (unrestricted, like DuckDB's).
"""

from __future__ import annotations

import copy
from typing import Any

import sqlglot
from sqlglot import exp


def _split(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Split):
        return exp.Anonymous(this="split", expressions=[node.this, node.expression])
    return node


def _overlaps(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.ArrayOverlaps):
        return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
    return node


def to_spark(sql: str) -> str:
    """One DuckDB boolean expression (a comparison level's condition, a blocking rule) in Spark SQL."""
    if sql.strip().upper() == "ELSE":
        return sql
    tree = sqlglot.parse_one(sql, read="duckdb")
    return str(tree.transform(_split).transform(_overlaps).sql(dialect="spark"))


def spark_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """A copy of Splink settings (trained or not) whose SQL is Spark's; every number is unchanged."""
    out = copy.deepcopy(settings)
    out["sql_dialect"] = "spark"
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            level["sql_condition"] = to_spark(level["sql_condition"])
    rules = []
    for rule in out.get("blocking_rules_to_generate_predictions", []):
        if isinstance(rule, dict):
            rule = {**rule, "blocking_rule": to_spark(rule["blocking_rule"]), "sql_dialect": "spark"}
        else:
            rule = to_spark(rule)
        rules.append(rule)
    out["blocking_rules_to_generate_predictions"] = rules
    return out
