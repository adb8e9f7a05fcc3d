"""Tables of the matching domain: trained models, the feature store the blocking keys are indexed on,
golden persons, links (record → person, with state and origin), the review queue and runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from interop.db.base import Base
from interop.matching.blocking import BLOCKING_INDEXES, index_predicate, key_sql
from interop.matching.record_columns import PKEY_SQL

LINK_STATES = ("MATCH", "POSSIBLE_MATCH", "NO_MATCH")
LINK_ORIGINS = ("AUTO", "MANUAL")
REVIEW_STATUSES = ("open", "decided", "obsolete")
REVIEW_DECISIONS = ("link", "not-link")
RUN_STATUSES = ("queued", "running", "succeeded", "failed")


class MatchModel(Base):
    """A trained model: Splink's settings JSON plus its term-frequency tables; ``digest`` is the sha256
    of both. ``version`` is what every decision records."""

    __tablename__ = "match_model"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB)
    term_frequencies: Mapped[dict[str, Any]] = mapped_column(JSONB)
    stats: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    active: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class MatchRecord(Base):
    """The global key table of the feature store: every current source record's identity, person,
    ``feature_digest`` (tells a changed record) and the columns its blocking keys are made of, indexed
    by those keys for online candidate lookup. Whole, not partitioned: a lookup names no entidad.
    ``pkey`` is the partition of its ``MatchRecordDetail`` row (``record_columns.PKEY_SQL``)."""

    __tablename__ = "match_record"
    __table_args__ = (
        *(
            Index(name, text(key_sql(columns)), postgresql_where=text(index_predicate(name)))
            for name, columns in BLOCKING_INDEXES.items()
        ),
        Index("ix_match_record_person_id", "person_id"),
    )

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    curp16: Mapped[str | None] = mapped_column(String(16))
    curp16_calc: Mapped[str | None] = mapped_column(String(16))
    given_main: Mapped[str | None] = mapped_column(Text)
    ap1: Mapped[str | None] = mapped_column(Text)
    ap2: Mapped[str | None] = mapped_column(Text)
    ph_given: Mapped[str | None] = mapped_column(Text)
    ph_ap1: Mapped[str | None] = mapped_column(Text)
    ph_ap2: Mapped[str | None] = mapped_column(Text)
    dob: Mapped[str | None] = mapped_column(String(10))
    dob_year: Mapped[str | None] = mapped_column(String(4))
    dob_md: Mapped[str | None] = mapped_column(String(5))
    entidad: Mapped[str | None] = mapped_column(String(2))
    feature_digest: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    pkey: Mapped[str] = mapped_column(String(2), Computed(PKEY_SQL, persisted=True))


class MatchRecordDetail(Base):
    """The rest of a record's comparison form, LIST-partitioned by ``pkey`` (one partition per entidad
    code and a default one, in the schema ``match_partition``: migration 0021). Read by
    ``(pkey, source, record_id)`` from its ``MatchRecord`` row, so a read opens one partition."""

    __tablename__ = "match_record_detail"
    __table_args__ = (
        ForeignKeyConstraint(
            ["source", "record_id"],
            ["match_record.source", "match_record.record_id"],
            ondelete="CASCADE",
        ),
        {"postgresql_partition_by": "LIST (pkey)"},
    )

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    pkey: Mapped[str] = mapped_column(String(2), primary_key=True)
    record_pk: Mapped[int | None] = mapped_column(BigInteger)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    curp: Mapped[str | None] = mapped_column(String(18))
    given_full: Mapped[str | None] = mapped_column(Text)
    given_rest: Mapped[str | None] = mapped_column(Text)
    sexo: Mapped[str | None] = mapped_column(String(1))
    municipio: Mapped[str | None] = mapped_column(Text)
    localidad: Mapped[str | None] = mapped_column(Text)
    domicilio: Mapped[str | None] = mapped_column(Text)


class Person(Base):
    """A golden person. ``merged_into`` is set when a manual decision joins it to another."""

    __tablename__ = "match_person"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    merged_into: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class MatchLink(Base):
    """A source record's relation to a golden person. Exactly one MATCH per record; MANUAL rows are
    never changed by runs. ``evidence``: for AUTO links ``{"weights": [...]}``, the match weight of
    each comparison of the pair that tied the record in, in the order of the comparisons of
    ``model_version``'s settings; for MANUAL links the deciding ``review_id``.

    LIST-partitioned by ``pkey``, its record's partition (the ``pkey`` of its ``MatchRecord`` row,
    ``'00'`` for a record without one), in the schema ``match_partition`` (migration 0025). Every link
    of a record is in that one partition, so each partition's unique indexes hold for the whole table;
    ``links.py`` keeps writers agreeing on it. Read by ``(pkey, source, record_id)``, by person through
    ``MatchRecord.person_id``."""

    __tablename__ = "match_link"
    __table_args__ = (
        CheckConstraint(f"state IN {LINK_STATES!r}", name="state"),
        CheckConstraint(f"origin IN {LINK_ORIGINS!r}", name="origin"),
        UniqueConstraint("source", "record_id", "person_id", "pkey"),
        Index(
            "uq_match_link_one_match",
            "source",
            "record_id",
            "pkey",
            unique=True,
            postgresql_where=text("state = 'MATCH'"),
        ),
        {"postgresql_partition_by": "LIST (pkey)"},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    pkey: Mapped[str] = mapped_column(String(2), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(128))
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("match_person.id"))
    state: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(8))
    score: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[str | None] = mapped_column(String(64))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    run_id: Mapped[int | None] = mapped_column(BigInteger)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class MatchReview(Base):
    """A pair of records whose score fell between the review and auto-link thresholds. ``left_snapshot``
    holds the features of a left side that is not a stored record (a visit's provisional patient)."""

    __tablename__ = "match_review"
    __table_args__ = (
        CheckConstraint(f"status IN {REVIEW_STATUSES!r}", name="status"),
        UniqueConstraint("left_source", "left_record_id", "right_source", "right_record_id"),
        Index("ix_match_review_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    left_source: Mapped[str] = mapped_column(String(16))
    left_record_id: Mapped[str] = mapped_column(String(128))
    right_source: Mapped[str] = mapped_column(String(16))
    right_record_id: Mapped[str] = mapped_column(String(128))
    left_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    score: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[str | None] = mapped_column(String(64))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    status: Mapped[str] = mapped_column(String(16), server_default="open")
    decision: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None]
    run_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # ``score`` is the calibrated probability people see and filter on (``calibration``); ``raw_score``
    # the model's own, kept as evidence; ``calibration_id`` the fit that set ``score``.
    raw_score: Mapped[float | None] = mapped_column(Float)
    calibration_id: Mapped[int | None] = mapped_column(BigInteger)


class MatchCalibration(Base):
    """A calibration fit of one model version (``calibration.Calibration.as_json``: a curve per
    stratum and the labels it was fitted on). The newest of the active model's is the one applied; a
    model's fits go with it."""

    __tablename__ = "match_calibration"
    __table_args__ = (Index("ix_match_calibration_model_version_id", "model_version", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    model_version: Mapped[str] = mapped_column(
        String(64), ForeignKey("match_model.version", ondelete="CASCADE")
    )
    curves: Mapped[dict[str, Any]] = mapped_column(JSONB)
    run_id: Mapped[int | None] = mapped_column(BigInteger)
    fitted_at: Mapped[datetime] = mapped_column(server_default=func.now())


class MatchRun(Base):
    __tablename__ = "match_run"
    __table_args__ = (CheckConstraint(f"status IN {RUN_STATUSES!r}", name="status"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), server_default="queued")
    retrain: Mapped[bool] = mapped_column(Boolean, server_default="false")
    model_version: Mapped[str | None] = mapped_column(String(64))
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    requested_by: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(Text)
    records_scored: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
