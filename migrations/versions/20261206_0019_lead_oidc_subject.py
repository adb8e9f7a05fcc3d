"""an account signs in through OpenID Connect by the provider's subject, bound by an administrator

Revision ID: 0019_lead_oidc_subject
Revises: 0018_audit_partitions

``account_user.oidc_subject``: the ``sub`` claim (or the configured immutable claim) of the person at the
identity provider. Until now the sign-in looked the account up by ``preferred_username``, a claim many
providers let people edit: anyone able to rename themselves at the provider could sign in here as an
administrator. The subject is unique; NULL means the account has no OpenID Connect sign-in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_lead_oidc_subject"
down_revision: str | None = "0018_audit_partitions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("account_user", sa.Column("oidc_subject", sa.String(length=255), nullable=True))
    op.create_unique_constraint(op.f("uq_account_user_oidc_subject"), "account_user", ["oidc_subject"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_account_user_oidc_subject"), "account_user", type_="unique")
    op.drop_column("account_user", "oidc_subject")
