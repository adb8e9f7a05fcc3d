"""The given-name rules on the batch run's scored pairs (DuckDB table ``edge``, records in ``feats``):
pairs whose given names have nothing in common are settled apart (``conflict.names_settle_apart``), pairs
it would link while one record's given names are a third record's are held for review
(``names_of_another``). SQL narrows the pairs each rule can touch; the rule itself, the one the
online match and the grade read, decides in Python. Run by ``clustering.assign`` before it builds the
auto-link graph."""

from __future__ import annotations

import duckdb

from interop.matching.batch import features_for, string_table, table_from_arrow
from interop.matching.batch import run as _run
from interop.matching.conflict import SIGNATURE_COLUMNS, Signature, names_settle_apart, signature_sql
from interop.matching.lookalike import names_within_sql
from interop.matching.names_of_another import names_of_another, place_sql
from interop.matching.short_names import FIRST_NAMES, short_form_candidate_sql, short_form_of_sql

_NSIG = len(SIGNATURE_COLUMNS)
_SIGNATURE_A = signature_sql("a")
_SIGNATURE_B = signature_sql("b")


def settle_names_apart(con: duckdb.DuckDBPyConnection) -> None:
    """Mark ``apart`` the pairs whose given names have nothing in common (``conflict.settled_apart``'s
    ``names_settle_apart``, read only where the data tells relatives apart): the SQL finds the pairs
    whose given names may (``edge.named``, told where the pairs were scored: at 1 M a second join of every
    pair to both records cost the step ~10 s), Python decides. Before ``apart`` is counted and dropped."""
    rows = _run(
        con,
        f"SELECT e.l, e.r, {_SIGNATURE_A}, {_SIGNATURE_B} FROM edge e "
        "JOIN feats a ON a.unique_id = e.l JOIN feats b ON b.unique_id = e.r "
        "WHERE e.named AND NOT e.apart",
    )
    held = [
        (r[0], r[1])
        for r in rows
        if names_settle_apart(Signature(*r[2 : 2 + _NSIG]), Signature(*r[2 + _NSIG :]))
    ]
    set_on_edges(con, held, "apart = true")


def hold_names_of_another(con: duckdb.DuckDBPyConnection, *, auto_threshold: float) -> int:
    """Mark not linkable the pairs that would be linked while one record's given names are another
    person's (``names_of_another``, the third record among all the run's records); they stay
    in ``edge`` for review. Returns how many."""
    triples = names_triples(con, auto_threshold=auto_threshold)
    if not triples:
        return 0
    feats = features_for(con, sorted({u for t in triples for u in t}))
    held = sorted(
        {
            (left, right)
            for left, right, x in triples
            if names_of_another(feats[left], feats[right], feats[x])
            or names_of_another(feats[right], feats[left], feats[x])
        }
    )
    set_on_edges(con, held, "linkable = false")
    return len(held)


def set_on_edges(con: duckdb.DuckDBPyConnection, pairs: list[tuple[str, str]], assignment: str) -> None:
    """``UPDATE edge SET <assignment>`` on the (l, r) ``pairs`` a rule in Python picked."""
    if pairs:
        table_from_arrow(
            con, "edge_pick", string_table({"l": [p[0] for p in pairs], "r": [p[1] for p in pairs]})
        )
        _run(con, f"UPDATE edge SET {assignment} FROM edge_pick h WHERE edge.l = h.l AND edge.r = h.r")
        _run(con, "DROP TABLE edge_pick")


def names_triples(con: duckdb.DuckDBPyConnection, *, auto_threshold: float) -> list[tuple[str, str, str]]:
    """Each pair it would link with a third record passing ``names_of_another.names_of_another_sql`` either
    way round, (left, right, third), among the pairs whose given names may differ by a whole name: the
    triples ``names_of_another`` can hold. Those pairs are found first, once, with the columns the
    test reads: at 1 M records they are a small part of the ~1.1 M linkable pairs, and joining every
    pair to its records twice and every record's place to them (one pass per direction), then checking
    each triple in Python, took seconds of the assigning step for nothing."""
    # Given names that differ by a whole name (``names_of_another.differ_by_a_name``) have a word with no
    # partner one edit away on the other side: pairs whose words all have one (a typo, the same names
    # in another order: most of them one person's records) are never held, and leave here.
    _run(
        con,
        f"""
        CREATE OR REPLACE TABLE names_pair AS
        SELECT e.l, e.r, a.given_full AS g_l, a.given_main AS m_l, a.ap1 AS ap1_l, a.municipio AS mun_l,
               a.localidad AS loc_l, b.given_full AS g_r, b.given_main AS m_r, b.ap1 AS ap1_r,
               b.municipio AS mun_r, b.localidad AS loc_r
        FROM edge e JOIN feats a ON a.unique_id = e.l JOIN feats b ON b.unique_id = e.r
        WHERE e.p >= ? AND e.linkable AND a.given_full <> b.given_full
          AND NOT coalesce({names_within_sql("a", "b")} AND {names_within_sql("b", "a")}, false)
        """,
        [auto_threshold],
    )
    # Either end of a pair may be the record whose given names a third record owns (``r`` in
    # ``names_of_another``); the third records are read only among those sharing its given names and
    # first surname, or, for an end whose given names may be a short form (one word, or a word and an
    # initial: MARIA, MARIA P), its first surname.
    short = short_form_of_sql("s.given_full", "s.given_main", "x.given_full", "x.given_main")
    short_side = short_form_candidate_sql("given_full", "given_main")
    first_words = ", ".join(f"'{w}'" for w in sorted(FIRST_NAMES))
    triples = _run(
        con,
        f"""
        WITH side AS (
          SELECT l, r, g_l AS given_full, m_l AS given_main, ap1_l AS ap1, mun_l AS municipio,
                 loc_l AS localidad
          FROM names_pair
          UNION ALL
          SELECT l, r, g_r, m_r, ap1_r, mun_r, loc_r FROM names_pair),
        third AS (
          SELECT f.unique_id, f.given_full, f.given_main, f.ap1, f.municipio, f.localidad FROM feats f
          SEMI JOIN (SELECT DISTINCT given_full, ap1 FROM side) k
            ON k.given_full = f.given_full AND k.ap1 = f.ap1),
        third_long AS (
          SELECT f.unique_id, f.given_full, f.given_main, f.ap1, f.municipio, f.localidad FROM feats f
          SEMI JOIN (SELECT DISTINCT ap1 FROM side WHERE {short_side}) k ON k.ap1 = f.ap1
          WHERE strpos(f.given_full, ' ') > 0 AND split_part(f.given_full, ' ', 1) IN ({first_words}))
        SELECT DISTINCT s.l, s.r, x.unique_id FROM side s JOIN third x
          ON x.given_full = s.given_full AND x.ap1 = s.ap1
          AND {place_sql("x.municipio")} = {place_sql("s.municipio")}
          AND {place_sql("x.localidad")} = {place_sql("s.localidad")}
        WHERE x.unique_id <> s.l AND x.unique_id <> s.r
        UNION
        SELECT s.l, s.r, x.unique_id FROM side s JOIN third_long x
          ON x.ap1 = s.ap1
          AND {place_sql("x.municipio")} = {place_sql("s.municipio")}
          AND {place_sql("x.localidad")} = {place_sql("s.localidad")}
        WHERE x.unique_id <> s.l AND x.unique_id <> s.r AND {short}
        """,
    )
    _run(con, "DROP TABLE names_pair")
    return [(left, right, x) for left, right, x in triples]
