"""Command-line tasks of the plays service (called by `kam migrate` and `kam worker`)."""

from __future__ import annotations

from collections.abc import Callable

from kam_common.config import env_float
from kam_common.db import Database
from kam_common.migrations import upgrade
from kam_common.relay import Relay, relay_to_consumers
from kam_plays import config
from kam_plays.domain.vocabulary import TIME_BASED
from kam_plays.events import OUTBOX
from kam_plays.mail import Mailer, Tracking
from kam_plays.services.campaigns import deliver_due
from kam_plays.services.defaults import install_defaults
from kam_plays.services.evaluation import evaluate


def migrate() -> None:
    """Bring the plays database to the latest schema; install the shipped triggers."""
    settings = config.load()
    upgrade("kam_plays", settings["DATABASE_URL"])
    added = 0
    if settings["DEFAULT_TRIGGERS"]:
        db = Database(settings["DATABASE_URL"])
        with db.session() as session:
            added = install_defaults(session)
        db.engine.dispose()
    print("plays: database migrated" + (f", {added} default triggers installed" if added else ""))


def jobs() -> list[tuple[float, str, Callable[[], str | None]]]:
    """Time alone makes some conditions true (a renewal comes closer, contact falls overdue)
    or false (purchases leave their window): evaluate those over every account regularly."""
    db = Database(config.load()["DATABASE_URL"])

    def evaluate_time_based() -> str | None:
        with db.session() as session:
            counts = evaluate(session, kinds=TIME_BASED)
            session.commit()
        if not any(counts.values()):
            return None
        return f"{counts['fired']} firings, {counts['cleared']} cleared"

    settings = config.load()
    mailer = Mailer(settings["SMTP_URL"], settings["MAIL_FROM"], settings["SMTP_TIMEOUT"])
    tracking = Tracking.from_settings(
        settings["TRACKING_SECRET"], settings["INTERNAL_TOKEN"], settings["PUBLIC_URL"]
    )

    def send_campaigns() -> str | None:
        """Campaigns that are sending (the mail server was down, or a large audience)."""
        with db.session() as session:
            done = deliver_due(session, mailer=mailer, tracking=tracking)
        if not done["campaigns"]:
            return None
        return f"{done['delivered']} messages sent, {done['bounced']} bounced"

    return [
        (env_float("KAM_PLAYS_EVALUATE_INTERVAL", 300.0), "plays-evaluate", evaluate_time_based),
        (env_float("KAM_PLAYS_SEND_INTERVAL", 2.0), "plays-campaigns", send_campaigns),
    ]


def relays() -> list[Relay]:
    """Deliver the plays outbox (alerts asked of health) to the apps that consume it."""
    return [relay_to_consumers(OUTBOX, config.load())]
