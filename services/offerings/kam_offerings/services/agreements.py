"""Agreements: what each account has agreed to, one active at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.errors import NotFound
from kam_common.pagination import list_of_accounts
from kam_offerings.models import Agreement


def list_agreements(
    *,
    session: Session,
    caller: Caller,
    page: int,
    per_page: int,
    account_id: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    return list_of_accounts(
        session,
        Agreement,
        caller=caller,
        order_by=(Agreement.created_at.desc(), Agreement.id),
        page=page,
        per_page=per_page,
        account_id=account_id,
        status=status,
    )


def get_agreement(*, session: Session, caller: Caller, agreement_id: str) -> Agreement:
    """One agreement; outside a partner's accounts it does not exist (404)."""
    agreement = session.get(Agreement, agreement_id)
    if agreement is None or not caller.may_see(agreement.account_id):
        raise NotFound("Agreement not found.")
    return agreement
