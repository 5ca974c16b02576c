"""/api/v1/accounts and /api/v1/accounts/{id}."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from kam_accounts.api.schemas import (
    AccountCreateSchema,
    AccountListArgs,
    AccountPatchSchema,
    AccountSchema,
    GroupSchema,
)
from kam_accounts.services import accounts as use_cases
from kam_accounts.services.groups import account_group
from kam_accounts.services.lookup import get_account
from kam_common.db import request_session
from kam_common.pagination import page_of
from kam_common.scope import request_caller, request_precondition
from kam_common.web import Blueprint, honours_if_match

blp = Blueprint("accounts", __name__, url_prefix="/api/v1/accounts", description="Client accounts")


@blp.route("")
class Accounts(MethodView):
    @blp.arguments(AccountListArgs, location="query")
    @blp.response(200, page_of(AccountSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List accounts: search `q` in any script, filter, sort."""
        return use_cases.list_accounts(session=request_session(), caller=request_caller(), **args)

    @blp.arguments(AccountCreateSchema)
    @blp.response(201, AccountSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create an account."""
        return use_cases.create_account(session=request_session(), data=data)


@blp.route("/<account_id>")
class AccountById(MethodView):
    @blp.response(200, AccountSchema)
    def get(self, account_id: str) -> Any:
        """Read an account (archived ones too)."""
        return get_account(
            session=request_session(), caller=request_caller(), account_id=account_id
        )

    @blp.arguments(AccountPatchSchema)
    @blp.response(200, AccountSchema)
    def patch(self, changes: dict[str, Any], account_id: str) -> Any:
        """Change an account; `If-Match: <version>` guards against lost updates."""
        return use_cases.update_account(
            session=request_session(),
            caller=request_caller(),
            account_id=account_id,
            changes=changes,
            precondition=request_precondition(),
        )

    @blp.response(204)
    @honours_if_match(blp)
    def delete(self, account_id: str) -> None:
        """Archive an account: it leaves default lists, nothing is erased."""
        use_cases.archive_account(
            session=request_session(),
            caller=request_caller(),
            account_id=account_id,
            precondition=request_precondition(),
        )


groups = Blueprint("groups", __name__, description="Client groups (read by the gateway)")


@groups.route("/internal/groups/<account_id>")
class AccountGroup(MethodView):
    @groups.response(200, GroupSchema)
    @groups.doc(tags=["internal"])
    def get(self, account_id: str) -> Any:
        """The group the account belongs to, from its root (for a partner: the highest account
        of it the partner may see), with the accounts and revenue per currency; the gateway
        adds health's band and score (`GET /api/v1/accounts/{id}/group`)."""
        return account_group(
            session=request_session(), caller=request_caller(), account_id=account_id
        )
