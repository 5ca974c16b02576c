"""account groups: each account's parent, so the portfolio filters by group

Revision ID: 0014_groups
Revises: 0013_imports
Create Date: 2026-12-02 19:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_groups"
down_revision: str | None = "0013_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account_facts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_account_facts_parent_id"), ["parent_id"])


def downgrade() -> None:
    with op.batch_alter_table("account_facts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_facts_parent_id"))
        batch_op.drop_column("parent_id")
