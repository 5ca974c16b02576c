"""The list envelope `{"items", "total", "page", "per_page"}` and its query arguments."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate
from sqlalchemy import Select, func, select, true
from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.fields import QueryInteger

MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000


class QuerySchema(ma.Schema):
    """A query naming a parameter the operation does not declare is a 400 naming it (the
    services check that before any view runs, see kam_common.web); so is a filter value outside
    its enumeration."""

    class Meta:
        unknown = ma.RAISE


class PageArgs(QuerySchema):
    page = QueryInteger(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = QueryInteger(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


_envelopes: dict[type[ma.Schema], type[ma.Schema]] = {}


def page_of(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The envelope schema for a list of `item_schema` (one class per item schema)."""
    if item_schema not in _envelopes:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        _envelopes[item_schema] = ma.Schema.from_dict(
            {
                "items": fields.List(fields.Nested(item_schema), required=True),
                "total": fields.Integer(required=True),
                "page": fields.Integer(required=True),
                "per_page": fields.Integer(required=True),
            },
            name=name,
        )
    return _envelopes[item_schema]


def paginate(session: Session, stmt: Select[Any], *, page: int, per_page: int) -> dict[str, Any]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": list(items), "total": total or 0, "page": page, "per_page": per_page}


def page_from_list(items: list[Any], *, page: int, per_page: int) -> dict[str, Any]:
    start = (page - 1) * per_page
    return {
        "items": items[start : start + per_page],
        "total": len(items),
        "page": page,
        "per_page": per_page,
    }


def among(column: Any, ids: Collection[str] | None) -> Any:
    """`column IN ids`, or no restriction at all when `ids` is None (everyone)."""
    return true() if ids is None else column.in_(list(ids))


def where_given(stmt: Any, *conditions: tuple[Any, Any]) -> Any:
    """`column == value` for each (column, value) whose value the caller gave (not None/"")."""
    for column, value in conditions:
        if value is not None and value != "":
            stmt = stmt.where(column == value)
    return stmt


def list_of_accounts(
    session: Session,
    model: Any,
    *,
    caller: Caller,
    order_by: tuple[Any, ...],
    page: int,
    per_page: int,
    account_id: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """A page of `model` rows (with `account_id` and `status` columns) the caller may see,
    optionally of one account and one status."""
    stmt = where_given(
        caller.scoped(select(model), model.account_id),
        (model.account_id, account_id),
        (model.status, status),
    )
    return paginate(session, stmt.order_by(*order_by), page=page, per_page=per_page)
