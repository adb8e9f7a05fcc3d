"""a batch run may build its indexes without compressing their WAL

Revision ID: 0024_batch3_index_build_wal
Revises: 0023_part4_source_partitions

A bulk write (a first run, a retrain) builds the key table's eleven blocking indexes, its person index
and the link indexes once, after its COPYs. PostgreSQL logs every page of a new index as a full-page
image, which ``wal_compression`` then runs through its compressor: pages of 64-bit hashes and uuids
that do not compress (the same WAL bytes either way), at about half of each build's time
(bench/match/RESULTS.md, "Session 7"). ``wal_compression`` is a superuser's setting; this grants
``interop_app`` the right to ``SET`` it, which ``matching.store`` uses for its index builds only
(``SET LOCAL``, reset after them). Without the grant (a migrating user that may not give it, or a
server older than PostgreSQL 15) the builds keep the server's setting: nothing else changes. The right
is the cluster's (``pg_parameter_acl``), so downgrading one database leaves it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024_batch3_index_build_wal"
down_revision: str | None = "0023_part4_source_partitions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _guarded(body: str, notice: str) -> None:
    # Any failure is a notice: a missing right (not a superuser) or a server without parameter grants.
    op.execute(
        f"""
        DO $$
        BEGIN
            {body}
        EXCEPTION WHEN insufficient_privilege OR syntax_error OR undefined_object THEN
            RAISE NOTICE '{notice}';
        END
        $$
        """
    )


def upgrade() -> None:
    _guarded(
        "IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'interop_app') THEN "
        "EXECUTE 'GRANT SET ON PARAMETER wal_compression TO interop_app'; END IF;",
        "interop_app may not set wal_compression; batch index builds compress their WAL",
    )


def downgrade() -> None:
    # Left in place: a parameter's rights belong to the cluster, not to this database, and another
    # database of the same cluster at head may rely on it; without 0022's code it is unused.
    pass
