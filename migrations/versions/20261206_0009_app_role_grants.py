"""the application's role: rights on every table, the audit trail append-only for it

Revision ID: 0009_app_role_grants
Revises: 0008_subscription_secret

The service connects as a LOGIN role that is a member of ``interop_app`` (``interop.db.roles``), while
migrations run as the owner. ``interop_app`` gets SELECT, INSERT, UPDATE, DELETE and REFERENCES on every
table and the use of every sequence, and the same on tables and sequences the owner creates later
(default privileges); on the audit tables only SELECT and INSERT, and on ``alembic_version`` only SELECT.
A batch matching run rebuilds the indexes of ``match_record`` and the link → person foreign key of
``match_link`` (DDL that needs the table's owner, and CREATE on the schema for the indexes), so those
two tables are owned by ``interop_app``, which may create in ``public``; what it creates is its own, and
it still cannot alter or drop what the owner made.
When the migrating user may not create roles or give tables away, each step is skipped with a notice
(docs/security.md says what to run by hand).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_app_role_grants"
down_revision: str | None = "0008_subscription_secret"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AUDIT = ("audit_event", "audit_checkpoint")
# Written out rather than imported: a migration keeps the schema of its day.
_APP_OWNED = ("match_record", "match_link")


def _guarded(body: str, notice: str) -> None:
    op.execute(
        f"""
        DO $$
        BEGIN
            {body}
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE '{notice}';
        END
        $$
        """
    )


def upgrade() -> None:
    _guarded(
        "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'interop_app') THEN "
        "CREATE ROLE interop_app NOLOGIN; END IF;",
        "interop_app role not created (no CREATEROLE); create it by hand",
    )
    audit = ", ".join(_AUDIT)
    _guarded(
        "IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'interop_app') THEN "
        "GRANT USAGE, CREATE ON SCHEMA public TO interop_app; "
        "GRANT SELECT, INSERT, UPDATE, DELETE, REFERENCES ON ALL TABLES IN SCHEMA public TO interop_app; "
        "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO interop_app; "
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {audit} FROM interop_app; "
        "REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON alembic_version FROM interop_app; "
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        "GRANT SELECT, INSERT, UPDATE, DELETE, REFERENCES ON TABLES TO interop_app; "
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO interop_app; "
        "END IF;",
        "interop_app not granted its rights; grant them by hand",
    )
    for table in _APP_OWNED:
        _guarded(
            "IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'interop_app') THEN "
            f"ALTER TABLE {table} OWNER TO interop_app; END IF;",
            f"{table} not given to interop_app; batch matching needs its owner",
        )


def downgrade() -> None:
    for table in _APP_OWNED:
        _guarded(
            f"ALTER TABLE {table} OWNER TO CURRENT_USER;",
            f"{table} stays owned by interop_app",
        )
    audit = ", ".join(_AUDIT)
    _guarded(
        "IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'interop_app') THEN "
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        "REVOKE SELECT, INSERT, UPDATE, DELETE, REFERENCES ON TABLES FROM interop_app; "
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        "REVOKE USAGE, SELECT, UPDATE ON SEQUENCES FROM interop_app; "
        "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM interop_app; "
        "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM interop_app; "
        "REVOKE CREATE ON SCHEMA public FROM interop_app; "
        f"GRANT SELECT, INSERT ON {audit} TO interop_app; "
        "END IF;",
        "interop_app rights left as they were",
    )
