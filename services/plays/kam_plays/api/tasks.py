"""/api/v1/tasks: plays for the account team."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from kam_common.db import request_session
from kam_common.pagination import page_of
from kam_common.scope import request_caller, request_precondition
from kam_common.web import Blueprint, reads_through
from kam_plays.api import lookup
from kam_plays.api.schemas import TaskCreateSchema, TaskListArgs, TaskPatchSchema, TaskSchema
from kam_plays.services import tasks as use_cases
from kam_plays.services.tasks import task_views

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="Tasks (plays)")


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(TaskCreateSchema)
    @blp.response(201, TaskSchema)
    @reads_through(blp, "accounts")
    def post(self, data: dict[str, Any]) -> Any:
        """A task by hand (or from an alert: `source`), for a member or a team role (the
        account's member of that role)."""
        task = use_cases.create_task(
            session=request_session(), caller=request_caller(), data=data, lookup=lookup()
        )
        return task_views(request_session(), [task])[0]

    @blp.arguments(TaskListArgs, location="query")
    @blp.response(200, page_of(TaskSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Tasks, soonest due first (filters: `account_id`, `assignee_id` for my tasks,
        `assignee_role`, `status`, `source`, `overdue`)."""
        args["source_type"] = args.pop("source", None)
        found = use_cases.list_tasks(session=request_session(), caller=request_caller(), **args)
        return {**found, "items": task_views(request_session(), found["items"])}


@blp.route("/<task_id>")
class TaskById(MethodView):
    @blp.response(200, TaskSchema)
    def get(self, task_id: str) -> Any:
        """One task."""
        task = use_cases.get_task(
            session=request_session(), caller=request_caller(), task_id=task_id
        )
        return task_views(request_session(), [task])[0]

    @blp.arguments(TaskPatchSchema)
    @blp.response(200, TaskSchema)
    def patch(self, changes: dict[str, Any], task_id: str) -> Any:
        """Change, reassign, close (`done`), dismiss or reopen a task."""
        task = use_cases.update_task(
            session=request_session(),
            caller=request_caller(),
            task_id=task_id,
            changes=changes,
            precondition=request_precondition(),
        )
        return task_views(request_session(), [task])[0]
