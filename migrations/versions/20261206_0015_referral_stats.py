"""indexes for the programme dashboard's aggregates

Revision ID: 0015_referral_stats
Revises: 0014_referral_loop

Referral figures are grouped by the entidad of the unit (the first two letters of its CLUES) and status;
the ageing reads only the unanswered (``requested``) Tasks; outcomes are grouped by the reporting unit's
entidad and the code. Each is served from an index alone.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_referral_stats"
down_revision: str | tuple[str, ...] | None = "0014_referral_loop"
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
    op.execute(
        "CREATE INDEX ix_referral_outcome_entidad_code ON referral "
        "(substr(outcome ->> 'unit', 1, 2), (outcome ->> 'code'), status) "
        "WHERE (outcome ->> 'code') IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_referral_outcome_entidad_code", table_name="referral")
    op.drop_index("ix_referral_task_requested_age", table_name="referral_task")
    op.drop_index("ix_referral_task_entidad_status", table_name="referral_task")
