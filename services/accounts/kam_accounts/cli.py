"""Commands the `kam` CLI runs for the accounts service."""

from __future__ import annotations

from kam_accounts import config
from kam_accounts.events import OUTBOX
from kam_common.config import service_url
from kam_common.db import Database
from kam_common.http import ServiceClient
from kam_common.migrations import upgrade
from kam_common.relay import Relay


def migrate() -> None:
    upgrade("kam_accounts", config.load()["DATABASE_URL"])
    print("accounts: database migrated")


def relays() -> list[Relay]:
    """Deliver the accounts outbox to the apps that consume its events."""
    settings = config.load()
    consumers = {
        name: ServiceClient(name, service_url(name), settings["INTERNAL_TOKEN"])
        for name in ("health", "offerings")
    }
    return [Relay(OUTBOX, Database(settings["DATABASE_URL"]), consumers)]
