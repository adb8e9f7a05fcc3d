"""the audit record's code checks in one compact CHECK constraint

Revision ID: 0021_audit_write_cost
Revises: 0020_part_entidad_partitions

PostgreSQL reads a table's CHECK constraints from their stored node text at every INSERT statement (one
``stringToNode`` and expression build per constraint per statement: it caches no compiled form), and the
audit record is inserted once per audited request. The three constraints of ``audit_event`` (``action IN
(…)``, ``outcome IN (…)``, ``octet_length(hash) = 32``, the ``IN`` lists stored as coerced arrays) were
~11 % of the server's CPU samples in an audited small write (perf, bench/audit/RESULTS.md); the same rules
as one constraint of two regular expressions and the length are ~6 %. Same rows accepted and refused.

Added ``NOT VALID`` and then validated: the validation scans the records under a lock that lets requests
keep appending (the old constraints already held every row to these rules, so it cannot fail).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021_audit_write_cost"
down_revision: str | None = "0020_part_entidad_partitions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CODES = "action ~ '^[CRUDE]$' AND outcome ~ '^(0|4|8|12)$' AND octet_length(hash) = 32"


def upgrade() -> None:
    op.execute(f"ALTER TABLE audit_event ADD CONSTRAINT ck_audit_event_codes CHECK ({_CODES}) NOT VALID")
    op.execute("ALTER TABLE audit_event VALIDATE CONSTRAINT ck_audit_event_codes")
    op.execute(
        "ALTER TABLE audit_event DROP CONSTRAINT ck_audit_event_action, "
        "DROP CONSTRAINT ck_audit_event_outcome, DROP CONSTRAINT ck_audit_event_hash_length"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE audit_event ADD CONSTRAINT ck_audit_event_action CHECK (action IN ('C', 'R', 'U', 'D', 'E')), "
        "ADD CONSTRAINT ck_audit_event_outcome CHECK (outcome IN ('0', '4', '8', '12')), "
        "ADD CONSTRAINT ck_audit_event_hash_length CHECK (octet_length(hash) = 32)"
    )
    op.execute("ALTER TABLE audit_event DROP CONSTRAINT ck_audit_event_codes")
