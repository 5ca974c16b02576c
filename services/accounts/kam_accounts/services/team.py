"""Our people on the account: sales, implementation, quality and service engineers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kam_accounts import events
from kam_accounts.domain.errors import TeamMemberNotFound
from kam_accounts.models import TeamMember
from kam_accounts.services.lookup import get_account, get_open_account
from kam_common.context import Caller
from kam_common.db import new_id
from kam_common.pagination import paginate


def add_team_member(
    *, session: Session, caller: Caller, account_id: str, data: dict[str, Any]
) -> TeamMember:
    get_open_account(session=session, caller=caller, account_id=account_id)
    member = TeamMember(id=new_id(), account_id=account_id, **data)
    session.add(member)
    events.team_changed(session, member, "added")
    session.commit()
    return member


def list_team(
    *,
    session: Session,
    caller: Caller,
    account_id: str,
    page: int,
    per_page: int,
    role: str | None = None,
) -> dict[str, Any]:
    get_account(session=session, caller=caller, account_id=account_id)
    stmt = select(TeamMember).where(TeamMember.account_id == account_id)
    if role:
        stmt = stmt.where(TeamMember.role == role)
    stmt = stmt.order_by(TeamMember.role, TeamMember.name, TeamMember.id)
    return paginate(session, stmt, page=page, per_page=per_page)


def remove_team_member(
    *, session: Session, caller: Caller, account_id: str, member_id: str
) -> None:
    get_open_account(session=session, caller=caller, account_id=account_id)
    member = session.get(TeamMember, member_id)
    if member is None or member.account_id != account_id:
        raise TeamMemberNotFound()
    events.team_changed(session, member, "removed")
    session.delete(member)
    session.commit()
