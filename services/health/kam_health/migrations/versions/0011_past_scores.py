"""history points indexed with their version and score, so a past score is one index seek

Revision ID: 0011_past_scores
Revises: 0010
Create Date: 2026-12-02 18:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_past_scores"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_snapshots_account_time")
        batch_op.create_index(
            "ix_snapshots_account_time", ["account_id", "at", "scorecard_version", "score"]
        )


def downgrade() -> None:
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_snapshots_account_time")
        batch_op.create_index("ix_snapshots_account_time", ["account_id", "at"])
