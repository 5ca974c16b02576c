"""The client's decision-makers: who they are, whom they report to, and who has left."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kam_accounts import events
from kam_accounts.domain.errors import ContactNotFound
from kam_accounts.domain.reporting import OrgNode, check_reporting_line, org_chart
from kam_accounts.models import Contact, ContactChange
from kam_accounts.services.lookup import check_external_id, get_account, get_open_account
from kam_common.concurrency import UNCONDITIONAL, Precondition
from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.errors import Invalid
from kam_common.pagination import paginate

# Fields whose changes are worth a line in the account's timeline.
_TRACKED = (
    "name",
    "title",
    "buying_role",
    "influence",
    "stance",
    "reports_to_id",
    "email",
    "cadence_days",
)


def _today() -> date:
    return utcnow().date()


def get_contact(
    *, session: Session, caller: Caller, account_id: str, contact_id: str, lock: bool = False
) -> Contact:
    get_account(session=session, caller=caller, account_id=account_id)
    contact = session.get(Contact, contact_id, with_for_update=lock)
    if contact is None or contact.account_id != account_id:
        raise ContactNotFound()
    return contact


def _check_manager(
    session: Session, *, account_id: str, contact_id: str | None, manager_id: str | None
) -> None:
    if manager_id is None:
        return
    if manager_id == contact_id:
        raise Invalid("reports_to_id", "A contact cannot report to themselves.")
    manager_of = dict(
        session.execute(
            select(Contact.id, Contact.reports_to_id).where(Contact.account_id == account_id)
        ).all()
    )
    if manager_id not in manager_of:
        raise Invalid("reports_to_id", "Not a contact of this account.")
    check_reporting_line(contact_id, manager_id, manager_of)


def _settle_leaving(contact: Contact, data: dict[str, Any]) -> None:
    """`active: false` means the person left (today unless `left_on` says when)."""
    if data.get("active") is True and data.get("left_on") is not None:
        raise Invalid("left_on", "Only a contact who has left has a leaving date.")
    if "left_on" in data and data["left_on"] is not None and "active" not in data:
        contact.active = False
    if contact.active is False and contact.left_on is None:
        contact.left_on = _today()
    if contact.active:
        contact.left_on = None


def create_contact(
    *, session: Session, caller: Caller, account_id: str, data: dict[str, Any]
) -> Contact:
    get_open_account(session=session, caller=caller, account_id=account_id)
    check_external_id(session, Contact, data.get("external_id"))
    _check_manager(
        session, account_id=account_id, contact_id=None, manager_id=data.get("reports_to_id")
    )
    contact = Contact(account_id=account_id, **data)
    contact.active = data.get("active", True)
    _settle_leaving(contact, data)
    session.add(contact)
    session.flush()
    session.add(
        ContactChange(
            account_id=account_id,
            contact_id=contact.id,
            kind="added" if contact.active else "left",
            changes={},
        )
    )
    if not contact.active:
        events.contact_moved(session, contact)
    events.contact_changed(session, contact)
    session.commit()
    return contact


def list_contacts(
    *,
    session: Session,
    caller: Caller,
    account_id: str,
    page: int,
    per_page: int,
    active: bool | None = None,
    buying_role: str | None = None,
    external_id: str | None = None,
) -> dict[str, Any]:
    get_account(session=session, caller=caller, account_id=account_id)
    stmt: Select[Any] = select(Contact).where(Contact.account_id == account_id)
    if external_id is not None:
        stmt = stmt.where(Contact.external_id == external_id)
    if active is not None:
        stmt = stmt.where(Contact.active == active)
    if buying_role:
        stmt = stmt.where(Contact.buying_role == buying_role)
    stmt = stmt.order_by(Contact.name, Contact.id)
    return paginate(session, stmt, page=page, per_page=per_page)


def update_contact(
    *,
    session: Session,
    caller: Caller,
    account_id: str,
    contact_id: str,
    changes: dict[str, Any],
    precondition: Precondition = UNCONDITIONAL,
) -> Contact:
    get_open_account(session=session, caller=caller, account_id=account_id)
    contact = get_contact(
        session=session, caller=caller, account_id=account_id, contact_id=contact_id, lock=True
    )
    precondition.check(contact.version)
    if "external_id" in changes:
        check_external_id(session, Contact, changes["external_id"], contact.id)
    if "reports_to_id" in changes:
        _check_manager(
            session,
            account_id=account_id,
            contact_id=contact.id,
            manager_id=changes["reports_to_id"],
        )
    was_active = contact.active
    before = {name: getattr(contact, name) for name in _TRACKED}
    for name, value in changes.items():
        setattr(contact, name, value)
    _settle_leaving(contact, changes)
    _record_change(session, contact, was_active=was_active, before=before)
    if session.is_modified(contact):
        contact.updated_at = utcnow()
        session.flush()
        events.contact_changed(session, contact)
    session.commit()
    return contact


def remove_contact(
    *,
    session: Session,
    caller: Caller,
    account_id: str,
    contact_id: str,
    precondition: Precondition = UNCONDITIONAL,
) -> None:
    """DELETE records that the person left: the map keeps them, marked inactive, because the
    history (and a champion's departure) is part of the relationship."""
    update_contact(
        session=session,
        caller=caller,
        account_id=account_id,
        contact_id=contact_id,
        changes={"active": False},
        precondition=precondition,
    )


def _record_change(
    session: Session, contact: Contact, *, was_active: bool, before: dict[str, Any]
) -> None:
    if was_active and not contact.active:
        kind = "left"
    elif not was_active and contact.active:
        kind = "returned"
    else:
        kind = "updated"
    changes = {
        name: [before[name], getattr(contact, name)]
        for name in _TRACKED
        if before[name] != getattr(contact, name)
    }
    if kind == "updated" and not changes:
        return
    if kind != "updated":
        events.contact_moved(session, contact)
    session.add(
        ContactChange(
            account_id=contact.account_id, contact_id=contact.id, kind=kind, changes=changes
        )
    )


def get_org_chart(*, session: Session, caller: Caller, account_id: str) -> list[OrgNode]:
    get_account(session=session, caller=caller, account_id=account_id)
    people = session.scalars(select(Contact).where(Contact.account_id == account_id)).all()
    return org_chart(people)
