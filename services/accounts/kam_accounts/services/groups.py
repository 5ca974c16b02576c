"""Client groups: checking a parent, and the group an account belongs to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kam_accounts.domain.errors import GroupLoop, UnknownParent
from kam_accounts.domain.groups import flatten, group_tree, revenue_by_currency
from kam_accounts.domain.reporting import loop_through
from kam_accounts.models import Account
from kam_accounts.services.lookup import get_account
from kam_common.context import Caller


def _parent_of(session: Session) -> Any:
    def parent_of(account_id: str) -> str | None:
        return session.scalar(select(Account.parent_id).where(Account.id == account_id))

    return parent_of


def check_parent(session: Session, account_id: str | None, parent_id: str | None) -> None:
    """A parent must exist, and must not be the account itself or one of its own group's
    accounts below it (a 422 naming `parent_id` either way)."""
    if parent_id is None:
        return
    if session.get(Account, parent_id) is None:
        raise UnknownParent()
    chain = loop_through(account_id, parent_id, _parent_of(session))
    if chain is not None:
        raise GroupLoop(chain)


def _ancestry(session: Session, account_id: str) -> list[str]:
    """The account, its parent, …, up to the group's root."""
    parent_of = _parent_of(session)
    chain, current = [account_id], parent_of(account_id)
    while current is not None and current not in chain:
        chain.append(current)
        current = parent_of(current)
    return chain


def account_group(*, session: Session, caller: Caller, account_id: str) -> dict[str, Any]:
    """The group the account belongs to, from its root down, as far as the caller may see:
    every member with its children, and the accounts and revenue (per currency) of the
    active ones."""
    get_account(session=session, caller=caller, account_id=account_id)
    ancestry = _ancestry(session, account_id)
    # A partner's group starts at the highest of the account's ancestors it may see.
    shown_root = next(a for a in reversed(ancestry) if caller.may_see(a))
    tree = select(Account.id).where(Account.id == shown_root).cte("tree", recursive=True)
    # UNION (not UNION ALL) ends even on a loop that concurrent changes could have made.
    tree = tree.union(select(Account.id).where(Account.parent_id == tree.c.id))
    members = session.scalars(select(Account).where(Account.id.in_(select(tree.c.id)))).all()
    nodes = group_tree(shown_root, members, caller.may_see)
    active = [a for a in flatten(nodes) if a.status == "active"]
    return {
        "root_id": shown_root,
        "members": nodes,
        "rollup": {"accounts": len(active), "annual_revenue": revenue_by_currency(active)},
    }
