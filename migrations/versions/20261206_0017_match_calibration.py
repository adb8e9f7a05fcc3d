"""calibrated match scores: a calibration fit per model version, the raw score kept beside the shown one

Revision ID: 0017_match_calibration
Revises: 0016_referral_open_need

- ``match_calibration``: a fit of one model version (curves per stratum and the labels it was fitted
  on, JSON); deleted with its model.
- ``match_review.raw_score``: the model's own probability, kept when ``score`` becomes the calibrated
  one; ``calibration_id``: the fit that set ``score``. Existing reviews keep their score until the
  next fit (a run's end, or the ``matching.calibrate`` job) sets both.

The application role reaches the new table through 0009's default privileges.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0017_match_calibration"
down_revision: str | tuple[str, ...] | None = "0016_referral_open_need"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "match_calibration",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "model_version",
            sa.String(64),
            sa.ForeignKey("match_model.version", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("curves", JSONB(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("fitted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_match_calibration_model_version_id", "match_calibration", ["model_version", "id"])
    op.add_column("match_review", sa.Column("raw_score", sa.Float(), nullable=True))
    op.add_column("match_review", sa.Column("calibration_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("match_review", "calibration_id")
    op.drop_column("match_review", "raw_score")
    op.drop_index("ix_match_calibration_model_version_id", table_name="match_calibration")
    op.drop_table("match_calibration")
