"""Where each column of a stored record lives: the global key table ``match_record`` (identity, person,
digest and the blocking-key columns, with the blocking indexes) or ``match_record_detail``, partitioned
by entidad (docs/scale.md, "Partitioning by entidad"). Readers of a whole record join the two with
``detail_join`` (or, where the plan must not depend on statistics, ``detail_lookup``), which name the
partition key so that PostgreSQL opens one partition per record; a reader on a cached generic plan
(``$match``) reads the key rows first and then their details with ``detail_read``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


# A record's partition: its entidad, '00' without one (never NULL, so a record has exactly one partition
# and the detail's primary key may hold it). ``match_record.pkey`` is generated from this expression.
def pkey_of(entidad: str = "entidad") -> str:
    return f"coalesce({entidad}, '00')"


PKEY_SQL = pkey_of()

# Columns of ``match_record_detail`` besides its key (source, record_id, pkey).
DETAIL_COLUMNS: tuple[str, ...] = (
    "record_pk",
    "patient_id",
    "curp",
    "given_full",
    "given_rest",
    "sexo",
    "municipio",
    "localidad",
    "domicilio",
)


def detail_join(key: str = "m", detail: str = "d") -> str:
    """The join from key-table rows aliased ``key`` to their detail rows aliased ``detail``."""
    return (
        f"JOIN match_record_detail {detail} ON {detail}.pkey = {key}.pkey "
        f"AND {detail}.source = {key}.source AND {detail}.record_id = {key}.record_id"
    )


def detail_lookup(key: str = "m", detail: str = "d") -> str:
    """The detail row of each row aliased ``key`` (a key-table row, or anything with its ``pkey``,
    ``source`` and ``record_id``), as ``detail``: one primary-key read in that row's partition per row,
    whatever the statistics say. The ``LIMIT`` keeps PostgreSQL from flattening the subquery into a
    join it may reorder: on partitions without statistics (a first run's, read before its commit) it
    estimates the key-detail join at one row and drives the rest of the query from it."""
    return (
        f"CROSS JOIN LATERAL (SELECT * FROM match_record_detail x WHERE x.pkey = {key}.pkey "
        f"AND x.source = {key}.source AND x.record_id = {key}.record_id LIMIT 1) {detail}"
    )


def qualified(columns: Sequence[str], key: str = "m", detail: str = "d") -> str:
    """``columns`` as a select list, each from the table that holds it."""
    return ", ".join(f"{detail if c in DETAIL_COLUMNS else key}.{c}" for c in columns)


# A detail read lists its partition keys padded to one of these counts (the last key repeated), so that
# its statement has a few shapes, each prepared and planned once per connection. 34 partitions: the 32
# entidades, NE and the DEFAULT one.
PKEY_SLOTS = (1, 2, 4, 8, 16, 34)


def detail_read(
    pkeys: Sequence[str], columns: Sequence[str] = DETAIL_COLUMNS, *, also: Sequence[str] = ()
) -> list[tuple[str, dict[str, Any]]]:
    """Statements (SQL, parameters) reading ``source, record_id`` and ``columns`` (then the expressions
    ``also``) of the detail rows in the partitions ``pkeys`` whose source and record id are among the
    bound arrays ``:sources`` and ``:record_ids`` (callers add those two parameters, and keep the rows
    of the keys they asked for: another source's record with the same id in the same partition matches
    too).

    The partition keys are parameters of their own (``pkey IN (:k0, :k1, …)``): PostgreSQL prunes on
    them when the executor starts, on a cached generic plan too, and sets up only the partitions named.
    A join from the key rows is pruned row by row after the scans of all 34 partitions were set up on
    every call (``$match`` +19 % at p99 on a quiet machine), and ``pkey = ANY(:array)`` is not pruned at
    all on a generic plan (every partition searched). One statement per ``PKEY_SLOTS[-1]`` keys."""
    keys = sorted(set(pkeys))
    out = []
    select = ", ".join(["source", "record_id", *columns, *also])
    for start in range(0, len(keys), PKEY_SLOTS[-1]):
        chunk = keys[start : start + PKEY_SLOTS[-1]]
        slots = next(n for n in PKEY_SLOTS if n >= len(chunk))
        padded = [*chunk, *[chunk[-1]] * (slots - len(chunk))]
        listed = ", ".join(f"CAST(:k{i} AS text)" for i in range(slots))
        sql = (
            f"SELECT {select} FROM match_record_detail WHERE pkey IN ({listed}) "
            "AND source = ANY(CAST(:sources AS text[])) AND record_id = ANY(CAST(:record_ids AS text[]))"
        )
        out.append((sql, {f"k{i}": k for i, k in enumerate(padded)}))
    return out
