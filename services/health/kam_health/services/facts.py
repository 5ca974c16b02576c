"""Facts health keeps about accounts, fed by the accounts service's integration events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.db import get_or_insert, upsert_many, utcnow
from kam_common.errors import Invalid
from kam_health.models import AccountFacts, ContactMade, DepartedContact, TeamMember

AccountLookup = Callable[[str], dict[str, Any] | None]


def facts_from(data: dict[str, Any]) -> AccountFacts:
    """Facts from the accounts service's view of an account, not (yet) stored."""
    facts = AccountFacts(account_id=data["account_id"], created_at=_moment(data["created_at"]))
    return _copy(facts, data)


def upsert_account(session: Session, data: dict[str, Any]) -> AccountFacts:
    # The account's event and a read-through may store the same account at the same moment.
    facts = get_or_insert(session, AccountFacts, data["account_id"], lambda: facts_from(data))
    _copy(facts, data)
    session.flush()
    return facts


def upsert_accounts(session: Session, payloads: list[dict[str, Any]]) -> list[str]:
    """Many accounts' facts in a few statements, each payload in order; returns their ids."""
    return upsert_many(
        session, AccountFacts, payloads, key="account_id", make=facts_from, update=_copy
    )


def _moment(text: str) -> datetime:
    # Accounts answers `...Z` over HTTP and `+00:00` in its events; Python 3.11 reads both.
    return datetime.fromisoformat(text)


def _copy(facts: AccountFacts, data: dict[str, Any]) -> AccountFacts:
    facts.name = data["name"]
    facts.status = data["status"]
    facts.segment = data.get("segment")
    facts.tier = data.get("tier")
    facts.annual_revenue = Decimal(str(data.get("annual_revenue") or 0))
    facts.currency = data.get("currency") or "USD"
    facts.contact_cadence_days = data.get("contact_cadence_days") or 30
    facts.parent_id = data.get("parent_id")
    facts.facts_at = utcnow()
    return facts


def require_active_account(
    session: Session,
    caller: Caller,
    account_id: str,
    lookup: AccountLookup,
    *,
    field: str = "account_id",
    archived_too: bool = False,
) -> AccountFacts:
    """The account an event is about: known, active (`archived_too`: or archived), and
    visible to the caller.

    On a miss, read through to the accounts service (the account may have been created a
    moment ago, before its event arrived) and keep the answer.
    """
    facts = session.get(AccountFacts, account_id) if caller.may_see(account_id) else None
    if facts is None and caller.may_see(account_id):
        found = lookup(account_id)
        if found is not None:
            facts = upsert_account(session, found)
    if facts is None:
        raise Invalid(field, "Unknown account.")
    if facts.status != "active" and not archived_too:
        raise Invalid(field, "The account is archived.")
    return facts


def contact_left(session: Session, payload: dict[str, Any]) -> None:
    departed = session.get(DepartedContact, payload["contact_id"]) or DepartedContact(
        contact_id=payload["contact_id"]
    )
    departed.account_id = payload["account_id"]
    departed.name = payload["name"]
    departed.buying_role = payload.get("buying_role")
    departed.left_on = date.fromisoformat(payload["left_on"])
    session.add(departed)


def contact_returned(session: Session, payload: dict[str, Any]) -> None:
    session.execute(
        delete(DepartedContact).where(DepartedContact.contact_id == payload["contact_id"])
    )


def team_member_added(session: Session, payload: dict[str, Any]) -> None:
    member = session.get(TeamMember, payload["member_id"]) or TeamMember(
        member_id=payload["member_id"]
    )
    member.account_id = payload["account_id"]
    member.name = payload["name"]
    member.email = payload.get("email")
    member.role = payload["role"]
    session.add(member)


def team_member_removed(session: Session, payload: dict[str, Any]) -> None:
    session.execute(delete(TeamMember).where(TeamMember.member_id == payload["member_id"]))


def interaction_logged(
    session: Session, facts: AccountFacts, occurred_at: datetime, interaction_id: str | None
) -> None:
    if facts.last_contact_at is None or occurred_at > facts.last_contact_at:
        facts.last_contact_at = occurred_at
    if interaction_id and session.get(ContactMade, interaction_id) is None:
        session.add(
            ContactMade(
                interaction_id=interaction_id, account_id=facts.account_id, occurred_at=occurred_at
            )
        )
