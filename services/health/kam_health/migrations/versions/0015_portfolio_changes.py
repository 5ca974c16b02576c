"""portfolio changes: a generation the portfolio's remembered figures are stamped with

Revision ID: 0015_portfolio_changes
Revises: 0014_groups
Create Date: 2026-12-04 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_portfolio_changes"
down_revision: str | None = "0014_groups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the portfolio's summary and top declines are computed from: any change to these, by the
# service, the worker, the CLI or an operator's own SQL, moves the generation.
TABLES = ("account_facts", "account_team", "scores", "snapshots", "scorecards")
_BUMP = "UPDATE portfolio_changes SET generation = generation + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "portfolio_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_changes")),
    )
    op.execute("INSERT INTO portfolio_changes (id, generation) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        # Deferred to the commit, once per transaction: the generation's row is locked only
        # while the writer commits (never while it still waits on other rows: no deadlock), and
        # the new generation becomes visible with the data that moved it.
        op.execute(
            "CREATE FUNCTION bump_portfolio_changes() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN "
            "IF coalesce(current_setting('kam.portfolio_bumped', true), '') <> 'y' THEN "
            f"{_BUMP}; "
            "PERFORM set_config('kam.portfolio_bumped', 'y', true); "
            "END IF; "
            "RETURN NULL; "
            "END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {table}_portfolio_changed "
                f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                "EXECUTE FUNCTION bump_portfolio_changes()"
            )
    else:
        # SQLite has one writer at a time: a plain trigger per change.
        for table in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_portfolio_changed_{event.lower()} "
                    f"AFTER {event} ON {table} BEGIN {_BUMP}; END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_portfolio_changed ON {table}")
        op.execute("DROP FUNCTION bump_portfolio_changes()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_portfolio_changed_{event}")
    op.drop_table("portfolio_changes")
