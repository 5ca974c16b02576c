"""Plays service: triggers on the facts, tasks for the account team, coverage, touches and
campaigns."""

from __future__ import annotations

from typing import Any

from flask import Flask

from kam_common.http import AccountsReader
from kam_common.integration import init_inbox
from kam_common.outbox_state import init_outbox_state
from kam_common.web import build_service
from kam_plays import config as app_config
from kam_plays.events import OUTBOX
from kam_plays.integration import batch_handlers, handlers
from kam_plays.mail import Mailer, Tracking
from kam_plays.models import audit_entries, idempotency_keys, inbox


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = app_config.load()
    settings.update(config or {})
    app, api, db = build_service(
        __name__,
        service="plays",
        title="KAM plays service",
        settings=settings,
        idempotency_keys=idempotency_keys,
        audit_entries=audit_entries,
    )
    reader = AccountsReader.from_settings(settings)
    app.extensions["kam_accounts_reader"] = reader
    init_inbox(api, db, inbox, handlers(reader), batch_handlers(reader))
    init_outbox_state(api, db, OUTBOX.table, OUTBOX.destinations)
    app.extensions["kam_mailer"] = Mailer(
        settings["SMTP_URL"], settings["MAIL_FROM"], settings["SMTP_TIMEOUT"]
    )
    app.extensions["kam_tracking"] = Tracking.from_settings(
        settings["TRACKING_SECRET"], settings["INTERNAL_TOKEN"], settings["PUBLIC_URL"]
    )

    from kam_plays.api import register_blueprints

    register_blueprints(api)
    return app
