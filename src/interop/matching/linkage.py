"""Splink on DuckDB: training the model on a feature table and scoring pairs in bulk.

The only module that imports Splink. Works on a DuckDB connection holding a feature table whose
columns are ``features.FEATURE_COLUMNS``; returns plain dictionaries and DuckDB table names.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
from splink import DuckDBAPI, Linker
from splink.internals.splink_dataframe import SplinkDataFrame

from interop.matching import households, spec, training_notes, u_estimation
from interop.matching import layout as layout_rules
from interop.matching.errors import MatchRunUntrainable
from interop.matching.layout import Layout

log = logging.getLogger(__name__)
training_notes.install()


def duckdb_edit_unit() -> spec.EditUnit:
    """The unit this DuckDB counts edit distances in, asked of the engine itself: an Ñ against an N is
    one character or two bytes (DuckDB changed from bytes to characters in 2.0.1)."""
    row = duckdb.connect().execute("SELECT levenshtein('Ñ', 'N'), damerau_levenshtein('Ñ', 'N')").fetchone()
    if row == (2, 2):
        return "bytes"
    if row == (1, 1):
        return "characters"
    raise RuntimeError(f"DuckDB counts edit distances in an unknown unit: {row}")


# Every process that scores (batch or online) imports this module through the model store, so the online
# scorer follows the engine installed beside it.
spec.count_edits_in(duckdb_edit_unit())

# Splink logs every SQL step at INFO; keep it quiet unless asked.
_SPLINK_LOG_LEVEL = logging.WARNING


@dataclass(frozen=True, slots=True)
class TrainedSettings:
    settings: dict[str, Any]
    tf: dict[str, dict[str, float]]
    stats: dict[str, Any]


def _level_dict(level: spec.Level) -> dict[str, Any]:
    data: dict[str, Any] = {"sql_condition": level.sql, "label_for_charts": level.label}
    if level.null:
        data["is_null_level"] = True
    if level.tf_column:
        data["tf_adjustment_column"] = level.tf_column
        data["tf_adjustment_weight"] = 1.0
    return data


def _blocking_sql(layout: Layout | None = None) -> list[str]:
    return layout_rules.batch_blocking_sql(layout or Layout.full())


def base_settings(layout: Layout | None = None) -> dict[str, Any]:
    """The untrained Splink settings built from ``spec``, on the fields of ``layout`` (all by default)."""
    layout = layout or Layout.full()
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": [
            {
                "output_column_name": c.name,
                "comparison_description": c.description,
                "comparison_levels": [_level_dict(level) for level in c.levels],
            }
            for c in layout_rules.comparisons_for(layout)
        ],
        "blocking_rules_to_generate_predictions": _blocking_sql(layout),
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": [],
    }


def term_frequencies(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, dict[str, float]]:
    """Share of records holding each value, per term-frequency column (as Splink computes it)."""
    out: dict[str, dict[str, float]] = {}
    for column in spec.TF_COLUMNS:
        rows = con.execute(
            f"SELECT {column}, count(*) / sum(count(*)) OVER () FROM {table} "
            f"WHERE {column} IS NOT NULL GROUP BY {column}"
        ).fetchall()
        out[column] = {str(value): float(share) for value, share in rows}
    return out


def _register_tf(linker: Linker, db: DuckDBAPI, tf: dict[str, dict[str, float]]) -> None:
    con = db._con
    for column, table in tf.items():
        name = f"__interop_tf_{column}"
        values = pa.table(
            {
                column: pa.array(list(table.keys()), pa.string()),
                f"tf_{column}": pa.array(list(table.values()), pa.float64()),
            }
        )
        con.register(f"{name}_arrow", values)
        # DuckDB 2 refuses new work while a result is unfinished: every statement is fetched.
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_arrow").fetchall()
        con.unregister(f"{name}_arrow")
        linker.table_management.register_term_frequency_lookup(db.register(name), column)


def apply_priors(settings: dict[str, Any], *, u_max_pairs: float) -> dict[str, Any]:
    """Domain priors on top of EM (see ``spec.M_CAP``): caps and floors on m, in place.

    Levels that training never observed get explicit values (m at the floor; u as if seen once in
    the random sample), so the saved model is complete and both scorers read the same numbers. On
    data that cannot tell relatives apart (``layout.tells_relatives``) the given-name cap steps
    aside: there the "else" level holds typos too, and EM's m stands. On such data that shows no
    households either (``layout.relatives_rules_apply``) the caps on a shared address or place
    (``spec.HOUSEHOLD_CAPS``) step aside too: they hold a roof shared by relatives to a household's
    weight, and there is none; EM's weight stands."""
    relatives = layout_rules.model_tells_relatives(settings)
    household_caps = layout_rules.relatives_rules_apply(settings)
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            label = level.get("label_for_charts", "")
            m = float(level.get("m_probability", spec.M_FLOOR))
            u = float(level.get("u_probability", 1.0 / u_max_pairs))
            level["u_probability"] = u
            m = max(m, spec.M_FLOOR)
            if (name, label) in spec.M_CAP and (relatives or name not in spec.VETO_COMPARISONS):
                m = min(m, spec.M_CAP[(name, label)])
            cap = spec.WEIGHT_CAP.get((name, label))
            if not household_caps and name in spec.HOUSEHOLD_CAPS:
                cap = None
            if cap is not None and u > 0 and math.log2(m / u) > cap:
                m = u * 2.0**cap
            level["m_probability"] = m
    for comparison in settings["comparisons"]:
        levels = {lv.get("label_for_charts", ""): lv for lv in comparison["comparison_levels"]}
        for label, level in levels.items():
            ref = levels.get(spec.WEIGHT_AT_MOST.get((comparison["output_column_name"], label), ""))
            if ref is None:
                continue
            cap = math.log2(float(ref["m_probability"]) / float(ref["u_probability"]))
            if math.log2(level["m_probability"] / level["u_probability"]) > cap:
                level["m_probability"] = level["u_probability"] * 2.0**cap
    return settings


def train(
    con: duckdb.DuckDBPyConnection,
    table: str,
    *,
    seed: int = 42,
    u_max_pairs: float = 5e6,
    em_max_pairs: float = 1e6,
    tf: dict[str, dict[str, float]] | None = None,
    layout: Layout | None = None,
) -> TrainedSettings:
    """EM-train the model on ``table`` (features of every record, or a sample of them); term
    frequencies from ``tf`` when given (computed on the whole population), else from ``table``.
    Comparisons and rules keep to the fields of ``layout`` (all by default). Raises
    ``MatchRunUntrainable`` when no EM rule finds a pair of records (or EM fails for want of them)."""
    layout = layout or Layout.full()
    # No pair at all: saying which fields the data lacks would be false (an empty table lacks them all).
    loaded = int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    if loaded < 2:
        raise MatchRunUntrainable.said("matching.untrainable_records", count=loaded)
    reason = layout_rules.untrainable_reason(layout, em_pairs(con, table, layout))
    if reason is not None:
        raise MatchRunUntrainable.said("matching.untrainable", **reason)
    # A comparison every EM pass fixes would keep Splink's default m: weights that mean nothing (exact
    # names counted against a match, measured with no birth date in the data). Failing says so.
    fixed = layout_rules.untrained_comparisons(layout, layout_rules.em_rules(layout))
    if fixed:
        raise MatchRunUntrainable.said("matching.untrainable_fixed", **layout_rules.fixed_reason(fixed))
    db = DuckDBAPI(con)
    frame = db.register(table, table_name=f"train_{table}")
    linker = Linker(frame, base_settings(layout), log_level=_SPLINK_LOG_LEVEL)
    tf = tf if tf is not None else term_frequencies(con, table)
    _register_tf(linker, db, tf)
    prior_rules: list[str | Any] = list(layout_rules.deterministic_rules_sql(layout))
    try:
        if not prior_rules:
            raise ValueError("no deterministic rule on these fields")
        linker.training.estimate_probability_two_random_records_match(list(prior_rules), recall=0.7)
    except ValueError:
        log.warning("prior estimation failed; keeping Splink's default")
    # Splink's u estimation, every comparison counted in one pass per chunk (same values, ~1/8 the work).
    u_estimation.estimate_u(linker, max_pairs=u_max_pairs, seed=seed)
    trained_rules: list[tuple[str, ...]] = []
    tried = layout_rules.em_rules(layout)
    queue = list(tried)
    while queue:
        columns = queue.pop(0)
        # Splink's EM pass narrows the linker's own settings (the comparisons its rule fixes are taken
        # out, the prior adjusted) before it finds its rule has no pairs, and raises leaving them so:
        # a skipped rule dropped those comparisons from the saved model (measured: a roll whose records
        # never agree on all three names scored without any name). Restored on failure.
        kept = linker._settings_obj.core_model_settings.copy()  # type: ignore[no-untyped-call]
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                layout_rules.rule_sql(columns), max_pairs=em_max_pairs
            )
        except Exception as exc:  # Splink's EMTrainingException and kin: a rule with too few pairs
            linker._settings_obj.core_model_settings = kept
            log.warning("EM skipped a rule", extra={"error": type(exc).__name__})
        else:
            trained_rules.append(columns)
        if not queue:
            # A skipped rule may leave a comparison fixed in every pass that ran (measured: the roll
            # alone, too few pairs on the given name and birth date, the surnames never trained).
            queue = [c for c in layout_rules.fallback_rules(layout, trained_rules) if c not in tried]
            tried += queue
    if not trained_rules:
        raise MatchRunUntrainable.said(
            "matching.untrainable", **(layout_rules.untrainable_reason(layout, []) or {})
        )
    # The same when the passes that could free one found too few pairs to run.
    fixed = layout_rules.untrained_comparisons(layout, trained_rules)
    if fixed:
        raise MatchRunUntrainable.said("matching.untrainable_fixed", **layout_rules.fixed_reason(fixed))
    settings = linker.misc.save_model_to_json()
    if not layout_rules.tells_relatives({c.name for c in layout_rules.comparisons_for(layout)}):
        settings[layout_rules.HOUSEHOLDS_KEY] = households.shows_households(con, table)
    settings = apply_priors(settings, u_max_pairs=u_max_pairs)
    records = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0]
    stats = {
        "records": int(records[0]) if records else 0,
        "seed": seed,
        "u_max_pairs": u_max_pairs,
        "fields": layout.fields,
        "untrained_levels": untrained_levels(linker),
        "households": layout_rules.model_shows_households(settings),
    }
    return TrainedSettings(settings=settings, tf=tf, stats=stats)


def untrained_levels(linker: Linker) -> list[str]:
    """``"comparison: level"`` of each level no EM pass saw among its pairs: it keeps the prior m of
    ``apply_priors``. Splink says so in a warning per pass (silenced by ``training_notes``); this is the
    list once, after all passes."""
    out = []
    for comparison in linker._settings_obj.comparisons:
        for level in comparison.comparison_levels:
            if not level.is_null_level and not level._has_estimated_m_values:
                out.append(f"{comparison.output_column_name}: {level.label_for_charts}")
    return out


def em_pairs(con: duckdb.DuckDBPyConnection, table: str, layout: Layout) -> list[int]:
    """How many pairs of records each primary EM rule of ``layout`` finds in ``table``."""
    out = []
    for columns in layout_rules.primary_em_rules(layout):
        keys = ", ".join(columns)
        present = " AND ".join(f"{c} IS NOT NULL" for c in columns)
        row = con.execute(
            f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) AS n FROM {table} "
            f"WHERE {present} GROUP BY {keys})"
        ).fetchall()
        out.append(int(row[0][0]))
    return out


class Scorer:
    """A trained model bound to a DuckDB connection, for bulk prediction."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        settings: dict[str, Any],
        tf: dict[str, dict[str, float]],
        layout: Layout | None = None,
    ):
        self._layout = layout or Layout.full()
        self._con = con
        self._db = DuckDBAPI(con)
        self._settings = settings
        self._tf = tf
        self._n = 0

    def _linker(self, frame: SplinkDataFrame) -> Linker:
        # Blocking decides which pairs are compared, not how they score: the current rules (those
        # the online path looks candidates up by), not the ones stored with the model.
        settings = {
            **layout_rules.splink_settings(self._settings),
            "blocking_rules_to_generate_predictions": _blocking_sql(self._layout),
        }
        linker = Linker(frame, settings, log_level=_SPLINK_LOG_LEVEL)
        _register_tf(linker, self._db, self._tf)
        return linker

    def _frame(self, table: str) -> SplinkDataFrame:
        self._n += 1
        return self._db.register(table, table_name=f"in_{self._n}_{table}")

    def _materialise(self, result: SplinkDataFrame, out: str) -> str:
        # Splink's result is a table already: renamed, not copied (at 1 M a second pass over every
        # scored pair and all its columns). Splink then forgets it (its DROP finds nothing to drop).
        self._con.execute(f"DROP TABLE IF EXISTS {out}").fetchall()
        self._con.execute(f"ALTER TABLE {result.physical_name} RENAME TO {out}").fetchall()
        result.drop_table_from_database_and_remove_from_cache()
        return out

    def close(self) -> None:
        """Nothing to release: the tables live in the run's DuckDB connection."""

    def predict_all(self, table: str, *, threshold: float, out: str, chunks: int = 1) -> str:
        """Every blocked pair within ``table`` scoring at least ``threshold``."""
        linker = self._linker(self._frame(table))
        result = linker.inference.predict(
            threshold_match_probability=threshold,
            num_chunks_left=chunks,
            num_chunks_right=chunks,
            warning_mode="never",
        )
        return self._materialise(result, out)

    def predict_new(self, new: str, existing: str, *, threshold: float, out: str) -> str:
        """Pairs among the ``new`` records and between them and the ``existing`` ones."""
        new_frame = self._frame(new)
        linker = self._linker(new_frame)
        within = linker.inference.predict_within(
            new_frame, threshold_match_probability=threshold, warning_mode="never"
        )
        between = linker.inference.predict_between(
            new_frame, self._frame(existing), threshold_match_probability=threshold, warning_mode="never"
        )
        self._con.execute(
            f"CREATE OR REPLACE TABLE {out} AS SELECT * FROM {within.physical_name} "
            f"UNION ALL BY NAME SELECT * FROM {between.physical_name}"
        ).fetchall()
        within.drop_table_from_database_and_remove_from_cache()
        between.drop_table_from_database_and_remove_from_cache()
        return out


def else_weight(settings: dict[str, Any], comparison: str) -> float:
    """The match weight of a comparison's last ("else") level in a trained model."""
    levels = next(c for c in settings["comparisons"] if c["output_column_name"] == comparison)
    last = levels["comparison_levels"][-1]
    return math.log2(float(last["m_probability"]) / float(last["u_probability"]))


def evidence_sql(settings: dict[str, Any]) -> str:
    """A DuckDB expression turning a prediction row's match-weight columns into a link's evidence:
    ``{"weights": [...]}``, the match weight of each comparison (term-frequency adjustment included)
    in the order of the model's comparisons — compact, since every automatic link carries one; the
    link's ``model_version`` names the comparisons."""
    parts: list[str] = []
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        has_tf = any(lv.get("tf_adjustment_column") for lv in comparison["comparison_levels"])
        weight = f"mw_{name}" + (f" + coalesce(mw_tf_adj_{name}, 0)" if has_tf else "")
        parts.append(f"CAST(round({weight}, 3) AS VARCHAR)")
    return "'{\"weights\":[' || concat_ws(',', " + ", ".join(parts) + ") || ']}'"
