"""indexes for the programme dashboard's aggregates

Revision ID: 0011_s18b_referral_stats
Revises: 0011_s18a_accounts (chained after s18a in this branch; the lead re-chains at merge)

Referral figures are grouped by the entidad of the unit (the first two letters of its CLUES) and status;
the ageing reads only the unanswered (``requested``) Tasks. Both are served from an index alone.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_s18b_referral_stats"
down_revision: str | None = "0011_s18a_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_referral_task_entidad_status ON referral_task "
        "(substr(owner_clues, 1, 2), status, owner_clues)"
    )
    op.execute(
        "CREATE INDEX ix_referral_task_requested_age ON referral_task "
        "(substr(owner_clues, 1, 2), priority, authored_on) WHERE status = 'requested'"
    )


def downgrade() -> None:
    op.drop_index("ix_referral_task_requested_age", table_name="referral_task")
    op.drop_index("ix_referral_task_entidad_status", table_name="referral_task")
