"""Accounts service: who the client is, who decides there, our team, and the history."""

from __future__ import annotations

from typing import Any

from flask import Flask

from kam_accounts import config as app_config
from kam_accounts.models import idempotency_keys
from kam_common.db import Database
from kam_common.idempotency import init_idempotency
from kam_common.web import build_app


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = app_config.load()
    settings.update(config or {})
    app, api = build_app(
        __name__,
        service="accounts",
        title="KAM accounts service",
        config=settings,
        internal_token=settings["INTERNAL_TOKEN"],
    )
    db = Database(settings["DATABASE_URL"])
    db.init_app(app)
    init_idempotency(app, db, idempotency_keys)

    from kam_accounts.api import register_blueprints

    register_blueprints(api)
    return app
