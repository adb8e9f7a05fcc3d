"""Clinic registries: one row per version of each registry patient, partitioned by entidad, and the key
table that holds each record id (and its Patient id) once."""

from __future__ import annotations

import uuid

from sqlalchemy import Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from interop.db.base import Base
from interop.db.identity_records import IdentityRecordColumns, KeyColumns, partition_args


class RegistryPatient(IdentityRecordColumns, Base):
    __tablename__ = "registry_patient"
    __table_args__ = (UniqueConstraint("record_id", "version", "pkey"), *partition_args())

    clues: Mapped[str] = mapped_column(Text)
    clues_current: Mapped[str | None] = mapped_column(Text)
    expediente: Mapped[str | None] = mapped_column(Text)
    # Stable across versions of one record_id: it is the FHIR Patient.id.
    patient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class RegistryPatientKey(KeyColumns, Base):
    __tablename__ = "registry_patient_key"

    # The FHIR Patient.id of the record: a Patient is read through this index, then its one partition.
    patient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
