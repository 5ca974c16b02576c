"""The migration that refolds account names: names stored before it become findable the new
way, and the names themselves are untouched."""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import command

from kam_common.db import make_engine
from kam_common.migrations import alembic_config


def test_names_stored_before_the_new_folding_are_refolded(tmp_path):
    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    config = alembic_config("kam_accounts", url)
    command.upgrade(config, "0003")
    engine = make_engine(url)
    names = {"a1": "Café Central", "a2": "كيميا پارس", "a3": "پارس ۱۴۰۲"}
    with engine.begin() as connection:
        for account_id, name in names.items():
            connection.execute(
                sa.text(
                    "INSERT INTO accounts (id, name, name_folded, tier, orientation, "
                    "annual_revenue, currency, contact_cadence_days, needs, capabilities, status, "
                    "version, created_at, updated_at) VALUES (:id, :name, :folded, 'key', "
                    "'mixed', 0, 'USD', 30, '[]', '[]', 'active', 1, '2026-01-01 00:00:00', "
                    "'2026-01-01 00:00:00')"
                ),
                # As the earlier folding stored it: case only.
                {"id": account_id, "name": name,
                 "folded": unicodedata.normalize("NFKC", name).casefold()},
            )  # fmt: skip
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = dict(connection.execute(sa.text("SELECT id, name_folded FROM accounts")).all())
        stored = dict(connection.execute(sa.text("SELECT id, name FROM accounts")).all())
    engine.dispose()
    assert rows == {"a1": "cafe central", "a2": "کیمیا پارس", "a3": "پارس 1402"}
    assert stored == names
