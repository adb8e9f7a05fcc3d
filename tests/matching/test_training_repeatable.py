"""Training gives the same model every time: the batched u estimation (``u_estimation``) gives
Splink's own u values, and the training sample does not depend on the order of the records."""

from __future__ import annotations

import math
import random

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from splink import DuckDBAPI, Linker
from tests.matching.test_pure import _features, _twins

from interop.matching import batch, linkage, u_estimation


def _u_values(
    con: duckdb.DuckDBPyConnection, *, batched: bool, max_pairs: float
) -> list[tuple[str, str, object]]:
    db = DuckDBAPI(con)
    linker = Linker(db.register("feats"), linkage.base_settings(), log_level=linkage._SPLINK_LOG_LEVEL)
    if batched:
        u_estimation.estimate_u(linker, max_pairs=max_pairs, seed=42)
    else:
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=42)
    settings = linker.misc.save_model_to_json()
    return [
        (c["output_column_name"], level.get("label_for_charts", ""), level.get("u_probability"))
        for c in settings["comparisons"]
        for level in c["comparison_levels"]
        if not level.get("is_null_level")
    ]


def test_batched_u_estimation_gives_splinks_u_values() -> None:
    feats = _features() + _twins()
    con = duckdb.connect()
    con.register("f_arrow", pa.Table.from_pylist([f.as_dict() for f in feats]))
    con.execute("CREATE TABLE feats AS SELECT * FROM f_arrow").fetchall()
    # Small enough that some comparisons stop at the probe, some after a few chunks, some never.
    for max_pairs in (2e4, 2e5):
        ours = _u_values(con, batched=True, max_pairs=max_pairs)
        splinks = _u_values(con, batched=False, max_pairs=max_pairs)
        assert ours == splinks
        assert any(isinstance(u, float) for _, _, u in ours)


def _levels(settings: dict[str, object]) -> list[tuple[str, str, float, float]]:
    return [
        (c["output_column_name"], lv.get("label_for_charts", ""), lv["m_probability"], lv["u_probability"])
        for c in settings["comparisons"]  # type: ignore[attr-defined]
        for lv in c["comparison_levels"]
        if not lv.get("is_null_level")
    ]


def test_two_trainings_of_the_same_records_give_one_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The records arrive in another order (as DuckDB's threads write ``feats``): same sample, same
    model (EM's sums may differ in the last bits, nothing more)."""
    monkeypatch.setattr(batch, "TRAIN_SAMPLE_ROWS", 500)  # a sample smaller than the records
    feats = [f.as_dict() for f in _features() + _twins()]
    models = []
    for order in (1, 2):
        rows = list(feats)
        random.Random(order).shuffle(rows)
        con = duckdb.connect()
        con.register("f_arrow", pa.Table.from_pylist(rows))
        con.execute("CREATE TABLE feats AS SELECT * FROM f_arrow").fetchall()
        models.append(_levels(batch.train_model(con).settings))
    assert [(c, lv) for c, lv, _, _ in models[0]] == [(c, lv) for c, lv, _, _ in models[1]]
    for (_, _, m0, u0), (_, _, m1, u1) in zip(*models, strict=True):
        assert math.isclose(m0, m1, rel_tol=1e-9)
        assert math.isclose(u0, u1, rel_tol=1e-9)
