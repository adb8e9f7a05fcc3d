"""people's accounts for the web pages

Revision ID: 0011_s18a_accounts
Revises: 0010_audit_merkle

``account_user``: local accounts (argon2 password hash, TOTP seed, lockout counters) and accounts that
sign in through OpenID Connect. The app role gets the rights 0009's default privileges give every new
table; granted here too in case the default privileges were not in place.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011_s18a_accounts"
down_revision: str | None = "0010_audit_merkle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLES = ("reviewer", "auditor", "unit_staff", "manager", "admin")


def upgrade() -> None:
    op.create_table(
        "account_user",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column(
            "clues", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False
        ),
        sa.Column(
            "entidades", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False
        ),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("totp_secret", sa.Text(), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("password_expired", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("session_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"role IN {_ROLES!r}", name=op.f("ck_account_user_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_user")),
        sa.UniqueConstraint("username", name=op.f("uq_account_user_username")),
    )
    op.execute(
        """
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'interop_app') THEN
                GRANT SELECT, INSERT, UPDATE, DELETE, REFERENCES ON account_user TO interop_app;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'account_user: grant to interop_app by hand (docs/security.md)';
        END
        $$
        """
    )


def downgrade() -> None:
    op.drop_table("account_user")
