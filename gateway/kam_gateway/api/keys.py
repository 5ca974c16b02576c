"""/api/v1/admin/keys: create (secret shown once), list, revoke. Admin keys only (route table)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from kam_common.pagination import PageArgs, page_of
from kam_gateway import keys as use_cases
from kam_gateway.api.schemas import KeyCreatedSchema, KeyCreateSchema, KeySchema
from kam_gateway.exchange import Answer, Call, json_answer
from kam_gateway.operations import OPERATIONS

if TYPE_CHECKING:
    from kam_gateway.pipeline import Gateway

KEYS = "/api/v1/admin/keys"
TAG = "keys"


@OPERATIONS("GET", KEYS, tag=TAG, query=PageArgs, answers={200: (page_of(KeySchema), "OK")})
async def list_keys(call: Call, gateway: Gateway, args: dict[str, Any]) -> Answer:
    """List API keys, newest first. Secrets are never shown."""

    def read() -> dict[str, Any]:
        with gateway.db.session(write=False) as session:
            return use_cases.paginate_keys(session=session, **args)

    page = await asyncio.to_thread(read)
    return json_answer(200, page_of(KeySchema)().dump(page))


@OPERATIONS(
    "POST",
    KEYS,
    tag=TAG,
    body=KeyCreateSchema,
    answers={201: (KeyCreatedSchema, "Created")},
    problems={409: "The `Idempotency-Key` was used with another body."},
)
async def create_key(call: Call, gateway: Gateway, data: dict[str, Any]) -> Answer:
    """Create an API key. The `key` in this response is the only time the secret is shown.

    With `Idempotency-Key`, a retry with the same body gets the same answer, secret included
    (the point of the retry is the answer that was lost), and creates nothing."""
    assert call.caller is not None  # noqa: S101 - the key step ran
    created = await asyncio.to_thread(
        use_cases.create_key_once,
        gateway.db,
        client_id=call.caller.key_id,
        idempotency_key=call.header("idempotency-key"),
        render=lambda key, secret: KeyCreatedSchema().dump({**key, "key": secret}),
        **data,
    )
    headers = [("Idempotent-Replayed", "true")] if created.replayed else []
    return json_answer(201, created.body, headers)


@OPERATIONS(
    "DELETE",
    KEYS + "/{key_id}",
    tag=TAG,
    answers={204: (None, "Revoked: the key gets 401 from now on.")},
)
async def revoke_key(call: Call, gateway: Gateway) -> Answer:
    """Revoke an API key: from now on it gets 401, from every gateway process within a second."""

    def revoke() -> None:
        with gateway.db.session() as session:
            use_cases.revoke_key(session=session, key_id=call.params["key_id"])

    await asyncio.to_thread(revoke)
    gateway.keys.changed()
    return Answer(204)
