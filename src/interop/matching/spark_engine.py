"""Splink on Spark: scoring a run's pairs where one machine is not enough.

The only module that imports pyspark (the optional extra ``interop[spark]``; Java 17+ beside it). It
scores with the same trained model as the DuckDB engine: the settings are translated by ``spark_sql``,
never written twice. Records cross to Spark as Parquet partitioned by entidad (written by DuckDB from
the run's feature tables), predictions come back as Parquet that DuckDB reads: nothing the size of the
population, nor of the pairs, passes through Python.

One SparkSession per process (``session``): starting the JVM takes seconds, and a worker process runs
many runs. Its master comes from settings (``INTEROP_SPARK_MASTER``: ``local[*]`` by default,
``spark://host:7077`` or ``k8s://…`` for a cluster, whose executors must then see ``workdir``: put it
on shared storage with ``INTEROP_SPARK_WORKDIR``).
"""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from interop.matching import layout as layout_rules
from interop.matching.features import FEATURE_COLUMNS
from interop.matching.layout import Layout
from interop.matching.spark_sql import spark_settings

log = logging.getLogger(__name__)

_SPLINK_LOG_LEVEL = logging.WARNING
_lock = threading.Lock()


class SparkUnavailable(RuntimeError):
    """pyspark or Java is missing: the Spark engine cannot start."""


def session(
    *, master: str = "local[*]", driver_memory: str = "2g", shuffle_partitions: int = 16, conf: dict[str, str]
) -> Any:
    """The process's SparkSession, started on first use with Splink's similarity functions on the
    classpath (``damerau_levenshtein``)."""
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise SparkUnavailable(
            "el motor spark necesita pyspark (pip install 'interop[spark]') / the spark engine needs "
            "pyspark (pip install 'interop[spark]')"
        ) from exc
    with _lock:
        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        builder = (
            SparkSession.builder.master(master)
            .appName("interop-match")
            .config("spark.jars", similarity_jar_location())
            .config("spark.driver.memory", driver_memory)
            .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
        )
        for key, value in conf.items():
            builder = builder.config(key, value)
        try:
            spark = builder.getOrCreate()
        except Exception as exc:  # Java missing or refusing to start: say so, without the JVM's noise
            raise SparkUnavailable(
                f"no se pudo iniciar Spark ({type(exc).__name__}); ¿está Java 17 instalado? / "
                f"Spark could not start ({type(exc).__name__}); is Java 17 installed?"
            ) from None
        spark.sparkContext.setLogLevel("ERROR")
        return spark


def stop_session() -> None:
    from pyspark.sql import SparkSession

    with _lock:
        active = SparkSession.getActiveSession()
        if active is not None:
            active.stop()


def _feature_select() -> str:
    return ", ".join(FEATURE_COLUMNS)


class SparkScorer:
    """A trained model bound to a SparkSession, with the same two calls as ``linkage.Scorer``: input
    and output tables are the run's DuckDB tables; the pairs are generated and scored on Spark."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        spark: Any,
        settings: dict[str, Any],
        tf: dict[str, dict[str, float]],
        *,
        workdir: Path,
        layout: Layout | None = None,
    ):
        from splink import SparkAPI

        self._con = con
        self._spark = spark
        self._layout = layout or Layout.full()
        self._dir = workdir / "spark"
        self._dir.mkdir(parents=True, exist_ok=True)
        spark.sparkContext.setCheckpointDir(str(self._dir / "checkpoints"))
        self._db = SparkAPI(spark_session=spark, break_lineage_method="parquet")  # type: ignore[no-untyped-call]
        # Blocking decides which pairs are compared (the current rules, as in ``linkage.Scorer``).
        self._settings = spark_settings(
            {
                **layout_rules.splink_settings(settings),
                "blocking_rules_to_generate_predictions": layout_rules.batch_blocking_sql(self._layout),
            }
        )
        self._tf = tf
        self._n = 0
        # Temporary views live as long as the session (a worker's many runs): names unique per scorer.
        self._tag = secrets.token_hex(4)

    def _to_spark(self, table: str) -> Any:
        """``table`` (DuckDB) as Parquet partitioned by entidad, read back by Spark."""
        self._n += 1
        path = self._dir / f"in_{self._n}_{table}"
        self._con.execute(
            f"COPY (SELECT {_feature_select()}, coalesce(entidad, '_') AS part FROM {table}) "
            f"TO '{path}' (FORMAT parquet, PARTITION_BY (part), OVERWRITE_OR_IGNORE)"
        ).fetchall()
        frame = self._spark.read.parquet(str(path)).select(*FEATURE_COLUMNS)
        return self._db.register(frame, table_name=f"in_{self._tag}_{self._n}_{table}")

    def _register_tf(self, linker: Any) -> None:
        self._n += 1
        for column, shares in self._tf.items():
            path = self._dir / f"tf_{column}.parquet"
            if not path.exists():
                pq.write_table(
                    pa.table(
                        {
                            column: pa.array(list(shares.keys()), pa.string()),
                            f"tf_{column}": pa.array(list(shares.values()), pa.float64()),
                        }
                    ),
                    path,
                )
            frame = self._spark.read.parquet(str(path))
            linker.table_management.register_term_frequency_lookup(
                self._db.register(frame, table_name=f"__interop_tf_{self._tag}_{self._n}_{column}"), column
            )

    def _linker(self, frame: Any) -> Any:
        from splink import Linker

        linker = Linker(frame, self._settings, log_level=_SPLINK_LOG_LEVEL)
        self._register_tf(linker)
        return linker

    def _back(self, results: list[Any], out: str) -> str:
        """Spark's predictions, written as Parquet by the executors, into DuckDB table ``out``."""
        reads = []
        for result in results:
            self._n += 1
            path = self._dir / f"pred_{self._n}"
            result.as_spark_dataframe().write.mode("overwrite").parquet(str(path))
            reads.append(f"SELECT * FROM read_parquet('{path}/*.parquet')")
        self._con.execute(f"CREATE OR REPLACE TABLE {out} AS " + " UNION ALL BY NAME ".join(reads)).fetchall()
        return out

    def close(self) -> None:
        """Forget the run's views and delete its Parquet (records of people: not left on shared storage)."""
        # Splink's intermediate views too (runs are one at a time: they share a queue key).
        for name in self._spark.catalog.listTables():
            if name.isTemporary and (self._tag in name.name or name.name.startswith("__splink__")):
                self._spark.catalog.dropTempView(name.name)
        shutil.rmtree(self._dir, ignore_errors=True)

    def predict_all(self, table: str, *, threshold: float, out: str, chunks: int = 1) -> str:
        """Every blocked pair within ``table`` scoring at least ``threshold``."""
        linker = self._linker(self._to_spark(table))
        result = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
        return self._back([result], out)

    def predict_new(self, new: str, existing: str, *, threshold: float, out: str) -> str:
        """Pairs among the ``new`` records and between them and the ``existing`` ones."""
        new_frame = self._to_spark(new)
        linker = self._linker(new_frame)
        within = linker.inference.predict_within(
            new_frame, threshold_match_probability=threshold, warning_mode="never"
        )
        between = linker.inference.predict_between(
            new_frame, self._to_spark(existing), threshold_match_probability=threshold, warning_mode="never"
        )
        return self._back([within, between], out)
