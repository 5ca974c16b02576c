"""Commands the `kam` CLI runs for the accounts service."""

from __future__ import annotations

from kam_accounts import config
from kam_accounts.events import OUTBOX
from kam_common.migrations import upgrade
from kam_common.relay import Relay, relay_to_consumers


def migrate() -> None:
    upgrade("kam_accounts", config.load()["DATABASE_URL"])
    print("accounts: database migrated")


def relays() -> list[Relay]:
    """Deliver the accounts outbox to the apps that consume its events."""
    return [relay_to_consumers(OUTBOX, config.load())]
