"""one open referral per person and need, one provisional Patient per person: unique indexes

Revision ID: 0016_referral_open_need
Revises: 0015_referral_stats

A visit post opens a referral with ``INSERT … ON CONFLICT DO NOTHING`` on this index instead of a
transaction advisory lock and a look-up (issue 16's post path): two concurrent first visits of one person
and need make one referral, the second adding to it.

- ``referral.need_held_by``: when two open referrals of one person and need meet (a reviewer linked the
  visit's Patient to a registry Patient that already had one, or rows from before this revision), the
  newer one points at the referral that holds the need; repeat visits add to the holder. Both stay open
  with their Tasks: nothing a unit works on is closed by an identity decision.
- ``uq_referral_open_need`` replaces ``ix_referral_open_need``: unique on (patient, what is asked, CIE-10
  category), NULLs not distinct (a visit without a coded reason has no category), over active referrals
  that hold their need.

- ``ix_referral_provisional_patient_identity_key`` becomes unique: a visit of an unmatched person claims its
  provisional Patient with ``INSERT … ON CONFLICT (identity_key)`` instead of an advisory lock and a
  look-up (rows from before 0014 have no key; since 0014 the lock kept keys unique).

Existing rows: where several active referrals share a person and need, the oldest holds it and the others
point at it (in this revision, as the unique index cannot be built before).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0016_referral_open_need"
down_revision: str | tuple[str, ...] | None = "0015_referral_stats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("referral", sa.Column("need_held_by", UUID(as_uuid=True), nullable=True))
    op.execute(
        """
        UPDATE referral r SET need_held_by = d.holder
        FROM (
            SELECT id, first_value(id) OVER (
                PARTITION BY patient_id, care_requested, reason_category ORDER BY authored_on, id
            ) AS holder
            FROM referral WHERE status = 'active'
        ) d
        WHERE r.id = d.id AND d.holder <> d.id
        """
    )
    op.drop_index("ix_referral_open_need", table_name="referral")
    op.execute(
        "CREATE UNIQUE INDEX uq_referral_open_need ON referral "
        "(patient_id, care_requested, reason_category) NULLS NOT DISTINCT "
        "WHERE status = 'active' AND need_held_by IS NULL"
    )
    op.drop_index("ix_referral_provisional_patient_identity_key", table_name="referral_provisional_patient")
    op.create_index(
        "ix_referral_provisional_patient_identity_key",
        "referral_provisional_patient",
        ["identity_key"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_referral_provisional_patient_identity_key", table_name="referral_provisional_patient")
    op.create_index(
        "ix_referral_provisional_patient_identity_key", "referral_provisional_patient", ["identity_key"]
    )
    op.drop_index("uq_referral_open_need", table_name="referral")
    op.create_index(
        "ix_referral_open_need",
        "referral",
        ["patient_id", "care_requested", "reason_category"],
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_column("referral", "need_held_by")
