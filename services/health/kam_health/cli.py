"""Command-line tasks of the health service (called by `kam migrate`)."""

from __future__ import annotations

from kam_common.migrations import upgrade
from kam_health import config


def migrate() -> None:
    """Bring the health database to the latest schema."""
    upgrade("kam_health", config.load()["DATABASE_URL"])
    print("health: database migrated")
