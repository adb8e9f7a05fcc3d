"""Tables of the referral domain.

``referral`` is the ServiceRequest, ``referral_task`` its Task (one open Task per referral; a rejected Task
stays and a new one is created for the next unit). Every change bumps ``version`` and takes a fresh
``change_seq`` from one shared sequence, which orders searches (keyset paging) and polling; each version's
snapshot is kept in ``referral_version`` for ``_history`` and ``vread``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Sequence,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from interop.db.base import Base

CHANGE_SEQ = Sequence("referral_change_seq", metadata=Base.metadata)


class Visit(Base):
    """A visit finding as posted. ``visit_id`` (Bienestar's identifier) and the client's Idempotency-Key are
    the idempotency keys; ``request_hash`` tells a replay from a different body under a used key."""

    __tablename__ = "referral_visit"
    __table_args__ = (
        UniqueConstraint("visit_id"),
        UniqueConstraint("client_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    visit_id: Mapped[str] = mapped_column(String(128))
    client_id: Mapped[str] = mapped_column(String(128))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    visit_date: Mapped[date] = mapped_column(Date)
    referral_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    trace_id: Mapped[str | None] = mapped_column(String(32))
    refers: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ProvisionalPatient(Base):
    """A Patient built from the visit when no registry patient matched with certainty; flagged for review."""

    __tablename__ = "referral_provisional_patient"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    visit_pk: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("referral_visit.id", ondelete="CASCADE"), index=True
    )
    roll_record_id: Mapped[str | None] = mapped_column(String(128))
    curp: Mapped[str | None] = mapped_column(String(18), index=True)
    nombre: Mapped[str | None] = mapped_column(Text)
    primer_apellido: Mapped[str | None] = mapped_column(Text)
    segundo_apellido: Mapped[str | None] = mapped_column(Text)
    fecha_nacimiento: Mapped[date | None] = mapped_column(Date)
    sexo: Mapped[str | None] = mapped_column(String(1))
    entidad: Mapped[str | None] = mapped_column(String(2))
    municipio: Mapped[str | None] = mapped_column(Text)
    localidad: Mapped[str | None] = mapped_column(Text)
    domicilio: Mapped[str | None] = mapped_column(Text)
    telefono: Mapped[str | None] = mapped_column(String(32))
    latitud: Mapped[float | None] = mapped_column(Float)
    longitud: Mapped[float | None] = mapped_column(Float)
    match_grade: Mapped[str] = mapped_column(String(16))
    review_queued: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # One provisional Patient per unmatched person: a visit claims it by ``INSERT … ON CONFLICT`` (0016).
    identity_key: Mapped[str | None] = mapped_column(Text, index=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


OPEN_NEED_WHERE = "status = 'active' AND need_held_by IS NULL"


class Referral(Base):
    """The ServiceRequest. ``performer_clues`` is the unit of the open Task (None while the referral waits to
    be routed); ``tried_clues`` every unit it was routed to, so a rejection re-routes to a unit not yet
    tried. ``care_requested`` + ``reason_category`` are its need: one open referral per patient and need,
    and ``visit_ids`` every visit that added to it."""

    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_change_seq", "change_seq"),
        Index("ix_referral_performer_clues_change_seq", "performer_clues", "change_seq"),
        Index("ix_referral_patient_id", "patient_id"),
        Index("ix_referral_updated_at", "updated_at"),
        Index("ix_referral_occurred_at", "occurred_at"),
        # One open referral per person and need: a visit post opens one with ``INSERT … ON CONFLICT``
        # on this index (``OPEN_NEED_WHERE``), so two concurrent first visits make one (migration 0016).
        Index(
            "uq_referral_open_need",
            "patient_id",
            "care_requested",
            "reason_category",
            unique=True,
            postgresql_nulls_not_distinct=True,
            postgresql_where=text(OPEN_NEED_WHERE),
        ),
        Index(
            "ix_referral_waiting_route",
            "change_seq",
            postgresql_where=text("performer_clues IS NULL AND status = 'active'"),
        ),
        Index("ix_referral_escalated", "escalated_at", postgresql_where=text("escalation IS NOT NULL")),
        # The dashboard's outcomes (``stats``): by the reporting unit's entidad and the code.
        Index(
            "ix_referral_outcome_entidad_code",
            func.substr(text("outcome ->> 'unit'"), 1, 2),
            text("(outcome ->> 'code')"),
            "status",
            postgresql_where=text("(outcome ->> 'code') IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    visit_pk: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("referral_visit.id", ondelete="CASCADE"), unique=True
    )
    visit_id: Mapped[str] = mapped_column(String(128))
    requester_client_id: Mapped[str] = mapped_column(String(128))
    requester_worker_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8))
    patient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    patient_provisional: Mapped[bool] = mapped_column(Boolean)
    # The visit's own Patient when the referral began with one: reviewers' decisions (and their reversal)
    # move the subject between it and the registry Patient it is linked to.
    provisional_patient_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    match_grade: Mapped[str] = mapped_column(String(16))
    match_probability: Mapped[float | None] = mapped_column(Float)
    performer_clues: Mapped[str | None] = mapped_column(String(11))
    performer_org_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    performer_name: Mapped[str | None] = mapped_column(Text)
    tried_clues: Mapped[list[str]] = mapped_column(ARRAY(String(11)))
    required_level: Mapped[int] = mapped_column(Integer)
    origin_lat: Mapped[float | None] = mapped_column(Float)
    origin_lon: Mapped[float | None] = mapped_column(Float)
    routing_rule: Mapped[str] = mapped_column(String(32))
    routing_reason: Mapped[str] = mapped_column(Text)
    distance_km: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    observations: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    note: Mapped[str | None] = mapped_column(Text)
    care_requested: Mapped[str | None] = mapped_column(String(32))
    reason_category: Mapped[str | None] = mapped_column(String(3))
    visit_ids: Mapped[list[str]] = mapped_column(ARRAY(String(128)), server_default=text("'{}'"))
    # Another open referral of the same person and need that holds it (repeat visits add to that one):
    # set when an identity decision brings two together; both stay open with their Tasks.
    need_held_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    escalation: Mapped[str | None] = mapped_column(String(32))
    escalated_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status_reason: Mapped[str | None] = mapped_column(Text)
    authored_on: Mapped[datetime] = mapped_column()
    # Issue 17 (migration 0011): when and where the visit was, what is asked, in the unit's zone.
    occurred_at: Mapped[datetime | None] = mapped_column()
    time_zone: Mapped[str | None] = mapped_column(Text)
    home_bound: Mapped[bool] = mapped_column(Boolean, server_default="false")
    visit_context: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)
    change_seq: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ReferralTask(Base):
    """The Task a unit works on. ``owner_clues`` is the unit's current CLUES."""

    __tablename__ = "referral_task"
    __table_args__ = (
        Index("ix_referral_task_change_seq", "change_seq"),
        Index("ix_referral_task_owner_clues_change_seq", "owner_clues", "change_seq"),
        Index("ix_referral_task_owner_clues_status_change_seq", "owner_clues", "status", "change_seq"),
        Index("ix_referral_task_referral_id", "referral_id"),
        Index("ix_referral_task_patient_id", "patient_id"),
        Index("ix_referral_task_updated_at", "updated_at"),
        # The dashboard's aggregates (``stats``): by entidad (the CLUES' state letters) and status, and the
        # unanswered Tasks' ageing.
        Index(
            "ix_referral_task_entidad_status",
            func.substr(text("owner_clues"), 1, 2),
            "status",
            "owner_clues",
        ),
        Index(
            "ix_referral_task_requested_age",
            func.substr(text("owner_clues"), 1, 2),
            "priority",
            "authored_on",
            postgresql_where=text("status = 'requested'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("referral.id", ondelete="CASCADE")
    )
    previous_task_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    visit_id: Mapped[str] = mapped_column(String(128))
    requester_client_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8))
    business_status: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status_reason: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    output: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    patient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    owner_clues: Mapped[str] = mapped_column(String(11))
    owner_org_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    owner_name: Mapped[str | None] = mapped_column(Text)
    home_visit: Mapped[bool] = mapped_column(Boolean, server_default="false")  # issue 17, migration 0011
    authored_on: Mapped[datetime] = mapped_column()
    version: Mapped[int] = mapped_column(Integer)
    change_seq: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ResourceVersion(Base):
    """One row per version of a ServiceRequest or Task: the domain snapshot the FHIR mapping renders."""

    __tablename__ = "referral_version"
    __table_args__ = (UniqueConstraint("resource_type", "resource_id", "version"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    client_id: Mapped[str | None] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Subscription(Base):
    """A rest-hook subscription (R4 Subscriptions Backport, id-only): ``topic`` ``task``, a clinic to its
    units' Tasks; ``service-request``, a Bienestar system to the referrals it sent."""

    __tablename__ = "referral_subscription"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(128), index=True)
    topic: Mapped[str] = mapped_column(String(32), server_default="task")
    clues: Mapped[list[str]] = mapped_column(ARRAY(String(11)))
    criteria: Mapped[str] = mapped_column(Text)
    endpoint: Mapped[str] = mapped_column(Text)
    headers: Mapped[list[str]] = mapped_column(JSONB)
    signing_secret: Mapped[str | None] = mapped_column(Text)  # whsec_…; None for rows older than 0008
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    failure_count: Mapped[int] = mapped_column(Integer, server_default="0")
    events_since_start: Mapped[int] = mapped_column(BigInteger, server_default="0")
    last_delivered_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


Index("ix_referral_subscription_clues", Subscription.clues, postgresql_using="gin")


class Notification(Base):
    """One event for one subscription; delivered by the ``referral.notify`` job (at least once, in order)."""

    __tablename__ = "referral_notification"
    __table_args__ = (UniqueConstraint("subscription_id", "event_number"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("referral_subscription.id", ondelete="CASCADE")
    )
    event_number: Mapped[int] = mapped_column(BigInteger)
    task_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))  # the focus: a Task, or a ServiceRequest
    resource_type: Mapped[str] = mapped_column(String(32), server_default="Task")
    task_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column()
