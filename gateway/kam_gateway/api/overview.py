"""The composites: /api/v1/accounts/{id}/overview and /api/v1/accounts/{id}/timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kam_common.errors import Invalid
from kam_gateway.api.schemas import (
    MAX_TIMELINE_DEPTH,
    GroupSchema,
    OverviewSchema,
    TimelineArgs,
    TimelinePageSchema,
)
from kam_gateway.composites import account_group, account_overview, account_timeline
from kam_gateway.exchange import Answer, Call
from kam_gateway.operations import OPERATIONS
from kam_gateway.timeline import ALL_TYPES

if TYPE_CHECKING:
    from kam_gateway.pipeline import Gateway

TAG = "overview"
NOT_FOUND = "No such account (or not one this key may see)."


@OPERATIONS(
    "GET",
    "/api/v1/accounts/{account_id}/overview",
    tag=TAG,
    answers={200: (OverviewSchema, "OK")},
    problems={404: NOT_FOUND},
)
async def overview(call: Call, gateway: Gateway) -> Answer:
    """Account, contacts, team, current health and active agreement; `degraded` lists gaps.

    A part the key's role may not read on its own is left out (partners: no team; engineers:
    no agreement)."""
    return await account_overview(
        call, gateway.upstreams, gateway.settings["COMPOSITE_READ_TIMEOUT"]
    )


@OPERATIONS(
    "GET",
    "/api/v1/accounts/{account_id}/group",
    tag=TAG,
    answers={200: (GroupSchema, "OK")},
    problems={404: NOT_FOUND},
)
async def group(call: Call, gateway: Gateway) -> Answer:
    """The client group the account belongs to: every account from the group's root down
    (each with its `children`), and the roll-up: active accounts, revenue per currency, the
    worst band and the revenue-weighted score.

    A partner sees its own accounts of the group only (from the highest of them). Health down:
    no scores or bands, `degraded` names it."""
    return await account_group(call, gateway.upstreams, gateway.settings["COMPOSITE_READ_TIMEOUT"])


@OPERATIONS(
    "GET",
    "/api/v1/accounts/{account_id}/timeline",
    tag=TAG,
    query=TimelineArgs,
    answers={200: (TimelinePageSchema, "OK")},
    problems={404: NOT_FOUND},
)
async def timeline(call: Call, gateway: Gateway, args: dict[str, Any]) -> Answer:
    """Interactions, purchases, contact changes, health events and agreements, newest first.

    Filter with repeated `type`. `page × per_page` may be at most 500. Entries of a service
    that is down, slow or busy are missing and the service is named in `degraded`. Health
    events and agreements are left out for roles that may not read them on their own
    (engineers: no agreements)."""
    page, per_page = args["page"], args["per_page"]
    if page * per_page > MAX_TIMELINE_DEPTH:
        raise Invalid(
            "page",
            f"page × per_page may be at most {MAX_TIMELINE_DEPTH}; "
            "read older history from the services' own lists.",
        )
    return await account_timeline(
        call,
        gateway.upstreams,
        gateway.settings["COMPOSITE_READ_TIMEOUT"],
        page=page,
        per_page=per_page,
        types=frozenset(args.get("type") or ALL_TYPES),
    )
