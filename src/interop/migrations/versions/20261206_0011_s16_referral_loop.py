"""close the referral loop: needs, every visit of a referral, waiting to be routed, escalations, outcomes

Revision ID: 0011_s16_referral_loop
Revises: 0010_audit_merkle

- ``referral_visit.refers``: a visit that asks for no referral is stored all the same (its findings).
- ``referral.care_requested`` / ``reason_category``: the need (what is asked + CIE-10 category); one open
  referral per patient and need, found through ``ix_referral_open_need``.
- ``referral.provisional_patient_id``: the visit's own Patient, which reviewers' decisions move the
  subject away from and (when reversed) back to.
- ``referral.visit_ids``: every visit identifier a referral carries (a repeat visit adds its own).
- ``referral.performer_clues`` nullable: a referral waiting to be routed has no unit yet.
- ``referral.escalation`` / ``escalated_at``: why and since when a referral is on the escalation list.
- ``referral.outcome``: the unit's coded outcome (contrarreferencia); ``status_reason``: Bienestar's reason
  for a withdrawal or correction.
- ``referral_provisional_patient.identity_key``: the same unmatched person found twice is one Patient.
- ``unit.cve_mun`` / ``cve_loc``: INEGI codes, optional in the units CSV.

Existing rows: ``visit_ids`` is backfilled with the referral's own visit id; the need of an existing
referral is left empty (it never matches a repeat visit, so old referrals are never merged into).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision: str = "0011_s16_referral_loop"
down_revision: str | None = "0010_audit_merkle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "referral_visit", sa.Column("refers", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column("referral", sa.Column("provisional_patient_id", UUID(as_uuid=True), nullable=True))
    op.execute("UPDATE referral SET provisional_patient_id = patient_id WHERE patient_provisional")
    op.create_index("ix_referral_provisional_patient_id", "referral", ["provisional_patient_id"])
    op.add_column("referral", sa.Column("care_requested", sa.String(32), nullable=True))
    op.add_column("referral", sa.Column("reason_category", sa.String(3), nullable=True))
    op.add_column(
        "referral",
        sa.Column("visit_ids", ARRAY(sa.String(128)), nullable=False, server_default=sa.text("'{}'")),
    )
    op.execute("UPDATE referral SET visit_ids = ARRAY[visit_id]")
    op.alter_column("referral", "performer_clues", nullable=True)
    op.add_column("referral", sa.Column("escalation", sa.String(32), nullable=True))
    op.add_column("referral", sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("referral", sa.Column("outcome", JSONB(), nullable=True))
    op.add_column("referral", sa.Column("status_reason", sa.Text(), nullable=True))
    op.create_index(
        "ix_referral_open_need",
        "referral",
        ["patient_id", "care_requested", "reason_category"],
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index("ix_referral_visit_ids", "referral", ["visit_ids"], postgresql_using="gin")
    op.create_index(
        "ix_referral_waiting_route",
        "referral",
        ["change_seq"],
        postgresql_where=sa.text("performer_clues IS NULL AND status = 'active'"),
    )
    op.create_index(
        "ix_referral_escalated",
        "referral",
        ["escalated_at"],
        postgresql_where=sa.text("escalation IS NOT NULL"),
    )
    op.add_column("referral_provisional_patient", sa.Column("identity_key", sa.Text(), nullable=True))
    op.create_index(
        "ix_referral_provisional_patient_identity_key", "referral_provisional_patient", ["identity_key"]
    )
    op.add_column("unit", sa.Column("cve_mun", sa.String(3), nullable=True))
    op.add_column("unit", sa.Column("cve_loc", sa.String(4), nullable=True))


def downgrade() -> None:
    op.drop_column("unit", "cve_loc")
    op.drop_column("unit", "cve_mun")
    op.drop_index("ix_referral_provisional_patient_identity_key", table_name="referral_provisional_patient")
    op.drop_column("referral_provisional_patient", "identity_key")
    for index in ("ix_referral_escalated", "ix_referral_waiting_route", "ix_referral_visit_ids"):
        op.drop_index(index, table_name="referral")
    op.drop_index("ix_referral_open_need", table_name="referral")
    op.drop_index("ix_referral_provisional_patient_id", table_name="referral")
    for column in (
        "status_reason",
        "outcome",
        "escalated_at",
        "escalation",
        "visit_ids",
        "reason_category",
        "care_requested",
        "provisional_patient_id",
    ):
        op.drop_column("referral", column)
    op.execute("DELETE FROM referral WHERE performer_clues IS NULL")
    op.alter_column("referral", "performer_clues", nullable=False)
    op.drop_column("referral_visit", "refers")
