"""Loading what a use case works on, honouring the caller's account scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kam_accounts.domain.errors import AccountArchived, AccountNotFound
from kam_accounts.models import Account
from kam_common.context import Caller
from kam_common.errors import Conflict


def get_account(
    *, session: Session, caller: Caller, account_id: str, lock: bool = False
) -> Account:
    """`lock`: for a change, hold the row (FOR UPDATE) so concurrent changes queue instead of
    failing on each other's version (SQLite's write lock already serialises them)."""
    visible = caller.may_see(account_id)
    account = session.get(Account, account_id, with_for_update=lock) if visible else None
    if account is None:
        raise AccountNotFound()
    return account


def get_open_account(*, session: Session, caller: Caller, account_id: str) -> Account:
    """An account that takes new records: archived ones stay readable but closed."""
    account = get_account(session=session, caller=caller, account_id=account_id)
    if account.status == "archived":
        raise AccountArchived()
    return account


def check_external_id(
    session: Session, model: Any, external_id: str | None, own_id: str | None = None
) -> None:
    """`external_id` is unique: a second record with it is a 409 naming the field."""
    if external_id is None:
        return
    taken = session.scalar(select(model.id).where(model.external_id == external_id))
    if taken is not None and taken != own_id:
        raise Conflict(
            f"external_id {external_id!r} is already used by another record.",
            errors={"external_id": ["Already used by another record."]},
        )
