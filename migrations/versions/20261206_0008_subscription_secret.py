"""the signing secret of each rest-hook Subscription

Revision ID: 0008_subscription_secret
Revises: 0007_blocking_key_hashes

Notifications are signed with a secret of their Subscription (Standard Webhooks, HMAC-SHA256). The
secret must be readable to sign, so it is stored as given, like the client's ``channel.header`` values.
Subscriptions created before this revision have none: their notifications go out unsigned until the
clinic creates them again (no backfill: a secret nobody was ever told is of no use to a receiver).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_subscription_secret"
down_revision: str | None = "0007_blocking_key_hashes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("referral_subscription", sa.Column("signing_secret", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("referral_subscription", "signing_secret")
