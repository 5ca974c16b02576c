"""What the offerings use cases are given besides the session and the caller: the service's
settings and its read-throughs to the accounts and health services."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kam_offerings.clients import HealthReader, PlaysReader, VisitCounter

AccountLookup = Callable[[str], dict[str, Any] | None]


@dataclass(frozen=True)
class Settings:
    # The collaborative bundle's price is the sum of its list prices less this share.
    bundle_discount: Decimal
    # What one support ticket costs us to handle, for customer economics.
    support_ticket_cost: Decimal
    # What one visit by our team costs us, for customer economics.
    visit_cost: Decimal
    # No new suggestions for an account offered something within this many days.
    offer_cooldown_days: int
    # The cost share taken for product lines no catalog item prices (None: unknown).
    assumed_cost_share: Decimal | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        return cls(
            bundle_discount=config["BUNDLE_DISCOUNT"],
            support_ticket_cost=config["SUPPORT_TICKET_COST"],
            visit_cost=config["VISIT_COST"],
            assumed_cost_share=config.get("ASSUMED_COST_SHARE"),
            offer_cooldown_days=config["OFFER_COOLDOWN_DAYS"],
        )


@dataclass(frozen=True)
class Readers:
    """Read-throughs for facts offerings has not heard of yet."""

    accounts: AccountLookup
    health: HealthReader
    visits: VisitCounter
    # The contact-pressure rule (None: not asked, e.g. in tests of offerings alone).
    plays: PlaysReader | None = None
