"""Health service: events from delivery, quality, support and the field, scored per account."""

from __future__ import annotations

from typing import Any

from flask import Flask

from kam_common.db import Database
from kam_common.idempotency import init_idempotency
from kam_common.web import build_app
from kam_health import config as app_config
from kam_health.models import idempotency_keys


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = app_config.load()
    settings.update(config or {})
    app, _api = build_app(
        __name__,
        service="health",
        title="KAM health service",
        config=settings,
        internal_token=settings["INTERNAL_TOKEN"],
    )
    db = Database(settings["DATABASE_URL"])
    db.init_app(app)
    init_idempotency(app, db, idempotency_keys)
    return app
