"""`POST /internal/events`: the gateway's inbox, where the services' relays push every public
event (internal token only; not part of the public API). Each new event becomes the deliveries
of the webhooks that asked for it (`kam_gateway.webhooks.receive_events`)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import marshmallow as ma

from kam_common.integration import IntegrationEventBatchSchema
from kam_common.problems import flatten_errors
from kam_gateway import webhooks
from kam_gateway.exchange import Answer, Call, Refusal, json_answer

if TYPE_CHECKING:
    from kam_gateway.pipeline import Gateway


async def receive_events(call: Call, gateway: Gateway) -> Answer:
    if call.method != "POST":
        raise Refusal(405, "This method is not allowed here.", headers={"Allow": "POST"})
    try:
        batch = IntegrationEventBatchSchema().load(call.json() or {})
    except ma.ValidationError as error:
        errors = flatten_errors(error.messages)
        raise Refusal(422, f"Invalid input: {', '.join(sorted(errors))}.", errors=errors) from None

    def apply() -> dict[str, int]:
        with gateway.db.session() as session:
            return webhooks.receive_events(session=session, events=batch["events"])

    return json_answer(200, await asyncio.to_thread(apply))
