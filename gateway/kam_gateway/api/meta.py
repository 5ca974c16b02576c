"""/healthz, /readyz and /api/v1/openapi.json: liveness, the services' state, the document."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from kam_common.web import HealthzSchema
from kam_gateway.api.schemas import ReadySchema
from kam_gateway.exchange import Answer, Call, Refusal, json_answer
from kam_gateway.operations import OPERATIONS

if TYPE_CHECKING:
    from kam_gateway.pipeline import Gateway

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


@OPERATIONS("GET", "/healthz", tag="meta", answers={200: (HealthzSchema, "OK")})
async def healthz(call: Call, gateway: Gateway) -> Answer:
    """The gateway process is alive (no API key needed)."""
    return json_answer(200, {"status": "ok", "service": "gateway"})


@OPERATIONS(
    "GET",
    "/readyz",
    tag="meta",
    answers={200: (ReadySchema, "OK")},
    problems={503: "A service is down: `services` and `down` say which."},
)
async def readyz(call: Call, gateway: Gateway) -> Answer:
    """Ready when every service answers its /healthz (no API key needed)."""
    upstreams = gateway.upstreams
    timeout = gateway.settings["READY_TIMEOUT"]
    async with call.waiting():
        states, outboxes = await asyncio.gather(
            asyncio.gather(*(u.probe(timeout) for u in upstreams.values())),
            asyncio.gather(*(u.outbox(timeout) for u in upstreams.values())),
        )
    services = dict(zip(upstreams, states, strict=True))
    outbox = dict(zip(upstreams, outboxes, strict=True))
    dead = sum((numbers or {}).get("dead_letters", 0) for numbers in outbox.values())
    down = [name for name, status in services.items() if status != "up"]
    if down:
        raise Refusal(
            503,
            f"Not ready: {', '.join(down)} {'is' if len(down) == 1 else 'are'} not answering.",
            extra={"services": services, "down": down, "outbox": outbox, "dead_letters": dead},
        )
    return json_answer(
        200, {"status": "ready", "services": services, "outbox": outbox, "dead_letters": dead}
    )


@OPERATIONS(
    "GET",
    "/api/v1/openapi.json",
    tag="meta",
    answers={200: (OPENAPI_DOCUMENT, "The OpenAPI 3 document of the whole public API.")},
)
async def openapi_document(call: Call, gateway: Gateway) -> Answer:
    """The whole public API as one OpenAPI 3 document (any valid key)."""
    async with call.waiting():
        document = await gateway.spec.document(gateway.upstreams)
    return json_answer(200, document)
