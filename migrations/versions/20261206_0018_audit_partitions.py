"""audit records and their patients partitioned by month; fewer indexes on the record

Revision ID: 0018_audit_partitions
Revises: 0017_match_calibration

``audit_event`` and ``audit_event_patient`` become tables partitioned by range of ``recorded_at``, one
partition per calendar month (UTC) plus a default one, all in the schema ``audit_partition`` (the
application's role has no USAGE on it: it reaches the rows only through the two parents, where it may only
SELECT and INSERT). ``audit_event_patient`` gains ``recorded_at`` (its record's) so both tables prune the
same way and a search by patient reaches each record through its partition.

Append-only on every partition, present and future: the row trigger of each parent is cloned by
PostgreSQL onto each partition (also those created later); the TRUNCATE trigger, which is not cloned, and
the privileges (UPDATE/DELETE/TRUNCATE revoked, only SELECT and INSERT for ``interop_app``) are set by
``audit_partition_create(month)``, the one way partitions are made. It is SECURITY DEFINER (creating a
partition needs the parents' owner) and the application may execute it, with
``audit_partitions_ensure(months_ahead)`` that creates the current month and the next ones (the job worker
calls it; operations.md). A row whose month has no partition yet lands in the default partition, never an
error on the request's path.

Indexes: the primary key becomes (seq, recorded_at) (a partitioned table's unique keys hold its partition
key); ``trace_id``, ``xid`` (the sequencer), the entities GIN stay; ``recorded_at`` becomes a BRIN (rows
arrive in time order: a few pages' summary instead of a B-tree entry per record); the B-tree on
``client_id`` goes (the agent search is ``client_id IN … OR user_id IN …``, which that index alone cannot
serve) and so does the partial one on ``patient`` (searches by patient use ``audit_event_patient`` since
0012). Existing rows are copied into the partitions in this revision (the trail's owner may read and
insert; the old tables are then dropped, which the append-only trigger does not cover). The Merkle tree
tables refer to records by ``seq`` only and are untouched.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018_audit_partitions"
down_revision: str | None = "0017_match_calibration"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EVENT_COLUMNS = (
    "seq, recorded_at, type, subtype, action, outcome, outcome_desc, client_id, role, user_id, "
    "network_address, request_id, trace_id, patient, entities, query, hash, patients, xid"
)

_FUNCTIONS = r"""
CREATE FUNCTION audit_partition_protect(part regclass) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER no_truncate BEFORE TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION public.audit_append_only()', part);
    EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', part);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'interop_app') THEN
        -- The schema's default privileges would give it UPDATE and DELETE: only SELECT and INSERT.
        EXECUTE format('REVOKE ALL ON %s FROM interop_app', part);
        EXECUTE format('GRANT SELECT, INSERT ON %s TO interop_app', part);
    END IF;
END
$$
---
CREATE FUNCTION audit_partition_create(month date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
-- Attaching a partition locks the parent: give up (the job retries) rather than queue the writers behind.
SET lock_timeout = '5s' AS $$
DECLARE
    first date := date_trunc('month', month)::date;
    suffix text := to_char(first, 'YYYYMM');
    low text := quote_literal(first::text || ' 00:00:00+00');
    high text := quote_literal((first + interval '1 month')::date::text || ' 00:00:00+00');
    parent text;
BEGIN
    IF to_regclass('audit_partition.audit_event_' || suffix) IS NOT NULL THEN
        RETURN false;
    END IF;
    -- Rows of that month already in the default partition stay there (still append-only, searchable).
    IF EXISTS (SELECT 1 FROM audit_partition.audit_event_default
               WHERE recorded_at >= (first::text || ' 00:00:00+00')::timestamptz
                 AND recorded_at < ((first + interval '1 month')::date::text || ' 00:00:00+00')::timestamptz)
       OR EXISTS (SELECT 1 FROM audit_partition.audit_event_patient_default
               WHERE recorded_at >= (first::text || ' 00:00:00+00')::timestamptz
                 AND recorded_at < ((first + interval '1 month')::date::text || ' 00:00:00+00')::timestamptz)
    THEN
        RAISE NOTICE 'audit month % has rows in the default partition: left there', suffix;
        RETURN false;
    END IF;
    FOREACH parent IN ARRAY ARRAY['audit_event', 'audit_event_patient'] LOOP
        EXECUTE format('CREATE TABLE audit_partition.%I PARTITION OF public.%I FOR VALUES FROM (%s) TO (%s)',
                       parent || '_' || suffix, parent, low, high);
        PERFORM audit_partition_protect(format('audit_partition.%I', parent || '_' || suffix)::regclass);
    END LOOP;
    RETURN true;
END
$$
---
CREATE FUNCTION audit_partitions_ensure(months_ahead integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    made integer := 0;
    this_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
BEGIN
    FOR k IN 0 .. greatest(months_ahead, 0) LOOP
        IF audit_partition_create((this_month + make_interval(months => k))::date) THEN
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END
$$
"""


def upgrade() -> None:
    op.execute("CREATE SCHEMA audit_partition")
    op.execute("REVOKE ALL ON SCHEMA audit_partition FROM PUBLIC")
    op.execute("LOCK TABLE audit_event, audit_event_patient IN ACCESS EXCLUSIVE MODE")
    # The old tables step aside (names of indexes and constraints are the new tables' now).
    op.execute("ALTER SEQUENCE audit_event_seq_seq OWNED BY NONE")
    op.execute("ALTER TABLE audit_event RENAME TO audit_event_unpartitioned")
    op.execute("ALTER TABLE audit_event_patient RENAME TO audit_event_patient_unpartitioned")
    for index in ("recorded_at", "trace_id", "patient", "client_id", "entities", "xid"):
        op.execute(f"DROP INDEX ix_audit_event_{index}")
    op.execute("ALTER TABLE audit_event_unpartitioned RENAME CONSTRAINT pk_audit_event TO pk_audit_event_old")
    op.execute(
        "ALTER TABLE audit_event_patient_unpartitioned "
        "RENAME CONSTRAINT pk_audit_event_patient TO pk_audit_event_patient_old"
    )
    op.execute(
        """
        CREATE TABLE audit_event (
            seq bigint NOT NULL DEFAULT nextval('audit_event_seq_seq'),
            recorded_at timestamptz NOT NULL,
            type varchar(32) NOT NULL,
            subtype varchar(32) NOT NULL,
            action varchar(1) NOT NULL,
            outcome varchar(2) NOT NULL,
            outcome_desc text,
            client_id varchar(128) NOT NULL,
            role varchar(32) NOT NULL,
            user_id varchar(128),
            network_address varchar(64),
            request_id varchar(64) NOT NULL,
            trace_id varchar(32) NOT NULL,
            patient varchar(100),
            entities text NOT NULL,
            query text,
            hash bytea,
            patients text,
            xid bigint DEFAULT pg_current_xact_id()::text::bigint,
            CONSTRAINT ck_audit_event_action CHECK (action IN ('C', 'R', 'U', 'D', 'E')),
            CONSTRAINT ck_audit_event_outcome CHECK (outcome IN ('0', '4', '8', '12')),
            CONSTRAINT ck_audit_event_hash_length CHECK (octet_length(hash) = 32),
            CONSTRAINT pk_audit_event PRIMARY KEY (seq, recorded_at)
        ) PARTITION BY RANGE (recorded_at)
        """
    )
    op.execute("ALTER SEQUENCE audit_event_seq_seq OWNED BY audit_event.seq")
    op.execute(
        """
        CREATE TABLE audit_event_patient (
            patient varchar(100) NOT NULL,
            seq bigint NOT NULL,
            recorded_at timestamptz NOT NULL,
            CONSTRAINT pk_audit_event_patient PRIMARY KEY (patient, seq, recorded_at)
        ) PARTITION BY RANGE (recorded_at)
        """
    )
    for table in ("audit_event", "audit_event_patient"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
        )
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC")
    for function in _FUNCTIONS.split("\n---\n"):
        op.execute(function)
    for table in ("audit_event", "audit_event_patient"):
        op.execute(f"CREATE TABLE audit_partition.{table}_default PARTITION OF {table} DEFAULT")
        op.execute(f"SELECT audit_partition_protect('audit_partition.{table}_default')")
    # Every month the existing rows span, then this month and the next two.
    op.execute(
        "SELECT audit_partition_create(m::date) FROM generate_series("
        "(SELECT date_trunc('month', min(recorded_at) AT TIME ZONE 'UTC') FROM audit_event_unpartitioned), "
        "(SELECT date_trunc('month', max(recorded_at) AT TIME ZONE 'UTC') FROM audit_event_unpartitioned), "
        "interval '1 month') AS m"
    )
    op.execute("SELECT audit_partitions_ensure(2)")
    op.execute(
        f"INSERT INTO audit_event ({_EVENT_COLUMNS}) SELECT {_EVENT_COLUMNS} FROM audit_event_unpartitioned"
    )
    op.execute(
        "INSERT INTO audit_event_patient (patient, seq, recorded_at) "
        "SELECT p.patient, p.seq, e.recorded_at FROM audit_event_patient_unpartitioned p "
        "JOIN audit_event_unpartitioned e ON e.seq = p.seq"
    )
    op.execute("DROP TABLE audit_event_patient_unpartitioned")
    op.execute("DROP TABLE audit_event_unpartitioned")
    # Built after the copy (one sort per partition instead of an insert per row).
    op.execute("CREATE INDEX ix_audit_event_recorded_at ON audit_event USING brin (recorded_at)")
    op.execute("CREATE INDEX ix_audit_event_trace_id ON audit_event (trace_id)")
    op.execute("CREATE INDEX ix_audit_event_xid ON audit_event (xid) WHERE xid IS NOT NULL")
    op.execute(
        "CREATE INDEX ix_audit_event_entities ON audit_event USING gin ((CAST(entities AS JSONB)) jsonb_path_ops)"
    )
    op.execute(
        """
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'interop_app') THEN
                REVOKE ALL ON audit_event, audit_event_patient FROM interop_app;
                GRANT SELECT, INSERT ON audit_event, audit_event_patient TO interop_app;
                GRANT USAGE ON SEQUENCE audit_event_seq_seq TO interop_app;
                GRANT EXECUTE ON FUNCTION audit_partitions_ensure(integer) TO interop_app;
                -- A backup (pg_dump as the application's role) reads each partition's rows by name;
                -- each partition grants it SELECT and INSERT only, so naming one changes nothing else.
                GRANT USAGE ON SCHEMA audit_partition TO interop_app;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'grants on the partitioned audit tables not given (not their owner)';
        END
        $$
        """
    )
    for function in ("audit_partition_protect(regclass)", "audit_partition_create(date)"):
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
    op.execute("REVOKE ALL ON FUNCTION audit_partitions_ensure(integer) FROM PUBLIC")
    op.execute("ANALYZE audit_event")
    op.execute("ANALYZE audit_event_patient")


def downgrade() -> None:
    op.execute("ALTER SEQUENCE audit_event_seq_seq OWNED BY NONE")
    op.execute("ALTER TABLE audit_event RENAME TO audit_event_partitioned")
    op.execute("ALTER TABLE audit_event_patient RENAME TO audit_event_patient_partitioned")
    for index in ("recorded_at", "trace_id", "entities", "xid"):
        op.execute(f"DROP INDEX ix_audit_event_{index}")
    op.execute("ALTER TABLE audit_event_partitioned RENAME CONSTRAINT pk_audit_event TO pk_audit_event_part")
    op.execute(
        "ALTER TABLE audit_event_patient_partitioned "
        "RENAME CONSTRAINT pk_audit_event_patient TO pk_audit_event_patient_part"
    )
    op.execute(
        f"CREATE TABLE audit_event AS SELECT {_EVENT_COLUMNS} FROM audit_event_partitioned ORDER BY seq"
    )
    op.execute(
        "CREATE TABLE audit_event_patient AS SELECT patient::varchar(100) AS patient, seq "
        "FROM audit_event_patient_partitioned"
    )
    op.execute("ALTER TABLE audit_event ADD CONSTRAINT pk_audit_event PRIMARY KEY (seq)")
    for column in ("recorded_at", "type", "subtype", "action", "outcome", "client_id", "role"):
        op.execute(f"ALTER TABLE audit_event ALTER COLUMN {column} SET NOT NULL")
    for column in ("request_id", "trace_id", "entities"):
        op.execute(f"ALTER TABLE audit_event ALTER COLUMN {column} SET NOT NULL")
    op.execute("ALTER TABLE audit_event ALTER COLUMN seq SET DEFAULT nextval('audit_event_seq_seq')")
    op.execute("ALTER TABLE audit_event ALTER COLUMN xid SET DEFAULT pg_current_xact_id()::text::bigint")
    op.execute(
        "ALTER TABLE audit_event ADD CONSTRAINT ck_audit_event_action CHECK (action IN ('C', 'R', 'U', 'D', 'E')), "
        "ADD CONSTRAINT ck_audit_event_outcome CHECK (outcome IN ('0', '4', '8', '12')), "
        "ADD CONSTRAINT ck_audit_event_hash_length CHECK (octet_length(hash) = 32)"
    )
    op.execute("ALTER TABLE audit_event_patient ALTER COLUMN patient SET NOT NULL")
    op.execute("ALTER TABLE audit_event_patient ALTER COLUMN seq SET NOT NULL")
    op.execute(
        "ALTER TABLE audit_event_patient ADD CONSTRAINT pk_audit_event_patient PRIMARY KEY (patient, seq)"
    )
    op.execute("ALTER SEQUENCE audit_event_seq_seq OWNED BY audit_event.seq")
    op.execute("DROP TABLE audit_event_patient_partitioned")
    op.execute("DROP TABLE audit_event_partitioned")
    op.execute("DROP FUNCTION audit_partitions_ensure(integer)")
    op.execute("DROP FUNCTION audit_partition_create(date)")
    op.execute("DROP FUNCTION audit_partition_protect(regclass)")
    op.execute("DROP SCHEMA audit_partition")
    op.execute("CREATE INDEX ix_audit_event_recorded_at ON audit_event (recorded_at)")
    op.execute("CREATE INDEX ix_audit_event_trace_id ON audit_event (trace_id)")
    op.execute("CREATE INDEX ix_audit_event_patient ON audit_event (patient) WHERE patient IS NOT NULL")
    op.execute("CREATE INDEX ix_audit_event_client_id ON audit_event (client_id)")
    op.execute("CREATE INDEX ix_audit_event_xid ON audit_event (xid) WHERE xid IS NOT NULL")
    op.execute(
        "CREATE INDEX ix_audit_event_entities ON audit_event USING gin ((CAST(entities AS JSONB)) jsonb_path_ops)"
    )
    for table in ("audit_event", "audit_event_patient"):
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
                REVOKE ALL ON audit_event, audit_event_patient FROM interop_app;
                GRANT SELECT, INSERT ON audit_event, audit_event_patient TO interop_app;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'grants on the audit tables not given (not their owner)';
        END
        $$
        """
    )
