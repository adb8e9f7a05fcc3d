"""The pension roll: one row per version of each roll record."""

from __future__ import annotations

from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from interop.db.base import Base
from interop.db.identity_records import IdentityRecordColumns


class RollRecord(IdentityRecordColumns, Base):
    __tablename__ = "roll_record"
    __table_args__ = (
        UniqueConstraint("record_id", "version"),
        Index("uq_roll_record_current", "record_id", unique=True, postgresql_where=text("is_current")),
    )

    programa: Mapped[str | None] = mapped_column(Text)
