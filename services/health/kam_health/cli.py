"""Command-line tasks of the health service (called by `kam migrate`)."""

from __future__ import annotations

from collections.abc import Callable

from kam_common.config import env_float
from kam_common.db import Database
from kam_common.migrations import upgrade
from kam_common.relay import Relay, relay_to_consumers
from kam_health import config
from kam_health.events import OUTBOX
from kam_health.services.history import rebuild_queued
from kam_health.services.scoring import rescore_portfolio, rescore_queued


def migrate() -> None:
    """Bring the health database to the latest schema."""
    upgrade("kam_health", config.load()["DATABASE_URL"])
    print("health: database migrated")


def jobs() -> list[tuple[float, str, Callable[[], str | None]]]:
    """Scores age (evidence decays, contact falls overdue): rescore the portfolio regularly."""
    db = Database(config.load()["DATABASE_URL"])

    def rescore_all() -> str:
        with db.session() as session:
            scored = rescore_portfolio(session)
            session.commit()
        return f"{scored} accounts rescored"

    def rescore_batched() -> str | None:
        with db.session() as session:
            scored = rescore_queued(session)
            session.commit()
        return f"{scored} queued accounts rescored" if scored else None

    def rebuild_history() -> str | None:
        with db.session() as session:
            rebuilt = rebuild_queued(session)
            session.commit()
        return f"history of {rebuilt} accounts rebuilt" if rebuilt else None

    from kam_common.http import AccountsReader
    from kam_health.api.imports import make_imports

    settings = config.load()
    imports = make_imports(settings["IMPORT_INLINE_ROWS"], AccountsReader.from_settings(settings))

    def run_imports() -> str | None:
        return imports.run_queued(db)

    return [
        (env_float("KAM_IMPORT_QUEUE_INTERVAL", 0.5), "health-imports", run_imports),
        (env_float("KAM_RESCORE_INTERVAL", 3600.0), "health-rescore", rescore_all),
        (env_float("KAM_HISTORY_QUEUE_INTERVAL", 1.0), "health-history", rebuild_history),
        (env_float("KAM_RESCORE_QUEUE_INTERVAL", 0.5), "health-rescore-queue", rescore_batched),
    ]


def relays() -> list[Relay]:
    """Deliver the health outbox (band changes) to the apps that consume it."""
    return [relay_to_consumers(OUTBOX, config.load())]
