"""Offerings service: the catalog, proposals built from it, agreements and recommendations."""

from __future__ import annotations

from typing import Any

from flask import Flask

from kam_common.web import build_service
from kam_offerings import config as app_config
from kam_offerings.models import idempotency_keys


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = app_config.load()
    settings.update(config or {})
    app, _api, _db = build_service(
        __name__,
        service="offerings",
        title="KAM offerings service",
        settings=settings,
        idempotency_keys=idempotency_keys,
    )
    return app
