"""API clients, keys and token replay

Revision ID: 0003_auth
Revises: 0002_audit
"""

from collections.abc import Sequence

revision: str = "0003_auth"
down_revision: str | None = "0002_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
