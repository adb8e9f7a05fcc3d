"""units, roll and registry imports

Revision ID: 0004_imports
Revises: 0003_auth
"""

from collections.abc import Sequence

revision: str = "0004_imports"
down_revision: str | None = "0003_auth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
