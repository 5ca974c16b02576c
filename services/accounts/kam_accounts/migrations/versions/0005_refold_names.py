"""refold account names for search: accents, Persian/Arabic letter variants and digits

Revision ID: 0005
Revises: 0004_contact_cadence
Create Date: 2026-12-02 14:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kam_common.text import search_fold

revision: str = "0005"
down_revision: str | None = "0004_contact_cadence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    # The names themselves are untouched; only their searched form is computed anew.
    accounts = sa.table(
        "accounts", sa.column("id", sa.String), sa.column("name", sa.String),
        sa.column("name_folded", sa.String),
    )  # fmt: skip
    connection = op.get_bind()
    rows = connection.execute(sa.select(accounts.c.id, accounts.c.name)).all()
    update = (
        accounts.update()
        .where(accounts.c.id == sa.bindparam("row_id"))
        .values(name_folded=sa.bindparam("folded"))
    )
    for start in range(0, len(rows), BATCH):
        batch = [
            {"row_id": row.id, "folded": search_fold(row.name)}
            for row in rows[start : start + BATCH]
        ]
        connection.execute(update, batch)


def downgrade() -> None:
    pass  # the new folding finds everything the old one did
