"""compact audit storage: one record per request, its patients in a narrow side table

Revision ID: 0012_audit_compact
Revises: 0011_referral_context

A request that touches many patients (a clinic pulling 100 Tasks) wrote one full ``audit_event`` row per
patient, each with the GIN-indexed entities. From here it writes one record, with ``patients`` (the JSON
array of its patient references, part of the record's leaf bytes, see ``interop.audit.leaf``), and one
narrow ``audit_event_patient`` row (record seq, patient reference) per patient, which searches by patient
use through its primary key. ``/fhir/AuditEvent`` still answers one BALP AuditEvent per patient.

Existing rows keep ``patient`` (one per row, ``patients`` NULL) and are copied into the side table, so a
search by patient has a single path. The side table is append-only like the rest of the audit trail.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_audit_compact"
down_revision: str | None = "0011_referral_context"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE audit_event ADD COLUMN patients text")
    op.execute(
        """
        CREATE TABLE audit_event_patient (
            patient varchar(100) NOT NULL,
            seq bigint NOT NULL,
            CONSTRAINT pk_audit_event_patient PRIMARY KEY (patient, seq)
        )
        """
    )
    op.execute(
        "INSERT INTO audit_event_patient (patient, seq) "
        "SELECT patient, seq FROM audit_event WHERE patient IS NOT NULL"
    )
    op.execute(
        "CREATE TRIGGER audit_event_patient_append_only BEFORE UPDATE OR DELETE ON audit_event_patient "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_event_patient_no_truncate BEFORE TRUNCATE ON audit_event_patient "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
    )
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_event_patient FROM PUBLIC")
    op.execute(
        """
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'interop_app') THEN
                REVOKE ALL ON audit_event_patient FROM interop_app;
                GRANT SELECT, INSERT ON audit_event_patient TO interop_app;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'grants on audit_event_patient not given (not its owner)';
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE audit_event_patient")
    op.execute("ALTER TABLE audit_event DROP COLUMN patients")
