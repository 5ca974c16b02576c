"""Recommendations (cross-sell, up-sell) and customer economics."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from kam_common.db import request_session
from kam_common.scope import request_caller
from kam_common.web import Blueprint, problem_doc, reads_through
from kam_offerings.api import readers, settings
from kam_offerings.api.schemas import (
    AccountArgs,
    EconomicsSchema,
    PortfolioEconomicsArgs,
    PortfolioEconomicsSchema,
    RecommendationsSchema,
)
from kam_offerings.services import economics, recommendations

blp = Blueprint(
    "insights",
    __name__,
    url_prefix="/api/v1/offerings",
    description="What to offer next, and what each account earns us",
)


@blp.route("/recommendations")
class Recommendations(MethodView):
    @blp.arguments(AccountArgs, location="query")
    @blp.response(200, RecommendationsSchema)
    @problem_doc(blp, 404, "No such account (or not one the caller may see).")
    @reads_through(blp, "accounts")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Cross-sell and up-sell suggestions, or why they are held back."""
        return recommendations.recommendations(
            session=request_session(),
            caller=request_caller(),
            account_id=args["account_id"],
            settings=settings(),
            readers=readers(),
        )


@blp.route("/economics")
class PortfolioEconomics(MethodView):
    @blp.arguments(PortfolioEconomicsArgs, location="query")
    @blp.response(200, PortfolioEconomicsSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The portfolio's 80/20 revenue curve, drawn per currency (by currency, then rank;
        filters `currency`, `segment`, `tier`, `vital_few`); the total is converted only with
        the exchange rates in force, each named beside it."""
        return economics.portfolio_economics(
            session=request_session(), caller=request_caller(), **args
        )


@blp.route("/economics/<account_id>")
class Economics(MethodView):
    @blp.response(200, EconomicsSchema)
    @reads_through(blp, "accounts")
    def get(self, account_id: str) -> dict[str, Any]:
        """Revenue (purchases in the last 12 months + agreement), cost to serve (agreement,
        product lines, support and visits), margin (null, with the reason, when a cost is
        unknown) and the account's place on its currency's 80/20 revenue curve."""
        return economics.account_economics(
            session=request_session(),
            caller=request_caller(),
            account_id=account_id,
            settings=settings(),
            readers=readers(),
        )
