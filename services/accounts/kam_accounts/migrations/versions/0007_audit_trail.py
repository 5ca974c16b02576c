"""audit trail: who changed what, append-only

Revision ID: 0007_audit
Revises: 0006_imports
Create Date: 2026-12-02 18:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

from kam_common.audit import create_audit_table, drop_audit_table

revision: str = "0007_audit"
down_revision: str | None = "0006_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_audit_table(op)


def downgrade() -> None:
    drop_audit_table(op)
