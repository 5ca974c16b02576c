"""/api/v1/accounts/{id}/overview: the account page in one call."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_smorest import Blueprint

from kam_gateway.api.schemas import OverviewSchema
from kam_gateway.composites import account_overview
from kam_gateway.state import gateway_state

blp = Blueprint("overview", __name__, url_prefix="/api/v1/accounts", description="Composites")


@blp.route("/<account_id>/overview", methods=["GET"])
@blp.response(200, OverviewSchema)
@blp.doc(responses={404: {"description": "No such account (or not one this key may see)."}})
def overview(account_id: str) -> Any:
    """Account, contacts, team, current health and active agreement; `degraded` lists gaps."""
    return account_overview(gateway_state(), g.caller, account_id, g.get("request_id"))
