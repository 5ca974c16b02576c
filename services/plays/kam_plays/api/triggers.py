"""/api/v1/triggers: conditions on the facts, and what to do when they hold."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from kam_common.db import request_session
from kam_common.pagination import page_of
from kam_common.scope import request_caller, request_precondition
from kam_common.web import Blueprint, honours_if_match
from kam_plays.api.schemas import (
    ConfirmArgs,
    FiringListArgs,
    FiringSchema,
    TriggerCreateSchema,
    TriggerListArgs,
    TriggerPatchSchema,
    TriggerSchema,
)
from kam_plays.services import triggers as use_cases

blp = Blueprint(
    "triggers", __name__, url_prefix="/api/v1/triggers", description="Triggers and their firings"
)


@blp.route("")
class Triggers(MethodView):
    @blp.arguments(TriggerCreateSchema)
    @blp.arguments(ConfirmArgs, location="query")
    @blp.response(201, TriggerSchema)
    def post(self, data: dict[str, Any], args: dict[str, Any]) -> Any:
        """A new trigger, evaluated at once over the active accounts. One that can never fire
        is a 422; one that holds for every active account now is a 422 unless `confirm=true`."""
        return use_cases.create_trigger(
            session=request_session(), caller=request_caller(), data=data, confirm=args["confirm"]
        )

    @blp.arguments(TriggerListArgs, location="query")
    @blp.response(200, page_of(TriggerSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Triggers by name (filter: `active`)."""
        return use_cases.list_triggers(session=request_session(), **args)


@blp.route("/<trigger_id>")
class TriggerById(MethodView):
    @blp.response(200, TriggerSchema)
    def get(self, trigger_id: str) -> Any:
        """One trigger."""
        return use_cases.get_trigger(session=request_session(), trigger_id=trigger_id)

    @blp.arguments(TriggerPatchSchema)
    @blp.arguments(ConfirmArgs, location="query")
    @blp.response(200, TriggerSchema)
    def patch(self, changes: dict[str, Any], args: dict[str, Any], trigger_id: str) -> Any:
        """Change a trigger (`name`, `when`, `then`, `active`); it is evaluated again."""
        return use_cases.update_trigger(
            session=request_session(),
            trigger_id=trigger_id,
            changes=changes,
            confirm=args["confirm"],
            precondition=request_precondition(),
        )

    @blp.response(204)
    @honours_if_match(blp)
    def delete(self, trigger_id: str) -> None:
        """Stop and remove a trigger; its firings and tasks stay."""
        use_cases.delete_trigger(
            session=request_session(),
            trigger_id=trigger_id,
            precondition=request_precondition(),
        )


@blp.route("/<trigger_id>/firings")
class Firings(MethodView):
    @blp.arguments(FiringListArgs, location="query")
    @blp.response(200, page_of(FiringSchema))
    def get(self, args: dict[str, Any], trigger_id: str) -> dict[str, Any]:
        """Each firing, newest first: the account, when, the facts behind it, what it did."""
        return use_cases.list_firings(
            session=request_session(), caller=request_caller(), trigger_id=trigger_id, **args
        )
