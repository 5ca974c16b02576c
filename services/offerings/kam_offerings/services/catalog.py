"""The catalog: services we can offer. Deactivated, never deleted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from kam_common.concurrency import UNCONDITIONAL, Precondition
from kam_common.db import utcnow
from kam_common.errors import Conflict, NotFound
from kam_common.pagination import paginate
from kam_offerings.domain.catalog import Service, check_commitment
from kam_offerings.models import CatalogItem


def _check_code_free(session: Session, code: str, *, other_than: str | None = None) -> None:
    stmt = select(CatalogItem.id).where(CatalogItem.code == code)
    if other_than:
        stmt = stmt.where(CatalogItem.id != other_than)
    if session.scalar(stmt) is not None:
        raise Conflict(
            f"A catalog item with code {code!r} exists already; codes are unique "
            "(deactivate the old item and choose another code).",
            errors={"code": ["Already in use."]},
        )


def create_item(*, session: Session, data: dict[str, Any]) -> CatalogItem:
    check_commitment(data["kind"], data.get("commitment"))
    _check_code_free(session, data["code"])
    fields = {**data}
    fields["commitment"] = fields.get("commitment") or None
    fields["family"] = fields.get("family") or data["code"]
    item = CatalogItem(**fields)
    session.add(item)
    session.commit()
    return item


def list_items(
    *,
    session: Session,
    page: int,
    per_page: int,
    kind: str | None = None,
    active: bool | None = None,
    q: str | None = None,
) -> dict[str, Any]:
    stmt: Select[Any] = select(CatalogItem)
    if kind:
        stmt = stmt.where(CatalogItem.kind == kind)
    if active is not None:
        stmt = stmt.where(CatalogItem.active.is_(active))
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern += "%"
        stmt = stmt.where(
            or_(
                func.lower(CatalogItem.name).like(pattern, escape="\\"),
                func.lower(CatalogItem.code).like(pattern, escape="\\"),
            )
        )
    stmt = stmt.order_by(CatalogItem.kind, CatalogItem.code)
    return paginate(session, stmt, page=page, per_page=per_page)


def get_item(*, session: Session, item_id: str, lock: bool = False) -> CatalogItem:
    item = session.get(CatalogItem, item_id, with_for_update=lock)
    if item is None:
        raise NotFound("Catalog item not found.")
    return item


def update_item(
    *,
    session: Session,
    item_id: str,
    changes: dict[str, Any],
    precondition: Precondition = UNCONDITIONAL,
) -> CatalogItem:
    item = get_item(session=session, item_id=item_id, lock=True)
    precondition.check(item.version)
    kind = changes.get("kind", item.kind)
    commitment = changes.get("commitment", item.commitment)
    check_commitment(kind, commitment)
    if "code" in changes and changes["code"] != item.code:
        _check_code_free(session, changes["code"], other_than=item.id)
    for name, value in changes.items():
        if name == "commitment":
            value = value or None
        if name == "family":
            value = value or item.code
        setattr(item, name, value)
    if session.is_modified(item):
        item.updated_at = utcnow()
        session.flush()
    session.commit()
    return item


def as_service(item: CatalogItem) -> Service:
    return Service(
        id=item.id,
        code=item.code,
        name=item.name,
        kind=item.kind,
        list_price=item.list_price,
        unit_cost=item.unit_cost,
        billing=item.billing,
        value_driver=item.value_driver,
        description=item.description or "",
        commitment=dict(item.commitment or {}),
        family=item.family,
        level=item.level,
        product_line=item.product_line,
    )


def active_services(session: Session) -> list[Service]:
    items = session.scalars(
        select(CatalogItem).where(CatalogItem.active.is_(True)).order_by(CatalogItem.code)
    )
    return [as_service(item) for item in items]
