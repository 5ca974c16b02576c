"""Agreements: what each account has agreed to, one active at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kam_common.pagination import paginate, where_given
from kam_common.scope import scoped
from kam_offerings.models import Agreement


def list_agreements(
    *,
    session: Session,
    page: int,
    per_page: int,
    account_id: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    stmt = where_given(
        scoped(select(Agreement), Agreement.account_id),
        (Agreement.account_id, account_id),
        (Agreement.status, status),
    )
    stmt = stmt.order_by(Agreement.created_at.desc(), Agreement.id)
    return paginate(session, stmt, page=page, per_page=per_page)
