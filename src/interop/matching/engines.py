"""The seam between a batch run and the engine that scores its pairs: DuckDB in this process, or
Splink's Spark backend. Both take the run's DuckDB feature tables and leave Splink's predictions in a
DuckDB table; features, assignment and writing back are the same code whatever the engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol, get_args

import duckdb

from interop.config import Settings
from interop.matching.errors import MatchEngineUnavailable
from interop.matching.layout import Layout
from interop.matching.linkage import Scorer

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = get_args(Engine)


class PairScorer(Protocol):
    """What ``batch.predict`` needs of an engine (``linkage.Scorer``, ``spark_engine.SparkScorer``)."""

    def predict_all(self, table: str, *, threshold: float, out: str, chunks: int = 1) -> str: ...

    def predict_new(self, new: str, existing: str, *, threshold: float, out: str) -> str: ...

    def close(self) -> None: ...


def scorer(
    engine: str,
    con: duckdb.DuckDBPyConnection,
    *,
    settings: Settings,
    model_settings: dict[str, object],
    tf: dict[str, dict[str, float]],
    layout: Layout,
    workdir: Path,
) -> PairScorer:
    """The scorer of ``engine`` for one run, with the trained model's settings and term frequencies."""
    if engine == "duckdb":
        return Scorer(con, dict(model_settings), tf, layout)
    if engine == "spark":
        try:
            from interop.matching import spark_engine
        except ImportError as exc:
            raise MatchEngineUnavailable.said("matching.engine_needs_pyspark") from exc
        try:
            spark = spark_engine.session(
                master=settings.spark_master,
                driver_memory=settings.spark_driver_memory,
                shuffle_partitions=settings.spark_shuffle_partitions,
                conf=settings.spark_conf,
            )
        except spark_engine.SparkUnavailable as exc:
            raise MatchEngineUnavailable(str(exc)) from None
        return spark_engine.SparkScorer(
            con,
            spark,
            dict(model_settings),
            tf,
            workdir=settings.spark_workdir / workdir.name if settings.spark_workdir else workdir,
            layout=layout,
        )
    raise MatchEngineUnavailable.said("matching.engine_unknown", engine=engine, engines=", ".join(ENGINES))
