"""weekly history points, the history rebuild queue, and each contact made

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kam_common.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("weekly", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "history_queue",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("queued_at", kam_common.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_history_queue")),
    )
    op.create_table(
        "contacts_made",
        sa.Column("interaction_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("occurred_at", kam_common.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("interaction_id", name=op.f("pk_contacts_made")),
    )
    with op.batch_alter_table("contacts_made", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_made_account_id"), ["account_id"])


def downgrade() -> None:
    op.drop_table("contacts_made")
    op.drop_table("history_queue")
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.drop_column("weekly")
