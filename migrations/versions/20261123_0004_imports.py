"""units, roll and registry imports

Revision ID: 0004_imports
Revises: 0003_auth
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_imports"
down_revision: str | None = "0003_auth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COMMON = (
    "record_id, version, import_id, row_digest, nombre, primer_apellido, segundo_apellido, given_norm, "
    "paternal_norm, maternal_norm, given_main, curp, curp_raw, curp_trusted, curp16_computed, "
    "fecha_nacimiento, sexo, entidad, municipio, localidad, domicilio, telefono, field_issues, created_at"
)

IDENTITY_RECORD_VIEW = f"""
CREATE VIEW identity_record AS
SELECT 'roll'::text AS source, id AS record_pk, {_COMMON},
       NULL::text AS clues_current, NULL::uuid AS patient_id, programa
FROM roll_record WHERE is_current
UNION ALL
SELECT 'patients'::text AS source, id AS record_pk, {_COMMON},
       clues_current, patient_id, NULL::text AS programa
FROM registry_patient WHERE is_current
"""


def _record_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("record_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("row_digest", sa.Text(), nullable=False),
        sa.Column("nombre", sa.Text(), nullable=True),
        sa.Column("primer_apellido", sa.Text(), nullable=True),
        sa.Column("segundo_apellido", sa.Text(), nullable=True),
        sa.Column("given_norm", sa.Text(), nullable=True),
        sa.Column("paternal_norm", sa.Text(), nullable=True),
        sa.Column("maternal_norm", sa.Text(), nullable=True),
        sa.Column("given_main", sa.Text(), nullable=True),
        sa.Column("curp", sa.Text(), nullable=True),
        sa.Column("curp_raw", sa.Text(), nullable=True),
        sa.Column("curp_trusted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("curp16_computed", sa.Text(), nullable=True),
        sa.Column("fecha_nacimiento", sa.Date(), nullable=True),
        sa.Column("sexo", sa.CHAR(1), nullable=True),
        sa.Column("entidad", sa.CHAR(2), nullable=True),
        sa.Column("municipio", sa.Text(), nullable=True),
        sa.Column("localidad", sa.Text(), nullable=True),
        sa.Column("domicilio", sa.Text(), nullable=True),
        sa.Column("telefono", sa.Text(), nullable=True),
        sa.Column("field_issues", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "unit",
        sa.Column("clues", sa.String(11), nullable=False),
        sa.Column("clues_anterior", sa.String(11), nullable=True),
        sa.Column("nombre", sa.Text(), nullable=False),
        sa.Column("entidad", sa.CHAR(2), nullable=False),
        sa.Column("municipio", sa.Text(), nullable=True),
        sa.Column("localidad", sa.Text(), nullable=True),
        sa.Column("nivel", sa.Integer(), nullable=False),
        sa.Column("latitud", sa.Float(), nullable=True),
        sa.Column("longitud", sa.Float(), nullable=True),
        sa.Column("estatus", sa.Text(), nullable=False),
        sa.Column("operating", sa.Boolean(), nullable=False),
        sa.Column("organization_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("row_digest", sa.Text(), nullable=False),
        sa.Column("field_issues", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("import_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("clues", name=op.f("pk_unit")),
    )
    op.create_index("ix_unit_clues_anterior", "unit", ["clues_anterior"])
    op.create_index("uq_unit_organization_id", "unit", ["organization_id"], unique=True)
    op.create_index("ix_unit_entidad_municipio_localidad", "unit", ["entidad", "municipio", "localidad"])

    op.create_table(
        "ingest_import",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("encoding", sa.String(32), nullable=True),
        sa.Column("state", sa.String(16), server_default="queued", nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("allowed_clues", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("duplicate_of", sa.BigInteger(), nullable=True),
        sa.Column("last_line", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("bytes_done", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("rows_read", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("new_records", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("new_versions", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("unchanged", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rejected", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("trace_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('units', 'roll', 'patients')", name=op.f("ck_ingest_import_kind")),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'refused', 'failed')",
            name=op.f("ck_ingest_import_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_import")),
    )
    op.create_index("ix_ingest_import_kind_sha256", "ingest_import", ["kind", "sha256"])

    op.create_table(
        "ingest_reject",
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("import_id", "line", name=op.f("pk_ingest_reject")),
    )

    op.create_table(
        "roll_record",
        *_record_columns(),
        sa.Column("programa", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roll_record")),
        sa.UniqueConstraint("record_id", "version", name=op.f("uq_roll_record_record_id_version")),
    )
    op.create_index(
        "uq_roll_record_current",
        "roll_record",
        ["record_id"],
        unique=True,
        postgresql_where=sa.text("is_current"),
    )

    op.create_table(
        "registry_patient",
        *_record_columns(),
        sa.Column("clues", sa.Text(), nullable=False),
        sa.Column("clues_current", sa.Text(), nullable=True),
        sa.Column("expediente", sa.Text(), nullable=True),
        sa.Column("patient_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_patient")),
        sa.UniqueConstraint("record_id", "version", name=op.f("uq_registry_patient_record_id_version")),
    )
    op.create_index(
        "uq_registry_patient_current",
        "registry_patient",
        ["record_id"],
        unique=True,
        postgresql_where=sa.text("is_current"),
    )
    op.create_index("ix_registry_patient_patient_id", "registry_patient", ["patient_id"])
    op.execute(IDENTITY_RECORD_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS identity_record")
    op.drop_index("ix_registry_patient_patient_id", table_name="registry_patient")
    op.drop_index("uq_registry_patient_current", table_name="registry_patient")
    op.drop_table("registry_patient")
    op.drop_index("uq_roll_record_current", table_name="roll_record")
    op.drop_table("roll_record")
    op.drop_table("ingest_reject")
    op.drop_index("ix_ingest_import_kind_sha256", table_name="ingest_import")
    op.drop_table("ingest_import")
    op.drop_index("ix_unit_entidad_municipio_localidad", table_name="unit")
    op.drop_index("uq_unit_organization_id", table_name="unit")
    op.drop_index("ix_unit_clues_anterior", table_name="unit")
    op.drop_table("unit")
