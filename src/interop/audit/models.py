"""Tables of the audit domain: the hash-chained event log and its signed checkpoints.

Both are append-only: migration ``0002_audit`` installs a trigger that refuses UPDATE, DELETE and TRUNCATE
and revokes those privileges from PUBLIC. ``seq`` is the single global chain order (1, 2, 3 … without gaps);
``hash`` is sha256(previous hash ‖ canonical form) as defined in :mod:`interop.audit.chain`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Identity,
    Index,
    LargeBinary,
    String,
    Text,
    cast,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from interop.db.base import Base


class AuditEvent(Base):
    """One event: who did what to which resources, for at most one patient (BALP: one event per patient)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        CheckConstraint("action IN ('C', 'R', 'U', 'D', 'E')", name="action"),
        CheckConstraint("outcome IN ('0', '4', '8', '12')", name="outcome"),
        CheckConstraint("octet_length(hash) = 32", name="hash_length"),
        Index("ix_audit_event_recorded_at", "recorded_at"),
        Index("ix_audit_event_trace_id", "trace_id"),
        Index("ix_audit_event_patient", "patient", postgresql_where=text("patient IS NOT NULL")),
        Index("ix_audit_event_client_id", "client_id"),
        # entities is the JSON text that was hashed (kept verbatim); searched through this expression.
        Index(
            "ix_audit_event_entities",
            cast(literal_column("entities"), JSONB).label("entities_jsonb"),
            postgresql_using="gin",
            postgresql_ops={"entities_jsonb": "jsonb_path_ops"},
        ),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime]
    type: Mapped[str] = mapped_column(String(32))
    subtype: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(1))
    outcome: Mapped[str] = mapped_column(String(2))
    outcome_desc: Mapped[str | None] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(128))
    network_address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(64))
    trace_id: Mapped[str] = mapped_column(String(32))
    patient: Mapped[str | None] = mapped_column(String(100))
    entities: Mapped[str] = mapped_column(Text)
    query: Mapped[str | None] = mapped_column(Text)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class AuditCheckpoint(Base):
    """A signed statement "entry ``seq`` had hash ``hash`` at ``created_at``" (Ed25519 over
    :func:`interop.audit.chain.checkpoint_message`). Verifying it needs only the public key."""

    __tablename__ = "audit_checkpoint"
    __table_args__ = (Index("ix_audit_checkpoint_seq", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
