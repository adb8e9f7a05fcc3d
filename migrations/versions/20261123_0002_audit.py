"""audit trail: hash-chained events, signed checkpoints, append-only protection

Revision ID: 0002_audit
Revises: 0001_foundation

Append-only: a trigger refuses UPDATE and DELETE (row level) and TRUNCATE (statement level) on both tables,
and UPDATE, DELETE, TRUNCATE are revoked from PUBLIC. The table owner (and any superuser) could still
disable the trigger, so in production the application should connect as a role that does not own these
tables: this revision creates ``interop_app`` (NOLOGIN; grant it to the login role the app uses) with only
SELECT and INSERT here. The app does not depend on that role existing; when the migrating user may not
create roles, the step is skipped with a notice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_audit"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("audit_event", "audit_checkpoint")


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("subtype", sa.String(32), nullable=False),
        sa.Column("action", sa.String(1), nullable=False),
        sa.Column("outcome", sa.String(2), nullable=False),
        sa.Column("outcome_desc", sa.Text(), nullable=True),
        sa.Column("client_id", sa.String(128), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=True),
        sa.Column("network_address", sa.String(64), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.Column("patient", sa.String(100), nullable=True),
        sa.Column("entities", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("action IN ('C', 'R', 'U', 'D', 'E')", name=op.f("ck_audit_event_action")),
        sa.CheckConstraint("outcome IN ('0', '4', '8', '12')", name=op.f("ck_audit_event_outcome")),
        sa.CheckConstraint("octet_length(hash) = 32", name=op.f("ck_audit_event_hash_length")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_recorded_at", "audit_event", ["recorded_at"])
    op.create_index("ix_audit_event_trace_id", "audit_event", ["trace_id"])
    op.create_index(
        "ix_audit_event_patient", "audit_event", ["patient"], postgresql_where=sa.text("patient IS NOT NULL")
    )
    op.create_index("ix_audit_event_client_id", "audit_event", ["client_id"])
    op.create_index(
        "ix_audit_event_entities",
        "audit_event",
        [sa.cast(sa.literal_column("entities"), postgresql.JSONB()).label("entities_jsonb")],
        postgresql_using="gin",
        postgresql_ops={"entities_jsonb": "jsonb_path_ops"},
    )

    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    op.create_index("ix_audit_checkpoint_seq", "audit_checkpoint", ["seq"])

    # The chain writers' lock and head read in one round trip. VOLATILE plpgsql: each statement inside
    # takes a fresh snapshot, so the SELECT sees the commit of whoever held the lock before.
    op.execute(
        """
        CREATE FUNCTION audit_lock_head(lock_key bigint)
        RETURNS TABLE (head_seq bigint, head_hash bytea, head_recorded_at timestamptz)
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(lock_key);
            RETURN QUERY SELECT e.seq, e.hash, e.recorded_at FROM audit_event e ORDER BY e.seq DESC LIMIT 1;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """
    )
    for table in _TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
        )
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC")
    op.execute(
        """
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'interop_app') THEN
                CREATE ROLE interop_app NOLOGIN;
            END IF;
            GRANT SELECT, INSERT ON audit_event, audit_checkpoint TO interop_app;
            GRANT EXECUTE ON FUNCTION audit_lock_head(bigint) TO interop_app;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'interop_app role not created (no CREATEROLE); create a non-owner app role by hand';
        END
        $$
        """
    )


def downgrade() -> None:
    for table in _TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    op.execute("DROP FUNCTION IF EXISTS audit_lock_head(bigint)")
    op.drop_index("ix_audit_checkpoint_seq", table_name="audit_checkpoint")
    op.drop_table("audit_checkpoint")
    op.drop_index("ix_audit_event_entities", table_name="audit_event")
    op.drop_index("ix_audit_event_client_id", table_name="audit_event")
    op.drop_index("ix_audit_event_patient", table_name="audit_event")
    op.drop_index("ix_audit_event_trace_id", table_name="audit_event")
    op.drop_index("ix_audit_event_recorded_at", table_name="audit_event")
    op.drop_table("audit_event")
