"""Health service: events from delivery, quality, support and the field, scored per account."""

from __future__ import annotations

from typing import Any

from flask import Flask

from kam_common.http import AccountsReader
from kam_common.integration import init_inbox
from kam_common.outbox_state import init_outbox_state
from kam_common.web import build_service
from kam_health import config as app_config
from kam_health.events import OUTBOX
from kam_health.integration import batch_handlers, handlers
from kam_health.models import audit_entries, idempotency_keys, inbox


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = app_config.load()
    settings.update(config or {})
    app, api, db = build_service(
        __name__,
        service="health",
        title="KAM health service",
        settings=settings,
        idempotency_keys=idempotency_keys,
        audit_entries=audit_entries,
    )
    reader = AccountsReader.from_settings(settings)
    app.extensions["kam_accounts_reader"] = reader
    init_inbox(api, db, inbox, handlers(reader), batch_handlers())
    init_outbox_state(api, db, OUTBOX.table, OUTBOX.destinations)

    from kam_health.api import register_blueprints
    from kam_health.api.event_docs import document_events_by_type

    register_blueprints(api)
    document_events_by_type(api)
    return app
