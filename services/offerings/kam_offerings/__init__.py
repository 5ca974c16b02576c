"""Offerings service: the catalog, proposals built from it, agreements and recommendations."""

from __future__ import annotations

from typing import Any

from flask import Flask

from kam_common.http import AccountsReader, ServiceClient
from kam_common.integration import init_inbox
from kam_common.outbox_state import init_outbox_state
from kam_common.web import build_service
from kam_offerings import config as app_config
from kam_offerings.clients import HealthReader, PlaysReader, VisitCounter
from kam_offerings.events import OUTBOX
from kam_offerings.integration import handlers
from kam_offerings.models import audit_entries, idempotency_keys, inbox
from kam_offerings.services.context import Readers, Settings


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = app_config.load()
    settings.update(config or {})
    app, api, db = build_service(
        __name__,
        service="offerings",
        title="KAM offerings service",
        settings=settings,
        idempotency_keys=idempotency_keys,
        audit_entries=audit_entries,
    )
    health = ServiceClient(
        "health",
        settings["HEALTH_URL"],
        settings["INTERNAL_TOKEN"],
        connect_timeout=min(1.0, settings["HEALTH_TIMEOUT"]),
        read_timeout=settings["HEALTH_TIMEOUT"],
    )
    app.extensions["kam_offerings_settings"] = Settings.from_config(settings)
    plays = ServiceClient(
        "plays",
        settings["PLAYS_URL"],
        settings["INTERNAL_TOKEN"],
        connect_timeout=min(1.0, settings["PLAYS_TIMEOUT"]),
        read_timeout=settings["PLAYS_TIMEOUT"],
    )
    accounts = AccountsReader.from_settings(settings)
    app.extensions["kam_offerings_readers"] = Readers(
        accounts=accounts,
        health=HealthReader(health),
        visits=VisitCounter(accounts.client),
        plays=PlaysReader(plays),
    )
    init_inbox(api, db, inbox, handlers())
    init_outbox_state(api, db, OUTBOX.table, OUTBOX.destinations)

    from kam_offerings.api import register_blueprints

    register_blueprints(api)
    return app
