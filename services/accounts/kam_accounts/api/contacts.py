"""Decision-makers of an account and their org chart."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from kam_accounts.api.schemas import (
    ContactCreateSchema,
    ContactListArgs,
    ContactPatchSchema,
    ContactSchema,
    OrgChartSchema,
)
from kam_accounts.services import contacts as use_cases
from kam_common.db import request_session
from kam_common.pagination import page_of
from kam_common.scope import request_caller, request_precondition
from kam_common.web import Blueprint, honours_if_match, problem_doc

blp = Blueprint(
    "contacts", __name__, url_prefix="/api/v1/accounts", description="The client's decision-makers"
)


@blp.route("/<account_id>/contacts")
class Contacts(MethodView):
    @blp.arguments(ContactListArgs, location="query")
    @blp.response(200, page_of(ContactSchema))
    def get(self, args: dict[str, Any], account_id: str) -> dict[str, Any]:
        """List contacts (filters: `active`, `buying_role`)."""
        return use_cases.list_contacts(
            session=request_session(), caller=request_caller(), account_id=account_id, **args
        )

    @blp.arguments(ContactCreateSchema)
    @blp.response(201, ContactSchema)
    def post(self, data: dict[str, Any], account_id: str) -> Any:
        """Add a decision-maker; `reports_to_id` must be a contact of the same account."""
        return use_cases.create_contact(
            session=request_session(), caller=request_caller(), account_id=account_id, data=data
        )


@blp.route("/<account_id>/contacts/<contact_id>")
class ContactById(MethodView):
    @blp.response(200, ContactSchema)
    def get(self, account_id: str, contact_id: str) -> Any:
        """Read a contact."""
        return use_cases.get_contact(
            session=request_session(),
            caller=request_caller(),
            account_id=account_id,
            contact_id=contact_id,
        )

    @blp.arguments(ContactPatchSchema)
    @blp.response(200, ContactSchema)
    @problem_doc(blp, 409, "The account is archived: it takes no changes.")
    def patch(self, changes: dict[str, Any], account_id: str, contact_id: str) -> Any:
        """Change a contact; a reporting loop is a 422."""
        return use_cases.update_contact(
            session=request_session(),
            caller=request_caller(),
            account_id=account_id,
            contact_id=contact_id,
            changes=changes,
            precondition=request_precondition(),
        )

    @blp.response(204)
    @problem_doc(blp, 409, "The account is archived: it takes no changes.")
    @honours_if_match(blp)
    def delete(self, account_id: str, contact_id: str) -> None:
        """Record that the person left: they stay on the map, inactive, with `left_on`."""
        use_cases.remove_contact(
            session=request_session(),
            caller=request_caller(),
            account_id=account_id,
            contact_id=contact_id,
            precondition=request_precondition(),
        )


@blp.route("/<account_id>/org-chart")
class OrgChart(MethodView):
    @blp.response(200, OrgChartSchema)
    def get(self, account_id: str) -> dict[str, Any]:
        """Who reports to whom: `{"roots": [contact + "reports": [...]]}`."""
        return {
            "roots": use_cases.get_org_chart(
                session=request_session(), caller=request_caller(), account_id=account_id
            )
        }
