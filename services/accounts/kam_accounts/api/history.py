"""Interactions, purchases and the account's own timeline."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from kam_accounts.api.schemas import (
    InteractionCreateSchema,
    InteractionListArgs,
    InteractionSchema,
    PurchaseCreateSchema,
    PurchaseListArgs,
    PurchaseSchema,
    TimelineArgs,
    TimelineEntrySchema,
)
from kam_accounts.services import history as use_cases
from kam_accounts.services.timeline import account_timeline
from kam_common.db import request_session
from kam_common.pagination import page_of
from kam_common.scope import request_caller
from kam_common.web import Blueprint

blp = Blueprint(
    "history", __name__, url_prefix="/api/v1/accounts", description="The relationship's history"
)


@blp.route("/<account_id>/interactions")
class Interactions(MethodView):
    @blp.arguments(InteractionListArgs, location="query")
    @blp.response(200, page_of(InteractionSchema))
    def get(self, args: dict[str, Any], account_id: str) -> dict[str, Any]:
        """Meetings, calls, visits, newest first (filters: `kind`, `since`, `until`)."""
        return use_cases.list_interactions(
            session=request_session(), caller=request_caller(), account_id=account_id, **args
        )

    @blp.arguments(InteractionCreateSchema)
    @blp.response(201, InteractionSchema)
    def post(self, data: dict[str, Any], account_id: str) -> Any:
        """Log an interaction with the client."""
        return use_cases.log_interaction(
            session=request_session(), caller=request_caller(), account_id=account_id, data=data
        )


@blp.route("/<account_id>/purchases")
class Purchases(MethodView):
    @blp.arguments(PurchaseListArgs, location="query")
    @blp.response(200, page_of(PurchaseSchema))
    def get(self, args: dict[str, Any], account_id: str) -> dict[str, Any]:
        """Purchases by product line, newest first (filters: `product_line`, `since`, `until`)."""
        return use_cases.list_purchases(
            session=request_session(), caller=request_caller(), account_id=account_id, **args
        )

    @blp.arguments(PurchaseCreateSchema)
    @blp.response(201, PurchaseSchema)
    def post(self, data: dict[str, Any], account_id: str) -> Any:
        """Record a purchase."""
        return use_cases.record_purchase(
            session=request_session(), caller=request_caller(), account_id=account_id, data=data
        )


@blp.route("/<account_id>/timeline")
class Timeline(MethodView):
    @blp.arguments(TimelineArgs, location="query")
    @blp.response(200, page_of(TimelineEntrySchema))
    def get(self, args: dict[str, Any], account_id: str) -> dict[str, Any]:
        """The account's own history, newest first (filter: repeated `type`)."""
        return account_timeline(
            session=request_session(),
            caller=request_caller(),
            account_id=account_id,
            page=args["page"],
            per_page=args["per_page"],
            types=args.get("type"),
        )
