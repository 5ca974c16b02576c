"""Creating, finding, changing and archiving accounts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kam_accounts import events
from kam_accounts.domain.text import fold, like_contains
from kam_accounts.models import Account
from kam_accounts.services.groups import check_parent
from kam_accounts.services.lookup import check_external_id, get_account
from kam_common.concurrency import UNCONDITIONAL, Precondition
from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.pagination import paginate, where_given

_SORTS = {
    "name": (Account.name_folded, Account.id),
    "-annual_revenue": (Account.annual_revenue.desc(), Account.name_folded, Account.id),
    "-updated_at": (Account.updated_at.desc(), Account.id),
}


def create_account(*, session: Session, data: dict[str, Any]) -> Account:
    check_external_id(session, Account, data.get("external_id"))
    check_parent(session, None, data.get("parent_id"))
    account = Account(**data, name_folded=fold(data["name"]))
    session.add(account)
    session.flush()
    events.account_changed(session, account, "created")
    session.commit()
    return account


def accounts_query(
    *,
    caller: Caller,
    q: str | None = None,
    external_id: str | None = None,
    tier: str | None = None,
    orientation: str | None = None,
    segment: str | None = None,
    status: str = "active",
    sort: str = "name",
) -> Select[Any]:
    """The accounts a list (or an export) with these filters shows, in its order."""
    stmt: Select[Any] = where_given(
        caller.scoped(select(Account), Account.id),
        (Account.tier, tier),
        (Account.orientation, orientation),
        (Account.segment, segment),
        (Account.external_id, external_id),
    )
    if q:
        stmt = stmt.where(Account.name_folded.like(like_contains(q), escape="\\"))
    if status != "all":
        stmt = stmt.where(Account.status == status)
    return stmt.order_by(*_SORTS[sort])


def list_accounts(
    *, session: Session, caller: Caller, page: int, per_page: int, **filters: Any
) -> dict[str, Any]:
    stmt = accounts_query(caller=caller, **filters)
    return paginate(session, stmt, page=page, per_page=per_page)


def update_account(
    *,
    session: Session,
    caller: Caller,
    account_id: str,
    changes: dict[str, Any],
    precondition: Precondition = UNCONDITIONAL,
) -> Account:
    account = get_account(session=session, caller=caller, account_id=account_id, lock=True)
    precondition.check(account.version)
    if "external_id" in changes:
        check_external_id(session, Account, changes["external_id"], account.id)
    if "parent_id" in changes:
        check_parent(session, account.id, changes["parent_id"])
    for name, value in changes.items():
        setattr(account, name, value)
    if "name" in changes:
        account.name_folded = fold(changes["name"])
    if session.is_modified(account):
        account.updated_at = utcnow()
        session.flush()
        events.account_changed(session, account, "updated")
    session.commit()
    return account


def archive_account(
    *,
    session: Session,
    caller: Caller,
    account_id: str,
    precondition: Precondition = UNCONDITIONAL,
) -> None:
    """Archiving closes the account to new records and hides it from default lists; it erases
    nothing, and archiving twice is harmless."""
    account = get_account(session=session, caller=caller, account_id=account_id, lock=True)
    precondition.check(account.version)
    if account.status != "archived":
        account.status = "archived"
        account.updated_at = utcnow()
        session.flush()
        events.account_changed(session, account, "archived")
        session.commit()
