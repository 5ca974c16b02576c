"""Our account team."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from kam_accounts.api.schemas import TeamListArgs, TeamMemberCreateSchema, TeamMemberSchema
from kam_accounts.services import team as use_cases
from kam_common.db import request_session
from kam_common.pagination import page_of
from kam_common.scope import request_caller
from kam_common.web import Blueprint, problem_doc

blp = Blueprint("team", __name__, url_prefix="/api/v1/accounts", description="Our account team")


@blp.route("/<account_id>/team")
class Team(MethodView):
    @blp.arguments(TeamListArgs, location="query")
    @blp.response(200, page_of(TeamMemberSchema))
    def get(self, args: dict[str, Any], account_id: str) -> dict[str, Any]:
        """List the account team (filter: `role`)."""
        return use_cases.list_team(
            session=request_session(), caller=request_caller(), account_id=account_id, **args
        )

    @blp.arguments(TeamMemberCreateSchema)
    @blp.response(201, TeamMemberSchema)
    def post(self, data: dict[str, Any], account_id: str) -> Any:
        """Put someone on the account team."""
        return use_cases.add_team_member(
            session=request_session(), caller=request_caller(), account_id=account_id, data=data
        )


@blp.route("/<account_id>/team/<member_id>")
class TeamMemberById(MethodView):
    @blp.response(204)
    @problem_doc(blp, 409, "The account is archived: it takes no changes.")
    def delete(self, account_id: str, member_id: str) -> None:
        """Take someone off the account team."""
        use_cases.remove_team_member(
            session=request_session(),
            caller=request_caller(),
            account_id=account_id,
            member_id=member_id,
        )
