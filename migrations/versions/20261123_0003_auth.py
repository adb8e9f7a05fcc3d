"""API clients, keys and token replay

Revision ID: 0003_auth
Revises: 0002_audit
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_auth"
down_revision: str | None = "0002_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_client",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column(
            "clues", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False
        ),
        sa.Column("secret_hash", sa.Text(), nullable=True),
        sa.Column("jwks", postgresql.JSONB(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('bienestar', 'clinic', 'reviewer', 'auditor', 'admin')",
            name=op.f("ck_auth_client_role"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_client")),
        sa.UniqueConstraint("name", name=op.f("uq_auth_client_name")),
    )
    op.create_table(
        "auth_used_jti",
        sa.Column("client_name", sa.String(64), nullable=False),
        sa.Column("jti", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_name", "jti", name=op.f("pk_auth_used_jti")),
    )
    op.create_index("ix_auth_used_jti_expires_at", "auth_used_jti", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_auth_used_jti_expires_at", table_name="auth_used_jti")
    op.drop_table("auth_used_jti")
    op.drop_table("auth_client")
