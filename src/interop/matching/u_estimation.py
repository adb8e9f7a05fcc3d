"""Splink's u estimation by random sampling, with every comparison counted in one pass per chunk.

Splink 5 (``splink.internals.estimate_u.estimate_u_values``) counts each comparison on its own: a probe
chunk (1 % of the pairs), then up to ten chunks until every level of that comparison has been seen
``min_count_per_level`` times. Each chunk rebuilds the cartesian product of the whole sample (about ten
million pairs for 5 M kept) to compare one field. Levels that random pairs almost never show (one CURP
edit, a name swapped with a surname) never reach the count, so every comparison runs all ten chunks:
the product was built 88 times.

Here each chunk's query counts every comparison still short of the minimum (11 passes; the CPU saved
is the products' alone, ~2 s of a 300 k-record training's ~42 s: the edit distances per pair are the
same work), and each comparison stops where Splink's loop would stop it (same sample, same chunks,
same probe, same counts), so the u values are Splink's to the last bit
(``tests/matching/test_training_repeatable.py`` compares the two). Built on Splink's own pieces;
written against splink 5.0 (pinned ``>=5,<6``).
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from splink import Linker
from splink.internals.constants import LEVEL_NOT_OBSERVED_TEXT
from splink.internals.estimate_u import (
    _estimate_u_comparison_vector_sqls,
    _MUCountsAccumulator,
    _rows_needed_for_n_pairs,
)
from splink.internals.expectation_maximisation import (
    compute_new_parameters_sql,
    compute_proportions_for_new_parameters,
)
from splink.internals.m_u_records_to_parameters import (
    append_u_probability_to_comparison_level_trained_probabilities,
    m_u_records_to_lookup_dict,
)
from splink.internals.misc import ascii_uid
from splink.internals.pipeline import CTEPipeline
from splink.internals.settings import Settings
from splink.internals.vertically_concatenate import enqueue_df_concat

_PROBE_MULTIPLIER = 10  # Splink's: the probe is chunk 1 of ten times as many


def estimate_u(
    linker: Linker, *, max_pairs: float, seed: int, min_count_per_level: int = 100, num_chunks: int = 10
) -> None:
    """``linker.training.estimate_u_using_random_sampling`` for a ``dedupe_only`` model, with the same
    result in fewer passes over the sample."""
    original = linker._settings_obj
    if original._link_type != "dedupe_only":
        raise ValueError("batched u estimation covers dedupe_only models")
    training: Linker = deepcopy(linker)
    settings = training._settings_obj
    settings._retain_matching_columns = False
    settings._retain_intermediate_calculation_columns = False
    for comparison in settings.comparisons:
        for level in comparison.comparison_levels:
            level._tf_adjustment_column = None
    db_api = training._db_api

    pipeline = enqueue_df_concat(linker, CTEPipeline())
    pipeline.enqueue_sql("select count(*) as count from __splink__df_concat", "__splink__df_concat_count")
    count_frame = db_api.sql_pipeline_to_splink_dataframe(pipeline)
    total_nodes = count_frame.as_record_list()[0]["count"]
    count_frame.drop_table_from_database_and_remove_from_cache()
    proportion = min(_rows_needed_for_n_pairs(max_pairs) / total_nodes, 1.0)  # type: ignore[no-untyped-call]

    pipeline = enqueue_df_concat(training, CTEPipeline())
    uid_cols = settings.column_info_settings.unique_id_input_columns
    sample_filter = training._proportion_sample_sql(proportion, uid_cols, seed=seed)
    pipeline.enqueue_sql(
        f"select * from __splink__df_concat where 1=1 {sample_filter}", "__splink__df_concat_sample"
    )
    sample = db_api.sql_pipeline_to_splink_dataframe(pipeline)

    comparisons = list(settings.comparisons)
    counts = {i: _MUCountsAccumulator(c) for i, c in enumerate(comparisons)}

    def run_chunk(which: list[int], chunk: tuple[int, int]) -> list[int]:
        """Add chunk ``chunk`` of the pairs to the counts of comparisons ``which``; those now done."""
        common: list[str] = []
        for uid_column in uid_cols:
            common.extend(uid_column.l_r_names_as_l_r)
        blocking_cols = list(common)
        for i in which:
            for col in comparisons[i]._columns_to_select_for_blocking():  # type: ignore[no-untyped-call]
                if col not in blocking_cols:
                    blocking_cols.append(col)
        cv_cols = Settings.columns_to_select_for_comparison_vector_values(
            unique_id_input_columns=uid_cols,
            comparisons=[comparisons[i] for i in which],
            retain_matching_columns=False,
            additional_columns_to_retain=[],
        )
        chunk_pipeline = CTEPipeline(input_dataframes=[sample])
        chunk_pipeline.enqueue_list_of_sqls(
            _estimate_u_comparison_vector_sqls(
                db_api=db_api,
                input_tablename_l="__splink__df_concat_sample",
                input_tablename_r="__splink__df_concat_sample",
                link_type=settings._link_type,
                source_dataset_input_column=settings.column_info_settings.source_dataset_input_column,
                unique_id_input_column=settings.column_info_settings.unique_id_input_column,
                blocking_cols=blocking_cols,
                cv_cols=cv_cols,
                rhs_chunk_num=chunk[0],
                rhs_num_chunks=chunk[1],
            )
        )
        chunk_pipeline.enqueue_sql(
            "select *, cast(0.0 as float8) as match_probability from __splink__df_comparison_vectors",
            "__splink__df_predict",
        )
        chunk_pipeline.enqueue_sql(
            compute_new_parameters_sql(
                estimate_without_term_frequencies=False, comparisons=[comparisons[i] for i in which]
            ),
            "__splink__m_u_counts",
        )
        frame = db_api.sql_pipeline_to_splink_dataframe(chunk_pipeline)
        try:
            rows = frame.as_record_list()
        finally:
            frame.drop_table_from_database_and_remove_from_cache()
        done = []
        for i in which:
            name = comparisons[i].output_column_name
            counts[i].update_from_chunk_counts([r for r in rows if r["output_column_name"] == name])
            if counts[i].all_levels_meet_min_u_count(min_count_per_level):
                done.append(i)
        return done

    pending = list(range(len(comparisons)))
    if num_chunks > 1:
        probed = set(run_chunk(pending, (1, num_chunks * _PROBE_MULTIPLIER)))
        pending = [i for i in pending if i not in probed]
        for i in pending:  # Splink starts these over with normal chunking
            counts[i] = _MUCountsAccumulator(comparisons[i])
    for chunk in range(1, num_chunks + 1):
        if not pending:
            break
        finished = set(run_chunk(pending, (chunk, num_chunks)))
        pending = [i for i in pending if i not in finished]

    for i in range(len(comparisons)):
        _apply(db_api, counts[i], original.comparisons[i])
    sample.drop_table_from_database_and_remove_from_cache()
    # What ``estimate_u_using_random_sampling`` does after the estimation (Splink leaves these untyped).
    linker._populate_m_u_from_trained_values()  # type: ignore[no-untyped-call]
    linker._settings_obj._columns_without_estimated_parameters_message()  # type: ignore[no-untyped-call]


def _apply(db_api: Any, counts: _MUCountsAccumulator, original: Any) -> None:
    """Splink's last step for one comparison: counts to u probabilities on the linker's settings."""
    records = counts.to_record_list()
    frame = db_api.register(records, table_name=f"__splink__aggregated_m_u_counts_{ascii_uid(8)}")
    params = compute_proportions_for_new_parameters(frame)
    frame.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
    observed = {int(r["comparison_vector_value"]): float(r["u_count"]) for r in records}
    for r in params:
        if observed.get(int(r["comparison_vector_value"]), 0.0) == 0.0:
            r["u_probability"] = LEVEL_NOT_OBSERVED_TEXT
    lookup = m_u_records_to_lookup_dict(params)
    for level in original._comparison_levels_excluding_null:
        append_u_probability_to_comparison_level_trained_probabilities(
            level, lookup, original.output_column_name, "estimate u by random sampling"
        )
