"""/api/v1/health/events: what happened at the client."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from kam_common.db import request_session
from kam_common.pagination import page_of
from kam_common.problems import load_each
from kam_common.scope import request_caller, request_precondition
from kam_common.web import Blueprint, reads_through
from kam_health.api import lookup
from kam_health.api.schemas import (
    BatchResultSchema,
    EventBatchSchema,
    EventCreateSchema,
    EventListArgs,
    EventPatchSchema,
    EventSchema,
)
from kam_health.services import events as use_cases

blp = Blueprint(
    "health_events", __name__, url_prefix="/api/v1/health/events", description="Health events"
)


@blp.route("")
class Events(MethodView):
    @blp.arguments(EventListArgs, location="query")
    @blp.response(200, page_of(EventSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List events, newest first (filters: `account_id`, `type`, `since`, `open`)."""
        return use_cases.list_events(session=request_session(), caller=request_caller(), **args)

    @blp.arguments(EventCreateSchema)
    @blp.response(201, EventSchema)
    @reads_through(blp, "accounts")
    def post(self, data: dict[str, Any]) -> Any:
        """Log an event; the account's score follows at once."""
        return use_cases.log_event(
            session=request_session(), caller=request_caller(), data=data, lookup=lookup()
        )


@blp.route("/batch")
class EventBatch(MethodView):
    @blp.arguments(EventBatchSchema)
    @blp.response(201, BatchResultSchema)
    @reads_through(blp, "accounts")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Log up to 1000 events: all valid → all stored; else none, each bad index named."""
        items, errors = load_each(EventCreateSchema(), data["events"], prefix="events")
        ids = use_cases.log_batch(
            session=request_session(),
            caller=request_caller(),
            items=items,
            errors=errors,
            lookup=lookup(),
        )
        return {"created": len(ids), "ids": ids}


@blp.route("/<event_id>")
class EventById(MethodView):
    @blp.response(200, EventSchema)
    def get(self, event_id: str) -> Any:
        """Read an event."""
        return use_cases.get_event(
            session=request_session(), caller=request_caller(), event_id=event_id
        )

    @blp.arguments(EventPatchSchema)
    @blp.response(200, EventSchema)
    def patch(self, changes: dict[str, Any], event_id: str) -> Any:
        """Record a delivery made or an issue resolved (`If-Match` optional)."""
        return use_cases.update_event(
            session=request_session(),
            caller=request_caller(),
            event_id=event_id,
            changes=changes,
            precondition=request_precondition(),
        )
