"""Command-line tasks of the health service (called by `kam migrate`)."""

from __future__ import annotations

from kam_common.migrations import upgrade
from kam_health import config


def migrate() -> None:
    """Bring the health database to the latest schema."""
    url = config.load()["DATABASE_URL"]
    print(f"migrating health database ({url.split('@')[-1]})", flush=True)
    upgrade("kam_health", url)
