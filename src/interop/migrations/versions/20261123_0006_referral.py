"""referrals, tasks, subscriptions

Revision ID: 0006_referral
Revises: 0005_matching
"""

from collections.abc import Sequence

revision: str = "0006_referral"
down_revision: str | None = "0005_matching"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
