"""Agreements: what each account has agreed to, one active at a time."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.errors import Conflict, Invalid, NotFound
from kam_common.pagination import list_of_accounts
from kam_offerings import events
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


def end_agreement(
    *, session: Session, caller: Caller, agreement_id: str, data: dict[str, Any]
) -> Agreement:
    """End the active agreement with how the relationship turned out; health records the
    outcome (through the `agreement.ended` event)."""
    agreement = get_agreement(session=session, caller=caller, agreement_id=agreement_id)
    today = utcnow().date()
    on: date = data.get("on") or today
    if on > today:
        raise Invalid("on", "Must not be in the future.")
    if on < agreement.starts_on:
        raise Invalid("on", f"Must not be before the agreement started ({agreement.starts_on}).")
    if agreement.status != "active":
        raise Conflict(f"The agreement already ended on {agreement.ended_on}.")
    agreement.status = "ended"
    agreement.ended_on = on
    agreement.outcome = data["outcome"]
    session.flush()
    events.agreement_ended(session, agreement)
    session.commit()
    return agreement
