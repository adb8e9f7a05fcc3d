"""The columns every imported identity record carries (roll and registry), shared by both tables.

One row per VERSION of a source record: a changed source row adds a version and leaves the previous one
queryable; ``row_digest`` (a hash of the row as written) decides whether a row changed.

The versions are LIST-partitioned by ``pkey`` (``coalesce(entidad, '00')``, migration 0022); each source
has a key table (``KeyColumns``) that holds a record id once, with its current version and partition:
a read by record id, Patient id or CURP goes through it to one partition.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Identity,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

# Column order of the staging tables and of the INSERT … SELECT (also the order the normaliser emits).
COMMON_COLUMNS: tuple[str, ...] = (
    "record_id",
    "row_digest",
    "nombre",
    "primer_apellido",
    "segundo_apellido",
    "given_norm",
    "paternal_norm",
    "maternal_norm",
    "given_main",
    "curp",
    "curp_raw",
    "curp_trusted",
    "curp16_computed",
    "fecha_nacimiento",
    "sexo",
    "entidad",
    "municipio",
    "localidad",
    "domicilio",
    "telefono",
    "field_issues",
)


# The partition a version lives in; the check keeps it equal to what the writers compute.
PKEY_SQL = "coalesce(entidad, '00')"


def partition_args() -> tuple[CheckConstraint, dict[str, str]]:
    """The check and the partitioning every versions table declares (last in ``__table_args__``)."""
    return (
        CheckConstraint(f"pkey = {PKEY_SQL}", name="pkey_entidad"),
        {"postgresql_partition_by": "LIST (pkey)"},
    )


class KeyColumns:
    """Mixin: a source's key table, one row per record id (the global uniqueness of the id), naming its
    current version, the partition that holds it, its digest (whether a re-import changed it) and its
    CURP (indexed: a search by CURP reads no partition's index)."""

    record_id: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    pkey: Mapped[str] = mapped_column(String(2))
    row_digest: Mapped[str] = mapped_column(Text)
    curp: Mapped[str | None] = mapped_column(Text, index=True)


class IdentityRecordColumns:
    """Mixin: identity columns in the shape matching and referral read (CONTRACTS.md)."""

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    pkey: Mapped[str] = mapped_column(String(2), primary_key=True)
    record_id: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean)
    # No foreign key to ingest_import: a million FK probes per import buy nothing the loader does not
    # already guarantee (it writes import_id from the import it runs).
    import_id: Mapped[int] = mapped_column(BigInteger)
    row_digest: Mapped[str] = mapped_column(Text)
    nombre: Mapped[str | None] = mapped_column(Text)
    primer_apellido: Mapped[str | None] = mapped_column(Text)
    segundo_apellido: Mapped[str | None] = mapped_column(Text)
    given_norm: Mapped[str | None] = mapped_column(Text)
    paternal_norm: Mapped[str | None] = mapped_column(Text)
    maternal_norm: Mapped[str | None] = mapped_column(Text)
    given_main: Mapped[str | None] = mapped_column(Text)
    curp: Mapped[str | None] = mapped_column(Text)
    curp_raw: Mapped[str | None] = mapped_column(Text)
    curp_trusted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    curp16_computed: Mapped[str | None] = mapped_column(Text)
    fecha_nacimiento: Mapped[date | None] = mapped_column(Date)
    sexo: Mapped[str | None] = mapped_column(CHAR(1))
    entidad: Mapped[str | None] = mapped_column(CHAR(2))
    municipio: Mapped[str | None] = mapped_column(Text)
    localidad: Mapped[str | None] = mapped_column(Text)
    domicilio: Mapped[str | None] = mapped_column(Text)
    telefono: Mapped[str | None] = mapped_column(Text)
    field_issues: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
