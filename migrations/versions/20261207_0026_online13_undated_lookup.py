"""an online lookup for records without a birth date: given name, first surname and entidad

Revision ID: 0026_online13_undated_lookup
Revises: 0025_link8_link_partitions

Issue 13 (session 12's report on record layouts): with the birth date blank throughout, ``$match`` found
nothing for a probe lacking the CURP and the second surname too, since every blocking index needs one of
the three. This index serves the online rule "main given + paternal + entidad, undated"
(``blocking.BLOCKING_RULES``), the batch's own rule on data without birth dates, looked up online. It
holds only the records without a birth date (a hash of the three columns, as 0007's): on dated data it
is nearly empty and costs a batch run next to nothing to rebuild; the records with a date are found by
the dated indexes. Built empty-handed on an empty table; on a loaded one it reads ``match_record`` once.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026_online13_undated_lookup"
down_revision: str | None = "0025_link8_link_partitions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported: a migration keeps the schema of its day.
_NAME = "ix_match_record_given_ap1_undated"
_COLUMNS = ("given_main", "ap1", "entidad")


def upgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    key = " || '|' || ".join(_COLUMNS)
    present = " AND ".join(f"{c} IS NOT NULL" for c in _COLUMNS)
    op.execute(
        f"CREATE INDEX {_NAME} ON match_record (hashtextextended({key}, 0)) WHERE {present} AND dob IS NULL"
    )


def downgrade() -> None:
    op.drop_index(_NAME, table_name="match_record")
