"""what a unit needs to act on a referral: when and where the visit was, what is asked, the unit's type

Revision ID: 0011_referral_context
Revises: 0010_audit_merkle

- ``referral.occurred_at``: the visit's instant (UTC), read in ``referral.time_zone`` (the IANA zone of
  the unit it was routed to) by ``date`` searches; both NULL on rows older than this revision.
- ``referral.care_requested``: a code of the CodeSystem ``atencion-solicitada``.
- ``referral.home_bound``: the person cannot leave home.
- ``referral.visit_context``: the place the person was found, functional status, caregiver, medication
  needs and the routing reason's parts (rendered in the reader's language).
- ``unit.tipo_unidad``: the optional unit type of the units CSV (home-visit capability).
- ``referral_task.home_visit``: the unit is asked to visit the person at home.

Only nullable columns or constant defaults: no table rewrite.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_referral_context"
down_revision: str | None = "0010_audit_merkle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE referral ADD COLUMN occurred_at timestamptz")
    op.execute("ALTER TABLE referral ADD COLUMN time_zone text")
    op.execute("ALTER TABLE referral ADD COLUMN care_requested varchar(32)")
    op.execute("ALTER TABLE referral ADD COLUMN home_bound boolean NOT NULL DEFAULT false")
    op.execute("ALTER TABLE referral ADD COLUMN visit_context jsonb")
    op.execute("CREATE INDEX ix_referral_occurred_at ON referral (occurred_at)")
    op.execute("ALTER TABLE unit ADD COLUMN tipo_unidad varchar(32)")
    op.execute("ALTER TABLE referral_task ADD COLUMN home_visit boolean NOT NULL DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE referral_task DROP COLUMN home_visit")
    op.execute("ALTER TABLE unit DROP COLUMN tipo_unidad")
    op.execute("DROP INDEX ix_referral_occurred_at")
    for column in ("visit_context", "home_bound", "care_requested", "time_zone", "occurred_at"):
        op.execute(f"ALTER TABLE referral DROP COLUMN {column}")
