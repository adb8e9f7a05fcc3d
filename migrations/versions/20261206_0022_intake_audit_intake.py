"""audit records enter through a narrow intake table; the sequencer moves them into the searchable log

Revision ID: 0022_intake_audit_intake
Revises: 0021_part_entidad_partitions

Issue 19 (audited transactions at 16 writers). A request's record used to be inserted straight into the
partitioned ``audit_event`` (four B-tree entries, a GIN entry, a BRIN summary) and its patients' side
rows. Now it is one row of ``audit_intake``: an ordinary (logged: a committed record survives a crash)
heap table with no index at all, one CHECK constraint, and no side rows. The sequencer moves the
committed intake rows into ``audit_event`` and ``audit_event_patient`` and makes them leaves in one
transaction (``audit_intake_move``), so a record is in exactly one of the two places at any moment.

Custody (docs/decisions.md, "Audit intake"):
- ``interop_app`` may SELECT and INSERT on ``audit_intake``, nothing else (the schema's default privileges
  would give it UPDATE and DELETE: revoked).
- A trigger refuses UPDATE and TRUNCATE on it always, and DELETE unless the deleting statement runs inside
  ``audit_intake_move`` (a transaction-local flag the function sets and clears): a stray DELETE by the
  owner is refused too.
- ``audit_intake_move(batch)`` is SECURITY DEFINER (deleting needs the owner) and the application may
  execute it; its only effect is to relocate rows into the append-only tables in the caller's transaction
  (both or neither), so calling it can never destroy a record. The moved rows carry the moving
  transaction's ``xid``: should a caller commit a move without making leaves, the sequencer's existing
  commit-order path (``xid`` at or above the watermark, not yet a leaf) still finds them.

The view ``audit_record`` shows every record, sequenced or not (``interop_app`` may SELECT it).

Nothing is moved by this revision: records already in ``audit_event`` are sequenced as before. The
downgrade moves any intake rows that remain into ``audit_event`` (unsequenced, found by the same path),
then drops the intake.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022_intake_audit_intake"
down_revision: str | None = "0021_part_entidad_partitions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The record's columns in the leaf's order, less ``seq`` (given apart), ``patient`` (always NULL for a
# record of one request) and ``hash`` (only the legacy chain's).
_COLUMNS = (
    "recorded_at, type, subtype, action, outcome, outcome_desc, client_id, role, user_id, "
    "network_address, request_id, trace_id, entities, query, patients"
)

_TABLE = r"""
CREATE TABLE audit_intake (
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
    entities text NOT NULL,
    query text,
    patients text,
    xid bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
    -- What the move would refuse must be refused here, at the request: a row the move cannot write would
    -- stop the sequencer. The codes as audit_event's; a JSON NUL escape, which jsonb (the entities' GIN,
    -- the patients' expansion) refuses.
    CONSTRAINT ck_audit_intake_codes CHECK (
        action ~ '^[CRUDE]$' AND outcome ~ '^(0|4|8|12)$'
        AND strpos(entities, '\u0000') = 0 AND strpos(patients, '\u0000') = 0
    )
)
"""

_FUNCTIONS = r"""
CREATE FUNCTION audit_intake_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('interop.audit_intake_move', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit intake: % on % refused (records leave it only by audit_intake_move)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$
---
CREATE FUNCTION audit_intake_move(batch integer)
RETURNS TABLE (
    seq bigint, recorded_at timestamptz, type varchar, subtype varchar, action varchar, outcome varchar,
    outcome_desc text, client_id varchar, role varchar, user_id varchar, network_address varchar,
    request_id varchar, trace_id varchar, patient varchar, entities text, query text, patients text
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
#variable_conflict use_column
DECLARE
    picked tid[];
BEGIN
    -- The committed rows this statement sees (an open transaction's are invisible: taken by a later
    -- call once committed), lowest seq first.
    SELECT array_agg(i.ctid) INTO picked
    FROM (SELECT t.ctid FROM public.audit_intake t ORDER BY t.seq LIMIT batch) i;
    IF picked IS NULL THEN
        RETURN;
    END IF;
    PERFORM set_config('interop.audit_intake_move', 'on', true);
    RETURN QUERY
    WITH moved AS (
        DELETE FROM public.audit_intake t WHERE t.ctid = ANY (picked)
        RETURNING t.seq AS s, t.*
    ), records AS (
        INSERT INTO public.audit_event (seq, recorded_at, type, subtype, action, outcome, outcome_desc,
            client_id, role, user_id, network_address, request_id, trace_id, entities, query, patients, xid)
        SELECT m.s, m.recorded_at, m.type, m.subtype, m.action, m.outcome, m.outcome_desc, m.client_id,
            m.role, m.user_id, m.network_address, m.request_id, m.trace_id, m.entities, m.query, m.patients,
            pg_current_xact_id()::text::bigint
        FROM moved m
    ), refs AS (
        -- varchar(100) by an explicit cast: a longer reference (refused at the request since) cannot stop
        -- the sequencer; the record's own patients text keeps it whole.
        INSERT INTO public.audit_event_patient (patient, seq, recorded_at)
        SELECT DISTINCT CAST(p.ref AS varchar(100)), m.s, m.recorded_at
        FROM moved m, jsonb_array_elements_text(CAST(m.patients AS jsonb)) AS p(ref)
        WHERE m.patients IS NOT NULL
    )
    SELECT m.s, m.recorded_at, m.type, m.subtype, m.action, m.outcome, m.outcome_desc, m.client_id,
        m.role, m.user_id, m.network_address, m.request_id, m.trace_id, NULL::varchar, m.entities,
        m.query, m.patients
    FROM moved m ORDER BY m.s;
    PERFORM set_config('interop.audit_intake_move', 'off', true);
END
$$
"""


# Every record, sequenced or not, in one statement's snapshot (a record is in exactly one of the two):
# for operators and for checks that read the log with SQL.
_VIEW = """
CREATE VIEW audit_record AS
SELECT seq, recorded_at, type, subtype, action, outcome, outcome_desc, client_id, role, user_id,
    network_address, request_id, trace_id, patient, entities, query, hash, patients, xid
FROM audit_event
UNION ALL
SELECT seq, recorded_at, type, subtype, action, outcome, outcome_desc, client_id, role, user_id,
    network_address, request_id, trace_id, NULL::varchar(100), entities, query, NULL::bytea, patients, xid
FROM audit_intake
"""


def upgrade() -> None:
    op.execute(_TABLE)
    op.execute(_VIEW)
    op.execute("REVOKE ALL ON audit_record FROM PUBLIC")
    for function in _FUNCTIONS.split("\n---\n"):
        op.execute(function)
    op.execute(
        "CREATE TRIGGER audit_intake_guard BEFORE UPDATE OR DELETE ON audit_intake "
        "FOR EACH ROW EXECUTE FUNCTION audit_intake_guard()"
    )
    op.execute(
        "CREATE TRIGGER audit_intake_no_truncate BEFORE TRUNCATE ON audit_intake "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_intake_guard()"
    )
    op.execute("REVOKE ALL ON audit_intake FROM PUBLIC")
    op.execute("REVOKE ALL ON FUNCTION audit_intake_move(integer) FROM PUBLIC")
    op.execute(
        """
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'interop_app') THEN
                REVOKE ALL ON audit_intake FROM interop_app;
                GRANT SELECT, INSERT ON audit_intake TO interop_app;
                REVOKE ALL ON audit_record FROM interop_app;
                GRANT SELECT ON audit_record TO interop_app;
                GRANT EXECUTE ON FUNCTION audit_intake_move(integer) TO interop_app;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'grants on audit_intake not given (not its owner)';
        END
        $$
        """
    )


def downgrade() -> None:
    # Nothing committed is lost going back: what waits in the intake becomes an unsequenced record of
    # audit_event (its xid this transaction's, so the old sequencer takes it).
    op.execute("LOCK TABLE audit_intake IN ACCESS EXCLUSIVE MODE")
    op.execute(
        f"INSERT INTO audit_event (seq, {_COLUMNS}) SELECT seq, {_COLUMNS} FROM audit_intake ORDER BY seq"
    )
    op.execute(
        "INSERT INTO audit_event_patient (patient, seq, recorded_at) "
        "SELECT DISTINCT CAST(p.ref AS varchar(100)), i.seq, i.recorded_at FROM audit_intake i, "
        "jsonb_array_elements_text(CAST(i.patients AS jsonb)) AS p(ref) WHERE i.patients IS NOT NULL"
    )
    op.execute("DROP VIEW audit_record")
    op.execute("DROP TABLE audit_intake")
    op.execute("DROP FUNCTION audit_intake_move(integer)")
    op.execute("DROP FUNCTION audit_intake_guard()")
