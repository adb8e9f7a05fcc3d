"""The pension roll: one row per version of each roll record, partitioned by entidad, and the key table
that holds each record id once."""

from __future__ import annotations

from sqlalchemy import Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from interop.db.base import Base
from interop.db.identity_records import IdentityRecordColumns, KeyColumns, partition_args


class RollRecord(IdentityRecordColumns, Base):
    __tablename__ = "roll_record"
    __table_args__ = (UniqueConstraint("record_id", "version", "pkey"), *partition_args())

    programa: Mapped[str | None] = mapped_column(Text)


class RollRecordKey(KeyColumns, Base):
    __tablename__ = "roll_record_key"
