"""The CLUES catalogue: one row per health unit, keyed by its current code."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CHAR, BigInteger, Boolean, Float, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from interop.db.base import Base


class Unit(Base):
    __tablename__ = "unit"
    __table_args__ = (
        Index("ix_unit_clues_anterior", "clues_anterior"),
        Index("uq_unit_organization_id", "organization_id", unique=True),
        Index("ix_unit_entidad_municipio_localidad", "entidad", "municipio", "localidad"),
    )

    clues: Mapped[str] = mapped_column(String(11), primary_key=True)
    clues_anterior: Mapped[str | None] = mapped_column(String(11))
    nombre: Mapped[str] = mapped_column(Text)
    entidad: Mapped[str] = mapped_column(CHAR(2))
    municipio: Mapped[str | None] = mapped_column(Text)
    localidad: Mapped[str | None] = mapped_column(Text)
    nivel: Mapped[int] = mapped_column(Integer)
    cve_mun: Mapped[str | None] = mapped_column(String(3))  # INEGI municipality key, when the CSV gives it
    cve_loc: Mapped[str | None] = mapped_column(String(4))  # INEGI locality key within the municipality
    latitud: Mapped[float | None] = mapped_column(Float)
    longitud: Mapped[float | None] = mapped_column(Float)
    estatus: Mapped[str] = mapped_column(Text)
    operating: Mapped[bool] = mapped_column(Boolean)
    organization_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    # Beyond CONTRACTS.md: what the import needs to be idempotent and to keep bad optional values visible.
    row_digest: Mapped[str] = mapped_column(Text)
    field_issues: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    import_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
