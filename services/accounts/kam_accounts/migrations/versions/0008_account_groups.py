"""account groups: an account's parent (a holding's subsidiaries)

Revision ID: 0008_groups
Revises: 0007_audit
Create Date: 2026-12-02 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_groups"
down_revision: str | None = "0007_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_accounts_parent_id_accounts"), "accounts", ["parent_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_accounts_parent_id"), ["parent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_parent_id"))
        batch_op.drop_constraint(batch_op.f("fk_accounts_parent_id_accounts"), type_="foreignkey")
        batch_op.drop_column("parent_id")
