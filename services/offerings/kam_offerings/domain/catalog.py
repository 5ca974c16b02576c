"""Services as the bundle builder sees them, and the rules a catalog item must follow."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kam_common.errors import Invalid
from kam_offerings.domain.money import annualised
from kam_offerings.domain.vocabulary import COMMITMENT_KEYS


@dataclass(frozen=True)
class Service:
    id: str
    code: str
    name: str
    kind: str
    list_price: Decimal
    unit_cost: Decimal
    billing: str = "annual"
    value_driver: str = "none"
    description: str = ""
    commitment: Mapping[str, Any] = field(default_factory=dict)
    family: str = ""
    level: int = 1
    product_line: str | None = None

    @property
    def yearly_price(self) -> Decimal:
        return annualised(self.list_price, self.billing)

    @property
    def yearly_cost(self) -> Decimal:
        return annualised(self.unit_cost, self.billing)

    @property
    def family_key(self) -> str:
        return self.family or self.code


def check_commitment(kind: str, commitment: Mapping[str, Any] | None) -> None:
    """Only value-added services promise something, and only what the contract can measure."""
    if not commitment:
        return
    if kind != "value_added":
        raise Invalid("commitment", "Only a value_added service may carry a commitment.")
    for key, value in commitment.items():
        if key not in COMMITMENT_KEYS:
            known = ", ".join(COMMITMENT_KEYS)
            raise Invalid(f"commitment.{key}", f"Unknown commitment; known: {known}.")
        low, high = COMMITMENT_KEYS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(f"commitment.{key}", f"An integer from {low} to {high}.")


def commitment_text(commitment: Mapping[str, Any]) -> str:
    days = commitment.get("max_delivery_delay_days")
    if days is None:
        return ""
    return f"deliveries at most {days} day{'s' if days != 1 else ''} late, guaranteed"


def tightest(commitments: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The union of several services' commitments; the tightest delivery delay wins."""
    merged: dict[str, Any] = {}
    for commitment in commitments:
        days = commitment.get("max_delivery_delay_days")
        if days is not None:
            current = merged.get("max_delivery_delay_days")
            merged["max_delivery_delay_days"] = days if current is None else min(current, days)
    return merged
