"""api key changes: a generation every gateway process watches to drop its cached keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Any change to api_keys, by the API, the CLI or an operator's own SQL, moves the generation.
_BUMP = "UPDATE api_key_changes SET generation = generation + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "api_key_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key_changes")),
    )
    op.execute("INSERT INTO api_key_changes (id, generation) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION bump_api_key_changes() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {_BUMP}; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER api_keys_changed AFTER INSERT OR UPDATE OR DELETE ON api_keys "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_api_key_changes()"
        )
    else:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER api_keys_changed_{event.lower()} AFTER {event} ON api_keys "
                f"BEGIN {_BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER api_keys_changed ON api_keys")
        op.execute("DROP FUNCTION bump_api_key_changes()")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER api_keys_changed_{event}")
    op.drop_table("api_key_changes")
