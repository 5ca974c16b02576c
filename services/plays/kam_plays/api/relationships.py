"""The coverage map of an account and the touches of each of its people."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from kam_common.db import request_session
from kam_common.scope import request_caller
from kam_common.web import Blueprint, problem_doc, reads_through
from kam_plays.api import lookup
from kam_plays.api.schemas import (
    CoverageLinkCreateSchema,
    CoverageLinkSchema,
    CoverageMapSchema,
    TouchesSchema,
)
from kam_plays.services import coverage, touches

blp = Blueprint(
    "relationships",
    __name__,
    url_prefix="/api/v1/accounts",
    description="Coverage of the client's decision-makers, and touches",
)


@blp.route("/<account_id>/coverage")
class Coverage(MethodView):
    @blp.response(200, CoverageMapSchema)
    @reads_through(blp, "accounts")
    def get(self, account_id: str) -> dict[str, Any]:
        """Who covers whom, each person's last touch, the gaps and the coverage score."""
        return coverage.coverage_map(
            session=request_session(), caller=request_caller(), account_id=account_id,
            lookup=lookup(),
        )  # fmt: skip

    @blp.arguments(CoverageLinkCreateSchema)
    @blp.response(201, CoverageLinkSchema)
    @reads_through(blp, "accounts")
    @problem_doc(blp, 409, "This member already covers this person.")
    def post(self, data: dict[str, Any], account_id: str) -> Any:
        """A team member takes on the relationship with one of the client's people."""
        link = coverage.add_link(
            session=request_session(), caller=request_caller(), account_id=account_id,
            data=data, lookup=lookup(),
        )  # fmt: skip
        return {**vars_of(link), "last_touch_at": None}


@blp.route("/<account_id>/coverage/<link_id>")
class CoverageLinkById(MethodView):
    @blp.response(204)
    @reads_through(blp, "accounts")
    def delete(self, account_id: str, link_id: str) -> None:
        """The member no longer covers the person."""
        coverage.remove_link(
            session=request_session(), caller=request_caller(), account_id=account_id,
            link_id=link_id, lookup=lookup(),
        )  # fmt: skip


@blp.route("/<account_id>/contacts/<contact_id>/touches")
class Touches(MethodView):
    @blp.response(200, TouchesSchema)
    @reads_through(blp, "accounts")
    def get(self, account_id: str, contact_id: str) -> dict[str, Any]:
        """Interactions and campaign mails that reached the person, newest first (the latest
        200); their cadence, next due date, and a new decision-maker's onboarding progress."""
        return touches.contact_touches(
            session=request_session(), caller=request_caller(), account_id=account_id,
            contact_id=contact_id, lookup=lookup(),
        )  # fmt: skip


def vars_of(link: Any) -> dict[str, Any]:
    return {
        "id": link.id,
        "member_id": link.member_id,
        "contact_id": link.contact_id,
        "created_at": link.created_at,
    }
