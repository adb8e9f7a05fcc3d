"""The batched u estimation (``u_estimation``) gives Splink's own u values, level by level."""

from __future__ import annotations

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
from splink import DuckDBAPI, Linker
from tests.matching.test_pure import _features, _twins

from interop.matching import linkage, u_estimation


def _u_values(con: duckdb.DuckDBPyConnection, *, batched: bool, max_pairs: float) -> list[tuple[str, str, object]]:
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
