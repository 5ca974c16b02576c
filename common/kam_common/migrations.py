"""Alembic, one history per app, run from code so no alembic.ini is needed.

Each app keeps `<package>/migrations/` with an `env.py` that calls `run_env(metadata)`.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData

from kam_common.db import make_engine, normalize_url


def alembic_config(package: str, url: str) -> Config:
    config = Config()
    package_dir = Path(import_module(package).__file__ or "").parent
    config.set_main_option("script_location", str(package_dir / "migrations"))
    # ConfigParser interpolation would choke on '%' in passwords.
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(package: str, url: str) -> None:
    command.upgrade(alembic_config(package, url), "head")


def run_env(metadata: MetaData) -> None:
    """The body of every app's `migrations/env.py`."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is set by alembic_config()"
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
