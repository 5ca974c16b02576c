"""The relationship's history: interactions and purchases."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kam_accounts import events
from kam_accounts.models import Contact, Interaction, Purchase
from kam_accounts.services.lookup import get_account, get_open_account
from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.errors import Invalid
from kam_common.pagination import paginate

# Clocks differ; anything later than this is a plan, not history.
CLOCK_SKEW = timedelta(days=1)


def log_interaction(
    *, session: Session, caller: Caller, account_id: str, data: dict[str, Any]
) -> Interaction:
    get_open_account(session=session, caller=caller, account_id=account_id)
    occurred_at = data.get("occurred_at") or utcnow()
    if occurred_at > utcnow() + CLOCK_SKEW:
        raise Invalid("occurred_at", "Must not be in the future: log interactions that happened.")
    contact_ids = list(dict.fromkeys(data.get("contact_ids") or []))
    if contact_ids:
        known = set(
            session.scalars(
                select(Contact.id).where(
                    Contact.account_id == account_id, Contact.id.in_(contact_ids)
                )
            )
        )
        for index, contact_id in enumerate(contact_ids):
            if contact_id not in known:
                raise Invalid(f"contact_ids.{index}", "Not a contact of this account.")
    interaction = Interaction(
        account_id=account_id,
        kind=data["kind"],
        occurred_at=occurred_at,
        summary=data.get("summary"),
        contact_ids=contact_ids,
    )
    session.add(interaction)
    session.flush()
    events.interaction_logged(session, interaction)
    session.commit()
    return interaction


def list_interactions(
    *,
    session: Session,
    caller: Caller,
    account_id: str,
    page: int,
    per_page: int,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    get_account(session=session, caller=caller, account_id=account_id)
    stmt = select(Interaction).where(Interaction.account_id == account_id)
    if kind:
        stmt = stmt.where(Interaction.kind == kind)
    if since:
        stmt = stmt.where(Interaction.occurred_at >= since)
    if until:
        stmt = stmt.where(Interaction.occurred_at < until)
    stmt = stmt.order_by(Interaction.occurred_at.desc(), Interaction.id)
    return paginate(session, stmt, page=page, per_page=per_page)


def record_purchase(
    *, session: Session, caller: Caller, account_id: str, data: dict[str, Any]
) -> Purchase:
    get_open_account(session=session, caller=caller, account_id=account_id)
    occurred_on = data.get("occurred_on") or utcnow().date()
    if occurred_on > (utcnow() + CLOCK_SKEW).date():
        raise Invalid("occurred_on", "Must not be in the future: record purchases made.")
    purchase = Purchase(account_id=account_id, **{**data, "occurred_on": occurred_on})
    session.add(purchase)
    session.flush()
    events.purchase_recorded(session, purchase)
    session.commit()
    return purchase


def list_purchases(
    *,
    session: Session,
    caller: Caller,
    account_id: str,
    page: int,
    per_page: int,
    product_line: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    get_account(session=session, caller=caller, account_id=account_id)
    stmt = select(Purchase).where(Purchase.account_id == account_id)
    if product_line:
        stmt = stmt.where(Purchase.product_line == product_line)
    if since:
        stmt = stmt.where(Purchase.occurred_on >= since)
    if until:
        stmt = stmt.where(Purchase.occurred_on < until)
    stmt = stmt.order_by(Purchase.occurred_on.desc(), Purchase.created_at.desc(), Purchase.id)
    return paginate(session, stmt, page=page, per_page=per_page)
