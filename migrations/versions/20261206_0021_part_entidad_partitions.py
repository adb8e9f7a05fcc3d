"""the feature store split: a global key table, and the record rows partitioned by entidad

Revision ID: 0021_part_entidad_partitions
Revises: 0020_audit_write_cost

Issue 20 item 4 (docs/scale.md, "Partitioning by entidad"). ``$match`` looks candidates up by blocking
keys that name no entidad (a pensioner of one entidad is a patient in another), so the table those
lookups read stays whole: ``match_record`` keeps a record's identity, its person, its digest, the twelve
columns the blocking lookups recheck and the eleven blocking indexes, and gains ``pkey``, its partition
key (``coalesce(entidad, '00')``, generated: never NULL, so a record lives in exactly one partition).
The rest of a record's comparison form (CURP, full and other given names, sex, municipio, localidad,
domicilio, the source row's ids) moves to ``match_record_detail``, LIST-partitioned by ``pkey``: one
partition per entidad code (the 32 and NE) plus a default one (no entidad, or a code the list lacks),
in the schema ``match_partition`` so that the public schema lists only the parent. Every read of a
detail row names ``(pkey, source, record_id)``, which prunes to one partition.

Existing rows are copied into the partitions before the columns leave ``match_record``; the table is
rewritten once (the generated column), which also gives back the dropped columns' space. The detail
refers to its key row (``ON DELETE CASCADE``: deleting or truncating the key table empties it too).
A batch run drops and re-adds that foreign key on a first load, so the parent and its partitions are
owned by ``interop_app`` like ``match_record`` (0009), guarded the same way.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021_part_entidad_partitions"
down_revision: str | None = "0020_audit_write_cost"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported: a migration keeps the schema of its day.
_CODES = (
    "AS",
    "BC",
    "BS",
    "CC",
    "CL",
    "CM",
    "CS",
    "CH",
    "DF",
    "DG",
    "GT",
    "GR",
    "HG",
    "JC",
    "MC",
    "MN",
    "MS",
    "NT",
    "NL",
    "OC",
    "PL",
    "QT",
    "QR",
    "SP",
    "SL",
    "SR",
    "TC",
    "TS",
    "TL",
    "VZ",
    "YN",
    "ZS",
    "NE",
)
_DETAIL = (
    ("record_pk", "bigint"),
    ("patient_id", "uuid"),
    ("curp", "varchar(18)"),
    ("given_full", "text"),
    ("given_rest", "text"),
    ("sexo", "varchar(1)"),
    ("municipio", "text"),
    ("localidad", "text"),
    ("domicilio", "text"),
)
_DETAIL_NAMES = ", ".join(name for name, _ in _DETAIL)


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


def _partitions() -> list[str]:
    return [f"match_partition.match_record_detail_{code.lower()}" for code in _CODES] + [
        "match_partition.match_record_detail_default"
    ]


def upgrade() -> None:
    op.execute("CREATE SCHEMA match_partition")
    op.execute("REVOKE ALL ON SCHEMA match_partition FROM PUBLIC")
    columns = ", ".join(f"{name} {kind}" for name, kind in _DETAIL)
    op.execute(
        "CREATE TABLE match_record_detail (source varchar(16) NOT NULL, record_id varchar(128) NOT NULL, "
        f"pkey varchar(2) NOT NULL, {columns}, "
        "CONSTRAINT pk_match_record_detail PRIMARY KEY (source, record_id, pkey), "
        "CONSTRAINT fk_match_record_detail_source_match_record FOREIGN KEY (source, record_id) "
        "REFERENCES match_record (source, record_id) ON DELETE CASCADE) PARTITION BY LIST (pkey)"
    )
    for code in _CODES:
        op.execute(
            f"CREATE TABLE match_partition.match_record_detail_{code.lower()} "
            f"PARTITION OF match_record_detail FOR VALUES IN ('{code}')"
        )
    op.execute(
        "CREATE TABLE match_partition.match_record_detail_default PARTITION OF match_record_detail DEFAULT"
    )
    op.execute(
        f"INSERT INTO match_record_detail (source, record_id, pkey, {_DETAIL_NAMES}) "
        f"SELECT source, record_id, coalesce(entidad, '00'), {_DETAIL_NAMES} FROM match_record"
    )
    op.execute(
        "ALTER TABLE match_record "
        + ", ".join(f"DROP COLUMN {name}" for name, _ in _DETAIL)
        + ", ADD COLUMN pkey varchar(2) GENERATED ALWAYS AS (coalesce(entidad, '00')) STORED NOT NULL"
    )
    # Statistics for the new partitions and the rewritten key table's new column, before the first plan.
    # Only where rows were moved: statistics of an empty table tell the planner it stays empty, and it
    # would then read a table by any index at all (the primary key) instead of the one that serves the
    # query, until autovacuum notices the first load.
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM match_record) THEN "
        "ANALYZE match_record_detail; ANALYZE match_record; END IF; END $$"
    )
    # The application reaches the rows through the parent (its rights are checked there); owning the
    # parent and the partitions lets a batch run drop and re-add the foreign key.
    owned = ", ".join(["match_record_detail", *_partitions()])
    _guarded(
        "IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'interop_app') THEN "
        "GRANT USAGE ON SCHEMA match_partition TO interop_app; "
        "GRANT SELECT, INSERT, UPDATE, DELETE, REFERENCES ON match_record_detail TO interop_app; "
        + "".join(f"ALTER TABLE {table} OWNER TO interop_app; " for table in owned.split(", "))
        + "END IF;",
        "match_record_detail not given to interop_app; batch matching needs its owner",
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE match_record DROP COLUMN pkey, "
        + ", ".join(f"ADD COLUMN {name} {kind}" for name, kind in _DETAIL)
    )
    op.execute(
        f"UPDATE match_record m SET ({_DETAIL_NAMES}) = "
        f"({', '.join('d.' + name for name, _ in _DETAIL)}) FROM match_record_detail d "
        "WHERE d.source = m.source AND d.record_id = m.record_id"
    )
    op.execute("DROP TABLE match_record_detail")
    op.execute("DROP SCHEMA match_partition")
