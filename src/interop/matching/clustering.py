"""Person assignment at batch scale: the rules of ``assign``, settled in DuckDB wherever they allow.

Most components of the auto-link graph (the two to seven records of one person) meet none of the rules'
exceptions: every record was scored in this run, none had a person before, none has a manual
decision, and no two of them are in hard conflict. ``assign.assign_persons`` would join such a
component into one new person, each record tied in by its strongest auto edge (the first one taken,
since edges are taken strongest first); that is settled here in SQL. Every other component (a
conflict, an unchanged record, a former person, a manual decision, or more than
``SIMPLE_COMPONENT_MAX`` records) goes through ``assign_persons`` itself, with every unchanged record
of each person it touches. At 1.86 M records this takes the assignment from ~45 s of Python to a few
seconds; tests check both paths give the same persons.

Reads the run's DuckDB tables ``edge`` (every scored pair, ``k`` its rank in the order edges are
taken, ``apart`` whether a rule settles it as two people: ``edge_columns.apart_sql``), ``scored``,
``unscored``, ``prev``, ``feats``, ``manual`` and ``decided``. Writes ``assigned``
(record, person, the edge that tied it in), ``manual_assigned``, ``new_person``, ``review_edge`` and
``possible`` (review pairs and the person of their right record). Synchronous, like ``batch``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from interop.matching.assign import Edge, assign_persons
from interop.matching.batch import run as _run
from interop.matching.batch import string_table, table_from_arrow
from interop.matching.conflict import (
    ROLL_SOURCE,
    SIGNATURE_COLUMNS,
    Signature,
    another_mother_sql,
    hard_conflict,
    signature_sql,
)
from interop.matching.edge_name_rules import hold_names_of_another, settle_names_apart

SIMPLE_COMPONENT_MAX = 20

_SIGNATURE = ", ".join(SIGNATURE_COLUMNS)
_NSIG = len(SIGNATURE_COLUMNS)
_SIGNATURE_A = signature_sql("a")
_SIGNATURE_B = signature_sql("b")

# Two records that cannot be in hard conflict, told by SQL alone: equal or missing CURPs, birth dates
# and sexes, equal full given names (or no full names and a main name missing or equal on one side),
# and no man's CURP stating another second surname than the other record's (``another_mother``).
# Two roll records with a CURP between them are never told here: one may carry the other pensioner's
# CURP under the very same given names and date (``roll_curp_of_another``, read off the surnames), and
# a first load would otherwise join them where a later run, the component no longer simple, holds them.
# Every other pair of a component is checked by ``conflict.hard_conflict``.
_SURELY_COMPATIBLE = f"""
    (a.curp IS NULL OR b.curp IS NULL OR a.curp = b.curp)
    AND (a.dob IS NULL OR b.dob IS NULL OR a.dob = b.dob)
    AND (a.sexo IS NULL OR b.sexo IS NULL OR a.sexo = b.sexo)
    AND CASE WHEN a.given_full IS NOT NULL AND b.given_full IS NOT NULL THEN a.given_full = b.given_full
             ELSE a.given_main IS NULL OR b.given_main IS NULL OR a.given_main = b.given_main END
    AND NOT {another_mother_sql("a", "b")} AND NOT {another_mother_sql("b", "a")}
    AND NOT (a.source = '{ROLL_SOURCE}' AND b.source = '{ROLL_SOURCE}'
             AND coalesce(a.curp, b.curp) IS NOT NULL)
"""


@dataclass(frozen=True, slots=True)
class ClusterCounts:
    auto_pairs: int
    persons_new: int
    reviews: int
    # Records settled through ``assign_persons`` (the others were settled in SQL).
    settled_in_python: int
    # Scored pairs a rule settles as two people (``conflict.settled_apart``): neither linked nor reviewed.
    kept_apart: int = 0


def _components(con: duckdb.DuckDBPyConnection) -> None:
    """``cl_member``: every record of an auto edge with its component, named by its least node id.

    Computed in DuckDB by label propagation with pointer jumping (each round: every node takes the
    least label among itself and its neighbours, then the label of its label), so the graph never
    enters Python memory: a national run has tens of millions of nodes. Rounds grow with the log of
    a component's diameter; components are a person's few records."""
    _run(
        con,
        "CREATE OR REPLACE TABLE cl_node AS SELECT uid, (row_number() OVER () - 1)::BIGINT AS id "
        "FROM (SELECT l AS uid FROM auto_edge UNION SELECT r FROM auto_edge)",
    )
    _run(
        con,
        "CREATE OR REPLACE TABLE cl_pair AS SELECT a.id AS a, b.id AS b FROM auto_edge e "
        "JOIN cl_node a ON a.uid = e.l JOIN cl_node b ON b.uid = e.r",
    )
    _run(con, "CREATE OR REPLACE TABLE cl_adj AS SELECT a, b FROM cl_pair UNION ALL SELECT b, a FROM cl_pair")
    _run(con, "CREATE OR REPLACE TABLE cl_root AS SELECT id, id AS comp FROM cl_node")
    while True:
        _run(
            con,
            """
            CREATE OR REPLACE TABLE cl_step AS
            WITH hooked AS (
              SELECT r.id, least(r.comp, coalesce(min(n.comp), r.comp)) AS comp
              FROM cl_root r LEFT JOIN cl_adj e ON e.a = r.id LEFT JOIN cl_root n ON n.id = e.b
              GROUP BY r.id, r.comp)
            SELECT h.id, least(h.comp, j.comp) AS comp FROM hooked h JOIN hooked j ON j.id = h.comp
            """,
        )
        changed = int(
            _run(con, "SELECT count(*) FROM cl_step s JOIN cl_root r USING (id) WHERE s.comp <> r.comp")[0][0]
        )
        _run(con, "CREATE OR REPLACE TABLE cl_root AS SELECT * FROM cl_step")
        if not changed:
            break
    _run(
        con,
        """
        CREATE OR REPLACE TABLE cl_member AS
        SELECT n.uid, c.comp,
               (s.unique_id IS NULL OR x.uid IS NOT NULL OR v.unique_id IS NOT NULL) AS special
        FROM cl_node n JOIN cl_root c USING (id)
        LEFT JOIN scored s ON s.unique_id = n.uid
        LEFT JOIN (SELECT DISTINCT uid FROM manual) x ON x.uid = n.uid
        LEFT JOIN previous v ON v.unique_id = n.uid
        """,
    )
    _run(
        con,
        "CREATE OR REPLACE TABLE cl_comp AS SELECT comp, count(*) AS size, bool_or(special) AS special "
        "FROM cl_member GROUP BY comp",
    )


def _conflicted_components(
    con: duckdb.DuckDBPyConnection, *, relatives: bool, households: bool = True
) -> None:
    """``cl_conflicted``: candidate simple components holding two records in hard conflict."""
    rows = con.sql(
        f"""
        SELECT ma.comp, {_SIGNATURE_A}, {_SIGNATURE_B}
        FROM cl_member ma JOIN cl_member mb ON ma.comp = mb.comp AND ma.uid < mb.uid
        JOIN cl_comp c ON c.comp = ma.comp AND NOT c.special AND c.size <= {SIMPLE_COMPONENT_MAX}
        JOIN feats a ON a.unique_id = ma.uid JOIN feats b ON b.unique_id = mb.uid
        WHERE NOT ({_SURELY_COMPATIBLE})
        """
    ).to_arrow_table()
    cols = [rows.column(i).to_pylist() for i in range(rows.num_columns)]
    conflicted = sorted(
        {
            comp
            for comp, *sig in zip(*cols, strict=True)
            if hard_conflict(
                Signature(*sig[:_NSIG]), Signature(*sig[_NSIG:]), relatives=relatives, households=households
            )
        }
    )
    table_from_arrow(con, "cl_conflicted", pa.table({"comp": pa.array(conflicted, pa.int64())}))


def _settle_simple(con: duckdb.DuckDBPyConnection) -> None:
    """One new person per simple component, and per scored record with no auto edge and no history."""
    _run(
        con,
        f"""
        CREATE OR REPLACE TABLE cl_simple AS
        SELECT comp, uuid()::VARCHAR AS person_id FROM cl_comp
        WHERE NOT special AND size <= {SIMPLE_COMPONENT_MAX}
          AND comp NOT IN (SELECT comp FROM cl_conflicted)
        """,
    )
    _run(
        con,
        """
        CREATE OR REPLACE TABLE assigned AS
        WITH ends AS (SELECT l AS uid, l, r, k FROM auto_edge UNION ALL SELECT r, l, r, k FROM auto_edge),
        first_edge AS (SELECT uid, arg_min(l, k) AS l, arg_min(r, k) AS r FROM ends GROUP BY uid)
        SELECT m.uid AS unique_id, s.person_id, f.l AS via_left, f.r AS via_right
        FROM cl_member m JOIN cl_simple s USING (comp) JOIN first_edge f USING (uid)
        UNION ALL
        SELECT s.unique_id, uuid()::VARCHAR, NULL, NULL FROM scored s
        WHERE s.unique_id NOT IN (SELECT uid FROM cl_node)
          AND s.unique_id NOT IN (SELECT uid FROM manual)
          AND s.unique_id NOT IN (SELECT unique_id FROM previous)
        """,
    )


def _settle_rest(
    con: duckdb.DuckDBPyConnection, *, relatives: bool, households: bool = True
) -> tuple[list[tuple[str, str, str | None, str | None]], set[str]]:
    """The other records through ``assign_persons``: their (record, person, via) rows and new persons."""
    _run(
        con,
        """
        CREATE OR REPLACE TABLE cl_rest AS
        SELECT uid FROM cl_member WHERE comp NOT IN (SELECT comp FROM cl_simple)
        UNION
        SELECT unique_id FROM scored
        WHERE unique_id NOT IN (SELECT uid FROM cl_node) AND unique_id NOT IN (SELECT unique_id FROM assigned)
        """,
    )
    scored = [r[0] for r in _run(con, "SELECT uid FROM cl_rest WHERE uid IN (SELECT unique_id FROM scored)")]
    if not scored:
        return [], set()
    manual_match = {
        u: uuid.UUID(p) for u, p in _run(con, "SELECT uid, person_id FROM manual WHERE state = 'MATCH'")
    }
    manual_no: dict[str, set[uuid.UUID]] = {}
    for u, p in _run(con, "SELECT uid, person_id FROM manual WHERE state = 'NO_MATCH'"):
        manual_no.setdefault(u, set()).add(uuid.UUID(p))
    # Every unchanged record of each person the remaining components touch: a person's records are
    # all checked for conflicts before anything joins it.
    existing = {
        u: uuid.UUID(p)
        for u, p in _run(
            con,
            """
            WITH touched AS (
              SELECT h.person_id FROM cl_rest c JOIN held_by h ON h.unique_id = c.uid
              UNION SELECT person_id FROM manual WHERE state = 'MATCH' AND uid IN (SELECT uid FROM cl_rest))
            SELECT unique_id, person_id FROM held_by WHERE person_id IN (SELECT person_id FROM touched)
            """,
        )
    }
    previous = {
        u: uuid.UUID(p)
        for u, p in _run(
            con, "SELECT unique_id, person_id FROM previous WHERE unique_id IN (SELECT uid FROM cl_rest)"
        )
    }
    held = {
        uuid.UUID(r[0])
        for r in _run(
            con,
            "SELECT DISTINCT person_id FROM held_by WHERE person_id IN (SELECT person_id FROM previous) "
            "UNION SELECT person_id FROM manual WHERE state = 'MATCH'",
        )
    }
    edges = [
        Edge(left, right, weight)
        for left, right, weight in _run(
            con,
            "SELECT e.l, e.r, e.w FROM auto_edge e JOIN cl_member m ON m.uid = e.l "
            "WHERE m.comp NOT IN (SELECT comp FROM cl_simple) ORDER BY e.k",
        )
    ]
    wanted = set(scored) | set(existing) | set(manual_match) | {u for e in edges for u in (e.left, e.right)}
    table_from_arrow(con, "cl_wanted", string_table({"uid": sorted(wanted)}))
    signatures = {
        r[0]: Signature(*r[1:])
        for r in _run(
            con,
            f"SELECT unique_id, {_SIGNATURE} FROM feats WHERE unique_id IN (SELECT uid FROM cl_wanted)",
        )
    }

    def conflict(x: str, y: str) -> bool:
        sx, sy = signatures.get(x), signatures.get(y)
        return (
            sx is not None
            and sy is not None
            and hard_conflict(sx, sy, relatives=relatives, households=households)
        )

    result = assign_persons(
        scored=scored,
        existing=existing,
        previous=previous,
        manual_match=manual_match,
        manual_no_match=manual_no,
        edges=edges,
        conflict=conflict,
        held=held,
    )
    rows = []
    for record in scored:
        if record in manual_match:
            continue
        via = result.via.get(record)
        rows.append(
            (record, str(result.person_of[record]), via.left if via else None, via.right if via else None)
        )
    return rows, {str(p) for p in result.new_persons}


def assign(
    con: duckdb.DuckDBPyConnection, *, auto_threshold: float, relatives: bool = True, households: bool = True
) -> ClusterCounts:
    """Assign every scored record a person and pick the review pairs (see the module docstring).
    Pairs a rule settles as two people (``conflict.settled_apart``: two roll records with settled CURPs
    that differ; where the rules for relatives apply, birth dates no slip explains) leave ``edge``
    first: no link, no review.
    ``relatives``: the model's data can tell relatives apart (``layout.tells_relatives``; passed on to
    ``conflict.hard_conflict``)."""
    # ``edge.apart`` was told where the pairs were scored (``edge_columns.apart_sql``), by the same model's
    # ``relatives or households``.
    if relatives:
        settle_names_apart(con)
    kept_apart = int(_run(con, "SELECT count(*) FROM edge WHERE apart")[0][0])
    if kept_apart:
        _run(con, "DELETE FROM edge WHERE apart")
    if relatives or households:
        hold_names_of_another(con, auto_threshold=auto_threshold)
    _run(
        con,
        "CREATE OR REPLACE TABLE auto_edge AS SELECT l, r, w, k FROM edge WHERE p >= ? AND linkable",
        [auto_threshold],
    )
    _run(
        con,
        "CREATE OR REPLACE TABLE previous AS SELECT s.unique_id, p.person_id FROM scored s "
        "JOIN prev p USING (unique_id) WHERE p.person_id IS NOT NULL AND p.person_id <> ''",
    )
    # The person each unchanged record holds (a manual MATCH, where there is one, says the same).
    _run(
        con,
        "CREATE OR REPLACE TABLE held_by AS SELECT u.unique_id, p.person_id FROM unscored u "
        "JOIN prev p USING (unique_id) WHERE p.person_id IS NOT NULL AND p.person_id <> ''",
    )
    _components(con)
    _conflicted_components(con, relatives=relatives, households=households)
    _settle_simple(con)
    rest, rest_new = _settle_rest(con, relatives=relatives, households=households)
    names = ("unique_id", "person_id", "via_left", "via_right")
    table_from_arrow(
        con, "assigned_rest", string_table({name: [r[i] for r in rest] for i, name in enumerate(names)})
    )
    _run(con, "INSERT INTO assigned SELECT * FROM assigned_rest")
    table_from_arrow(con, "new_person_rest", string_table({"id": sorted(rest_new)}))
    _run(
        con,
        "CREATE OR REPLACE TABLE new_person AS SELECT person_id AS id FROM cl_simple "
        "UNION ALL SELECT person_id FROM assigned "
        "WHERE via_left IS NULL AND unique_id NOT IN (SELECT uid FROM cl_rest) "
        "UNION ALL SELECT id FROM new_person_rest",
    )
    _run(
        con,
        "CREATE OR REPLACE TABLE manual_assigned AS SELECT s.unique_id, m.person_id FROM scored s "
        "JOIN manual m ON m.uid = s.unique_id AND m.state = 'MATCH'",
    )
    _reviews(con)
    return ClusterCounts(
        auto_pairs=int(_run(con, "SELECT count(*) FROM auto_edge")[0][0]),
        persons_new=int(_run(con, "SELECT count(*) FROM new_person")[0][0]),
        reviews=int(_run(con, "SELECT count(*) FROM review_edge")[0][0]),
        settled_in_python=len(rest),
        kept_apart=kept_apart,
    )


def _reviews(con: duckdb.DuckDBPyConnection) -> None:
    """Pairs scored at or above the review threshold whose records ended in different persons, unless
    a reviewer already decided the pair or refused one record's person for the other."""
    _run(
        con,
        """
        CREATE OR REPLACE TABLE person_of AS
        SELECT unique_id, arg_min(person_id, rank) AS person_id FROM (
          SELECT uid AS unique_id, person_id, 0 AS rank FROM manual WHERE state = 'MATCH'
          UNION ALL SELECT unique_id, person_id, 1 FROM assigned
          UNION ALL SELECT unique_id, person_id, 2 FROM held_by)
        GROUP BY unique_id
        """,
    )
    _run(
        con,
        """
        CREATE OR REPLACE TABLE review_edge AS
        SELECT e.l, e.r, e.w, e.p, e.k, pb.person_id AS person_r
        FROM edge e
        LEFT JOIN person_of pa ON pa.unique_id = e.l
        LEFT JOIN person_of pb ON pb.unique_id = e.r
        WHERE pa.person_id IS DISTINCT FROM pb.person_id
          AND NOT EXISTS (SELECT 1 FROM decided d WHERE d.a = least(e.l, e.r) AND d.b = greatest(e.l, e.r))
          AND NOT EXISTS (
            SELECT 1 FROM manual n WHERE n.state = 'NO_MATCH'
              AND ((n.uid = e.l AND n.person_id = pb.person_id)
                OR (n.uid = e.r AND n.person_id = pa.person_id)))
        """,
    )
    _run(
        con,
        "CREATE OR REPLACE TABLE possible AS SELECT l AS left_id, r AS right_id, person_r AS person_id "
        "FROM review_edge WHERE person_r IS NOT NULL",
    )
