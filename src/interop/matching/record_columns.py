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
    keys: Sequence[tuple[str, str, str]], columns: Sequence[str] = DETAIL_COLUMNS, *, also: Sequence[str] = ()
) -> list[tuple[str, dict[str, Any]]]:
    """Statements (SQL, parameters) reading ``source, record_id`` and ``columns`` (then the expressions
    ``also``) of the detail rows of ``keys`` ((pkey, source, record_id)): each key one lookup by the
    primary key of its own partition.

    The partition keys are also listed as parameters of their own (``pkey IN (:k0, :k1, …)``):
    PostgreSQL prunes on those when the executor starts, on a cached generic plan too, and sets up only
    the partitions named. A join from the key rows alone is pruned row by row after the scans of all 34
    partitions were set up on every call (``$match`` +19 % at p99 on a quiet machine), and
    ``pkey = ANY(:array)`` is not pruned at all on a generic plan (every partition searched). One
    statement per ``PKEY_SLOTS[-1]`` partitions."""
    by_partition: dict[str, list[tuple[str, str, str]]] = {}
    for key in keys:
        by_partition.setdefault(key[0], []).append(key)
    pkeys = sorted(by_partition)
    out = []
    select = ", ".join(["d.source", "d.record_id", *(f"d.{c}" for c in columns), *also])
    for start in range(0, len(pkeys), PKEY_SLOTS[-1]):
        chunk = pkeys[start : start + PKEY_SLOTS[-1]]
        slots = next(n for n in PKEY_SLOTS if n >= len(chunk))
        padded = [*chunk, *[chunk[-1]] * (slots - len(chunk))]
        listed = ", ".join(f"CAST(:k{i} AS text)" for i in range(slots))
        sql = (
            f"SELECT {select} FROM unnest(CAST(:pkeys AS text[]), CAST(:sources AS text[]), "
            "CAST(:record_ids AS text[])) AS k(pkey, source, record_id) JOIN match_record_detail d "
            "ON d.pkey = k.pkey AND d.source = k.source AND d.record_id = k.record_id "
            f"WHERE d.pkey IN ({listed})"
        )
        triples = [key for p in chunk for key in by_partition[p]]
        params: dict[str, Any] = {f"k{i}": k for i, k in enumerate(padded)}
        params |= {"pkeys": [t[0] for t in triples], "sources": [t[1] for t in triples]}
        params["record_ids"] = [t[2] for t in triples]
        out.append((sql, params))
    return out
