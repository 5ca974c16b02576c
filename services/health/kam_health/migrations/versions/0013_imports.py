"""CSV imports of health events: the record of each import

Revision ID: 0013_imports
Revises: 0012_audit
Create Date: 2026-12-02 18:50:00.000000
"""

from collections.abc import Sequence

from alembic import op

from kam_common.tabular import create_imports_table

revision: str = "0013_imports"
down_revision: str | None = "0012_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_imports_table(op)


def downgrade() -> None:
    op.drop_table("imports")
