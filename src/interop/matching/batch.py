"""The DuckDB side of a batch run: features from the exported records, training, bulk prediction.

Synchronous (DuckDB blocks); ``runs`` calls it in a worker thread. Every statement is fetched to the
end, since DuckDB 2 refuses new work while a result is unfinished.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from interop.matching import linkage, spec
from interop.matching.conflict import settled_apart_sql
from interop.matching.engines import PairScorer
from interop.matching.features import (
    FEATURE_COLUMNS,
    MAX_ADDRESS_CHARS,
    MatchFeatures,
    given_parts,
    matching_curp_sql,
    surname_parts,
)
from interop.matching.given_names import slip_at_a_space_sql
from interop.matching.layout import OPTIONAL_COLUMNS, Layout, relatives_rules_apply, tells_relatives
from interop.matching.lookalike import date_anchors_nothing_sql
from interop.matching.pair_guards import may_settle_apart_sql, named_sql
from interop.matching.record_columns import pkey_of

TRAIN_SAMPLE_ROWS = 300_000

_DIGEST_COLUMNS = [c for c in FEATURE_COLUMNS if c not in ("unique_id", "source", "record_id")]


def connect(workdir: Path, *, memory_limit: str = "6GB", threads: int = 2) -> duckdb.DuckDBPyConnection:
    # In memory: spilling to ``temp_directory`` covers what does not fit, without a WAL to write.
    con = duckdb.connect()
    run(con, f"SET memory_limit = '{memory_limit}'")
    run(con, f"SET threads = {threads}")
    run(con, f"SET temp_directory = '{workdir / 'spill'}'")
    run(con, "SET preserve_insertion_order = false")
    return con


def run(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return con.execute(sql, params or []).fetchall()


def _name_maps(con: duckdb.DuckDBPyConnection) -> None:
    givens = [r[0] for r in run(con, "SELECT DISTINCT given_norm FROM src WHERE given_norm IS NOT NULL")]
    rows: dict[str, list[Any]] = {"norm": [], "full": [], "main": [], "rest": [], "ph": []}
    for value in givens:
        parts = given_parts(value)
        if parts is None:
            continue
        for key, item in zip(rows, (value, parts.full, parts.main, parts.rest, parts.phonetic), strict=True):
            rows[key].append(item)
    con.register("given_arrow", pa.table(rows, schema=pa.schema([(k, pa.string()) for k in rows])))
    run(con, "CREATE OR REPLACE TABLE given_map AS SELECT * FROM given_arrow")
    con.unregister("given_arrow")
    surnames = [
        r[0]
        for r in run(
            con,
            "SELECT paternal_norm FROM src WHERE paternal_norm IS NOT NULL "
            "UNION SELECT maternal_norm FROM src WHERE maternal_norm IS NOT NULL",
        )
    ]
    srows: dict[str, list[Any]] = {"norm": [], "key": [], "ph": []}
    for value in surnames:
        sparts = surname_parts(value)
        if sparts is None:
            continue
        for key, item in zip(srows, (value, sparts.key, sparts.phonetic), strict=True):
            srows[key].append(item)
    con.register("surname_arrow", pa.table(srows, schema=pa.schema([(k, pa.string()) for k in srows])))
    run(con, "CREATE OR REPLACE TABLE surname_map AS SELECT * FROM surname_arrow")
    con.unregister("surname_arrow")


# The columns of the records file ``build_features`` reads (``identity_record``'s, as ``runs`` exports them).
RECORD_COLUMNS: tuple[str, ...] = (
    "source",
    "record_pk",
    "record_id",
    "patient_id",
    "curp",
    "curp_trusted",
    "curp16_computed",
    "given_norm",
    "paternal_norm",
    "maternal_norm",
    "fecha_nacimiento",
    "sexo",
    "entidad",
    "municipio",
    "localidad",
    "domicilio",
)


def build_features(con: duckdb.DuckDBPyConnection, records_csv: Path) -> int:
    """``feats``: one row per current source record in comparison form, with its digest."""
    run(
        con,
        f"CREATE OR REPLACE TABLE src AS SELECT * FROM read_csv('{records_csv}', header = true, "
        "all_varchar = true)",
    )
    _name_maps(con)
    curp_sql = matching_curp_sql(
        "s.curp",
        "s.curp_trusted IN ('t', 'true')",
        "nullif(s.fecha_nacimiento, '')",
        "nullif(upper(trim(s.sexo)), '')",
    )
    digest = "md5(concat_ws('|', " + ", ".join(f"coalesce({c}, '')" for c in _DIGEST_COLUMNS) + "))"
    run(
        con,
        f"""
        CREATE OR REPLACE TABLE feats AS
        WITH f AS (
          SELECT s.source || '|' || s.record_id AS unique_id, s.source, s.record_id,
                 {curp_sql} AS curp,
                 s.curp16_computed AS curp16_calc,
                 g.full AS given_full, g.main AS given_main, g.rest AS given_rest,
                 p.key AS ap1, m.key AS ap2, g.ph AS ph_given, p.ph AS ph_ap1, m.ph AS ph_ap2,
                 nullif(s.fecha_nacimiento, '') AS dob,
                 nullif(upper(trim(s.sexo)), '') AS sexo,
                 nullif(upper(trim(s.entidad)), '') AS entidad,
                 nullif(upper(trim(s.municipio)), '') AS municipio,
                 nullif(upper(trim(s.localidad)), '') AS localidad,
                 nullif(rtrim(left(trim(regexp_replace(upper(strip_accents(coalesce(s.domicilio, ''))),
                        '[^A-Z0-9]+', ' ', 'g')), {MAX_ADDRESS_CHARS})), '') AS domicilio,
                 s.record_pk, s.patient_id
          FROM src s
          LEFT JOIN given_map g ON g.norm = s.given_norm
          LEFT JOIN surname_map p ON p.norm = s.paternal_norm
          LEFT JOIN surname_map m ON m.norm = s.maternal_norm
        ), c AS (
          SELECT unique_id, source, record_id, curp, substr(curp, 1, 16) AS curp16, curp16_calc,
                 given_full, given_main, given_rest, ap1, ap2, ph_given, ph_ap1, ph_ap2,
                 dob, substr(dob, 1, 4) AS dob_year, substr(dob, 6, 5) AS dob_md,
                 sexo, entidad, municipio, localidad, domicilio, record_pk, patient_id
          FROM f
        )
        SELECT *, {digest} AS feature_digest FROM c
        """,
    )
    # The raw rows and name maps are in ``feats`` now; what the run holds in memory is what it needs.
    for table in ("src", "given_map", "surname_map"):
        run(con, f"DROP TABLE {table}")
    return int(run(con, "SELECT count(*) FROM feats")[0][0])


def load_previous(con: duckdb.DuckDBPyConnection, previous_csv: Path) -> None:
    run(
        con,
        f"CREATE OR REPLACE TABLE prev AS SELECT source || '|' || record_id AS unique_id, feature_digest, "
        f"person_id FROM read_csv('{previous_csv}', header = true, columns = {{'source': 'VARCHAR', "
        "'record_id': 'VARCHAR', 'feature_digest': 'VARCHAR', 'person_id': 'VARCHAR'})",
    )


def mark_changed(con: duckdb.DuckDBPyConnection, *, everything: bool) -> int:
    """``scored``: the records this run scores — new or changed ones, or all of them."""
    if everything:  # a view, not a second copy of every record's features
        run(con, "CREATE OR REPLACE VIEW scored AS SELECT * FROM feats")
        run(con, "CREATE OR REPLACE TABLE unscored AS SELECT * FROM feats LIMIT 0")
        return int(run(con, "SELECT count(*) FROM scored")[0][0])
    run(
        con,
        "CREATE OR REPLACE TABLE scored AS SELECT f.* FROM feats f LEFT JOIN prev p USING (unique_id) "
        "WHERE p.unique_id IS NULL OR p.feature_digest <> f.feature_digest",
    )
    run(con, "CREATE OR REPLACE TABLE unscored AS SELECT * FROM feats ANTI JOIN scored USING (unique_id)")
    return int(run(con, "SELECT count(*) FROM scored")[0][0])


def _feature_view(con: duckdb.DuckDBPyConnection, table: str) -> str:
    view = f"{table}_features"
    run(con, f"CREATE OR REPLACE VIEW {view} AS SELECT {', '.join(FEATURE_COLUMNS)} FROM {table}")
    return view


def layout_of(con: duckdb.DuckDBPyConnection) -> Layout:
    """The optional columns that at least one record of ``feats`` holds."""
    counts = ", ".join(f"count({c})" for c in OPTIONAL_COLUMNS)
    row = run(con, f"SELECT {counts} FROM feats")[0]
    return Layout(frozenset(c for c, n in zip(OPTIONAL_COLUMNS, row, strict=True) if n))


def train_model(
    con: duckdb.DuckDBPyConnection, *, seed: int = 42, layout: Layout | None = None
) -> linkage.TrainedSettings:
    """Train on a sample of ``feats``, on the fields of ``layout``; term frequencies come from all
    of them. Raises ``MatchRunUntrainable`` when the records give EM nothing to learn from."""
    # The sample is a function of the records and the seed (a hash of each record's id), not of the
    # order DuckDB's threads wrote ``feats`` in: a reservoir sample is repeatable on one thread only,
    # and two retrains of the same records gave two models.
    run(
        con,
        f"CREATE OR REPLACE TABLE train_sample AS SELECT {', '.join(FEATURE_COLUMNS)} FROM feats "
        f"ORDER BY hash(unique_id, {int(seed)}), unique_id LIMIT {int(TRAIN_SAMPLE_ROWS)}",
    )
    tf = linkage.term_frequencies(con, "feats")
    trained = linkage.train(con, "train_sample", seed=seed, tf=tf, layout=layout)
    run(con, "DROP TABLE train_sample")
    return trained


def predict(
    con: duckdb.DuckDBPyConnection,
    *,
    settings: dict[str, Any],
    tf: dict[str, dict[str, float]],
    threshold: float,
    incremental: bool,
    layout: Layout | None = None,
    scorer: PairScorer | None = None,
) -> int:
    """Score the ``scored`` records (among themselves, and against ``unscored`` when incremental) into
    ``pred`` (Splink's rows) and ``edge``: each pair's records, weight and probability, whether it may
    be linked automatically, whether a rule settles it as two people (``apart``, ``apart_sql``), whether
    its given names may (``named``: ``conflict.names_settle_apart_sql``, judged by the assigning step), and
    ``k``, its rank in the order assignment takes edges. Returns the number of pairs. ``scorer`` is
    the engine's (``engines.scorer``); DuckDB's by default."""
    scorer = scorer or linkage.Scorer(con, settings, tf, layout)
    n = int(run(con, "SELECT count(*) FROM scored")[0][0])
    if n == 0:
        run(
            con,
            "CREATE OR REPLACE TABLE edge (l VARCHAR, r VARCHAR, w DOUBLE, p DOUBLE, linkable BOOLEAN, "
            "apart BOOLEAN, named BOOLEAN, k BIGINT)",
        )
        return 0
    if incremental:
        existing = int(run(con, "SELECT count(*) FROM unscored")[0][0])
        if existing:
            scorer.predict_new(
                _feature_view(con, "scored"), _feature_view(con, "unscored"), threshold=threshold, out="pred"
            )
        else:
            incremental = False
    if not incremental:
        chunks = 1
        scorer.predict_all(_feature_view(con, "scored"), threshold=threshold, out="pred", chunks=chunks)
    # Weights are rounded to 1e-9 (far below any threshold) so that engines whose floating-point sums
    # differ in the last bits still take edges in the same order.
    run(
        con,
        f"CREATE OR REPLACE TABLE edge AS SELECT pr.unique_id_l AS l, pr.unique_id_r AS r, "
        f"round(pr.match_weight, 9) AS w, pr.match_probability AS p, {linkable_sql(settings)} AS linkable, "
        f"{apart_sql(dates=relatives_rules_apply(settings))} AS apart, "
        f"{named_sql()} AS named, "
        "row_number() OVER (ORDER BY round(pr.match_weight, 9) DESC, pr.unique_id_l, pr.unique_id_r) AS k "
        "FROM pred pr JOIN feats a ON a.unique_id = pr.unique_id_l "
        "JOIN feats b ON b.unique_id = pr.unique_id_r",
    )
    return int(run(con, "SELECT count(*) FROM edge")[0][0])


def apart_sql(*, dates: bool) -> str:
    """``conflict.settled_apart_sql`` over a prediction row's records (features ``a`` and ``b``), never
    null. Told here, where the pair already meets its records, rather than by joining every pair to
    both records again in the assigning step (at 1 M, ~1.2 M pairs: the step's largest statement).
    Only pairs whose CURPs or birth dates differ are asked: a settled pair has one or the other
    (``kept_apart`` needs CURPs that differ, ``dates_settle_apart`` dates that differ), and in a
    projection DuckDB would otherwise work out the date rules for every pair. ``dates``: the rules
    for relatives apply (``layout.relatives_rules_apply``)."""
    rule = settled_apart_sql("a", "b", dates=dates)
    return f"coalesce(CASE WHEN {may_settle_apart_sql(dates=dates)} THEN {rule} END, false)"


def linkable_sql(settings: dict[str, Any]) -> str:
    """Whether a prediction row (``pr``, its records' features ``a`` and ``b``) may be linked
    automatically: an anchor comparison agrees (``spec.ANCHOR_COMPARISONS``; a birth date differing in
    the year only under the same name and address, or years apart with nothing else confirming one
    person, anchors nothing: ``lookalike.date_anchors_nothing``;
    with no CURP in the model and a birth date missing, ``spec.FIELD_ANCHOR_COMPARISONS`` all agreeing)
    and no veto comparison is at its "else" level (``spec.VETO_COMPARISONS``; given names one keystroke
    apart at a space are not vetoed: ``given_names.slip_at_a_space``). Predictions keep each
    comparison's weight, not its level: the "else" level is told by its weight. Comparisons the model
    left out count as absent. On data with no relatives to tell apart (``layout.relatives_rules_apply``)
    neither anchor nor veto is asked: the probability decides."""
    if not relatives_rules_apply(settings):
        return "true"
    present = {c["output_column_name"] for c in settings["comparisons"]}
    anchors = []
    for c in spec.ANCHOR_COMPARISONS:
        if c not in present:
            continue
        extra = f" AND NOT {date_anchors_nothing_sql('a', 'b')}" if c == "birth_date" else ""
        anchors.append(f"(pr.mw_{c} > 0{extra})")
    if "curp" not in present and all(c in present for c in spec.FIELD_ANCHOR_COMPARISONS):
        fields = " AND ".join(f"pr.mw_{c} > 0" for c in spec.FIELD_ANCHOR_COMPARISONS)
        anchors.append(f"((a.dob IS NULL OR b.dob IS NULL) AND {fields})")
    anchor = "(" + (" OR ".join(anchors) or "false") + ")"
    if not tells_relatives(present):  # the veto steps aside (``layout.tells_relatives``)
        return anchor
    slip = slip_at_a_space_sql("a.given_full", "b.given_full")  # asked only at the "else" level
    return anchor + "".join(
        f" AND (CASE WHEN abs(pr.mw_{c} - ({linkage.else_weight(settings, c)!r})) > 1e-6 THEN true "
        f"ELSE {slip if c == 'given' else 'false'} END)"
        for c in spec.VETO_COMPARISONS
        if c in present
    )


def table_from_arrow(con: duckdb.DuckDBPyConnection, name: str, arrow: pa.Table) -> None:
    """``CREATE OR REPLACE TABLE name`` holding the rows of an Arrow table Python built."""
    con.register(f"{name}_arrow", arrow)
    run(con, f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_arrow")
    con.unregister(f"{name}_arrow")


def string_table(columns: dict[str, list[Any]]) -> pa.Table:
    return pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})


def drop_tables(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> None:
    """Free what a run no longer reads (tables absent on this path are skipped)."""
    for table in tables:
        run(con, f"DROP TABLE IF EXISTS {table}")


def features_for(con: duckdb.DuckDBPyConnection, unique_ids: list[str]) -> dict[str, MatchFeatures]:
    if not unique_ids:
        return {}
    con.register("wanted_arrow", pa.table({"unique_id": unique_ids}))
    rows = run(
        con,
        f"SELECT {', '.join(FEATURE_COLUMNS)} FROM feats "
        "WHERE unique_id IN (SELECT unique_id FROM wanted_arrow)",
    )
    con.unregister("wanted_arrow")
    return {row[0]: MatchFeatures(*row) for row in rows}


def load_decisions(con: duckdb.DuckDBPyConnection, manual_csv: Path, decided_csv: Path) -> None:
    """``manual``: the MANUAL links (record, person, state); ``decided``: decided review pairs, each
    as (lesser record, greater record)."""
    run(
        con,
        f"CREATE OR REPLACE TABLE manual AS SELECT * FROM read_csv('{manual_csv}', header = true, "
        "columns = {'uid': 'VARCHAR', 'person_id': 'VARCHAR', 'state': 'VARCHAR'})",
    )
    run(
        con,
        f"CREATE OR REPLACE TABLE decided AS SELECT DISTINCT least(x, y) AS a, greatest(x, y) AS b "
        f"FROM read_csv('{decided_csv}', header = false, columns = {{'x': 'VARCHAR', 'y': 'VARCHAR'}})",
    )


def links_sql(settings: dict[str, Any], model_version: str, run_id: int, *, scored_pairs: bool) -> str:
    """AUTO MATCH links of the assigned records (score and evidence of the edge that tied each one in)
    and AUTO POSSIBLE_MATCH links of the review pairs, in ``store.LINK_COLUMNS`` order: the last is the
    record's partition (``match_link`` is partitioned as its record's detail is, migration 0025)."""
    evidence = linkage.evidence_sql(settings)
    version = model_version.replace("'", "")
    if not scored_pairs:  # nothing was predicted: no ``pred`` table, no edges
        return f"""
        SELECT split_part(a.unique_id, '|', 1), substr(a.unique_id, strpos(a.unique_id, '|') + 1),
               a.person_id, 'MATCH', 'AUTO', NULL, '{version}', '{{}}', {int(run_id)}, {pkey_of("f.entidad")}
        FROM assigned a LEFT JOIN feats f USING (unique_id)"""
    match = f"""
        SELECT split_part(a.unique_id, '|', 1), substr(a.unique_id, strpos(a.unique_id, '|') + 1),
               a.person_id, 'MATCH', 'AUTO', p.match_probability, '{version}',
               coalesce({evidence}, '{{}}'), {int(run_id)}, {pkey_of("f.entidad")}
        FROM assigned a LEFT JOIN feats f USING (unique_id)
        LEFT JOIN pred p ON p.unique_id_l = a.via_left AND p.unique_id_r = a.via_right
    """
    possible = f"""
        SELECT split_part(v.left_id, '|', 1), substr(v.left_id, strpos(v.left_id, '|') + 1), v.person_id,
               'POSSIBLE_MATCH', 'AUTO', p.match_probability, '{version}', {evidence}, {int(run_id)},
               {pkey_of("f.entidad")}
        FROM possible v JOIN pred p ON p.unique_id_l = v.left_id AND p.unique_id_r = v.right_id
        LEFT JOIN feats f ON f.unique_id = v.left_id
        WHERE NOT EXISTS (
          SELECT 1 FROM assigned a WHERE a.unique_id = v.left_id AND a.person_id = v.person_id)
    """
    # One link per (record, person): a record's MATCH wins over a POSSIBLE_MATCH to the same person,
    # and of two review pairs to one person the likelier one gives the link its score (whichever
    # engine scored them: the choice must not depend on the order rows arrive in). ``assigned`` holds
    # one person per record, so only the review pairs need choosing among: at 1 M, choosing among
    # every link cost a hash aggregate over all of them with each one's evidence in its sort keys.
    # Grouped by partition (c9), in key order within each: COPY into the partitioned ``match_link`` buffers
    # rows per partition and writes all its buffers out each time 64 kB are buffered (keeping 32
    # buffers), so in record order each write-out split a few dozen rows among 35 partitions. The unique
    # index on (source, record_id, person_id) still grows at its end in each partition; a later run's
    # links are staged and inserted in key order (``store``), whatever this file's order.
    return f"""
        SELECT * FROM (
          SELECT * FROM ({match}) AS m (c0, c1, c2, c3, c4, c5, c6, c7, c8, c9)
          UNION ALL
          SELECT * FROM (
            SELECT DISTINCT ON (c0, c1, c2) * FROM ({possible}) AS v (c0, c1, c2, c3, c4, c5, c6, c7, c8, c9)
            ORDER BY c0, c1, c2, c5 DESC NULLS LAST, c7)
        ) ORDER BY c9, c0, c1, c2
    """


def write_csv(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> None:
    run(con, f"COPY ({sql}) TO '{path}' (HEADER false, DELIMITER ',', QUOTE '\"', NULL '')")
