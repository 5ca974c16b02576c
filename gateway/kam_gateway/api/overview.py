"""The composites: /api/v1/accounts/{id}/overview and /api/v1/accounts/{id}/timeline."""

from __future__ import annotations

from typing import Any

from flask import g

from kam_common.errors import Invalid
from kam_common.web import Blueprint, problem_doc, reads_through
from kam_gateway.api.schemas import (
    MAX_TIMELINE_DEPTH,
    OverviewSchema,
    TimelineArgs,
    TimelinePageSchema,
)
from kam_gateway.composites import account_overview, account_timeline
from kam_gateway.state import gateway_state
from kam_gateway.timeline import ALL_TYPES

blp = Blueprint("overview", __name__, url_prefix="/api/v1/accounts", description="Composites")


@blp.route("/<account_id>/overview", methods=["GET"])
@blp.response(200, OverviewSchema)
@problem_doc(blp, 404, "No such account (or not one this key may see).")
@reads_through(blp, "accounts")
def overview(account_id: str) -> Any:
    """Account, contacts, team, current health and active agreement; `degraded` lists gaps.

    A part the key's role may not read on its own is left out (partners: no team; engineers:
    no agreement).
    """
    return account_overview(gateway_state(), g.caller, account_id, g.get("request_id"))


@blp.route("/<account_id>/timeline", methods=["GET"])
@blp.arguments(TimelineArgs, location="query")
@blp.response(200, TimelinePageSchema)
@problem_doc(blp, 404, "No such account (or not one this key may see).")
@reads_through(blp, "accounts")
def timeline(args: dict[str, Any], account_id: str) -> Any:
    """Interactions, purchases, contact changes, health events and agreements, newest first.

    Filter with repeated `type`. `page × per_page` may be at most 500. Entries of a service
    that is down, slow or busy are missing and the service is named in `degraded`. Health
    events and agreements are left out for roles that may not read them on their own
    (engineers: no agreements).
    """
    page, per_page = args["page"], args["per_page"]
    if page * per_page > MAX_TIMELINE_DEPTH:
        raise Invalid(
            "page",
            f"page × per_page may be at most {MAX_TIMELINE_DEPTH}; "
            "read older history from the services' own lists.",
        )
    return account_timeline(
        gateway_state(),
        g.caller,
        account_id,
        g.get("request_id"),
        page=page,
        per_page=per_page,
        types=frozenset(args.get("type") or ALL_TYPES),
    )
