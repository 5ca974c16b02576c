"""/api/v1/health/alerts: raised, acknowledged, resolved."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from kam_common.db import request_session
from kam_common.pagination import page_of
from kam_common.scope import request_caller, request_precondition
from kam_common.web import Blueprint, problem_doc
from kam_health.api.schemas import AlertListArgs, AlertPatchSchema, AlertSchema
from kam_health.services import alerts as use_cases

blp = Blueprint(
    "health_alerts", __name__, url_prefix="/api/v1/health/alerts", description="Health alerts"
)


@blp.route("")
class Alerts(MethodView):
    @blp.arguments(AlertListArgs, location="query")
    @blp.response(200, page_of(AlertSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Alerts, most recently raised or repeated first (filters: `account_id`, `status`)."""
        return use_cases.list_alerts(session=request_session(), caller=request_caller(), **args)


@blp.route("/<alert_id>")
class AlertById(MethodView):
    @blp.arguments(AlertPatchSchema)
    @blp.response(200, AlertSchema)
    @problem_doc(blp, 409, "The alert cannot move from its status to the one asked for.")
    def patch(self, changes: dict[str, Any], alert_id: str) -> Any:
        """Acknowledge or resolve an alert (`status`, `note`)."""
        return use_cases.update_alert(
            session=request_session(),
            caller=request_caller(),
            alert_id=alert_id,
            changes=changes,
            precondition=request_precondition(),
        )
