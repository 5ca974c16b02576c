"""Accounts service: who the client is, who decides there, our team, and the history."""

from __future__ import annotations

from typing import Any

from flask import Flask

from kam_accounts import config as app_config
from kam_accounts.events import OUTBOX
from kam_accounts.models import audit_entries, idempotency_keys
from kam_common.outbox_state import init_outbox_state
from kam_common.web import build_service


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = app_config.load()
    settings.update(config or {})
    app, api, db = build_service(
        __name__,
        service="accounts",
        title="KAM accounts service",
        settings=settings,
        idempotency_keys=idempotency_keys,
        audit_entries=audit_entries,
    )
    init_outbox_state(api, db, OUTBOX.table, OUTBOX.destinations)
    from kam_accounts.api import register_blueprints

    register_blueprints(api)
    return app
