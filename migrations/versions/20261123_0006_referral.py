"""referrals, tasks, subscriptions

Revision ID: 0006_referral
Revises: 0005_matching
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_referral"
down_revision: str | None = "0005_matching"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UUID = postgresql.UUID(as_uuid=True)
_TS = sa.DateTime(timezone=True)


def _created() -> sa.Column[object]:
    return sa.Column("created_at", _TS, server_default=sa.func.now(), nullable=False)


def _updated() -> sa.Column[object]:
    return sa.Column("updated_at", _TS, server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.execute("CREATE SEQUENCE referral_change_seq")
    op.create_table(
        "referral_visit",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("visit_id", sa.String(128), nullable=False),
        sa.Column("client_id", sa.String(128), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("referral_id", _UUID, nullable=True),
        sa.Column("result", postgresql.JSONB(), nullable=True),
        sa.Column("trace_id", sa.String(32), nullable=True),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_visit")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_referral_visit_visit_id")),
        sa.UniqueConstraint(
            "client_id", "idempotency_key", name=op.f("uq_referral_visit_client_id_idempotency_key")
        ),
    )
    op.create_table(
        "referral_provisional_patient",
        sa.Column("id", _UUID, nullable=False),
        sa.Column("visit_pk", sa.BigInteger(), nullable=False),
        sa.Column("roll_record_id", sa.String(128), nullable=True),
        sa.Column("curp", sa.String(18), nullable=True),
        sa.Column("nombre", sa.Text(), nullable=True),
        sa.Column("primer_apellido", sa.Text(), nullable=True),
        sa.Column("segundo_apellido", sa.Text(), nullable=True),
        sa.Column("fecha_nacimiento", sa.Date(), nullable=True),
        sa.Column("sexo", sa.String(1), nullable=True),
        sa.Column("entidad", sa.String(2), nullable=True),
        sa.Column("municipio", sa.Text(), nullable=True),
        sa.Column("localidad", sa.Text(), nullable=True),
        sa.Column("domicilio", sa.Text(), nullable=True),
        sa.Column("telefono", sa.String(32), nullable=True),
        sa.Column("latitud", sa.Float(), nullable=True),
        sa.Column("longitud", sa.Float(), nullable=True),
        sa.Column("match_grade", sa.String(16), nullable=False),
        sa.Column("review_queued", sa.Boolean(), server_default="false", nullable=False),
        _created(),
        _updated(),
        sa.ForeignKeyConstraint(
            ["visit_pk"],
            ["referral_visit.id"],
            ondelete="CASCADE",
            name=op.f("fk_referral_provisional_patient_visit_pk_referral_visit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_provisional_patient")),
    )
    op.create_index("ix_referral_provisional_patient_visit_pk", "referral_provisional_patient", ["visit_pk"])
    op.create_index("ix_referral_provisional_patient_curp", "referral_provisional_patient", ["curp"])
    op.create_table(
        "referral",
        sa.Column("id", _UUID, nullable=False),
        sa.Column("visit_pk", sa.BigInteger(), nullable=False),
        sa.Column("visit_id", sa.String(128), nullable=False),
        sa.Column("requester_client_id", sa.String(128), nullable=False),
        sa.Column("requester_worker_id", sa.String(128), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("patient_id", _UUID, nullable=False),
        sa.Column("patient_provisional", sa.Boolean(), nullable=False),
        sa.Column("match_grade", sa.String(16), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=True),
        sa.Column("performer_clues", sa.String(11), nullable=False),
        sa.Column("performer_org_id", _UUID, nullable=True),
        sa.Column("performer_name", sa.Text(), nullable=True),
        sa.Column("tried_clues", postgresql.ARRAY(sa.String(11)), nullable=False),
        sa.Column("required_level", sa.Integer(), nullable=False),
        sa.Column("origin_lat", sa.Float(), nullable=True),
        sa.Column("origin_lon", sa.Float(), nullable=True),
        sa.Column("routing_rule", sa.String(32), nullable=False),
        sa.Column("routing_reason", sa.Text(), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("reasons", postgresql.JSONB(), nullable=False),
        sa.Column("observations", postgresql.JSONB(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("authored_on", _TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        _created(),
        _updated(),
        sa.ForeignKeyConstraint(
            ["visit_pk"],
            ["referral_visit.id"],
            ondelete="CASCADE",
            name=op.f("fk_referral_visit_pk_referral_visit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
        sa.UniqueConstraint("visit_pk", name=op.f("uq_referral_visit_pk")),
    )
    op.create_index("ix_referral_change_seq", "referral", ["change_seq"])
    op.create_index("ix_referral_performer_clues_change_seq", "referral", ["performer_clues", "change_seq"])
    op.create_index("ix_referral_patient_id", "referral", ["patient_id"])
    op.create_index("ix_referral_updated_at", "referral", ["updated_at"])
    op.create_table(
        "referral_task",
        sa.Column("id", _UUID, nullable=False),
        sa.Column("referral_id", _UUID, nullable=False),
        sa.Column("previous_task_id", _UUID, nullable=True),
        sa.Column("visit_id", sa.String(128), nullable=False),
        sa.Column("requester_client_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("business_status", postgresql.JSONB(), nullable=True),
        sa.Column("status_reason", postgresql.JSONB(), nullable=True),
        sa.Column("output", postgresql.JSONB(), nullable=False),
        sa.Column("patient_id", _UUID, nullable=False),
        sa.Column("owner_clues", sa.String(11), nullable=False),
        sa.Column("owner_org_id", _UUID, nullable=True),
        sa.Column("owner_name", sa.Text(), nullable=True),
        sa.Column("authored_on", _TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        _created(),
        _updated(),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            ondelete="CASCADE",
            name=op.f("fk_referral_task_referral_id_referral"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_task")),
    )
    op.create_index("ix_referral_task_change_seq", "referral_task", ["change_seq"])
    op.create_index("ix_referral_task_owner_clues_change_seq", "referral_task", ["owner_clues", "change_seq"])
    op.create_index(
        "ix_referral_task_owner_clues_status_change_seq",
        "referral_task",
        ["owner_clues", "status", "change_seq"],
    )
    op.create_index("ix_referral_task_referral_id", "referral_task", ["referral_id"])
    op.create_index("ix_referral_task_patient_id", "referral_task", ["patient_id"])
    op.create_index("ix_referral_task_updated_at", "referral_task", ["updated_at"])
    op.create_table(
        "referral_version",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("resource_type", sa.String(32), nullable=False),
        sa.Column("resource_id", _UUID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(), nullable=False),
        sa.Column("client_id", sa.String(128), nullable=True),
        sa.Column("recorded_at", _TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_version")),
        sa.UniqueConstraint(
            "resource_type",
            "resource_id",
            "version",
            name=op.f("uq_referral_version_resource_type_resource_id_version"),
        ),
    )
    op.create_table(
        "referral_subscription",
        sa.Column("id", _UUID, nullable=False),
        sa.Column("client_id", sa.String(128), nullable=False),
        sa.Column("clues", postgresql.ARRAY(sa.String(11)), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("headers", postgresql.JSONB(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("failure_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("events_since_start", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("last_delivered_at", _TS, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        _created(),
        _updated(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_subscription")),
    )
    op.create_index("ix_referral_subscription_client_id", "referral_subscription", ["client_id"])
    op.create_index(
        "ix_referral_subscription_clues", "referral_subscription", ["clues"], postgresql_using="gin"
    )
    op.create_table(
        "referral_notification",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("subscription_id", _UUID, nullable=False),
        sa.Column("event_number", sa.BigInteger(), nullable=False),
        sa.Column("task_id", _UUID, nullable=False),
        sa.Column("task_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _created(),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["referral_subscription.id"],
            ondelete="CASCADE",
            name=op.f("fk_referral_notification_subscription_id_referral_subscription"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_notification")),
        sa.UniqueConstraint(
            "subscription_id",
            "event_number",
            name=op.f("uq_referral_notification_subscription_id_event_number"),
        ),
    )


def downgrade() -> None:
    op.drop_table("referral_notification")
    op.drop_index("ix_referral_subscription_clues", table_name="referral_subscription")
    op.drop_index("ix_referral_subscription_client_id", table_name="referral_subscription")
    op.drop_table("referral_subscription")
    op.drop_table("referral_version")
    for name in (
        "updated_at",
        "patient_id",
        "referral_id",
        "owner_clues_status_change_seq",
        "owner_clues_change_seq",
        "change_seq",
    ):
        op.drop_index(f"ix_referral_task_{name}", table_name="referral_task")
    op.drop_table("referral_task")
    for name in ("updated_at", "patient_id", "performer_clues_change_seq", "change_seq"):
        op.drop_index(f"ix_referral_{name}", table_name="referral")
    op.drop_table("referral")
    op.drop_index("ix_referral_provisional_patient_curp", table_name="referral_provisional_patient")
    op.drop_index("ix_referral_provisional_patient_visit_pk", table_name="referral_provisional_patient")
    op.drop_table("referral_provisional_patient")
    op.drop_table("referral_visit")
    op.execute("DROP SEQUENCE referral_change_seq")
