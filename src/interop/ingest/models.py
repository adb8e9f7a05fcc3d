"""Imports and their rejected lines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from interop.db.base import Base

IMPORT_KINDS = ("units", "roll", "patients")
IMPORT_STATES = ("queued", "running", "succeeded", "refused", "failed")


class Import(Base):
    """One file handed in for import. ``last_line`` is the last input line whose fate is committed:
    a resumed run starts after it."""

    __tablename__ = "ingest_import"
    __table_args__ = (
        CheckConstraint(f"kind IN {IMPORT_KINDS!r}", name="kind"),
        CheckConstraint(f"state IN {IMPORT_STATES!r}", name="state"),
        Index("ix_ingest_import_kind_sha256", "kind", "sha256"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(8))
    filename: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    encoding: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), server_default="queued")
    client_id: Mapped[str] = mapped_column(Text)
    allowed_clues: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    duplicate_of: Mapped[int | None] = mapped_column(BigInteger)
    last_line: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    bytes_done: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    rows_read: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    new_records: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    new_versions: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    unchanged: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    rejected: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    error: Mapped[str | None] = mapped_column(Text)
    trace_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]

    @property
    def stored(self) -> int:
        return self.new_records + self.new_versions + self.unchanged


class Reject(Base):
    """A line that was not stored, and why (no personal data in ``reason``)."""

    __tablename__ = "ingest_reject"
    __table_args__ = (PrimaryKeyConstraint("import_id", "line"),)

    import_id: Mapped[int] = mapped_column(BigInteger)
    line: Mapped[int] = mapped_column(Integer)
    record_id: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
