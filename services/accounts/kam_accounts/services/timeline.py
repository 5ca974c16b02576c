"""The account's own timeline: contact changes, interactions and purchases, newest first."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kam_accounts.domain.timeline import (
    Entry,
    describe_contact_change,
    describe_interaction,
    describe_purchase,
    newest_first,
)
from kam_accounts.models import Contact, ContactChange, Interaction, Purchase
from kam_accounts.services.lookup import get_account
from kam_common.context import Caller
from kam_common.pagination import page_from_list


def account_timeline(
    *,
    session: Session,
    caller: Caller,
    account_id: str,
    page: int,
    per_page: int,
    types: list[str] | None = None,
) -> dict[str, Any]:
    account = get_account(session=session, caller=caller, account_id=account_id)
    names = dict(
        session.execute(
            select(Contact.id, Contact.name).where(Contact.account_id == account_id)
        ).all()
    )
    wanted = set(types or ("account", "interaction", "purchase", "contact_change"))
    entries: list[Entry] = []
    if "account" in wanted:
        entries.append(
            Entry("account", account.created_at, account.id, f"Account {account.name} opened")
        )
    if "interaction" in wanted:
        for item in session.scalars(
            select(Interaction).where(Interaction.account_id == account_id)
        ):
            people = [names.get(cid, "a former contact") for cid in item.contact_ids]
            entries.append(
                Entry(
                    "interaction",
                    item.occurred_at,
                    item.id,
                    describe_interaction(item.kind, item.summary, people),
                    {"kind": item.kind, "contact_ids": item.contact_ids},
                )
            )
    if "purchase" in wanted:
        for bought in session.scalars(select(Purchase).where(Purchase.account_id == account_id)):
            entries.append(
                Entry(
                    "purchase",
                    datetime.combine(bought.occurred_on, time.min, tzinfo=UTC),
                    bought.id,
                    describe_purchase(bought.product_line, bought.amount, account.currency),
                    {
                        "product_line": bought.product_line,
                        "amount": float(bought.amount),
                        "currency": account.currency,
                        "occurred_on": bought.occurred_on.isoformat(),
                    },
                )
            )
    if "contact_change" in wanted:
        for change in session.scalars(
            select(ContactChange).where(ContactChange.account_id == account_id)
        ):
            name = names.get(change.contact_id, "A contact")
            entries.append(
                Entry(
                    "contact_change",
                    change.occurred_at,
                    change.id,
                    describe_contact_change(name, change.kind, change.changes, names),
                    {
                        "contact_id": change.contact_id,
                        "change": change.kind,
                        "fields": change.changes,
                    },
                )
            )
    return page_from_list(newest_first(entries), page=page, per_page=per_page)
