"""What the batch hands to PostgreSQL does not depend on how DuckDB gets there: the links file is the
one link per (record, person) the rule names, in key order, and Splink's prediction table becomes
``pred`` by a rename that leaves nothing of Splink's behind and can be repeated."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
from tests.matching.test_pure import _features, _twins

from interop.matching import batch, linkage

_SETTINGS: dict[str, Any] = {
    "comparisons": [
        {"output_column_name": "curp", "comparison_levels": [{}, {}]},
        {"output_column_name": "given", "comparison_levels": [{"tf_adjustment_column": "given_full"}, {}]},
    ]
}


def _reference(version: str, run_id: int) -> str:
    """The rule as first written: every link, then one per (record, person) — MATCH first, then the
    likelier, then the evidence."""
    evidence = linkage.evidence_sql(_SETTINGS)
    body = f"""
        SELECT split_part(a.unique_id, '|', 1), substr(a.unique_id, strpos(a.unique_id, '|') + 1),
               a.person_id, 'MATCH', 'AUTO', p.match_probability, '{version}',
               coalesce({evidence}, '{{}}'), {run_id}, coalesce(f.entidad, '00')
        FROM assigned a LEFT JOIN pred p ON p.unique_id_l = a.via_left AND p.unique_id_r = a.via_right
        LEFT JOIN feats f ON f.unique_id = a.unique_id
        UNION ALL
        SELECT split_part(v.left_id, '|', 1), substr(v.left_id, strpos(v.left_id, '|') + 1), v.person_id,
               'POSSIBLE_MATCH', 'AUTO', p.match_probability, '{version}', {evidence}, {run_id},
               coalesce(f.entidad, '00')
        FROM possible v JOIN pred p ON p.unique_id_l = v.left_id AND p.unique_id_r = v.right_id
        LEFT JOIN feats f ON f.unique_id = v.left_id
    """
    return f"""
        SELECT DISTINCT ON (c0, c1, c2) * FROM ({body}) AS l (c0, c1, c2, c3, c4, c5, c6, c7, c8, c9)
        ORDER BY c0, c1, c2, c3 = 'MATCH' DESC, c5 DESC NULLS LAST, c7
    """


def _run_tables(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    """``assigned`` (one person per record), ``pred`` and ``possible`` with the cases the rule settles:
    a review pair to the record's own person, two review pairs to one person (likelier wins; equal
    probabilities, the evidence decides), singletons with no edge."""
    rng = random.Random(seed)
    records = [f"{rng.choice(['roll', 'patients'])}|{i:05d}" for i in range(300)]
    persons = [f"p{i:04d}" for i in range(120)]
    person = {r: rng.choice(persons) for r in records}
    pred: dict[tuple[str, str], tuple[float, float, float, float | None]] = {}
    for _ in range(600):
        left, right = rng.sample(records, 2)
        probability = rng.choice([0.55, 0.7, 0.7, 0.99, 0.999])
        # Equal probabilities with different weights: the evidence breaks the tie.
        pred[(left, right)] = (
            probability,
            rng.choice([1.5, 2.5]),
            rng.uniform(-3, 9),
            rng.choice([None, 0.25]),
        )
    edges = list(pred)
    assigned = []
    for r in records:
        via = next(((a, b) for a, b in edges if r in (a, b) and rng.random() < 0.5), None)
        assigned.append((r, person[r], via[0] if via else None, via[1] if via else None))
    possible = []
    for left, right in rng.sample(edges, 250):
        target = person[left] if rng.random() < 0.2 else person[right]
        possible.append((left, right, target))
    # Two review pairs of one record to one person.
    left, right = edges[0]
    other = next(r for r in records if r not in (left, right))
    possible += [(left, right, "p-shared"), (left, other, "p-shared")]
    if (left, other) not in pred:
        pred[(left, other)] = (*pred[left, right][:1], 9.0, 1.0, None)
    con.register(
        "assigned_arrow",
        pa.table(
            {
                k: [a[i] for a in assigned]
                for i, k in enumerate(["unique_id", "person_id", "via_left", "via_right"])
            }
        ),
    )
    con.register(
        "possible_arrow",
        pa.table({k: [p[i] for p in possible] for i, k in enumerate(["left_id", "right_id", "person_id"])}),
    )
    # Each record's entidad, the partition its links go to (one without: the default partition's '00').
    entidad = {r: rng.choice(["MC", "JC", "YN", None]) for r in records}
    con.register("feats_arrow", pa.table({"unique_id": records, "entidad": [entidad[r] for r in records]}))
    rows = [(a, b, *v) for (a, b), v in pred.items()]
    names = ["unique_id_l", "unique_id_r", "match_probability", "mw_curp", "mw_given", "mw_tf_adj_given"]
    con.register("pred_arrow", pa.table({k: [r[i] for r in rows] for i, k in enumerate(names)}))
    for table in ("assigned", "possible", "pred", "feats"):
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {table}_arrow").fetchall()


def test_links_are_the_ones_the_rule_names_by_partition_in_key_order() -> None:
    con = batch.connect(Path(tempfile.mkdtemp()))
    for seed in range(8):
        _run_tables(con, seed)
        ours = con.execute(batch.links_sql(_SETTINGS, "v1", 7, scored_pairs=True)).fetchall()
        reference = con.execute(_reference("v1", 7)).fetchall()
        assert sorted(ours, key=lambda r: (r[0], r[1], r[2])) == sorted(
            reference, key=lambda r: (r[0], r[1], r[2])
        )
        # Grouped by partition (the COPY into 35 partitions), in key order within each.
        keys = [(r[9], r[0], r[1], r[2]) for r in ours]
        assert keys == sorted(keys)
        assert len({k[1:] for k in keys}) == len(keys)
        # The cases were there: a review pair to the record's own person lost to its MATCH link, and
        # a person reached by two review pairs got one link.
        assert any(r[2] == "p-shared" for r in ours)
        assert {r[9] for r in ours} == {"MC", "JC", "YN", "00"}, "each link carries its record's partition"
        assert (
            len(ours)
            < con.execute("SELECT count(*) FROM assigned").fetchall()[0][0]
            + con.execute("SELECT count(*) FROM possible").fetchall()[0][0]
        )


def test_prediction_is_renamed_into_its_table_and_repeats() -> None:
    feats = _features() + _twins()
    con = duckdb.connect()
    con.register("f_arrow", pa.Table.from_pylist([f.as_dict() for f in feats]))
    con.execute("CREATE TABLE feats AS SELECT * FROM f_arrow").fetchall()
    trained = linkage.train(con, "feats", u_max_pairs=2e5)
    scorer = linkage.Scorer(con, trained.settings, trained.tf)
    query = "SELECT unique_id_l, unique_id_r, match_weight FROM pred ORDER BY 1, 2"
    scorer.predict_all("feats", threshold=0.0, out="pred")
    first = con.execute(query).fetchall()
    scorer.predict_all("feats", threshold=0.0, out="pred")
    assert con.execute(query).fetchall() == first
    assert len(first) > 300
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    assert not [t for t in tables if "predict" in t]
