"""A demo catalog so a new installation can build proposals at once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kam_offerings.models import CatalogItem
from kam_offerings.services.catalog import create_item

# code, name, kind, billing, list price, unit cost, value driver, family, level, commitment,
# description
_CATALOG: list[tuple[Any, ...]] = [
    (
        "CORE-STD",
        "Core supply",
        "core",
        "annual",
        120_000,
        84_000,
        "none",
        "core",
        1,
        None,
        "The product supplied on the agreed schedule.",
    ),
    (
        "CORE-PLUS",
        "Core supply plus",
        "core",
        "annual",
        150_000,
        99_000,
        "performance",
        "core",
        2,
        None,
        "Core supply with priority allocation and a named planner.",
    ),
    (
        "SUP-HELPDESK",
        "Help desk",
        "support",
        "monthly",
        1_500,
        900,
        "performance",
        "helpdesk",
        1,
        None,
        "Business-hours help desk for the client's operators.",
    ),
    (
        "SUP-HELPDESK-247",
        "Help desk 24/7",
        "support",
        "monthly",
        2_600,
        1_500,
        "performance",
        "helpdesk",
        2,
        None,
        "Round-the-clock help desk with a 1-hour response.",
    ),
    (
        "SUP-MAINT",
        "Preventive maintenance",
        "support",
        "annual",
        12_000,
        8_000,
        "performance",
        "maintenance",
        1,
        None,
        "Scheduled maintenance visits that prevent breakdowns.",
    ),
    (
        "VA-COSTRED",
        "Coordinated cost-reduction programme",
        "value_added",
        "annual",
        20_000,
        9_000,
        "cost_reduction",
        "cost-reduction",
        1,
        None,
        "Joint review of the client's total cost: logistics, stock and waste.",
    ),
    (
        "VA-TECH",
        "Technical assistance",
        "value_added",
        "monthly",
        2_500,
        1_500,
        "performance",
        "technical-assistance",
        1,
        None,
        "An engineer on call for the client's technical needs.",
    ),
    (
        "VA-DELIVERY-5",
        "Guaranteed delivery (5 days)",
        "value_added",
        "annual",
        9_000,
        4_000,
        "assurance",
        "guaranteed-delivery",
        1,
        {"max_delivery_delay_days": 5},
        "Deliveries guaranteed at most 5 days late.",
    ),
    (
        "VA-DELIVERY-2",
        "Guaranteed delivery (2 days)",
        "value_added",
        "annual",
        15_000,
        6_000,
        "assurance",
        "guaranteed-delivery",
        2,
        {"max_delivery_delay_days": 2},
        "Deliveries guaranteed at most 2 days late.",
    ),
    (
        "VA-PROMO",
        "Cooperative promotion",
        "value_added",
        "one_time",
        8_000,
        5_000,
        "performance",
        "promotion",
        1,
        None,
        "Joint marketing of the client's products with ours.",
    ),
]


# The accounts' product lines these items are sold as: purchases of those lines are costed at
# the item's cost share in customer economics, and cross-sell names the item. Lines sold as no
# item (spare parts, training...) leave a margin unknown, and economics says so.
_PRODUCT_LINES = {
    "CORE-STD": "core supply",
    "SUP-MAINT": "maintenance services",
    "VA-PROMO": "promotions",
}


def seed_demo_catalog(*, session: Session) -> int:
    """Idempotent: does nothing when the catalog holds any item."""
    if session.scalar(select(CatalogItem.id).limit(1)) is not None:
        return 0
    for (
        code,
        name,
        kind,
        billing,
        price,
        cost,
        driver,
        family,
        level,
        commitment,
        description,
    ) in _CATALOG:
        create_item(
            session=session,
            data={
                "code": code,
                "name": name,
                "kind": kind,
                "billing": billing,
                "list_price": Decimal(price),
                "unit_cost": Decimal(cost),
                "value_driver": driver,
                "family": family,
                "level": level,
                "commitment": commitment,
                "description": description,
                "product_line": _PRODUCT_LINES.get(code),
                "active": True,
            },
        )
    return len(_CATALOG)
