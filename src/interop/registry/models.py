"""Clinic registries: one row per version of each registry patient."""

from __future__ import annotations

import uuid

from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from interop.db.base import Base
from interop.db.identity_records import IdentityRecordColumns


class RegistryPatient(IdentityRecordColumns, Base):
    __tablename__ = "registry_patient"
    __table_args__ = (
        UniqueConstraint("record_id", "version"),
        Index("uq_registry_patient_current", "record_id", unique=True, postgresql_where=text("is_current")),
        Index("ix_registry_patient_patient_id", "patient_id"),
    )

    clues: Mapped[str] = mapped_column(Text)
    clues_current: Mapped[str | None] = mapped_column(Text)
    expediente: Mapped[str | None] = mapped_column(Text)
    # Stable across versions of one record_id: it is the FHIR Patient.id.
    patient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
