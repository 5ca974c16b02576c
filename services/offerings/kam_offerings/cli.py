"""Command-line tasks of the offerings service (called by `kam migrate`)."""

from __future__ import annotations

from kam_common.migrations import upgrade
from kam_offerings import config


def migrate() -> None:
    """Bring the offerings database to the latest schema."""
    upgrade("kam_offerings", config.load()["DATABASE_URL"])
    print("offerings: database migrated")
