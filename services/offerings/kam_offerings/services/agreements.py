"""Agreements: what each account has agreed to, one active at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kam_common.pagination import paginate
from kam_common.scope import account_scope
from kam_offerings.models import Agreement


def list_agreements(
    *,
    session: Session,
    page: int,
    per_page: int,
    account_id: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    stmt: Select[Any] = select(Agreement)
    scope = account_scope()
    if scope is not None:
        stmt = stmt.where(Agreement.account_id.in_(scope))
    if account_id:
        stmt = stmt.where(Agreement.account_id == account_id)
    if status:
        stmt = stmt.where(Agreement.status == status)
    stmt = stmt.order_by(Agreement.created_at.desc(), Agreement.id)
    return paginate(session, stmt, page=page, per_page=per_page)
