"""outcomes, fitted scorecard proposals, and scorecards per segment

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kam_common.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scorecards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segment", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("proposal_id", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_scorecards_segment"), ["segment"])
    op.create_table(
        "outcomes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("agreement_id", sa.String(length=36), nullable=True),
        sa.Column("source", sa.JSON(), nullable=True),
        sa.Column("created_at", kam_common.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account_facts.account_id"],
            name=op.f("fk_outcomes_account_id_account_facts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
        sa.UniqueConstraint("agreement_id", name=op.f("uq_outcomes_agreement_id")),
    )
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outcomes_account_id"), ["account_id"])
        batch_op.create_index(batch_op.f("ix_outcomes_happened_on"), ["happened_on"])
    op.create_table(
        "scorecard_proposals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("segment", sa.String(length=200), nullable=True),
        sa.Column("based_on_version", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("folds", sa.Integer(), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("half_life_days", sa.Float(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("outcomes", sa.Integer(), nullable=False),
        sa.Column("churns", sa.Integer(), nullable=False),
        sa.Column("current", sa.JSON(), nullable=False),
        sa.Column("proposed", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("adopted_version", sa.Integer(), nullable=True),
        sa.Column("adopted_at", kam_common.db.UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", kam_common.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_proposals")),
    )


def downgrade() -> None:
    op.drop_table("scorecard_proposals")
    op.drop_table("outcomes")
    with op.batch_alter_table("scorecards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scorecards_segment"))
        batch_op.drop_column("proposal_id")
        batch_op.drop_column("segment")
