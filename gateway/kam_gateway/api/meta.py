"""/readyz and /api/v1/openapi.json: the state of the services and the whole API's document."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app

from kam_common.problems import problem_response
from kam_common.web import Blueprint
from kam_gateway.api.schemas import ReadySchema
from kam_gateway.readiness import outbox_states, service_states
from kam_gateway.route_table import ROUTES
from kam_gateway.spec_source import public_spec
from kam_gateway.state import gateway_state

blp = Blueprint("meta", __name__, description="Readiness and the API description")

# What the document itself promises: an OpenAPI 3.0 object (its parts are OpenAPI's own).
OPENAPI_DOCUMENT = {
    "type": "object",
    "required": ["openapi", "info", "paths", "components"],
    "properties": {
        "openapi": {"type": "string", "pattern": "^3\\.0\\.[0-9]+$"},
        "info": {"type": "object", "required": ["title", "version"]},
        "paths": {"type": "object"},
        "components": {"type": "object"},
        "security": {"type": "array", "items": {"type": "object"}},
        "tags": {"type": "array", "items": {"type": "object"}},
        "x-degraded": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Services whose part could not be fetched; retried on the next call",
        },
    },
}


@blp.route("/readyz", methods=["GET"])
@blp.response(200, ReadySchema)
@blp.doc(responses={503: {"description": "A service is down: `services` and `down` say which."}})
def readyz() -> Any:
    """Ready when every service answers its /healthz (no API key needed)."""
    state = gateway_state()
    timeout = state.settings["READY_TIMEOUT"]
    pending = state.executor.submit(outbox_states, state.upstreams, state.executor, timeout)
    services = service_states(state.upstreams, state.executor, timeout)
    outboxes = pending.result()
    dead = sum((numbers or {}).get("dead_letters") or 0 for numbers in outboxes.values())
    down = [name for name, status in services.items() if status != "up"]
    if down:
        return problem_response(
            503,
            f"Not ready: {', '.join(down)} {'is' if len(down) == 1 else 'are'} not answering.",
            extra={"services": services, "down": down, "outbox": outboxes, "dead_letters": dead},
        )
    return {"status": "ready", "services": services, "outbox": outboxes, "dead_letters": dead}


@blp.route("/api/v1/openapi.json", methods=["GET"])
@blp.doc(
    responses={
        200: {
            "description": "The OpenAPI 3 document of the whole public API.",
            "content": {"application/json": {"schema": OPENAPI_DOCUMENT}},
        }
    }
)
def openapi_document() -> Response:
    """The whole public API as one OpenAPI 3 document (any valid key)."""
    own = current_app.extensions["kam_gateway_spec"]
    return current_app.json.response(public_spec(gateway_state(), own, ROUTES))
