"""Loading what a use case works on, honouring the caller's account scope."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kam_accounts.domain.errors import AccountArchived, AccountNotFound
from kam_accounts.models import Account
from kam_common.context import Caller


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
