"""Tables of the audit domain: the event log, the Merkle tree over it with its signed tree heads, and the
legacy hash chain's signed checkpoints.

All are append-only: migrations ``0002_audit``, ``0010_audit_merkle`` and ``0012_audit_compact``
install a trigger that refuses UPDATE, DELETE and TRUNCATE and revoke those privileges from PUBLIC. Events
written before the tree log form a hash chain (``seq`` 1, 2, 3 … without gaps, ``hash`` = sha256(previous
hash ‖ canonical form), :mod:`interop.audit.chain`), one row per patient; records written since have
``seq`` from a sequence (gaps where a transaction rolled back), no ``hash``, ``xid`` (their inserting
transaction) and one row per request, its patients in ``patients`` and in ``audit_event_patient``.
Every record becomes a leaf of the Merkle tree (:mod:`interop.audit.sequencer`, :mod:`interop.audit.leaf`).
``audit_event`` and ``audit_event_patient`` are partitioned by month of ``recorded_at`` (migration
``0018_audit_partitions``). Since migration ``0022_intake_audit_intake`` a request writes its record into
``audit_intake`` (no index) and the sequencer moves it here, its patients into ``audit_event_patient``,
as it makes it a leaf; ``xid`` is then the moving transaction's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Identity,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    Sequence,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    cast,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from interop.db.base import Base

# Events since migration 0010 take their seq from here at insert (no lock; rolled-back ones leave gaps).
_SEQ = Sequence("audit_event_seq_seq", metadata=Base.metadata)


class AuditEvent(Base):
    """One event: who did what to which resources, for at most one patient (BALP: one event per patient)."""

    __tablename__ = "audit_event"
    # seq alone names a record (recorded_at is in the key only because the table is partitioned by it).
    __mapper_args__ = {"primary_key": ["seq"]}
    __table_args__ = (
        # One constraint of short expressions: PostgreSQL re-reads every CHECK at each INSERT statement
        # (migration 0020), and a record is inserted per audited request.
        CheckConstraint(
            "action ~ '^[CRUDE]$' AND outcome ~ '^(0|4|8|12)$' AND octet_length(hash) = 32", name="codes"
        ),
        # Partitioned by month of recorded_at (migration 0016): every unique key holds it.
        PrimaryKeyConstraint("seq", "recorded_at"),
        # Rows arrive in time order: a block-range summary serves date searches at a fraction of a B-tree.
        Index("ix_audit_event_recorded_at", "recorded_at", postgresql_using="brin"),
        Index("ix_audit_event_trace_id", "trace_id"),
        Index("ix_audit_event_xid", "xid", postgresql_where=text("xid IS NOT NULL")),
        # entities is the JSON text that was hashed (kept verbatim); searched through this expression.
        Index(
            "ix_audit_event_entities",
            cast(literal_column("entities"), JSONB).label("entities_jsonb"),
            postgresql_using="gin",
            postgresql_ops={"entities_jsonb": "jsonb_path_ops"},
        ),
        {"postgresql_partition_by": "RANGE (recorded_at)"},
    )

    seq: Mapped[int] = mapped_column(BigInteger, _SEQ, autoincrement=False, server_default=_SEQ.next_value())
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
    hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Since migration 0011 one record per request: the JSON array of its patients (NULL when none, and
    # for the rows before, which carry one ``patient`` each). Part of the leaf (interop.audit.leaf).
    patients: Mapped[str | None] = mapped_column(Text)
    # pg_current_xact_id() of the inserting transaction; NULL for events of the legacy chain.
    xid: Mapped[int | None] = mapped_column(
        BigInteger, server_default=text("pg_current_xact_id()::text::bigint")
    )


class AuditEventPatient(Base):
    """A patient a record concerns: what searches by patient go through (its primary key). Partitioned
    like the records by ``recorded_at`` (its record's), which leads a search to the record's partition."""

    __tablename__ = "audit_event_patient"
    __table_args__ = {"postgresql_partition_by": "RANGE (recorded_at)"}

    patient: Mapped[str] = mapped_column(String(100), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(primary_key=True)


class AuditLeaf(Base):
    """Leaf ``leaf_index`` of the tree is the event ``seq`` (its canonical form is the leaf's bytes)."""

    __tablename__ = "audit_leaf"
    __table_args__ = (UniqueConstraint("seq"),)

    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)


class AuditNode(Base):
    """The hash of the complete perfect subtree of leaves [idx·2^level, (idx+1)·2^level)."""

    __tablename__ = "audit_node"
    __table_args__ = (CheckConstraint("octet_length(hash) = 32", name="hash_length"),)

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class AuditHead(Base):
    """A signed tree head: ``checkpoint`` (C2SP tlog-checkpoint body) signed with Ed25519 by key ``kid``.
    ``watermark`` is the snapshot xmin of the step that signed it: every event of a transaction below it
    is in this tree."""

    __tablename__ = "audit_head"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    kid: Mapped[str] = mapped_column(String(32))
    checkpoint: Mapped[str] = mapped_column(Text)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    watermark: Mapped[int | None] = mapped_column(BigInteger)


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


class AuditIntake(Base):
    """A committed record not yet sequenced (migration ``0022_intake_audit_intake``): what a request
    writes, the record's columns with no index, no side rows and no patient column. The sequencer moves
    it into ``audit_event`` and ``audit_event_patient`` and makes it a leaf in one transaction
    (``audit_intake_move``); until then readers find it here. The application may only SELECT and INSERT;
    a trigger refuses UPDATE, TRUNCATE and any DELETE outside the move."""

    __tablename__ = "audit_intake"
    __table_args__ = (
        CheckConstraint(
            "action ~ '^[CRUDE]$' AND outcome ~ '^(0|4|8|12)$' "
            "AND strpos(entities, '\\u0000') = 0 AND strpos(patients, '\\u0000') = 0",
            name="codes",
        ),
    )
    # No primary key in the database (an index per request is what this table avoids); seq names a row.
    __mapper_args__ = {"primary_key": ["seq"]}

    seq: Mapped[int] = mapped_column(BigInteger, _SEQ, autoincrement=False, server_default=_SEQ.next_value())
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
    entities: Mapped[str] = mapped_column(Text)
    query: Mapped[str | None] = mapped_column(Text)
    patients: Mapped[str | None] = mapped_column(Text)
    xid: Mapped[int] = mapped_column(BigInteger, server_default=text("pg_current_xact_id()::text::bigint"))
    # Read as a stored record is (AuditEventRead.expand): no legacy patient, no chain hash.
    patient = None
    hash = None
