"""the audit Merkle tree log: leaves, perfect-subtree nodes and signed tree heads; lock-free appends

Revision ID: 0010_audit_merkle
Revises: 0009_app_role_grants

Requests insert ``audit_event`` rows with no lock and no chain hash: ``seq`` comes from a sequence
(gaps where a transaction rolls back) and ``xid`` records the inserting transaction (its ``xid8``, as
bigint). The sequencer (``interop.audit.sequencer``, one at a time by an advisory lock) gives committed
rows leaf indexes in the order it sees them commit and stores:

- ``audit_leaf``: leaf index → event seq (each event at most once);
- ``audit_node``: the hash of every complete perfect subtree (level 0 = leaf hashes), what any root or
  proof needs in O(log n) lookups;
- ``audit_head``: signed tree heads (C2SP tlog-checkpoint body, Ed25519), with the sequencer's
  transaction watermark.

Rows that exist before this revision have ``xid`` NULL and a chain ``hash``: the sequencer's first steps
make them the first leaves in ``seq`` order (no backfill here, so the migration stays short on a big
table), and their old chain checkpoints stay verifiable. All three tables are append-only like the rest
of the audit trail (trigger, UPDATE/DELETE/TRUNCATE revoked).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_audit_merkle"
down_revision: str | None = "0009_app_role_grants"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("audit_leaf", "audit_node", "audit_head")


def upgrade() -> None:
    op.execute("ALTER TABLE audit_event ALTER COLUMN hash DROP NOT NULL")
    op.execute("ALTER TABLE audit_event ADD COLUMN xid bigint")
    # Set after the ADD so existing rows keep NULL (a volatile default would rewrite the table).
    op.execute("ALTER TABLE audit_event ALTER COLUMN xid SET DEFAULT pg_current_xact_id()::text::bigint")
    op.execute("CREATE INDEX ix_audit_event_xid ON audit_event (xid) WHERE xid IS NOT NULL")
    op.execute("CREATE SEQUENCE audit_event_seq_seq OWNED BY audit_event.seq")
    op.execute(
        "SELECT setval('audit_event_seq_seq', coalesce((SELECT max(seq) FROM audit_event), 0) + 1, false)"
    )
    op.execute("ALTER TABLE audit_event ALTER COLUMN seq SET DEFAULT nextval('audit_event_seq_seq')")
    op.execute(
        """
        CREATE TABLE audit_leaf (
            leaf_index bigint NOT NULL CONSTRAINT pk_audit_leaf PRIMARY KEY,
            seq bigint NOT NULL CONSTRAINT uq_audit_leaf_seq UNIQUE
        )
        """
    )
    op.execute(
        """
        CREATE TABLE audit_node (
            level smallint NOT NULL,
            idx bigint NOT NULL,
            hash bytea NOT NULL CONSTRAINT ck_audit_node_hash_length CHECK (octet_length(hash) = 32),
            CONSTRAINT pk_audit_node PRIMARY KEY (level, idx)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE audit_head (
            tree_size bigint NOT NULL CONSTRAINT pk_audit_head PRIMARY KEY,
            root_hash bytea NOT NULL,
            created_at timestamptz NOT NULL,
            kid varchar(32) NOT NULL,
            checkpoint text NOT NULL,
            signature bytea NOT NULL,
            watermark bigint
        )
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
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'interop_app') THEN
                -- 0009's default privileges would give the application every data right: the tree,
                -- like the events, is append-only for it.
                REVOKE ALL ON audit_leaf, audit_node, audit_head FROM interop_app;
                GRANT SELECT, INSERT ON audit_leaf, audit_node, audit_head TO interop_app;
                GRANT USAGE ON SEQUENCE audit_event_seq_seq TO interop_app;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'grants on the audit tree tables not given (not their owner)';
        END
        $$
        """
    )


def downgrade() -> None:
    for table in _TABLES:
        op.execute(f"DROP TABLE {table}")
    op.execute("ALTER TABLE audit_event ALTER COLUMN seq DROP DEFAULT")
    op.execute("DROP SEQUENCE audit_event_seq_seq")
    op.execute("DROP INDEX ix_audit_event_xid")
    op.execute("ALTER TABLE audit_event DROP COLUMN xid")
