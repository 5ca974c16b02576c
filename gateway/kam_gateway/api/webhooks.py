"""/api/v1/webhooks: registration, the delivery log, retry and test. Admins see every webhook,
partners their own (route table: admin and partner only)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from kam_common.pagination import PageArgs, page_of
from kam_gateway import webhooks as use_cases
from kam_gateway.access import Caller
from kam_gateway.api.schemas import (
    WebhookCreatedSchema,
    WebhookCreateSchema,
    WebhookDeliveryArgs,
    WebhookDeliverySchema,
    WebhookSchema,
    WebhookUpdateSchema,
)
from kam_gateway.exchange import Answer, Call, json_answer
from kam_gateway.operations import OPERATIONS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from kam_gateway.pipeline import Gateway

TAG = "webhooks"
HOOKS = "/api/v1/webhooks"
HOOK = HOOKS + "/{webhook_id}"
NOT_FOUND = {404: "No such webhook (or not one of this key's)."}
BAD_TARGET = "A field is invalid: `url` not http(s), or on a loopback or private address."

T = TypeVar("T")


async def _in_session(
    gateway: Gateway, call: Call, work: Callable[[Session, Caller], T], *, write: bool = True
) -> T:
    caller = call.caller
    assert caller is not None  # noqa: S101 - the key step ran

    def run() -> T:
        with gateway.db.session(write=write) as session:
            return work(session, caller)

    return await asyncio.to_thread(run)


def _allow_private(gateway: Gateway) -> bool:
    return bool(gateway.settings.get("WEBHOOKS_ALLOW_PRIVATE"))


@OPERATIONS(
    "POST",
    HOOKS,
    tag=TAG,
    body=WebhookCreateSchema,
    answers={201: (WebhookCreatedSchema, "Created; `secret` is shown this once")},
    problems={422: BAD_TARGET},
)
async def create_webhook(call: Call, gateway: Gateway, data: dict[str, Any]) -> Answer:
    """Register a webhook for some event types.

    Deliveries follow Standard Webhooks: signed with the `secret` (`whsec_…`), shown in this
    answer only. A partner's webhook gets only its own accounts' events."""
    hook = await _in_session(
        gateway,
        call,
        lambda s, c: use_cases.create_webhook(
            session=s, caller=c, allow_private=_allow_private(gateway), **data
        ),
    )
    return json_answer(201, WebhookCreatedSchema().dump(hook))


@OPERATIONS("GET", HOOKS, tag=TAG, query=PageArgs, answers={200: (page_of(WebhookSchema), "OK")})
async def list_webhooks(call: Call, gateway: Gateway, args: dict[str, Any]) -> Answer:
    """List webhooks, newest first (a partner's: its own). Secrets are never shown."""
    page = await _in_session(
        gateway,
        call,
        lambda s, c: use_cases.paginate_webhooks(session=s, caller=c, **args),
        write=False,
    )
    return json_answer(200, page_of(WebhookSchema)().dump(page))


@OPERATIONS("GET", HOOK, tag=TAG, answers={200: (WebhookSchema, "OK")}, problems=NOT_FOUND)
async def get_webhook(call: Call, gateway: Gateway) -> Answer:
    """Read a webhook (never its secret)."""
    hook = await _in_session(
        gateway,
        call,
        lambda s, c: use_cases.get_webhook(
            session=s, caller=c, webhook_id=call.params["webhook_id"]
        ),
        write=False,
    )
    return json_answer(200, WebhookSchema().dump(hook))


@OPERATIONS(
    "PATCH",
    HOOK,
    tag=TAG,
    body=WebhookUpdateSchema,
    answers={200: (WebhookSchema, "OK")},
    problems={**NOT_FOUND, 422: BAD_TARGET},
)
async def update_webhook(call: Call, gateway: Gateway, data: dict[str, Any]) -> Answer:
    """Change a webhook's `url`, `events`, `active` or `description` (only the fields sent).

    A paused webhook (`active: false`) gets no new events; those queued wait for it."""
    hook = await _in_session(
        gateway,
        call,
        lambda s, c: use_cases.update_webhook(
            session=s,
            caller=c,
            webhook_id=call.params["webhook_id"],
            changes=data,
            allow_private=_allow_private(gateway),
        ),
    )
    return json_answer(200, WebhookSchema().dump(hook))


@OPERATIONS(
    "DELETE",
    HOOK,
    tag=TAG,
    answers={204: (None, "Removed, with its delivery log")},
    problems=NOT_FOUND,
)
async def delete_webhook(call: Call, gateway: Gateway) -> Answer:
    """Remove a webhook: nothing more is sent to it."""
    await _in_session(
        gateway,
        call,
        lambda s, c: use_cases.delete_webhook(
            session=s, caller=c, webhook_id=call.params["webhook_id"]
        ),
    )
    return Answer(204)


@OPERATIONS(
    "POST",
    HOOK + "/rotate-secret",
    tag=TAG,
    answers={200: (WebhookCreatedSchema, "The new `secret`, shown this once")},
    problems=NOT_FOUND,
)
async def rotate_secret(call: Call, gateway: Gateway) -> Answer:
    """Replace the signing secret.

    For 24 hours every delivery carries two signatures, by the new secret and by the old, so a
    receiver can switch over without rejecting anything."""
    hook = await _in_session(
        gateway,
        call,
        lambda s, c: use_cases.rotate_secret(
            session=s, caller=c, webhook_id=call.params["webhook_id"]
        ),
    )
    return json_answer(200, WebhookCreatedSchema().dump(hook))


@OPERATIONS(
    "GET",
    HOOK + "/deliveries",
    tag=TAG,
    query=WebhookDeliveryArgs,
    answers={200: (page_of(WebhookDeliverySchema), "OK")},
    problems=NOT_FOUND,
)
async def list_deliveries(call: Call, gateway: Gateway, args: dict[str, Any]) -> Answer:
    """The webhook's delivery log, newest first (`status` filter)."""
    page = await _in_session(
        gateway,
        call,
        lambda s, c: use_cases.paginate_deliveries(
            session=s, caller=c, webhook_id=call.params["webhook_id"], **args
        ),
        write=False,
    )
    shown = page_of(WebhookDeliverySchema)().dump(page)
    for item in shown["items"]:  # `next_attempt_at` only while a delivery is pending
        if item["status"] != "pending":
            item["next_attempt_at"] = None
    return json_answer(200, shown)


@OPERATIONS(
    "POST",
    HOOK + "/deliveries/{delivery_id}/retry",
    tag=TAG,
    answers={202: (WebhookDeliverySchema, "Queued to be sent now")},
    problems={404: "No such webhook or delivery."},
)
async def retry_delivery(call: Call, gateway: Gateway) -> Answer:
    """Send a delivery again now (a failed one gets a new retry window)."""
    delivery = await _in_session(
        gateway,
        call,
        lambda s, c: use_cases.retry_delivery(
            session=s,
            caller=c,
            webhook_id=call.params["webhook_id"],
            delivery_id=call.params["delivery_id"],
        ),
    )
    return json_answer(202, WebhookDeliverySchema().dump(delivery))


@OPERATIONS(
    "POST",
    HOOK + "/test",
    tag=TAG,
    answers={202: (WebhookDeliverySchema, "A `webhook.test` event, queued to be sent now")},
    problems=NOT_FOUND,
)
async def send_test(call: Call, gateway: Gateway) -> Answer:
    """Send a `webhook.test` event to this webhook, signed like every other."""
    delivery = await _in_session(
        gateway,
        call,
        lambda s, c: use_cases.send_test(session=s, caller=c, webhook_id=call.params["webhook_id"]),
    )
    return json_answer(202, WebhookDeliverySchema().dump(delivery))
