"""the account's tier and team, for the portfolio's filters

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kam_common.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account_facts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tier", sa.String(length=20), nullable=True))
    op.create_table(
        "account_team",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("added_at", kam_common.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_account_team")),
    )
    with op.batch_alter_table("account_team", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_team_account_id"), ["account_id"])
        batch_op.create_index(batch_op.f("ix_account_team_email"), ["email"])


def downgrade() -> None:
    op.drop_table("account_team")
    with op.batch_alter_table("account_facts", schema=None) as batch_op:
        batch_op.drop_column("tier")
