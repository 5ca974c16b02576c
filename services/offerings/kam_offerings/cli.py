"""Commands the `kam` CLI runs for the offerings service."""

from __future__ import annotations

from kam_common.db import Database
from kam_common.migrations import upgrade
from kam_common.relay import Relay, relay_to_consumers
from kam_offerings import config
from kam_offerings.events import OUTBOX


def migrate() -> None:
    """Bring the offerings database to the latest schema."""
    upgrade("kam_offerings", config.load()["DATABASE_URL"])
    print("offerings: database migrated")


def seed() -> None:
    """The demo catalog (skipped when the catalog has anything in it)."""
    from kam_offerings.demo import seed_demo_catalog

    db = Database(config.load()["DATABASE_URL"])
    with db.session() as session:
        created = seed_demo_catalog(session=session)
    db.engine.dispose()
    print(
        f"offerings: {created} demo catalog items created"
        if created
        else "offerings: catalog present"
    )


def relays() -> list[Relay]:
    """Deliver the offerings outbox (agreements' commitments) to the apps that consume it."""
    return [relay_to_consumers(OUTBOX, config.load())]
