"""Where each column of a stored record lives: the global key table ``match_record`` (identity, person,
digest and the blocking-key columns, with the blocking indexes) or ``match_record_detail``, partitioned
by entidad (docs/scale.md, "Partitioning by entidad"). Readers of a whole record join the two with
``detail_join`` (or, where the plan must not depend on statistics, ``detail_lookup``), which name the
partition key so that PostgreSQL opens one partition per record."""

from __future__ import annotations

from collections.abc import Sequence


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
