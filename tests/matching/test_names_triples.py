"""The batch's candidate triples for ``conflict.names_of_another`` (``clustering._names_triples``) are the
rows ``conflict.names_of_another_sql`` holds either way round over every pair it would link and every
record — however the query gets there (it reads only the pairs whose given names differ, once)."""

from __future__ import annotations

import random

import duckdb
import pytest

from interop.matching.clustering import _names_triples
from interop.matching.conflict import names_of_another_sql

_GIVEN = ["JUAN", "JUAN CARLOS", "MARIA", "MARIA JOSE", None]
_AP1 = ["PEREZ", "LOPEZ", None]
_PLACES = ["LEON", "LEÓN", "leon", "SALAMANCA", None]


def _reference(con: duckdb.DuckDBPyConnection, threshold: float) -> set[tuple[str, str, str]]:
    rows = con.execute(
        f"""
        SELECT e.l, e.r, x.unique_id FROM edge e
        JOIN feats a ON a.unique_id = e.l JOIN feats b ON b.unique_id = e.r
        JOIN feats x ON {names_of_another_sql("a", "b", "x")}
        WHERE e.p >= ? AND e.linkable
        UNION
        SELECT e.l, e.r, x.unique_id FROM edge e
        JOIN feats a ON a.unique_id = e.l JOIN feats b ON b.unique_id = e.r
        JOIN feats x ON {names_of_another_sql("b", "a", "x")}
        WHERE e.p >= ? AND e.linkable
        """,
        [threshold, threshold],
    ).fetchall()
    return {(r[0], r[1], r[2]) for r in rows}


@pytest.mark.parametrize("seed", range(5))
def test_the_triples_are_those_the_rule_reads(seed: int) -> None:
    rnd = random.Random(seed)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE feats (unique_id VARCHAR, given_full VARCHAR, ap1 VARCHAR, municipio VARCHAR, "
        "localidad VARCHAR)"
    )
    ids = [f"roll|{i}" for i in range(80)]
    con.executemany(
        "INSERT INTO feats VALUES (?, ?, ?, ?, ?)",
        [[u, rnd.choice(_GIVEN), rnd.choice(_AP1), rnd.choice(_PLACES), rnd.choice(_PLACES)] for u in ids],
    )
    con.execute("CREATE TABLE edge (l VARCHAR, r VARCHAR, p DOUBLE, linkable BOOLEAN)")
    pairs = {tuple(sorted(rnd.sample(ids, 2))) for _ in range(400)}
    con.executemany(
        "INSERT INTO edge VALUES (?, ?, ?, ?)",
        [[left, right, rnd.choice([0.5, 0.99, 0.999]), rnd.random() < 0.8] for left, right in pairs],
    )
    expected = _reference(con, 0.99)
    assert expected  # the data holds some, or the test says nothing
    found = _names_triples(con, auto_threshold=0.99)
    assert len(found) == len(set(found))
    assert set(found) == expected
    assert "names_pair" not in {r[0] for r in con.execute("SHOW TABLES").fetchall()}
