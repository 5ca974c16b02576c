"""Commands the `kam` CLI runs for the accounts service."""

from __future__ import annotations

from collections.abc import Callable

from kam_accounts import config
from kam_accounts.events import OUTBOX
from kam_common.config import env_float
from kam_common.db import Database
from kam_common.migrations import upgrade
from kam_common.relay import Relay, relay_to_consumers


def migrate() -> None:
    upgrade("kam_accounts", config.load()["DATABASE_URL"])
    print("accounts: database migrated")


def relays() -> list[Relay]:
    """Deliver the accounts outbox to the apps that consume its events."""
    return [relay_to_consumers(OUTBOX, config.load())]


def jobs() -> list[tuple[float, str, Callable[[], str | None]]]:
    """CSV files too large for one request: checked (with progress) and applied here."""
    from kam_accounts.api.imports import make_imports

    settings = config.load()
    db = Database(settings["DATABASE_URL"])
    imports = make_imports(settings["IMPORT_INLINE_ROWS"])
    interval = env_float("KAM_IMPORT_QUEUE_INTERVAL", 0.5)
    return [(interval, "accounts-imports", lambda: imports.run_queued(db))]
