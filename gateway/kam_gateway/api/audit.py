"""/api/v1/audit: who changed what, in every service and in the gateway itself."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from marshmallow import fields

from kam_common.audit import AuditArgs, AuditEntrySchema, list_entries
from kam_common.context import Caller
from kam_common.errors import Invalid
from kam_gateway.api.schemas import MAX_TIMELINE_DEPTH, TimelinePageSchema
from kam_gateway.composites import Newest, audit_trail
from kam_gateway.exchange import Answer, Call
from kam_gateway.models import audit_entries
from kam_gateway.operations import OPERATIONS
from kam_gateway.route_table import AUDIT

if TYPE_CHECKING:
    from kam_gateway.pipeline import Gateway

TAG = "audit"
FILTERS = ("account_id", "actor_id", "resource_type", "since", "to")
_EVERYONE = Caller()  # the route table lets only admins and executives read the trail


class AuditPageSchema(TimelinePageSchema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)


def _query(args: dict[str, Any]) -> str:
    given = {name: args[name] for name in FILTERS if args.get(name) is not None}
    for name in ("since", "to"):
        if name in given:
            given[name] = given[name].isoformat()
    return urlencode(given)


@OPERATIONS(
    "GET",
    AUDIT,
    tag=TAG,
    query=AuditArgs,
    answers={200: (AuditPageSchema, "OK")},
)
async def audit(call: Call, gateway: Gateway, args: dict[str, Any]) -> Answer:
    """Every change made through the API or the web app, newest first: who (key or person,
    role), what (resource, each field before and after), when, and the request id.

    Filter by `account_id`, `actor_id`, `resource_type`, `since` (inclusive) and `to`
    (exclusive). `page × per_page` may be at most 500. Entries of a service that is down,
    slow or busy are missing and the service is named in `degraded`. Entries are append-only:
    nothing can change or delete them."""
    page, per_page = args["page"], args["per_page"]
    if page * per_page > MAX_TIMELINE_DEPTH:
        raise Invalid("page", f"page × per_page may be at most {MAX_TIMELINE_DEPTH}.")
    filters = {name: args[name] for name in FILTERS if args.get(name) is not None}

    def read_own(depth: int) -> Newest:
        with gateway.db.session(write=False) as session:
            found = list_entries(
                session=session,
                table=audit_entries,
                caller=_EVERYONE,
                page=1,
                per_page=depth,
                **filters,
            )
        return Newest(AuditEntrySchema(many=True).dump(found["items"]), found["total"])

    async def own(depth: int) -> Newest:
        return await asyncio.to_thread(read_own, depth)

    return await audit_trail(
        call,
        gateway.upstreams,
        gateway.settings["COMPOSITE_READ_TIMEOUT"],
        own=own,
        query=_query(args),
        page=page,
        per_page=per_page,
    )
