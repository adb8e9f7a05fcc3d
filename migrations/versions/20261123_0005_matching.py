"""matching model, person index, links and reviews

Revision ID: 0005_matching
Revises: 0004_imports
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_matching"
down_revision: str | None = "0004_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UUID = postgresql.UUID(as_uuid=True)
_TS = sa.DateTime(timezone=True)


def _now(name: str) -> sa.Column[object]:
    return sa.Column(name, _TS, server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "match_model",
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("settings", postgresql.JSONB(), nullable=False),
        sa.Column("term_frequencies", postgresql.JSONB(), nullable=False),
        sa.Column("stats", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="false", nullable=False),
        _now("created_at"),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_match_model")),
        sa.UniqueConstraint("digest", name=op.f("uq_match_model_digest")),
    )
    op.create_table(
        "match_record",
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("record_pk", sa.BigInteger(), nullable=True),
        sa.Column("patient_id", _UUID, nullable=True),
        sa.Column("curp", sa.String(18), nullable=True),
        sa.Column("curp16", sa.String(16), nullable=True),
        sa.Column("curp16_calc", sa.String(16), nullable=True),
        sa.Column("given_full", sa.Text(), nullable=True),
        sa.Column("given_main", sa.Text(), nullable=True),
        sa.Column("given_rest", sa.Text(), nullable=True),
        sa.Column("ap1", sa.Text(), nullable=True),
        sa.Column("ap2", sa.Text(), nullable=True),
        sa.Column("ph_given", sa.Text(), nullable=True),
        sa.Column("ph_ap1", sa.Text(), nullable=True),
        sa.Column("ph_ap2", sa.Text(), nullable=True),
        sa.Column("dob", sa.String(10), nullable=True),
        sa.Column("dob_year", sa.String(4), nullable=True),
        sa.Column("dob_md", sa.String(5), nullable=True),
        sa.Column("sexo", sa.String(1), nullable=True),
        sa.Column("entidad", sa.String(2), nullable=True),
        sa.Column("municipio", sa.Text(), nullable=True),
        sa.Column("localidad", sa.Text(), nullable=True),
        sa.Column("domicilio", sa.Text(), nullable=True),
        sa.Column("feature_digest", sa.String(32), nullable=False),
        sa.Column("person_id", _UUID, nullable=True),
        _now("updated_at"),
        sa.PrimaryKeyConstraint("source", "record_id", name=op.f("pk_match_record")),
    )
    for name, columns in (
        ("ix_match_record_curp16", ["curp16"]),
        ("ix_match_record_curp16_calc", ["curp16_calc"]),
        ("ix_match_record_ap1_dob", ["ap1", "dob"]),
        ("ix_match_record_given_dob", ["given_main", "dob"]),
        ("ix_match_record_given_ap1_year", ["given_main", "ap1", "dob_year"]),
        ("ix_match_record_given_ap1_ap2", ["given_main", "ap1", "ap2"]),
        ("ix_match_record_ph_given_ap1_md", ["ph_given", "ph_ap1", "dob_md"]),
        ("ix_match_record_ph_names_year", ["ph_given", "ph_ap1", "ph_ap2", "dob_year"]),
        ("ix_match_record_ph_surnames_dob", ["ph_ap1", "ph_ap2", "dob"]),
        ("ix_match_record_ap1_ap2_md", ["ap1", "ap2", "dob_md"]),
        ("ix_match_record_given_ap2_md", ["given_main", "ap2", "dob_md"]),
        ("ix_match_record_person_id", ["person_id"]),
    ):
        op.create_index(name, "match_record", columns)
    op.create_table(
        "match_person",
        sa.Column("id", _UUID, nullable=False),
        sa.Column("merged_into", _UUID, nullable=True),
        _now("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_person")),
    )
    op.create_table(
        "match_link",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("person_id", _UUID, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("evidence", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        _now("created_at"),
        _now("updated_at"),
        sa.CheckConstraint(
            "state IN ('MATCH', 'POSSIBLE_MATCH', 'NO_MATCH')", name=op.f("ck_match_link_state")
        ),
        sa.CheckConstraint("origin IN ('AUTO', 'MANUAL')", name=op.f("ck_match_link_origin")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["match_person.id"], name=op.f("fk_match_link_person_id_match_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_link")),
        sa.UniqueConstraint(
            "source", "record_id", "person_id", name=op.f("uq_match_link_source_record_id_person_id")
        ),
    )
    op.create_index(
        "uq_match_link_one_match",
        "match_link",
        ["source", "record_id"],
        unique=True,
        postgresql_where=sa.text("state = 'MATCH'"),
    )
    op.create_index("ix_match_link_person_id", "match_link", ["person_id"])
    op.create_table(
        "match_review",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("left_source", sa.String(16), nullable=False),
        sa.Column("left_record_id", sa.String(128), nullable=False),
        sa.Column("right_source", sa.String(16), nullable=False),
        sa.Column("right_record_id", sa.String(128), nullable=False),
        sa.Column("left_snapshot", postgresql.JSONB(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=True),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("evidence", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("status", sa.String(16), server_default="open", nullable=False),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        _now("created_at"),
        sa.CheckConstraint("status IN ('open', 'decided', 'obsolete')", name=op.f("ck_match_review_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_review")),
        sa.UniqueConstraint(
            "left_source",
            "left_record_id",
            "right_source",
            "right_record_id",
            name=op.f("uq_match_review_left_source_left_record_id_right_source_right_record_id"),
        ),
    )
    op.create_index("ix_match_review_status_id", "match_review", ["status", "id"])
    op.create_table(
        "match_run",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(16), server_default="queued", nullable=False),
        sa.Column("retrain", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("counts", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("records_scored", sa.Integer(), server_default="0", nullable=False),
        _now("created_at"),
        sa.Column("started_at", _TS, nullable=True),
        sa.Column("finished_at", _TS, nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name=op.f("ck_match_run_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_run")),
    )


def downgrade() -> None:
    for table in ("match_run", "match_review", "match_link", "match_person", "match_record", "match_model"):
        op.drop_table(table)
