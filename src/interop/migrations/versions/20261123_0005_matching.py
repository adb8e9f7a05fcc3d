"""matching model, person index, links and reviews

Revision ID: 0005_matching
Revises: 0004_imports
"""

from collections.abc import Sequence

revision: str = "0005_matching"
down_revision: str | None = "0004_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
