"""audit trail

Revision ID: 0002_audit
Revises: 0001_foundation
"""

from collections.abc import Sequence

revision: str = "0002_audit"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
