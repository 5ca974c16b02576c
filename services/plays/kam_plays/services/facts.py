"""Facts plays keeps of accounts, their people, our team, purchases, health and agreements,
fed by the other services' integration events (or read through to accounts when missing)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.db import get_or_insert, upsert_many, utcnow
from kam_common.errors import Invalid, NotFound
from kam_plays.domain.triggers import renewal_date
from kam_plays.models import (
    AccountFacts,
    ContactFacts,
    EventFacts,
    MemberFacts,
    PurchaseFacts,
    Touch,
)

AccountLookup = Callable[[str], dict[str, Any] | None]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _copy(facts: AccountFacts, data: dict[str, Any]) -> AccountFacts:
    facts.name = data["name"]
    facts.status = data.get("status") or "active"
    facts.segment = data.get("segment")
    facts.tier = data.get("tier") or "key"
    facts.annual_revenue = Decimal(str(data.get("annual_revenue") or 0)).quantize(Decimal("0.01"))
    facts.currency = data.get("currency") or "USD"
    facts.contact_cadence_days = data.get("contact_cadence_days") or 30
    facts.facts_at = utcnow()
    return facts


def _new_account(data: dict[str, Any]) -> AccountFacts:
    return _copy(
        AccountFacts(
            account_id=data["account_id"], created_at=_moment(data["created_at"]), components={}
        ),
        data,
    )


def upsert_account(session: Session, data: dict[str, Any]) -> AccountFacts:
    facts = get_or_insert(session, AccountFacts, data["account_id"], lambda: _new_account(data))
    _copy(facts, data)
    session.flush()
    return facts


def upsert_accounts(session: Session, payloads: list[dict[str, Any]]) -> list[str]:
    """Many accounts' facts in a few statements, each payload in order; returns their ids."""
    return upsert_many(
        session, AccountFacts, payloads, key="account_id", make=_new_account, update=_copy
    )


def known_account(session: Session, account_id: str, lookup: AccountLookup) -> AccountFacts | None:
    """The account from our facts, else read through to the accounts service and kept."""
    facts = session.get(AccountFacts, account_id)
    if facts is None:
        found = lookup(account_id)
        facts = upsert_account(session, found) if found else None
    return facts


def known_accounts(
    session: Session, account_ids: set[str], lookup: AccountLookup
) -> dict[str, AccountFacts]:
    """`known_account` for many: those stored in one query, the others read through."""
    found = {
        a.account_id: a
        for a in session.scalars(
            select(AccountFacts).where(AccountFacts.account_id.in_(account_ids))
        )
    }
    for account_id in account_ids - set(found):
        if (account := known_account(session, account_id, lookup)) is not None:
            found[account_id] = account
    return found


def account_names(session: Session, account_ids: Iterable[str]) -> dict[str, str]:
    """The names plays knows of these accounts, in one query."""
    return dict(
        session.execute(
            select(AccountFacts.account_id, AccountFacts.name).where(
                AccountFacts.account_id.in_(set(account_ids))
            )
        ).all()
    )


def visible_account(
    session: Session, caller: Caller, account_id: str, lookup: AccountLookup
) -> AccountFacts:
    """The account a request is about (404 when unknown or outside a partner's scope)."""
    facts = known_account(session, account_id, lookup) if caller.may_see(account_id) else None
    if facts is None:
        raise NotFound("Account not found.")
    return facts


def account_for_input(
    session: Session, caller: Caller, account_id: str, lookup: AccountLookup
) -> AccountFacts:
    """The active account a body names (422 naming `account_id` otherwise)."""
    facts = known_account(session, account_id, lookup) if caller.may_see(account_id) else None
    if facts is None or facts.status != "active":
        raise Invalid("account_id", "No active account with this id.")
    return facts


def _new_contact(data: dict[str, Any]) -> ContactFacts:
    return ContactFacts(
        contact_id=data["contact_id"],
        account_id=data["account_id"],
        name=data["name"],
        created_at=_moment(data["created_at"]) if data.get("created_at") else utcnow(),
    )


def _copy_contact(contact: ContactFacts, data: dict[str, Any]) -> None:
    contact.name = data["name"]
    contact.title = data.get("title")
    contact.email = data.get("email")
    contact.buying_role = data.get("buying_role")
    contact.influence = data.get("influence") or 3
    contact.stance = data.get("stance") or "unknown"
    contact.active = bool(data.get("active", True))
    contact.left_on = date.fromisoformat(data["left_on"]) if data.get("left_on") else None
    contact.cadence_days = data.get("cadence_days")


def upsert_contact(session: Session, data: dict[str, Any]) -> ContactFacts:
    contact = get_or_insert(session, ContactFacts, data["contact_id"], lambda: _new_contact(data))
    _copy_contact(contact, data)
    session.flush()
    return contact


def upsert_contacts(
    session: Session, payloads: list[dict[str, Any]], lookup: AccountLookup
) -> list[str]:
    """Many contacts' facts in a few statements (those of accounts plays can find); returns
    the ids of the accounts they belong to."""
    known = known_accounts(session, {data["account_id"] for data in payloads}, lookup)
    mine = [data for data in payloads if data["account_id"] in known]
    upsert_many(
        session, ContactFacts, mine, key="contact_id", make=_new_contact, update=_copy_contact
    )
    return list(dict.fromkeys(data["account_id"] for data in mine))


def contact_moved(session: Session, data: dict[str, Any], *, active: bool) -> None:
    """`contact.left` / `contact.returned`: what plays keeps of the person changes with it."""
    contact = session.get(ContactFacts, data["contact_id"])
    if contact is None:
        contact = ContactFacts(
            contact_id=data["contact_id"],
            account_id=data["account_id"],
            name=data.get("name") or "",
            created_at=utcnow(),
        )
        session.add(contact)
    contact.name = data.get("name") or contact.name
    contact.buying_role = data.get("buying_role", contact.buying_role)
    if data.get("influence") is not None:
        contact.influence = data["influence"]
    contact.active = active
    contact.left_on = (
        date.fromisoformat(data["left_on"]) if (not active and data.get("left_on")) else None
    )
    session.flush()


def member_added(session: Session, data: dict[str, Any]) -> None:
    member = get_or_insert(
        session,
        MemberFacts,
        data["member_id"],
        lambda: MemberFacts(
            member_id=data["member_id"],
            account_id=data["account_id"],
            name=data["name"],
            role=data["role"],
        ),
    )
    member.name, member.role, member.email = data["name"], data["role"], data.get("email")
    session.flush()


def member_removed(session: Session, data: dict[str, Any]) -> None:
    session.execute(delete(MemberFacts).where(MemberFacts.member_id == data["member_id"]))


def interaction_logged(session: Session, account: AccountFacts, data: dict[str, Any]) -> None:
    """The last contact moves on, and each person who took part got a touch."""
    occurred_at = _moment(data["occurred_at"])
    if account.last_contact_at is None or occurred_at > account.last_contact_at:
        account.last_contact_at = occurred_at
    people = list(dict.fromkeys(data.get("contact_ids") or []))
    seen = set(
        session.scalars(
            select(Touch.contact_id).where(
                Touch.ref_id == data["interaction_id"], Touch.contact_id.in_(people)
            )
        )
    )
    for contact_id in people:
        if contact_id not in seen:
            session.add(
                Touch(
                    account_id=account.account_id,
                    contact_id=contact_id,
                    kind=data.get("kind") or "other",
                    occurred_at=occurred_at,
                    ref_id=data["interaction_id"],
                    summary=(data.get("summary") or None) and data["summary"][:300],
                )
            )
    session.flush()


def purchase_recorded(session: Session, data: dict[str, Any]) -> None:
    get_or_insert(
        session,
        PurchaseFacts,
        data["purchase_id"],
        lambda: PurchaseFacts(
            purchase_id=data["purchase_id"],
            account_id=data["account_id"],
            product_line=data["product_line"],
            amount=Decimal(str(data["amount"])).quantize(Decimal("0.01")),
            occurred_on=date.fromisoformat(data["occurred_on"]),
        ),
    )


def scored(session: Session, account: AccountFacts, data: dict[str, Any]) -> None:
    """Health's score, band and components for the account."""
    at = _moment(data["at"]) if data.get("at") else utcnow()
    if account.scored_at is not None and at < account.scored_at:
        return  # an older score arriving late changes nothing
    account.scored_at = at
    account.band = data["band"]
    account.score = data.get("score")
    if isinstance(data.get("components"), dict):
        account.components = {k: float(v) for k, v in data["components"].items()}
    session.flush()


def event_logged(session: Session, data: dict[str, Any]) -> None:
    event = get_or_insert(
        session,
        EventFacts,
        data["event_id"],
        lambda: EventFacts(
            event_id=data["event_id"],
            account_id=data["account_id"],
            type=data["type"],
            occurred_at=_moment(data["occurred_at"]),
        ),
    )
    event.severity = data.get("severity")
    event.signal = data.get("signal")
    event.occurred_at = _moment(data["occurred_at"])
    event.open = bool(data.get("open", True))
    session.flush()


def agreement_activated(session: Session, account: AccountFacts, data: dict[str, Any]) -> None:
    account.agreement_id = data["agreement_id"]
    renews = data.get("renews_on") or data.get("ends_on")
    account.renewal_on = renewal_date(
        date.fromisoformat(data["starts_on"]), date.fromisoformat(renews) if renews else None
    )
    session.flush()


def agreement_ended(session: Session, account: AccountFacts, data: dict[str, Any]) -> None:
    if account.agreement_id == data["agreement_id"]:
        account.agreement_id = None
        account.renewal_on = None
        session.flush()


def offer_made(session: Session, account: AccountFacts, data: dict[str, Any]) -> None:
    at = _moment(data["at"]) if data.get("at") else utcnow()
    if account.last_offer_at is None or at > account.last_offer_at:
        account.last_offer_at = at
        session.flush()
