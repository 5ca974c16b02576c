"""Gateway: the one public entry point (API keys, roles, routing, composites, OpenAPI)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, Response, g
from werkzeug.exceptions import NotFound

from kam_common.db import Database
from kam_common.web import build_app
from kam_gateway import config as app_config
from kam_gateway.auth import init_auth
from kam_gateway.config import SERVICES
from kam_gateway.keycache import KeyCache
from kam_gateway.keys import ensure_bootstrap_key
from kam_gateway.latency import init_latency_header
from kam_gateway.proxy import forward
from kam_gateway.ratelimit import init_rate_limits
from kam_gateway.route_table import ROUTES
from kam_gateway.state import GatewayState, gateway_state
from kam_gateway.upstream import make_upstreams

FORWARDED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = app_config.load()
    settings.update(config or {})
    settings.update(
        # The merged document is served at /api/v1/openapi.json; the gateway's part alone is not.
        OPENAPI_URL_PREFIX=None,
        API_SPEC_OPTIONS={
            "info": {"description": "Key-account relationship management, public API v1."}
        },
    )
    app, api = build_app(
        __name__,
        service="gateway",
        title="KAM API",
        config=settings,
        internal_token=None,  # public: clients authenticate with API keys instead
    )
    db = Database(settings["DATABASE_URL"])
    db.init_app(app)
    upstreams = make_upstreams(settings, SERVICES)
    app.extensions["kam_gateway"] = GatewayState(
        upstreams=upstreams,
        executor=ThreadPoolExecutor(max_workers=32, thread_name_prefix="kam-gateway"),
        settings=settings,
    )
    keys = KeyCache(db.engine)
    init_auth(app, keys, ROUTES)
    limits = init_rate_limits(app, settings)  # after the gate: only keys that passed it spend
    init_latency_header(app)

    from kam_gateway.api import register_blueprints

    register_blueprints(api)
    app.add_url_rule("/api/v1/<path:subpath>", "forward", _forward, methods=FORWARDED_METHODS)
    own_spec = api.document()
    app.extensions["kam_gateway_spec"] = own_spec

    # What the ASGI front's fast path shares with the Flask app (see asgi.py).
    app.extensions["kam_gateway_parts"] = {
        "keys": keys,
        "table": ROUTES,
        "upstreams": upstreams,
        "limits": limits,
        "metrics": app.extensions["kam_metrics"],
        "max_pending": settings["UPSTREAM_MAX_PENDING"],
    }
    if settings.get("BOOTSTRAP_ADMIN_KEY"):
        ensure_bootstrap_key(db, settings["BOOTSTRAP_ADMIN_KEY"])
    return app


def _forward(subpath: str) -> Response:
    """Everything under /api/v1 that the gateway does not answer itself."""
    route = g.get("route")
    service = route.rule.service if route is not None else None
    upstreams = gateway_state().upstreams
    if service not in upstreams:
        raise NotFound()
    return forward(upstreams[service], g.caller)
