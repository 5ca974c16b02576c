"""CSV imports: a partner's own CRM id (`external_id`) on accounts and contacts, and the imports

Revision ID: 0006_imports
Revises: 0005
Create Date: 2026-12-02 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kam_common.tabular import create_imports_table

revision: str = "0006_imports"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("accounts", "contacts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        op.create_index(f"ix_{table}_external_id", table, ["external_id"], unique=True)
    create_imports_table(op)


def downgrade() -> None:
    op.drop_table("imports")
    for table in ("contacts", "accounts"):
        op.drop_index(f"ix_{table}_external_id", table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("external_id")
